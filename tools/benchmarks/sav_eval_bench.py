"""SA-V evaluator speed and memory, optionally side by side with the
official one (sam2 ``sav_dataset/``, run from its own checkout and Python).

    python tools/benchmarks/sav_eval_bench.py [--full] [--keep DIR]
        [--repeat N] [--official DIR --official-python PY]

Default set: 8 videos of 48 annotated frames at 720x1280 (1-3 objects, one
holding another so masks overlap, some entering part-way). ``--full``: the
SA-V val size (155 videos of about 84 annotated frames; about 300 objects).
Prints our time (2 workers), the PNG-decode floor (PIL decoding every
ground-truth and prediction PNG the evaluator reads, once, without any
conversion to arrays, 2 processes), both as wall and CPU time (medians of
``--repeat`` interleaved runs), and the peak RSS; with ``--official``
(the ``sav_dataset`` folder of a sam2 checkout) also the official time (2
processes) and the largest difference over every number it computes
(global J&F, J, F and each object's).
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
from _long_vos_data import make_sav_set  # noqa: E402

from PIL import Image  # noqa: E402

# runs in the official checkout's environment: its benchmark() unmodified,
# called as its sav_evaluator.py does by default (not strict, skipping the
# first and last frames), every number kept at full precision
OFFICIAL_DRIVER = r'''
import json, sys
official, gt, pred, out = sys.argv[1:5]
sys.path.insert(0, official)
from utils.sav_benchmark import benchmark
jf, j, f, objs = benchmark([gt], [pred], False, 2, verbose=False,
                           skip_first_and_last=True)
res = {'J&F': float(jf[0]), 'J': float(j[0]), 'F': float(f[0]),
       'per_object': {}}
for name, (iou, bf) in objs[0].items():
    for k in iou:
        res['per_object'][f'{name}/{k:03}'] = {
            'J&F': float((iou[k] + bf[k]) / 2), 'J': float(iou[k]),
            'F': float(bf[k])}
json.dump(res, open(out, 'w'))
'''

OURS = r'''
import json, resource, sys, time
from vostoolkit.evaluation import evaluate_sav
def cpu():
    return sum(getattr(resource.getrusage(w), a) for w in (
        resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for a in ('ru_utime', 'ru_stime'))
t, c = time.perf_counter(), cpu()  # after the imports
res = evaluate_sav(sys.argv[1], sys.argv[2], num_workers=2)
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
    gt_dir, pred_dir, rels = args
    for rel in rels:
        _decode(osp.join(gt_dir, rel))
        _decode(osp.join(pred_dir, rel))


def decode_floor(data: dict) -> tuple:
    """Wall and CPU seconds to decode every PNG pair the evaluator reads
    (2 processes)."""
    jobs = []
    for video in sorted(os.listdir(data['gt'])):
        vdir = osp.join(data['gt'], video)
        rels = []
        for obj in sorted(os.listdir(vdir)):
            frames = sorted(os.listdir(osp.join(vdir, obj)))[1:-1]
            rels += [f'{obj}/{f}' for f in frames]
        jobs.append((vdir, osp.join(data['pred'], video), rels))
    def cpu():
        use = resource.getrusage(resource.RUSAGE_CHILDREN)
        return use.ru_utime + use.ru_stime

    t, c = time.perf_counter(), cpu()
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(_decode_video, jobs))
    return time.perf_counter() - t, cpu() - c


def max_diff(a: dict, b: dict) -> float:
    """Largest absolute difference over the global and per-object numbers
    (the object sets must be equal)."""
    if set(a['per_object']) != set(b['per_object']):
        raise SystemExit('the two evaluators report different objects')
    rows = [(a[k], b[k]) for k in ('J&F', 'J', 'F')]
    rows += [(a['per_object'][o][k], v) for o, r in b['per_object'].items()
             for k, v in r.items()]
    return max(abs(x - y) for x, y in rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--full', action='store_true')
    p.add_argument('--keep', help='generate (or reuse) the set here')
    p.add_argument('--official', help="a sam2 checkout's sav_dataset folder")
    p.add_argument('--official-python', default=sys.executable)
    p.add_argument('--repeat', type=int, default=3,
                   help='interleaved runs of ours and the floor (medians)')
    args = p.parse_args(argv)
    size = dict(videos=155, frames=84, hw=(720, 1280)) if args.full else \
        dict(videos=8, frames=48, hw=(720, 1280))
    root = args.keep or tempfile.mkdtemp(prefix='sav_bench_')
    t = time.perf_counter()
    if osp.isdir(osp.join(root, 'gt')):
        data = dict(gt=osp.join(root, 'gt'), pred=osp.join(root, 'pred'))
    else:
        data = make_sav_set(root, **size)
    n_obj = sum(len(os.listdir(osp.join(data['gt'], v)))
                for v in os.listdir(data['gt']))
    print(f'SA-V set: {size["videos"]} videos, {n_obj} objects x '
          f'{size["frames"]} annotated frames at {size["hw"][0]}x'
          f'{size["hw"][1]} ({time.perf_counter() - t:.0f} s to generate)')
    ours, ours_wall = time_script_against_floor(
        OURS, [data['gt'], data['pred']], osp.join(root, 'ours.json'),
        lambda: decode_floor(data), args.repeat, ROOT)
    if args.official:
        out = osp.join(root, 'official.json')
        t = time.perf_counter()
        subprocess.run([args.official_python, '-c', OFFICIAL_DRIVER,
                        args.official, data['gt'], data['pred'], out],
                       check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, OMP_NUM_THREADS='1'))
        t_off = time.perf_counter() - t
        with open(out) as f:
            official = json.load(f)
        print(f'official: {t_off:.2f} s (2 processes): ours is '
              f'{t_off / ours_wall:.1f}x faster (median); max |difference| '
              f'over '
              f'{3 + 3 * len(official["per_object"])} numbers: '
              f'{max_diff(ours, official):.3g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
