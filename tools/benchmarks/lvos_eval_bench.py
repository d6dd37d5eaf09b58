"""LVOS evaluator speed and memory, optionally side by side with the
official lvos-evaluation (run from its own checkout and Python).

    python tools/benchmarks/lvos_eval_bench.py [--full] [--keep DIR]
        [--repeat N] [--official DIR --official-python PY]

Default set: 6 videos of 120 annotated frames at 480x854 (1-3 objects,
some entering part-way). ``--full``: the LVOS v2 valid size (140 videos of
about 400 annotated frames at 720x1280; tens of GB of PNGs, hours to
generate on 2 cores). Prints our time (2 workers), the PNG-decode floor
(PIL decoding every ground-truth and prediction PNG the evaluator reads,
once, without any conversion to arrays, 2 processes), both as wall and
CPU time (medians of ``--repeat`` interleaved runs), and the peak RSS;
with ``--official`` also the official time (``--mp_nums 2``) and the
largest difference over every number it prints. ``--official-python``
needs numpy < 2 (the official code assigns 1-element arrays to array
items).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
sys.path[:0] = [ROOT, HERE]

from _interleave import time_script_against_floor  # noqa: E402
from _long_vos_data import make_lvos_set  # noqa: E402

from PIL import Image  # noqa: E402

# runs in the official checkout's environment: its own script, unmodified
OFFICIAL_DRIVER = r'''
import json, os, runpy, shutil, sys
official, gt, pred, out = sys.argv[1:5]
os.chdir(os.path.dirname(out))
shutil.copy(os.path.join(gt, 'unseen_videos.txt'), '.')
shutil.copy(os.path.join(official, 'unsupervised_videos.txt'), '.')
sys.path.insert(0, official)
sys.argv = ['evaluation_method.py', '--lvos_path', gt, '--results_path',
            pred, '--mp_nums', '2']
g = runpy.run_path(os.path.join(official, 'evaluation_method.py'),
                   run_name='__main__')
tg, ts = g['table_g'], g['table_seq']
res = {c: float(tg[c].iloc[0]) for c in tg.columns}
res['per_object'] = {r['Sequence']: {k: float(r[k]) for k in
                     ('J-Mean', 'F-Mean', 'V-Mean')} for _, r in ts.iterrows()}
json.dump(res, open(out, 'w'))
'''

OURS = r'''
import json, resource, sys, time
from vostoolkit.evaluation import evaluate_lvos
def cpu():
    return sum(getattr(resource.getrusage(w), a) for w in (
        resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for a in ('ru_utime', 'ru_stime'))
t, c = time.perf_counter(), cpu()  # after the imports
res = evaluate_lvos(sys.argv[1], sys.argv[2], num_workers=2)
res['_time'] = time.perf_counter() - t
res['_cpu'] = cpu() - c
res['_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
res['_rss_worker_mb'] = resource.getrusage(
    resource.RUSAGE_CHILDREN).ru_maxrss / 1024
json.dump(res, open(sys.argv[3], 'w'))
'''


def _decode(path: str) -> None:
    with Image.open(path) as img:
        img.load()


def _decode_video(args):
    gt_dir, pred_dir, stems = args
    for s in stems:
        _decode(osp.join(gt_dir, s))
        _decode(osp.join(pred_dir, s))


def decode_floor(data: dict) -> tuple:
    """Wall and CPU seconds to decode every PNG pair the evaluator reads
    (2 processes)."""
    with open(osp.join(data['gt'], 'valid_meta.json')) as f:
        meta = json.load(f)['videos']
    jobs = []
    for v, entry in meta.items():
        frames = set()
        for o in entry['objects'].values():
            r = o['frame_range']
            frames.update(list(range(r['start'], r['end'], 5))[1:])
        jobs.append((osp.join(data['gt'], 'Annotations', v),
                     osp.join(data['pred'], v),
                     [f'{n:08d}.png' for n in sorted(frames)]))
    def cpu():
        use = resource.getrusage(resource.RUSAGE_CHILDREN)
        return use.ru_utime + use.ru_stime

    t, c = time.perf_counter(), cpu()
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(_decode_video, jobs))
    return time.perf_counter() - t, cpu() - c


def max_diff(a: dict, b: dict) -> float:
    worst = 0.0
    rows = [(a[k], b[k]) for k in b if k != 'per_object']
    rows += [(a['per_object'][o][k], v) for o, r in b['per_object'].items()
             for k, v in r.items()]
    for x, y in rows:
        if x != x and y != y:  # both NaN
            continue
        worst = max(worst, abs(x - y))
    return worst


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--full', action='store_true')
    p.add_argument('--keep', help='generate (or reuse) the set here')
    p.add_argument('--official', help='lvos-evaluation checkout')
    p.add_argument('--official-python', default=sys.executable)
    p.add_argument('--repeat', type=int, default=3,
                   help='interleaved runs of ours and the floor (medians)')
    args = p.parse_args(argv)
    size = dict(videos=140, frames=400, hw=(720, 1280)) if args.full else \
        dict(videos=6, frames=120, hw=(480, 854))
    root = args.keep or tempfile.mkdtemp(prefix='lvos_bench_')
    t = time.perf_counter()
    if osp.isfile(osp.join(root, 'gt', 'valid_meta.json')):
        data = dict(gt=osp.join(root, 'gt'), pred=osp.join(root, 'pred'))
    else:
        data = make_lvos_set(root, **size)
    print(f'LVOS set: {size["videos"]} videos x {size["frames"]} annotated '
          f'frames at {size["hw"][0]}x{size["hw"][1]} '
          f'({time.perf_counter() - t:.0f} s to generate)')
    ours, ours_wall = time_script_against_floor(
        OURS, [data['gt'], data['pred']], osp.join(root, 'ours.json'),
        lambda: decode_floor(data), args.repeat, ROOT)
    if args.official:
        out = osp.join(root, 'official', 'official.json')
        os.makedirs(osp.dirname(out), exist_ok=True)
        for f in os.listdir(data['pred']):
            if f.endswith('.csv'):
                os.remove(osp.join(data['pred'], f))
        t = time.perf_counter()
        subprocess.run([args.official_python, '-c', OFFICIAL_DRIVER,
                        args.official, data['gt'], data['pred'], out],
                       check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, OMP_NUM_THREADS='1'))
        t_off = time.perf_counter() - t
        with open(out) as f:
            official = json.load(f)
        print(f'official: {t_off:.2f} s (--mp_nums 2): ours is '
              f'{t_off / ours_wall:.1f}x faster (median); max |difference| '
              f'over '
              f'{len(official) - 1 + 3 * len(official["per_object"])} '
              f'printed numbers: {max_diff(ours, official):.3g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
