"""NOVIS near-online inference: speed and memory (``make bench``).

    python tools/benchmarks/novis_inference.py [--frames 60]
        [--clip-repeats 3] [--mem-frames 100 500] [--short-edge 360]
        [--quick]

Runs :mod:`plugins.novis.benchmark` (random weights, a smooth moving random
video fed in chunks of 2 frames through ``NOVIS.predict``, each video length
in its own process):

* speed: frames/s of the ResNet-50 OVIS model
  (``configs/novis/novis_r50_ovis.py``, 100 queries, T=4 / S=2)
  near-online over a ``--frames``-frame video at shortest edge 360
  (360 x 640), with the share of each stage (backbone, pixel decoder, video
  decoder, tracking and post-processing), on CPU, and on CUDA (100 frames)
  when a GPU is visible;
* the same network on one 4-frame clip (padded to 384 x 640), before (the
  plain deformable attention, ``grid_sample`` per level, and every decoder
  layer's masks at full size) and now, interleaved, median of
  ``--clip-repeats``;
* memory: peak RSS of the toy model (``novis_r18_toy-ytvis.py``, one view: its
  test-time augmentation off) streaming a
  100-frame and a 500-frame 360 x 640 video (and the R50 model's CUDA peak
  on a GPU): near-online streaming keeps only finished frames' RLEs, so the
  second must stay close to the first.

``--quick`` shortens everything (for a smoke run).
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from plugins.novis.benchmark import main as bench_main  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', '--speed-frames', type=int, default=60,
                        help='length of the speed video (CPU)')
    parser.add_argument('--clip-repeats', type=int, default=3)
    parser.add_argument('--mem-frames', type=int, nargs='+',
                        default=[100, 500])
    parser.add_argument('--short-edge', type=int, default=360)
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args(argv)
    if args.quick:
        args.frames, args.mem_frames, args.clip_repeats = 4, [6, 12], 1
        args.short_edge = min(args.short_edge, 64)
    edge = ['--short-edge', str(args.short_edge)]
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    print(f'[novis] speed, ResNet-50 OVIS model, devices {devices}'
          + ('' if 'cuda' in devices else ' (no GPU visible)'), flush=True)
    for device in devices:
        frames = args.frames if device == 'cpu' else 100
        if bench_main(['--model', 'r50', '--frames', str(frames),
                       '--device', device, *edge]):
            return 1
        if args.clip_repeats and bench_main(
                ['--model', 'r50', '--device', device, '--clip-repeats',
                 str(args.clip_repeats), *edge]):
            return 1
    print('[novis] memory, toy model, one process per video length',
          flush=True)
    if bench_main(['--model', 'toy', '--frames',
                   *map(str, args.mem_frames), *edge]):
        return 1
    if 'cuda' in devices and bench_main(
            ['--model', 'r50', '--frames', *map(str, args.mem_frames),
             '--device', 'cuda', *edge]):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
