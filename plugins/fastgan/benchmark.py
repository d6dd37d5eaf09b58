"""Inference speed of the FaSTGAN test model (frames per second).

    python -m plugins.fastgan.benchmark [--size 512] [--objects 1]
        [--frames 8] [--warmup 2] [--gpu-frames 50] [--gpu-warmup 10]
        [--device cpu|cuda|auto] [--depth 50]

Runs the test model (ResNet-50 regressor, no critics, random weights: speed
does not depend on them) frame by frame on a synthetic video through
``predict`` (state update, soft aggregation, label map included) and prints
frames/s. ``auto`` measures on CPU and, when one is visible, on a GPU
(``--frames``/``--warmup`` on CPU, ``--gpu-frames``/``--gpu-warmup`` on the
GPU, where a frame takes milliseconds).
"""
import argparse
import sys
import time
from typing import List

import torch

from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample


def build_test_model(depth: int = 50) -> torch.nn.Module:
    """The FaSTGAN test model (no critics) with a ResNet of ``depth``."""
    import plugins.fastgan  # noqa: F401  (registers the plugin)
    return MODELS.build(dict(
        type='FaSTGAN',
        generator=dict(type='FaSTGANRegressor',
                       backbone=dict(type='ResNet', depth=depth,
                                     in_channels=4, frozen_bn=True)))).eval()


def _chunk(t: int, size: int, objects: int, total: int) -> VideoDataSample:
    sample = VideoDataSample(metainfo=dict(
        video_name='bench', frame_ids=[t], video_length=total,
        img_shape=(size, size), ori_shape=(size, size), is_first=t == 0,
        is_last=t == total - 1))
    masks = torch.zeros(1, size, size, dtype=torch.uint8)
    step = size // (objects + 1)
    for i in range(objects):
        masks[0, size // 4:size // 2, i * step:(i + 1) * step] = i + 1
    sample.gt_obj_masks = masks
    sample.obj_ids = torch.arange(1, objects + 1)
    sample.obj_first_frames = torch.zeros(objects, dtype=torch.long)
    return sample


def measure(device: str, size: int, objects: int, frames: int,
            warmup: int, depth: int) -> float:
    """Frames per second of the test model on ``device``."""
    model = build_test_model(depth).to(device)
    total = warmup + frames
    video = torch.randn(total, 1, 1, 3, size, size, device=device)
    sync = torch.cuda.synchronize if device.startswith('cuda') else (
        lambda: None)
    model.reset_video_state()
    start = None
    with torch.no_grad():
        for t in range(total):
            if t == warmup:
                sync()
                start = time.perf_counter()
            model.predict(video[t], [_chunk(t, size, objects, total)])
    sync()
    return frames / (time.perf_counter() - start)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--objects', type=int, default=1)
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--gpu-frames', type=int, default=50)
    parser.add_argument('--gpu-warmup', type=int, default=10)
    parser.add_argument('--depth', type=int, default=50)
    parser.add_argument('--device', default='auto',
                        help="'cpu', 'cuda' or 'auto' (CPU, then GPU if any)")
    args = parser.parse_args(argv)
    if min(args.frames, args.gpu_frames) < 1 or min(
            args.warmup, args.gpu_warmup) < 0:
        parser.error('frames must be >= 1 and warmup >= 0')
    devices = [args.device] if args.device != 'auto' else (
        ['cpu'] + (['cuda'] if torch.cuda.is_available() else []))
    for device in devices:
        gpu = device.startswith('cuda')
        fps = measure(device, args.size, args.objects,
                      args.gpu_frames if gpu else args.frames,
                      args.gpu_warmup if gpu else args.warmup, args.depth)
        name = (torch.cuda.get_device_name() if device.startswith('cuda')
                else f'CPU, {torch.get_num_threads()} threads')
        print(f'FaSTGAN test model (ResNet-{args.depth}), {args.size}x'
              f'{args.size}, {args.objects} object(s): {fps:.2f} frames/s '
              f'on {name}', flush=True)
    if args.device == 'auto' and len(devices) == 1:
        print('FaSTGAN: no GPU visible, GPU speed not measured', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
