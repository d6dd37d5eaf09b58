"""MOSE v1 / MOSE v2 / VOST evaluation speed and memory, optionally side by
side with the official scorers.

    python tools/benchmarks/eval_bench_mose_vost.py [--full] [--keep DIR]
        [--official-python PY --mose-api DIR --vost-repo DIR]

Synthetic sets in each layout (:mod:`vostoolkit.testing.vos_eval_sets`:
ellipses of 2 px to a sixth of the frame that move, disappear and come back,
void regions for VOST, perturbed predictions). By default a tenth of each
validation split (MOSE v1 valid: 311 videos, MOSE v2 valid: 433, VOST val:
70), up to 60 frames a video at 720x1280; ``--full`` generates the whole
split's video count (long on 2 CPUs: generation alone is tens of minutes).

For each evaluator it prints our time (2 worker processes, run in a fresh
child process), the PNG-decode floor (PIL decoding every ground-truth and
prediction PNG of the evaluated frames, once, without any conversion to
arrays, 2 processes; the floor of ``lvos_eval_bench.py`` and
``sav_eval_bench.py``) and the
peak RSS of one worker on the half and the whole set (bounded per video:
it should not grow with the set). With ``--official-python`` and the
fetched repositories (henghuiding/MOSE-api, TRI-ML/VOST, run unchanged from
where they are; never copied here) it also times the official scorers on
the same data, interleaved with ours, and prints the largest difference
between their numbers and ours (their full-precision values are read by
making ``round`` the identity in ``score.py``'s namespace, and by asking
pandas for 17 digits when VOST prints its tables).
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from PIL import Image  # noqa: E402

SPLITS = dict(mose=311, mosev2=433, vost=70)


def _rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0


def _hwm_mb() -> float:
    """Peak RSS of this process image (``VmHWM``; unlike ``ru_maxrss`` it
    does not carry over the parent's peak across ``exec``)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024.0
    return _rss_mb()


def _decode_video(args):
    folders, frames = args
    for folder in folders:
        for f in frames:
            with Image.open(osp.join(folder, f + '.png')) as img:
                img.load()
    return 0


def child_floor(root, videos):
    """Decode the evaluated frames (first and last skipped) of every video,
    ground truth and prediction, in 2 processes."""
    jobs = [([osp.join(root, 'gt', 'Annotations', v),
              osp.join(root, 'pred', v)], info['frames'][1:-1])
            for v, info in videos.items()]
    start = time.perf_counter()
    with mp.get_context('fork').Pool(2) as pool:
        pool.map(_decode_video, jobs, chunksize=1)
    return dict(seconds=time.perf_counter() - start)


def child_ours(kind, root, videos):
    from vostoolkit.evaluation import (evaluate_mose, evaluate_mose_v2,
                                       evaluate_vost)
    gt, pred = osp.join(root, 'gt'), osp.join(root, 'pred')
    start = time.perf_counter()
    if kind == 'mose':
        res = evaluate_mose(gt, pred, videos=videos)
    elif kind == 'mosev2':
        res = evaluate_mose_v2(gt, pred, meta=osp.join(gt, 'meta.json'),
                               videos=videos)
    else:
        res = evaluate_vost(gt, pred, sequences=videos)
    took = time.perf_counter() - start
    res.pop('per_sequence', None)
    return dict(seconds=took, res=res, rss_worker=_rss_mb(True),
                rss_main=_hwm_mb())


def in_child(*args):
    out = subprocess.run([sys.executable, __file__, '--child',
                          json.dumps(args)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def official_mose_v2(py, api, root):
    """Run score.py unchanged, ``round`` made the identity in its module."""
    tools = osp.join(api, 'MOSEv2', 'sam2_rcms', 'tools')
    out = osp.join(root, 'official_out')
    code = ('import runpy, sys; sys.path.insert(0, %r); sys.argv = '
            '["score.py", "--meta", %r, "--ann", %r, "--pred", %r, '
            '"--output", %r]; runpy.run_path(%r, init_globals={"round": '
            'lambda x, n=None: x}, run_name="__main__")' % (
                tools, osp.join(root, 'gt', 'meta.json'),
                osp.join(root, 'gt', 'Annotations'),
                osp.join(root, 'pred'), out, osp.join(tools, 'score.py')))
    start = time.perf_counter()
    subprocess.run([py, '-c', code], check=True, capture_output=True)
    took = time.perf_counter() - start
    with open(osp.join(out, 'metrics.json')) as f:
        per_object = json.load(f)
    scores = {}
    with open(osp.join(out, 'scores.txt')) as f:
        for line in f:
            key, _, val = line.strip().partition(': ')
            if key != 'Copy-Paste':
                scores[key] = float(val)
    return took, scores, per_object


def official_vost(py, repo, root):
    """Run evaluation_method.py unchanged, pandas printing 17 digits."""
    ev = osp.join(repo, 'evaluation')
    for f in ('global_results-val.csv', 'per-sequence_results-val.csv'):
        if osp.exists(osp.join(root, 'pred', f)):
            os.remove(osp.join(root, 'pred', f))
    code = ('import runpy, sys, os, pandas; pandas.set_option('
            '"display.precision", 17); sys.path.insert(0, %r); os.chdir(%r);'
            ' sys.argv = ["evaluation_method.py", "--dataset_path", %r, '
            '"--results_path", %r, "--set", "val"]; runpy.run_path('
            '"evaluation_method.py", run_name="__main__")' % (
                ev, ev, osp.join(root, 'gt'), osp.join(root, 'pred')))
    start = time.perf_counter()
    out = subprocess.run([py, '-c', code], check=True, capture_output=True,
                         text=True).stdout
    took = time.perf_counter() - start
    lines = out.splitlines()
    i = next(k for k, ln in enumerate(lines)
             if ln.strip().startswith('J-Mean'))
    glob = dict(zip(lines[i].split(), map(float, lines[i + 1].split())))
    per = {}
    for ln in lines[i + 2:]:
        parts = ln.split()
        if len(parts) == 3 and parts[0] != 'Sequence':
            per[parts[0]] = (float(parts[1]), float(parts[2]))
    return took, glob, per


def _diff(a, b):
    if a is None or b is None:
        return 0.0 if a is None and b is None else math.inf
    if math.isnan(a) and math.isnan(b):
        return 0.0
    return abs(a - b)


def compare_mose_v2(res, scores, per_object):
    worst, n = 0.0, 0
    for key, val in scores.items():
        worst, n = max(worst, _diff(val / 100, res[key])), n + 1
    for name, vals in per_object.items():
        if name == 'total_time':
            continue
        o = res['per_object'][name]

        def pair(a, b):
            return None if o[a] is None else (o[a] + o[b]) / 2
        ours = {'J&F_new': pair('J', 'F_new'), 'J': o['J'],
                'F_new': o['F_new'], 'F': o['F'], 'J&F': pair('J', 'F'),
                'disappear_J&F_new': pair('disappear_J', 'disappear_F_new'),
                'reappear_J&F_new': pair('reappear_J', 'reappear_F_new')}
        for key, val in vals.items():
            d = _diff(None if val is None else val / 100, ours[key])
            worst, n = max(worst, d), n + 1
    return worst, n


def compare_vost(res, glob, per):
    worst, n = 0.0, 0
    for key, val in glob.items():
        worst, n = max(worst, _diff(val, res[key])), n + 1
    for name, (jm, jl) in per.items():
        o = res['per_object'][name]
        worst = max(worst, _diff(jm, o['J-Mean']), _diff(jl, o['J_last-Mean']))
        n += 2
    return worst, n


def bench(kind, tmp, args):
    from vostoolkit.testing.vos_eval_sets import write_set
    n_videos = SPLITS[kind] if args.full else max(2, SPLITS[kind] // 10)
    root = osp.join(tmp, kind)
    start = time.perf_counter()
    layout = 'vost' if kind == 'vost' else 'mose'
    videos = write_set(root, layout, n_videos, args.frames, tuple(args.size),
                       seed=len(kind))
    frames = sum(len(v['frames']) for v in videos.values())
    print(f'{kind}: {n_videos} videos, {frames} frames '
          f'{args.size[0]}x{args.size[1]} (generated in '
          f'{time.perf_counter() - start:.0f} s)', flush=True)
    names = sorted(videos)
    half = {v: videos[v] for v in names[:len(names) // 2]}
    floor = in_child('floor', root, videos)['seconds']
    ours = in_child(kind, root, names)
    ours_half = in_child(kind, root, list(half))
    line = (f'  ours (2 workers) {ours["seconds"]:.2f} s = '
            f'{ours["seconds"] / floor:.2f}x the PNG-decode floor '
            f'({floor:.2f} s, 2 processes)')
    off = None
    if args.official_python and kind == 'mosev2' and args.mose_api:
        off = official_mose_v2(args.official_python, args.mose_api, root)
        worst, n = compare_mose_v2(ours['res'], off[1], off[2])
    elif args.official_python and kind == 'vost' and args.vost_repo:
        off = official_vost(args.official_python, args.vost_repo, root)
        worst, n = compare_vost(ours['res'], off[1], off[2])
    if off is not None:
        again = in_child(kind, root, names)['seconds']
        line += (f'; official {off[0]:.2f} s = '
                 f'{off[0] / min(ours["seconds"], again):.1f}x ours '
                 f'(ours again after it: {again:.2f} s); {n} numbers '
                 f'compared, largest difference {worst:.2g}')
    print(line)
    print(f'  peak RSS: main {ours["rss_main"]:.0f} MB, largest worker '
          f'{ours["rss_worker"]:.0f} MB on all videos, '
          f'{ours_half["rss_worker"]:.0f} MB on half of them', flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--full', action='store_true',
                        help="each validation split's video count")
    parser.add_argument('--frames', type=int, default=60,
                        help='frames per video, at most (default 60)')
    parser.add_argument('--size', type=int, nargs=2, default=(720, 1280),
                        metavar=('H', 'W'))
    parser.add_argument('--only', nargs='+', choices=sorted(SPLITS),
                        default=sorted(SPLITS))
    parser.add_argument('--keep', help='generate the data under this folder')
    parser.add_argument('--official-python',
                        help='python with the official scorers\' packages')
    parser.add_argument('--mose-api', help='henghuiding/MOSE-api checkout')
    parser.add_argument('--vost-repo', help='TRI-ML/VOST checkout')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = json.loads(args.child)
        if kind == 'floor':
            print(json.dumps(child_floor(*rest)))
        else:
            print(json.dumps(child_ours(kind, *rest)))
        return 0
    print(f'machine: {os.cpu_count()} CPUs visible (wall-clock timings; '
          'other processes may share them)', flush=True)
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        for kind in args.only:
            bench(kind, tmp, args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
