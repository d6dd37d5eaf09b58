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

    for p in (davis, ytvos, vis, lvos):
        p.add_argument('--json', help='write all results to this file')
    for p in (davis, ytvos, lvos):
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
    if benchmark == 'davis' and res.get('per_sequence'):
        print(f'\n{"sequence":24s} {"J&F":>7s} {"J":>7s} {"F":>7s}')
        for name, row in res['per_sequence'].items():
            print(f'{name:24s} {_fmt(row["J&F-Mean"])} {_fmt(row["J-Mean"])} '
                  f'{_fmt(row["F-Mean"])}')
    if benchmark == 'lvos':
        print(f'\n{"object":24s} {"J":>7s} {"F":>7s} {"V":>7s}')
        for name, row in res['per_object'].items():
            print(f'{name:24s} {_fmt(row["J-Mean"])} {_fmt(row["F-Mean"])} '
                  f'{_fmt(row["V-Mean"])}')


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
