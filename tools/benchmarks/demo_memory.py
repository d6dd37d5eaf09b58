"""tools/demo.py peak memory, mp4 overlay vs --gif (``make bench``).

    python tools/benchmarks/demo_memory.py [--frames 800] [--size 288 384]
        [--keep DIR] [--quick]

Generates, in a temporary folder, a ``--frames``-frame video of ``--size``
(H W) pixels (``video.mp4``: two shapes moving over a textured background,
written with OpenCV), its first-frame mask (two objects) and a freshly
initialised checkpoint of the core toy VOS config
(``configs/maskprop/maskprop_r18_toy-davis.py``, random weights), then runs
``tools/demo.py`` on it twice, each in its own process:

* ``mp4``: the default outputs (masks and ``overlay.mp4``);
* ``mp4 + gif``: the same with ``--gif`` (``overlay.gif`` too).

It prints each run's peak resident memory (``ru_maxrss`` of the child),
wall time and output sizes, and the ratio of the two peaks: overlays are
streamed frame by frame, so the GIF must not make the peak grow with the
video's length (goal: within 10 %). The default frame size keeps the run
to a few minutes on one CPU thread (the model's own memory and time grow
with the frame size: ``--size 576 768`` for a 768 x 576 video); ``--quick``:
40 frames of 96 x 128.
"""
import argparse
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'maskprop', 'maskprop_r18_toy-davis.py')


def _objects(t: int, h: int, w: int):
    """Centres and radii of the two moving objects at frame ``t``."""
    r = max(4, min(h, w) // 8)
    a = (int(w * (0.3 + 0.2 * np.sin(t / 40))), int(h * 0.4))
    b = (int(w * 0.7), int(h * (0.6 + 0.15 * np.cos(t / 30))))
    return [(a, r), (b, r)]


def make_video(folder: str, frames: int, h: int, w: int) -> tuple:
    """Write ``video.mp4`` and ``first.png`` in ``folder``; return paths."""
    from PIL import Image

    from vostoolkit.utils import davis_palette
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), np.uint8),
                               (0, 0), 3)
    video = osp.join(folder, 'video.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                             (w, h))
    if not writer.isOpened():
        raise SystemExit('demo_memory.py: OpenCV cannot write mp4 here')
    for t in range(frames):
        img = np.roll(texture, t, axis=1)
        for k, (centre, r) in enumerate(_objects(t, h, w)):
            cv2.circle(img, centre, r, (40, 40, 220) if k else (40, 200, 40),
                       -1)
        writer.write(img)
    writer.release()
    ids = np.zeros((h, w), np.uint8)
    for k, (centre, r) in enumerate(_objects(0, h, w)):
        cv2.circle(ids, centre, r, k + 1, -1)
    mask = osp.join(folder, 'first.png')
    img = Image.fromarray(ids, 'P')
    img.putpalette(davis_palette().tobytes())
    img.save(mask)
    return video, mask


def make_checkpoint(folder: str) -> str:
    import torch

    from vostoolkit.apis import init_model
    torch.manual_seed(0)
    path = osp.join(folder, 'random.pth')
    torch.save(init_model(CONFIG).state_dict(), path)
    return path


def run_demo(args: list, out: str) -> dict:
    """Run tools/demo.py in a child process; its peak RSS (MB) and time."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'demo.py'), CONFIG,
           *args, '--out', out, '--device', 'cpu']
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors='replace')
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f'demo_memory.py: tools/demo.py failed '
                         f'({proc.returncode}): {err[-2000:]}')
    sizes = {name: osp.getsize(osp.join(out, name))
             for name in ('overlay.mp4', 'overlay.gif')
             if osp.exists(osp.join(out, name))}
    return dict(peak_mb=usage.ru_maxrss / 1024,  # KiB on Linux
                seconds=time.monotonic() - start, sizes=sizes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=800)
    parser.add_argument('--size', type=int, nargs=2, default=[288, 384],
                        metavar=('H', 'W'))
    parser.add_argument('--keep', metavar='DIR',
                        help='work in DIR and keep the outputs')
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args(argv)
    if args.quick:
        args.frames, args.size = 40, [96, 128]
    h, w = args.size
    folder = args.keep or tempfile.mkdtemp(prefix='demo_memory_')
    os.makedirs(folder, exist_ok=True)
    try:
        video, mask = make_video(folder, args.frames, h, w)
        ckpt = make_checkpoint(folder)
        print(f'demo_memory: {args.frames} frames of {h} x {w} '
              f'({osp.getsize(video) / 2**20:.1f} MB mp4), random-weight '
              f'{osp.basename(CONFIG)}, 1 thread', flush=True)
        runs = {}
        for name, extra in (('mp4', []), ('mp4 + gif', ['--gif'])):
            out = osp.join(folder, 'out_gif' if extra else 'out_mp4')
            runs[name] = run_demo([ckpt, '--input', video, '--mask', mask,
                                   *extra], out)
            r = runs[name]
            sizes = ', '.join(f'{k} {v / 2**20:.1f} MB'
                              for k, v in r['sizes'].items())
            print(f'  {name:10s} peak RSS {r["peak_mb"]:7.1f} MB  '
                  f'{r["seconds"]:6.1f} s  ({sizes})', flush=True)
        ratio = runs['mp4 + gif']['peak_mb'] / runs['mp4']['peak_mb']
        verdict = 'met' if abs(ratio - 1) <= 0.1 else 'NOT met'
        print(f'  peak RSS ratio (mp4 + gif) / mp4: {ratio:.3f} '
              f'(goal: within 10 %: {verdict})')
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
