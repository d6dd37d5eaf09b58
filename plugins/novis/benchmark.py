"""NOVIS inference benchmark: frames/s and peak memory of near-online
streaming.

    python -m plugins.novis.benchmark [--model r50|toy] [--frames 100 500]
        [--short-edge 360] [--chunk 2] [--device cpu|cuda]

Each video length runs in its own process (peak RSS is per process) on a
smooth random video of the given shortest edge (16:9), fed in chunks through
the data preprocessor and ``NOVIS.predict`` as the video test loop does.
The model is randomly initialised: speed does not depend on the weights, and
the memory held per finished frame (N RLE masks) is bounded by the frame
size. One view per clip: a config's test-time augmentation
(``test_cfg.tta``) is switched off, so the figures are those of the
paper's inference. Prints one line per length.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import torch
from mmengine.config import Config

CONFIGS = {'r50': 'configs/novis/novis_r50_ovis.py',
           'toy': 'configs/novis/novis_r18_toy-ytvis.py'}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(model_name: str, frames: int, short_edge: int, chunk: int,
            device: str) -> dict:
    """Stream one random video; return its timing and memory."""
    import plugins.novis  # noqa: F401
    from vostoolkit.registry import MODELS
    from vostoolkit.structures import VideoDataSample
    torch.manual_seed(0)
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    cfg = Config.fromfile(os.path.join(root, CONFIGS[model_name]))
    cfg.model.test_cfg.tta = None
    model = MODELS.build(cfg.model).to(device).eval()
    h, w = short_edge, int(round(short_edge * 16 / 9))
    gen = torch.Generator().manual_seed(0)
    # smooth random frames (noise at 1/16 size, up-sampled), moving sideways
    low = torch.rand(chunk, 3, h // 16 + 1, w // 16 + 1, generator=gen)
    base = torch.nn.functional.interpolate(low, size=(h, w), mode='bilinear',
                                           align_corners=False)
    base = (base * 255).to(torch.uint8)
    model.reset_video_state()
    rss_start = _peak_rss_mb()
    t0, warm = time.perf_counter(), None
    for s in range(0, frames, chunk):
        ids = list(range(s, min(s + chunk, frames)))
        sample = VideoDataSample(metainfo=dict(
            video_id=0, frame_ids=ids, video_length=frames,
            is_first=s == 0, is_last=ids[-1] == frames - 1,
            img_shape=(h, w), ori_shape=(h, w)))
        data = model.data_preprocessor(dict(
            inputs=[torch.roll(base[:len(ids)], s, dims=-1)],
            data_samples=[sample]), False)
        out = model(**data, mode='predict')
        if device == 'cuda':
            torch.cuda.synchronize()
        if warm is None:
            warm = time.perf_counter()
    end = time.perf_counter()
    assert len(out) == 1 and len(out[0].pred_instances.rles[0]) == frames
    timed = frames - chunk
    cuda_peak = (torch.cuda.max_memory_allocated() / 2**20
                 if device == 'cuda' else None)
    return dict(model=model_name, frames=frames, size=f'{h}x{w}',
                device=device, fps=timed / (end - warm) if timed else None,
                total_s=end - t0, peak_rss_mb=_peak_rss_mb(),
                rss_before_video_mb=rss_start, cuda_peak_mb=cuda_peak)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', choices=sorted(CONFIGS), default='r50')
    parser.add_argument('--frames', type=int, nargs='+', default=[100, 500])
    parser.add_argument('--short-edge', type=int, default=360)
    parser.add_argument('--chunk', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--one', action='store_true',
                        help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.model, args.frames[0],
                                 args.short_edge, args.chunk, args.device)))
        return 0
    for n in args.frames:
        cmd = [sys.executable, '-m', 'plugins.novis.benchmark', '--one',
               '--model', args.model, '--frames', str(n), '--short-edge',
               str(args.short_edge), '--chunk', str(args.chunk), '--device',
               args.device]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            print(f'novis benchmark: {n} frames failed:\n{proc.stderr}',
                  file=sys.stderr)
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        fps = f"{r['fps']:.2f}" if r['fps'] else 'n/a'
        cuda = (f", CUDA peak {r['cuda_peak_mb']:.0f} MiB"
                if r.get('cuda_peak_mb') is not None else '')
        print(f"NOVIS {r['model']} {r['device']} {r['size']} "
              f"{r['frames']} frames: {fps} frames/s, peak RSS "
              f"{r['peak_rss_mb']:.0f} MiB (model loaded: "
              f"{r['rss_before_video_mb']:.0f} MiB){cuda}", flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
