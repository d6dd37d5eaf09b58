"""Peak memory against video length, per plugin (``make bench``).

    python tools/benchmarks/long_video_memory.py [--lengths 100 1000]
        [--size H W] [--plugins frtm fastgan novis]

Each plugin's toy test config (random weights) segments a synthetic video
of each length through :func:`vostoolkit.apis.inference_video`, chunked as
the config's test dataset chunks it (``test_chunk_len``), in a process of
its own; the process's peak resident memory (``ru_maxrss``) is printed next
to the size of the output masks the model returned (compressed RLE for a
VIS model, ``T x H x W`` bytes for VOS; the outputs are dropped as they
come). Memory is flat in video length when the longest video's peak, less
its output masks, is within 1.3x of the shortest video's peak.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = dict(
    frtm=osp.join(ROOT, 'configs', 'frtm', 'frtm_r18_toy-davis.py'),
    fastgan=osp.join(ROOT, 'configs', 'fastgan', 'fastgan_r18_toy-davis.py'),
    novis=osp.join(ROOT, 'configs', 'novis', 'novis_r18_toy-ytvis.py'))
FLAT_RATIO = 1.3


class SyntheticVideo:
    """Frames made on the fly (a square moving over a noisy background),
    with the reader interface :func:`inference_video` uses."""

    def __init__(self, length: int, hw):
        self.length, self.hw = length, tuple(hw)
        self.name = self.path = f'synthetic_{length}'
        self.frame_names = [f'{t:05d}' for t in range(length)]
        self.fps = 10.0

    def __len__(self) -> int:
        return self.length

    def first_mask(self) -> np.ndarray:
        """(H, W) uint8 ids of frame 0: the square is object 1."""
        ids = np.zeros(self.hw, np.uint8)
        ids[4:14, 4:14] = 1
        return ids

    def __iter__(self):
        rng = np.random.default_rng(0)
        h, w = self.hw
        for t in range(self.length):
            img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
            x = 4 + t % max(1, w - 16)
            img[4:14, x:x + 10] = (40, 200, 40)
            yield img


def run_child(config: str, length: int, hw) -> dict:
    """Segment one synthetic video; return peak RSS and output size."""
    import torch
    torch.set_num_threads(1)
    from vostoolkit.apis import inference_video, init_model, model_task
    model = init_model(config)
    task = model_task(model.cfg, model)
    video = SyntheticVideo(length, hw)
    first = video.first_mask() if task == 'vos' else None
    out_bytes, start = 0, time.perf_counter()
    with torch.no_grad():
        for sample in inference_video(model, video, first, task=task):
            if task == 'vos':
                out_bytes += sample.pred_obj_masks.numel()
            else:
                out_bytes += _vis_output_bytes(sample)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return dict(task=task, frames=length, seconds=seconds,
                peak_mb=peak_kb / 1024, out_mb=out_bytes / 2**20)


def _vis_output_bytes(sample) -> int:
    """Bytes of the RLE counts of a VIS sample's ``pred_instances`` (the
    whole video's tracks come with its last chunk)."""
    inst = sample.get('pred_instances')
    rles = inst.get('rles') if inst is not None else None
    return sum(len(r['counts']) for track in rles or [] for r in track if r)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--lengths', type=int, nargs='+',
                        default=[100, 1000])
    parser.add_argument('--size', type=int, nargs=2, default=(32, 48),
                        metavar=('H', 'W'))
    parser.add_argument('--plugins', nargs='+', default=sorted(CONFIGS),
                        choices=sorted(CONFIGS))
    parser.add_argument('--child', nargs=2, metavar=('CONFIG', 'LENGTH'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child[0], int(args.child[1]),
                                   args.size)))
        return 0
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    print(f'{"plugin":8s} {"frames":>6s} {"peak MB":>8s} {"out MB":>7s} '
          f'{"s":>6s}')
    failed = []
    for plugin in args.plugins:
        rows = []
        for length in args.lengths:
            proc = subprocess.run(
                [sys.executable, osp.abspath(__file__), '--size',
                 *map(str, args.size), '--child', CONFIGS[plugin],
                 str(length)], env=env, cwd=ROOT, capture_output=True,
                text=True)
            if proc.returncode != 0:
                print(f'{plugin}: {length} frames failed:\n'
                      f'{proc.stderr[-2000:]}', file=sys.stderr)
                failed.append(plugin)
                break
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f'{plugin:8s} {length:6d} {row["peak_mb"]:8.1f} '
                  f'{row["out_mb"]:7.2f} {row["seconds"]:6.1f}', flush=True)
        if len(rows) == len(args.lengths) and len(rows) > 1:
            ratio = (rows[-1]['peak_mb'] - rows[-1]['out_mb']) / \
                rows[0]['peak_mb']
            flat = ratio <= FLAT_RATIO
            print(f'{plugin:8s} peak({rows[-1]["frames"]}) - outputs = '
                  f'{ratio:.2f} x peak({rows[0]["frames"]}): '
                  f'{"flat" if flat else "NOT flat"} (limit {FLAT_RATIO})')
            if not flat:
                failed.append(plugin)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
