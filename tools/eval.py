#!/usr/bin/env python
"""Evaluate saved predictions with the official rules.

    python tools/eval.py davis --gt-root data/DAVIS --pred results/ \
        [--year 2017] [--split val] [--resolution 480p] \
        [--task semi-supervised|unsupervised] [--json OUT]
    python tools/eval.py youtube-vos --data-root data/youtube_vos \
        --pred results/ [--split train] [--videos held_out.txt] [--json OUT]
    python tools/eval.py youtube-vis --gt ANN.json \
        --pred results.json|results.zip [--json OUT]
    python tools/eval.py lvos --gt-root data/lvos_v2/valid --pred results/ \
        [--unseen unseen_videos.txt] [--json OUT]
    python tools/eval.py sav --gt-root data/sav/sav_val --pred results/ \
        [--strict] [--do-not-skip-first-and-last-frame] [--json OUT]
    python tools/eval.py mose --gt data/mose/train --videos held_out.txt \
        --pred results/ [--json OUT]
    python tools/eval.py mosev2 --gt data/mose_v2/valid --pred results/ \
        [--meta meta.json] [--allow-missing] [--json OUT]
    python tools/eval.py vost --gt-root data/vost --pred results/ \
        [--split val] [--json OUT]

Prints a table; ``--json`` also writes every number (per object and per
sequence for DAVIS). Bad input exits with status 2 and one line naming the
file.
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import time
import zipfile

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from vostoolkit.evaluation import (evaluate_davis, evaluate_vis,  # noqa: E402
                                   evaluate_youtube_vos)
from vostoolkit.evaluation.mask_io import (open_zip,  # noqa: E402
                                           read_zip_member)
from vostoolkit.evaluation import evaluate_lvos  # noqa: E402
from vostoolkit.evaluation import evaluate_sav  # noqa: E402
from vostoolkit.evaluation import (evaluate_mose,  # noqa: E402
                                   evaluate_mose_v2, evaluate_vost)
from vostoolkit.utils import DataError  # noqa: E402
from vostoolkit.utils.cli import run_tool  # noqa: E402
from vostoolkit.utils.tmpfiles import atomic_write_bytes  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='benchmark', required=True)

    davis = sub.add_parser('davis', help='DAVIS J&F')
    davis.add_argument('--gt-root', required=True, help='DAVIS root')
    davis.add_argument('--pred', required=True,
                       help='folder or zip of <sequence>/<frame>.png')
    davis.add_argument('--year', default='2017', choices=['2016', '2017'])
    davis.add_argument('--split', default='val')
    davis.add_argument('--resolution', default='480p')
    davis.add_argument('--task', default='semi-supervised',
                       choices=['semi-supervised', 'unsupervised'])

    ytvos = sub.add_parser('youtube-vos', help='YouTube-VOS G (labelled '
                           'split)')
    ytvos.add_argument('--data-root', required=True)
    ytvos.add_argument('--pred', required=True,
                       help='folder or zip of [Annotations/]<video>/*.png')
    ytvos.add_argument('--split', default='valid')
    ytvos.add_argument('--videos', help='text file: evaluate these videos')
    ytvos.add_argument('--seen-meta', help='meta.json whose categories are '
                       'seen (default: <data-root>/train/meta.json)')
    ytvos.add_argument('--exclude-last', action='store_true')

    vis = sub.add_parser('youtube-vis', help='YouTube-VIS / OVIS AP')
    vis.add_argument('--gt', required=True, help='annotation JSON')
    vis.add_argument('--pred', required=True,
                     help='results.json or a zip holding it')

    lvos = sub.add_parser('lvos', help='LVOS v1 / v2 J&F, seen / unseen, V')
    lvos.add_argument('--gt-root', required=True,
                      help='split folder (Annotations/, valid_meta.json) '
                      'or the LVOS root')
    lvos.add_argument('--pred', required=True,
                      help='folder or zip of [Annotations/]<video>/*.png')
    lvos.add_argument('--split', default='valid')
    lvos.add_argument('--unseen', help='unseen video list (default: '
                      'unseen_videos.txt of the split)')

    sav = sub.add_parser('sav', help='SA-V J&F (x100); also DAVIS-layout '
                         'folders, scored the SA-V way')
    sav.add_argument('--gt-root', required=True,
                     help='Annotations_6fps, the split folder (sav_val) or '
                     'the SA-V root, or a DAVIS-layout folder')
    sav.add_argument('--pred', required=True, help='folder or zip of '
                     '<video>/<obj>/<frame>.png (same layout as the gt)')
    sav.add_argument('--split', default='val')
    sav.add_argument('--strict', action='store_true',
                     help='every ground-truth video must be predicted')
    sav.add_argument('--do-not-skip-first-and-last-frame',
                     action='store_true')

    mose = sub.add_parser('mose', help='MOSE v1 J&F (DAVIS rules)')
    mosev2 = sub.add_parser('mosev2', help='MOSE v2 (official score.py)')
    for p in (mose, mosev2):
        p.add_argument('--gt', required=True, help='MOSE root, split '
                       'folder or Annotations folder (all frames labelled)')
        p.add_argument('--pred', required=True,
                       help='folder or zip of [Annotations/]<video>/*.png')
        p.add_argument('--split', default='valid')
        p.add_argument('--videos', help='text file: evaluate these videos')
    mosev2.add_argument('--meta', help="the scorer's meta.json")
    mosev2.add_argument('--allow-missing', action='store_true',
                        help='score videos without predictions 0 (as the '
                        'server does) instead of failing')
    vost = sub.add_parser('vost', help='VOST J and J_last')
    vost.add_argument('--gt-root', required=True, help='VOST root')
    vost.add_argument('--pred', required=True,
                      help='folder or zip of <sequence>/<frame>.png')
    vost.add_argument('--split', default='val')

    for p in (davis, ytvos, vis, lvos, sav, mose, mosev2, vost):
        p.add_argument('--json', help='write all results to this file')
    for p in (davis, ytvos, lvos, sav, mose, mosev2, vost):
        p.add_argument('--workers', type=int, default=2,
                       help='worker processes (default 2)')
    return parser.parse_args(argv)


def load_vis_results(path: str):
    """Results list from a JSON file or a zip with ``results.json``."""
    if not osp.isfile(path):
        raise DataError(path, 'results file not found')
    if zipfile.is_zipfile(path):
        with open_zip(path) as zf:
            if 'results.json' not in zf.namelist():
                raise DataError(path, 'no results.json at the zip root')
            data = read_zip_member(zf, 'results.json')
            try:
                return json.loads(data)
            except (ValueError, UnicodeDecodeError) as err:
                raise DataError(f'{path}:results.json',
                                f'not valid JSON ({err})') from None
    return path


def run(args: argparse.Namespace) -> dict:
    if args.benchmark == 'davis':
        return evaluate_davis(args.gt_root, args.pred, year=args.year,
                              split=args.split, resolution=args.resolution,
                              task=args.task, num_workers=args.workers)
    if args.benchmark == 'youtube-vos':
        return evaluate_youtube_vos(
            args.data_root, args.pred, split=args.split, videos=args.videos,
            seen_categories=args.seen_meta, exclude_last=args.exclude_last,
            num_workers=args.workers)
    if args.benchmark == 'lvos':
        return evaluate_lvos(args.gt_root, args.pred, split=args.split,
                             unseen=args.unseen, num_workers=args.workers)
    if args.benchmark == 'sav':
        return evaluate_sav(
            args.gt_root, args.pred, split=args.split, strict=args.strict,
            skip_first_and_last=not args.do_not_skip_first_and_last_frame,
            num_workers=args.workers)
    if args.benchmark == 'mose':
        return evaluate_mose(args.gt, args.pred, split=args.split,
                             videos=args.videos, num_workers=args.workers)
    if args.benchmark == 'mosev2':
        return evaluate_mose_v2(args.gt, args.pred, meta=args.meta,
                                split=args.split, videos=args.videos,
                                allow_missing_videos=args.allow_missing,
                                num_workers=args.workers)
    if args.benchmark == 'vost':
        return evaluate_vost(args.gt_root, args.pred, split=args.split,
                             num_workers=args.workers)
    return evaluate_vis(args.gt, load_vis_results(args.pred),
                        results_name=f'{args.pred}:results.json'
                        if zipfile.is_zipfile(args.pred) else None)


def _fmt(v) -> str:
    return '    nan' if v is None or (isinstance(v, float) and
                                      math.isnan(v)) else f'{v:7.4f}'


def print_table(benchmark: str, res: dict) -> None:
    scalars = {k: v for k, v in res.items() if isinstance(v, (int, float))}
    print('  '.join(f'{k:>9s}' for k in scalars))
    print('  '.join(f'{_fmt(v):>9s}' for v in scalars.values()))
    if benchmark == 'mosev2':
        p = res['printed']
        print('\n(as score.py prints them) ' + ', '.join(
            f'{k}: {p[k]}' for k in p if k != 'per_object'))
    if benchmark in ('davis', 'mose') and res.get('per_sequence'):
        print(f'\n{"sequence":24s} {"J&F":>7s} {"J":>7s} {"F":>7s}')
        for name, row in res['per_sequence'].items():
            print(f'{name:24s} {_fmt(row["J&F-Mean"])} {_fmt(row["J-Mean"])} '
                  f'{_fmt(row["F-Mean"])}')
    if benchmark == 'lvos':
        print(f'\n{"object":24s} {"J":>7s} {"F":>7s} {"V":>7s}')
        for name, row in res['per_object'].items():
            print(f'{name:24s} {_fmt(row["J-Mean"])} {_fmt(row["F-Mean"])} '
                  f'{_fmt(row["V-Mean"])}')
    if benchmark == 'sav':
        print(f'\n{"video/object":24s} {"J&F":>7s} {"J":>7s} {"F":>7s}')
        for name, row in res['per_object'].items():
            print(f'{name:24s} {_fmt(row["J&F"])} {_fmt(row["J"])} '
                  f'{_fmt(row["F"])}')
        if res['unpredicted']:
            print(f'\nwarning: {len(res["unpredicted"])} ground-truth '
                  f'videos have no prediction and were not scored (first: '
                  f'{res["unpredicted"][0]}); --strict makes this an error')


def _json_safe(obj):
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _main(argv) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    res = run(args)
    print_table(args.benchmark, res)
    print(f'\n({time.perf_counter() - start:.1f} s)')
    if args.json:
        if osp.dirname(args.json):
            os.makedirs(osp.dirname(args.json), exist_ok=True)
        atomic_write_bytes(args.json, json.dumps(_json_safe(res),
                                                 indent=1).encode())
    return 0


def main(argv=None) -> int:
    """Exit status 0, or 2 after one error line (130 on Ctrl-C); see
    :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'eval.py')


if __name__ == '__main__':
    sys.exit(main())
