"""FRTM-VOS inference speed and memory (``make bench``).

    python tools/benchmarks/frtm_speed.py [--frames 40] [--depths 18 101]
        [--objects 1 3] [--size 480 854] [--devices cpu cuda]
        [--mem-lengths 50 200] [--mem-size 120 214] [--no-memory]

Speed: the model of ``configs/frtm/frtm_r101_ytvos18-davis17.py`` (the
authors' settings: c=96, t_s=8, M0 of 5 samples, their refinement network)
with a ResNet-18 or ResNet-101 backbone (random weights: the cost does not
depend on them) segments a synthetic 480 x 854 video (moving textured boxes
over noise, all objects given on frame 0) frame by frame through
``FRTM.predict``, one frame per call as the video test loop feeds it.
Random weights predict empty masks, and the target model skips frames whose
mask has fewer than ``min_sample_pixels`` target pixels, so a plain run
would never add a sample nor update ``w2``. The speed runs therefore set
``min_sample_pixels=0``: every later frame enters the memory and ``w2`` is
re-optimised every 8 frames, as on a real video whose masks are not empty
(the cost of a sample and of an update does not depend on the mask's
content). The number of updates that ran (read from the target models'
state, summed over the objects) is printed and returned with each row: 4
per object over 40 frames.
Printed: the first frame's time (M0 and the target model of every object),
frames/s over the following frames (updates included), and frames/s over
the whole clip, with the process's CPU seconds of the first frame and per
later frame (steadier than wall time on a shared machine). CUDA runs when a
GPU is visible.

Memory: a ResNet-18 model runs videos of each ``--mem-lengths`` length in a
fresh process (every frame enters the memory: ``min_sample_pixels=0``), and
the peak resident memory (and the CUDA peak) is printed with the number of
samples the target model's memory holds at the end: bounded by K_max = 80,
so the peak must not grow with the video length.

The memory runs use a small frame size.
"""
import argparse
import json
import os.path as osp
import resource
import subprocess
import sys
import time
from typing import Dict, Iterator, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

import plugins.frtm  # noqa: E402,F401
from vostoolkit.registry import MODELS  # noqa: E402
from vostoolkit.structures import VideoDataSample  # noqa: E402

CONFIG = osp.join(ROOT, 'configs', 'frtm', 'frtm_r101_ytvos18-davis17.py')


def build_model(depth: int, device: str,
                **target_overrides) -> torch.nn.Module:
    """The final FRTM model with a ResNet-``depth`` backbone, random
    weights, in eval mode."""
    cfg = Config.fromfile(CONFIG).model.to_dict()
    cfg['backbone'].pop('init_cfg', None)
    cfg['backbone']['depth'] = depth
    cfg['target_model'].update(target_overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg).to(device).eval()


def synthetic_video(length: int, size: Tuple[int, int], num_objects: int,
                    seed: int = 0) -> Iterator[Tuple[torch.Tensor,
                                                     np.ndarray]]:
    """RGB frames (3, H, W) uint8 and id maps (H, W) of boxes moving over a
    fixed noise background."""
    rng = np.random.default_rng(seed)
    h, w = size
    background = rng.normal(110, 40, (3, h, w))
    boxes = []
    for _ in range(num_objects):
        bh, bw = int(h * rng.uniform(0.15, 0.3)), int(w * rng.uniform(0.1,
                                                                        0.2))
        boxes.append(dict(y=rng.uniform(0, h - bh), x=rng.uniform(0, w - bw),
                          vy=rng.uniform(-2, 2), vx=rng.uniform(-3, 3),
                          h=bh, w=bw,
                          tex=rng.normal(160, 30, (3, bh, bw))))
    for _ in range(length):
        frame, ids = background.copy(), np.zeros((h, w), np.uint8)
        for k, b in enumerate(boxes, 1):
            b['y'] = float(np.clip(b['y'] + b['vy'], 0, h - b['h']))
            b['x'] = float(np.clip(b['x'] + b['vx'], 0, w - b['w']))
            y, x = int(b['y']), int(b['x'])
            frame[:, y:y + b['h'], x:x + b['w']] = b['tex']
            ids[y:y + b['h'], x:x + b['w']] = k
        yield torch.from_numpy(frame.clip(0, 255).astype(np.uint8)), ids


def run_video(model, length: int, size: Tuple[int, int], num_objects: int,
              device: str, cpu_times: Optional[List[float]] = None,
              updates: Optional[List[int]] = None) -> List[float]:
    """Segment one synthetic video frame by frame; seconds per frame (the
    process's CPU seconds of each frame are appended to ``cpu_times``, the
    number of ``w2`` updates of each object at the end to ``updates``)."""
    model.inference.reset()
    times = []
    sync = torch.cuda.synchronize if device.startswith('cuda') else (
        lambda: None)
    pre = model.data_preprocessor
    with torch.no_grad():
        for t, (frame, ids) in enumerate(synthetic_video(length, size,
                                                         num_objects)):
            sample = VideoDataSample(metainfo=dict(
                frame_ids=[t], img_shape=tuple(size), ori_shape=tuple(size)))
            if t == 0:
                sample.gt_obj_masks = torch.from_numpy(ids)[None]
                sample.obj_ids = torch.arange(1, num_objects + 1)
                sample.obj_first_frames = torch.zeros(num_objects,
                                                      dtype=torch.long)
            frame = frame.to(device).float()[None]
            frame = (frame - pre.mean.view(1, 3, 1, 1)) / pre.std.view(
                1, 3, 1, 1)
            inputs = frame[None]  # (1, 1, 3, H, W)
            sync()
            start, cpu_start = time.perf_counter(), time.process_time()
            model.predict(inputs, [sample])
            sync()
            times.append(time.perf_counter() - start)
            if cpu_times is not None:
                cpu_times.append(time.process_time() - cpu_start)
    if updates is not None:
        updates.extend(int(obj.target.num_updates)
                       for obj in model.inference.objects.values())
    model.inference.reset()
    return times


