"""Data-loading throughput of every reader on toy data (``make bench``).

    python tools/benchmarks/data_loading.py [--size H W ...] [--clips N]
        [--json OUT]

For each frame size, toy data is generated in a temp dir (DAVIS, YouTube-VOS,
YouTube-VIS, OVIS layouts), then each reader is timed in one process on:

* train clips: the clip sampler + ``LoadVideoFrames`` + the annotation
  loader (DAVIS / YouTube-VOS: 3-frame VOS clips; YouTube-VIS / OVIS:
  4-frame VIS clips), and the same followed by ``PackVideoInputs``;
* test videos: whole videos in order (frames/s).

Prints clips/s (and frames/s); ``--json`` also writes the figures.
"""
import argparse
import json
import os.path as osp
import platform
import sys
import tempfile
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from vostoolkit.datasets import (DAVISDataset, OVISDataset,  # noqa: E402
                                 YouTubeVISDataset, YouTubeVOSDataset)
from vostoolkit.datasets.toy import generate_toy_dataset  # noqa: E402

VOS_LOAD = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]
VIS_LOAD = [dict(type='LoadVideoFrames'), dict(type='LoadVISAnnotations')]
VOS_SAMPLER = dict(type='VOSClipSampler', num_frames=3, max_skip=3)
VIS_SAMPLER = dict(type='VISClipSampler', num_frames=4, window=5)

# reader name -> (toy format, dataset class, train kwargs, test kwargs, task)
READERS = {
    'DAVIS': ('davis', DAVISDataset, dict(split='train'),
              dict(split='val'), 'vos'),
    'YouTube-VOS': ('youtube-vos', YouTubeVOSDataset, dict(split='train'),
                    dict(split='valid'), 'vos'),
    'YouTube-VIS': ('youtube-vis', YouTubeVISDataset, dict(),
                    dict(ann_file='valid.json',
                         data_prefix=dict(img='valid/JPEGImages')), 'vis'),
    'OVIS': ('ovis', OVISDataset, dict(),
             dict(ann_file='annotations_valid.json',
                  data_prefix=dict(img='valid')), 'vis'),
}


def _has_pack() -> bool:
    try:
        from vostoolkit.datasets.transforms import PackVideoInputs  # noqa
    except ImportError:
        return False
    return True


def _time_clips(ds, num: int) -> dict:
    np.random.seed(0)
    ds[0]  # warm-up (file cache, lazy imports)
    frames = 0
    start = time.perf_counter()
    for i in range(num):
        out = ds[i % len(ds)]
        frames += len(out['frame_ids']) if 'frame_ids' in out else \
            out['inputs'].shape[0]
    took = time.perf_counter() - start
    return dict(clips_per_s=num / took, frames_per_s=frames / took)


def bench_size(size, clips: int, videos: int, frames: int) -> list:
    rows = []
    with tempfile.TemporaryDirectory(prefix='vostoolkit_bench_') as tmp:
        for name, (fmt, cls, train_kw, test_kw, task) in READERS.items():
            root = osp.join(tmp, fmt)
            start = time.perf_counter()
            generate_toy_dataset(root, fmt, videos=videos, val_videos=2,
                                 frames=frames, size=size, seed=0,
                                 all_frames=False)
            gen_s = time.perf_counter() - start
            load = VOS_LOAD if task == 'vos' else VIS_LOAD
            sampler = VOS_SAMPLER if task == 'vos' else VIS_SAMPLER
            variants = [('load', load)]
            if _has_pack():
                variants.append(('load+pack',
                                 load + [dict(type='PackVideoInputs')]))
            for label, pipe in variants:
                ds = cls(root, pipeline=pipe, clip_sampler=sampler,
                         **train_kw)
                rows.append(dict(reader=name, size=list(size), mode='train',
                                 pipeline=label, gen_s=gen_s,
                                 **_time_clips(ds, clips)))
            ds = cls(root, pipeline=load, test_mode=True, **test_kw)
            rows.append(dict(reader=name, size=list(size), mode='test',
                             pipeline='load', gen_s=gen_s,
                             **_time_clips(ds, max(2, len(ds)))))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, nargs=2, action='append',
                        metavar=('H', 'W'),
                        help='frame size (repeatable; default 64x96 and '
                        '480x854)')
    parser.add_argument('--clips', type=int, default=100,
                        help='train clips timed per reader and size')
    parser.add_argument('--videos', type=int, default=4)
    parser.add_argument('--frames', type=int, default=12)
    parser.add_argument('--json', help='also write the figures here')
    args = parser.parse_args(argv)
    sizes = args.size or [(64, 96), (480, 854)]
    print(f'data loading on {platform.processor() or platform.machine()}, '
          f'python {platform.python_version()}, 1 process')
    header = (f'{"reader":<12} {"size":>8} {"mode":<5} {"pipeline":<10} '
              f'{"clips/s":>9} {"frames/s":>9}')
    print(header)
    print('-' * len(header))
    rows = []
    for size in sizes:
        for row in bench_size(tuple(size), args.clips, args.videos,
                              args.frames):
            rows.append(row)
            print(f'{row["reader"]:<12} {"x".join(map(str, row["size"])):>8}'
                  f' {row["mode"]:<5} {row["pipeline"]:<10} '
                  f'{row["clips_per_s"]:>9.1f} {row["frames_per_s"]:>9.1f}',
                  flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
