"""Evaluation speed and memory on benchmark-sized synthetic sets.

    python tools/benchmarks/eval_bench.py [--keep DIR] [--quick]

1. A DAVIS-2017-val-sized set (30 sequences, about 2000 frames at 480x854,
   2-4 objects, ground truth and perturbed predictions as palette PNGs):
   prints our J&F time (2 worker processes) next to the PNG-decode floor
   (decoding every ground-truth and prediction PNG, nothing else).
2. An OVIS-sized set (140 videos of about 63 frames at 720x1280, about 6
   ground-truth tracks and 20 predictions a video, as compressed RLE):
   prints the AP time and peak RSS, and the RSS growth over the loaded
   inputs for half and all of the videos.

Timed runs happen in fresh child processes (so peak RSS is theirs alone);
the data are generated in a temporary folder (about a minute).
"""
import argparse
import json
import multiprocessing as mp
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from vostoolkit.evaluation.mask_io import (decode_index_png,  # noqa: E402
                                           encode_index_png)


def rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """User + system CPU time of this process and its reaped children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        use = resource.getrusage(who)
        total += use.ru_utime + use.ru_stime
    return total


def current_rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def star(rng, n_vert=24):
    """Random star-shaped outline: unit radii at ``n_vert`` angles."""
    ang = np.linspace(0, 2 * np.pi, n_vert, endpoint=False)
    harm = sum(rng.uniform(0, 0.15) * np.cos(k * ang + rng.uniform(0, 6))
               for k in (2, 3, 5))
    return ang, 1 + harm


def polygon(center, radius, shape, angle=0.0):
    ang, rad = shape
    xs = center[0] + radius * rad * np.cos(ang + angle)
    ys = center[1] + radius * rad * np.sin(ang + angle)
    return np.stack([xs, ys], 1)


# ----------------------------------------------------------------- DAVIS set
def _davis_sequence(args):
    root, pred_root, name, length, n_obj, seed = args
    rng = np.random.default_rng(seed)
    h, w = 480, 854
    objs = []
    for _ in range(n_obj):
        objs.append(dict(c=rng.uniform([150, 100], [700, 380]),
                         v=rng.uniform(-3, 3, 2), r=rng.uniform(30, 120),
                         shape=star(rng), spin=rng.uniform(-.03, .03)))
    gt_dir = osp.join(root, 'Annotations', '480p', name)
    pr_dir = osp.join(pred_root, name)
    os.makedirs(gt_dir)
    os.makedirs(pr_dir)
    for t in range(length):
        gt = np.zeros((h, w), np.uint8)
        pred = np.zeros((h, w), np.uint8)
        for k, o in enumerate(objs, 1):
            c = o['c'] + o['v'] * t
            poly = polygon(c, o['r'], o['shape'], o['spin'] * t)
            cv2.fillPoly(gt, [np.round(poly).astype(np.int32)], k)
            if rng.random() < 0.97:  # occasionally lost
                jitter = rng.normal(0, 2, 2) + t * 0.05
                poly = polygon(c + jitter, o['r'] * rng.uniform(.9, 1.05),
                               o['shape'], o['spin'] * t + .05)
                cv2.fillPoly(pred, [np.round(poly).astype(np.int32)], k)
        with open(osp.join(gt_dir, f'{t:05d}.png'), 'wb') as f:
            f.write(encode_index_png(gt))
        with open(osp.join(pr_dir, f'{t:05d}.png'), 'wb') as f:
            f.write(encode_index_png(pred))
    return length, n_obj


def make_davis_set(tmp, n_seq=30, total=2000, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(50, 90, n_seq)
    lengths = np.maximum(np.round(lengths * total / lengths.sum()), 3)
    names = [f'seq{i:02d}' for i in range(n_seq)]
    root, pred = osp.join(tmp, 'davis'), osp.join(tmp, 'davis_pred')
    os.makedirs(osp.join(root, 'ImageSets', '2017'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    jobs = [(root, pred, n, int(L), int(rng.integers(2, 5)), seed + i)
            for i, (n, L) in enumerate(zip(names, lengths))]
    pool = mp.get_context('fork').Pool(2)
    stats = pool.map(_davis_sequence, jobs)
    pool.close()
    pool.join()
    return root, pred, sum(s[0] for s in stats), sum(s[1] for s in stats)


def _decode_dir(folder):
    for f in sorted(os.listdir(folder)):
        decode_index_png(osp.join(folder, f))
    return 0


def child_decode_floor(root, pred, workers):
    folders = []
    for base in (osp.join(root, 'Annotations', '480p'), pred):
        folders += [osp.join(base, s) for s in sorted(os.listdir(base))]
    start, cpu = time.perf_counter(), cpu_seconds()
    if workers == 1:
        for d in folders:
            _decode_dir(d)
    else:
        pool = mp.get_context('fork').Pool(workers)
        pool.map(_decode_dir, folders, chunksize=1)
        pool.close()
        pool.join()
    return dict(seconds=time.perf_counter() - start,
                cpu=cpu_seconds() - cpu)


def child_davis(root, pred, workers):
    from vostoolkit.evaluation import evaluate_davis
    start, cpu = time.perf_counter(), cpu_seconds()
    res = evaluate_davis(root, pred, num_workers=workers)
    return dict(seconds=time.perf_counter() - start,
                cpu=cpu_seconds() - cpu, jf=res['J&F-Mean'], rss=rss_mb(),
                rss_children=rss_mb(True))


# ------------------------------------------------------------------ OVIS set
def _track(rng, length, h, w):
    r = float(np.exp(rng.uniform(np.log(25), np.log(260))))
    return dict(c=rng.uniform([r, r], [w - r, h - r]), v=rng.normal(0, 2, 2),
                r=r, shape=star(rng), spin=rng.uniform(-.02, .02),
                gone=set(rng.choice(length, int(rng.integers(0, length // 4)),
                                    replace=False).tolist()))


def _track_rles(tracks, length, h, w, jitter=None, rng=None):
    from pycocotools import mask as mask_utils
    out = [[None] * length for _ in tracks]
    for t in range(length):
        polys, idx = [], []
        for i, tr in enumerate(tracks):
            if t in tr['gone']:
                continue
            c, r = tr['c'] + tr['v'] * t, tr['r']
            if jitter is not None:
                c = c + rng.normal(0, jitter * r * 0.1, 2)
                r = r * rng.uniform(1 - jitter * 0.1, 1 + jitter * 0.05)
            poly = polygon(c, r, tr['shape'], tr['spin'] * t)
            poly[:, 0] = poly[:, 0].clip(0, w - 1)
            poly[:, 1] = poly[:, 1].clip(0, h - 1)
            polys.append(poly.reshape(-1).tolist())
            idx.append(i)
        for i, rle in zip(idx, mask_utils.frPyObjects(polys, h, w)):
            out[i][t] = dict(size=[h, w], counts=rle['counts'].decode())
    return out


def make_ovis_set(tmp, n_videos=140, seed=0, n_cats=25):
    from pycocotools import mask as mask_utils
    rng = np.random.default_rng(seed)
    h, w = 720, 1280
    gt = dict(videos=[], annotations=[],
              categories=[dict(id=c, name=f'c{c}') for c in
                          range(1, n_cats + 1)])
    results = []
    for vid in range(1, n_videos + 1):
        length = int(rng.integers(48, 79))
        gt['videos'].append(dict(id=vid, height=h, width=w, length=length,
                                 file_names=[f'{vid}/{t:05d}.jpg'
                                             for t in range(length)]))
        tracks = [_track(rng, length, h, w)
                  for _ in range(int(rng.integers(4, 9)))]
        cats = rng.integers(1, n_cats + 1, len(tracks))
        for tr, cat, rles in zip(tracks, cats,
                                 _track_rles(tracks, length, h, w)):
            areas = [None if r is None else int(mask_utils.area(r))
                     for r in rles]
            gt['annotations'].append(dict(
                id=len(gt['annotations']) + 1, video_id=vid, iscrowd=0,
                category_id=int(cat), segmentations=rles, areas=areas))
        preds = [dict(tr, gone=set(tr['gone'])) for tr in tracks]
        pcats = [int(c) if rng.random() < .8 else
                 int(rng.integers(1, n_cats + 1)) for c in cats]
        while len(preds) < 20:
            preds.append(_track(rng, length, h, w))
            pcats.append(int(rng.integers(1, n_cats + 1)))
        for cat, rles in zip(pcats, _track_rles(preds, length, h, w,
                                                jitter=1.0, rng=rng)):
            results.append(dict(video_id=vid, category_id=cat,
                                score=float(rng.random()),
                                segmentations=rles))
    return gt, results


def write_ovis_files(tmp, gt, results, n_videos, tag):
    keep = {v['id'] for v in gt['videos'][:n_videos]}
    sub = dict(gt, videos=[v for v in gt['videos'] if v['id'] in keep],
               annotations=[a for a in gt['annotations']
                            if a['video_id'] in keep])
    gt_path = osp.join(tmp, f'ovis_{tag}.json')
    res_path = osp.join(tmp, f'ovis_{tag}_results.json')
    with open(gt_path, 'w') as f:
        json.dump(sub, f)
    with open(res_path, 'w') as f:
        json.dump([r for r in results if r['video_id'] in keep], f)
    return gt_path, res_path


def child_ap(gt_path, res_path):
    from vostoolkit.evaluation.vis_eval import (VISGroundTruth,
                                                evaluate_vis, load_json)
    base = current_rss_mb()
    start = time.perf_counter()
    gt = VISGroundTruth(gt_path)
    results, _ = load_json(res_path, 'results')
    loaded_at = time.perf_counter()
    loaded = current_rss_mb()
    stats = evaluate_vis(gt, results)
    end = time.perf_counter()
    return dict(load=loaded_at - start, evaluate=end - loaded_at,
                base_rss=base, loaded_rss=loaded, peak_rss=rss_mb(),
                ap=stats['AP'])


# ---------------------------------------------------------------- the runs
def in_child(*args):
    """Run this script's ``child_*`` function in a fresh interpreter."""
    out = subprocess.run([sys.executable, __file__, '--child',
                          json.dumps(args)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_davis(tmp):
    start = time.perf_counter()
    root, pred, frames, objects = make_davis_set(tmp)
    print(f'DAVIS-17-val-sized set: 30 sequences, {frames} frames 480x854, '
          f'{objects} objects (generated in '
          f'{time.perf_counter() - start:.0f} s)')
    floor1 = in_child('decode', root, pred, 1)
    floor2 = in_child('decode', root, pred, 2)
    ours2 = in_child('davis', root, pred, 2)
    ours1 = in_child('davis', root, pred, 1)
    f1, f2 = floor1['seconds'], floor2['seconds']
    print(f'  PNG-decode floor, {2 * frames} PNGs: {f1:.2f} s in 1 '
          f'process, {f2:.2f} s in 2 (CPU {floor1["cpu"]:.2f} s)')
    print(f'  our J&F, 2 workers: {ours2["seconds"]:.2f} s '
          f'({ours2["seconds"] / f1:.2f}x the 1-process floor, '
          f'{ours2["seconds"] / f2:.2f}x the 2-process floor); '
          f'J&F-Mean {ours2["jf"]:.4f}')
    print(f'  our J&F, 1 worker: {ours1["seconds"]:.2f} s '
          f'({ours1["seconds"] / f1:.2f}x the 1-process floor)')
    print(f'  CPU time, all processes: our J&F {ours1["cpu"]:.2f} s = '
          f'{ours1["cpu"] / floor1["cpu"]:.2f}x the decode floor\'s')
    print(f'  peak RSS: main {ours2["rss"]:.0f} MB, largest worker '
          f'{ours2["rss_children"]:.0f} MB (mostly the imported libraries; '
          'a worker holds one frame pair at a time)')


def bench_ovis(tmp, n_videos):
    start = time.perf_counter()
    gt, results = make_ovis_set(tmp, n_videos)
    n_gt, n_res = len(gt['annotations']), len(results)
    frames = sum(v['length'] for v in gt['videos'])
    paths = {n: write_ovis_files(tmp, gt, results, n, str(n))
             for n in (n_videos // 2, n_videos)}
    del gt, results
    print(f'OVIS-sized set: {n_videos} videos, {frames} frames 720x1280, '
          f'{n_gt} ground-truth tracks, {n_res} predictions (generated in '
          f'{time.perf_counter() - start:.0f} s; results JSON '
          f'{osp.getsize(paths[n_videos][1]) / 2**20:.0f} MB)')
    for n in (n_videos, n_videos // 2):
        r = in_child('ap', *paths[n])
        print(f'  {n:3d} videos: AP time {r["load"] + r["evaluate"]:.2f} s '
              f'(load JSON {r["load"]:.2f} s + evaluate '
              f'{r["evaluate"]:.2f} s), AP {r["ap"]:.4f}; RSS: '
              f'{r["base_rss"]:.0f} MB after imports, {r["loaded_rss"]:.0f} '
              f'MB with the inputs loaded, peak {r["peak_rss"]:.0f} MB '
              f'(+{r["peak_rss"] - r["loaded_rss"]:.0f} MB while '
              f'evaluating)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--keep', help='generate the data here and keep it')
    parser.add_argument('--quick', action='store_true',
                        help='a small OVIS-like set only (smoke run)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = json.loads(args.child)
        fn = dict(decode=child_decode_floor, davis=child_davis,
                  ap=child_ap)[kind]
        print(json.dumps(fn(*rest)))
        return 0
    print(f'machine: {os.cpu_count()} CPUs visible (timings are wall-clock; '
          'other processes may share them)')
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        if not args.quick:
            bench_davis(tmp)
        bench_ovis(tmp, 10 if args.quick else 140)
    return 0


if __name__ == '__main__':
    sys.exit(main())