def speed(args) -> List[Dict]:
    rows = []
    for device in args.devices:
        for depth in args.depths:
            # every frame is a sample, as with non-empty masks (see above)
            model = build_model(depth, device, min_sample_pixels=0)
            for objects in args.objects:
                cpu, updates = [], []
                times = run_video(model, args.frames, tuple(args.size),
                                  objects, device, cpu, updates)
                rest = times[1:]
                rows.append(dict(
                    device=device, backbone=f'ResNet-{depth}',
                    objects=objects, frames=len(times),
                    first_frame_s=times[0],
                    fps_after_first=(len(rest) / sum(rest)) if rest else None,
                    fps_all=len(times) / sum(times),
                    updates=sum(updates), updates_per_object=updates,
                    first_frame_cpu_s=cpu[0],
                    cpu_s_per_frame_after_first=(
                        sum(cpu[1:]) / len(rest)) if rest else None))
                _print_speed(rows[-1])
            del model
    return rows


def _print_speed(row: Dict) -> None:
    after = row['fps_after_first']
    after = 'n/a' if after is None else f'{after:.3f}'
    print(f"{row['device']:5s} {row['backbone']:10s} objects={row['objects']}"
          f" frames={row['frames']} updates={row['updates']}: first frame "
          f"{row['first_frame_s']:.2f} s"
          f", {after} frames/s after it, {row['fps_all']:.3f} frames/s "
          f"overall (CPU time: first frame {row['first_frame_cpu_s']:.2f} s"
          f", {row['cpu_s_per_frame_after_first'] or 0:.3f} s per later "
          'frame)', flush=True)


def memory_worker(length: int, size: Tuple[int, int], device: str,
                  depth: int) -> Dict:
    """One video in this process; peak memory and the memory's size."""
    model = build_model(depth, device, min_sample_pixels=0)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    run_start = time.perf_counter()
    # keep the state to read its memory: reset happens at the next video
    reset = model.inference.reset
    model.inference.reset = lambda: None
    run_video(model, length, size, 1, device)
    model.inference.reset = reset
    state = next(iter(model.inference.objects.values())).target
    bank = state.memory.samples()
    out = dict(length=length, device=device,
               seconds=time.perf_counter() - run_start,
               memory_samples=int(bank[0].shape[0]),
               memory_mb=sum(t.numel() * t.element_size()
                             for t in bank) / 2**20,
               peak_rss_mb=resource.getrusage(
                   resource.RUSAGE_SELF).ru_maxrss / 1024)
    if device.startswith('cuda'):
        out['cuda_peak_mb'] = torch.cuda.max_memory_allocated() / 2**20
    return out


def memory(args) -> List[Dict]:
    rows = []
    for device in args.devices:
        for length in args.mem_lengths:
            cmd = [sys.executable, osp.abspath(__file__), '--worker-mem',
                   str(length), '--mem-size', *map(str, args.mem_size),
                   '--mem-depth', str(args.mem_depth), '--devices', device]
            out = subprocess.run(cmd, capture_output=True, text=True,
                                 check=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            rows.append(row)
            cuda = (f", CUDA peak {row['cuda_peak_mb']:.0f} MiB"
                    if 'cuda_peak_mb' in row else '')
            print(f"{device:5s} ResNet-{args.mem_depth} {length:4d} frames "
                  f"at {args.mem_size[0]}x{args.mem_size[1]}: peak RSS "
                  f"{row['peak_rss_mb']:.0f} MiB{cuda}; memory holds "
                  f"{row['memory_samples']} samples "
                  f"({row['memory_mb']:.1f} MiB); {row['seconds']:.1f} s",
                  flush=True)
        mine = [r for r in rows if r['device'] == device]
        key = 'cuda_peak_mb' if device.startswith('cuda') else 'peak_rss_mb'
        growth = mine[-1][key] - mine[0][key]
        print(f'{device:5s} peak memory growth from {mine[0]["length"]} to '
              f'{mine[-1]["length"]} frames: {growth:+.0f} MiB', flush=True)
    return rows


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=40,
                        help='frames per speed run (the first learns M0)')
    parser.add_argument('--depths', type=int, nargs='+', default=[18, 101])
    parser.add_argument('--objects', type=int, nargs='+', default=[1, 3])
    parser.add_argument('--size', type=int, nargs=2, default=[480, 854],
                        metavar=('H', 'W'))
    parser.add_argument('--devices', nargs='+', default=None,
                        help='default: cpu, and cuda when available')
    parser.add_argument('--mem-lengths', type=int, nargs='+',
                        default=[50, 200])
    parser.add_argument('--mem-size', type=int, nargs=2, default=[120, 214],
                        metavar=('H', 'W'))
    parser.add_argument('--mem-depth', type=int, default=18)
    parser.add_argument('--no-memory', action='store_true')
    parser.add_argument('--no-speed', action='store_true')
    parser.add_argument('--json', help='also write the figures there')
    parser.add_argument('--worker-mem', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.devices is None:
        args.devices = ['cpu'] + (['cuda'] if torch.cuda.is_available()
                                  else [])
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker_mem is not None:
        print(json.dumps(memory_worker(args.worker_mem, tuple(args.mem_size),
                                       args.devices[0], args.mem_depth)))
        return 0
    print(f'FRTM-VOS inference, torch {torch.__version__}, '
          f'{torch.get_num_threads()} CPU threads', flush=True)
    result = {}
    if not args.no_speed:
        result['speed'] = speed(args)
    if not args.no_memory:
        result['memory'] = memory(args)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
