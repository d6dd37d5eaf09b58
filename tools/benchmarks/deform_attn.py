"""Multi-scale deformable attention: our implementations against the plain
one, side by side (``make bench``).

    python tools/benchmarks/deform_attn.py [--repeats 3] [--device cpu]
        [--quick]

For each shape, the sampling core (``deformable_attention``: values,
sampling locations and weights in, attended values out) is timed for
inference (no gradient) and for training (forward + backward of all three
inputs), the implementations interleaved within each repeat; the median of
the repeats is printed with the speed-up over ``plain`` (one
``grid_sample`` per level) and the largest output difference from it.
``gather`` is the default CPU path; ``fused`` (``torch.compile``, Triton)
is added on a CUDA device with Triton, after one untimed compiling call.
Random inputs, about a quarter of the sampling points outside the map.
"""
import argparse
import os.path as osp
import statistics
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from vostoolkit.models.layers import deformable_attention  # noqa: E402
from vostoolkit.models.layers.ms_deform_attn_gather import \
    fused_available  # noqa: E402

# name, batch, levels (H, W), heads, channels per head, points
CASES = [
    ('NOVIS R50 pixel decoder, 4 frames 384x640', 4,
     [(48, 80), (24, 40), (12, 20)], 8, 32, 4),
    ('NOVIS toy (width 64), 8 frames 128x192', 8,
     [(16, 24), (8, 12), (4, 6)], 4, 16, 4),
    ('one frame 736x1280', 1, [(92, 160), (46, 80), (23, 40)], 8, 32, 4),
    ('4 levels, 2 images 512x768', 2,
     [(64, 96), (32, 48), (16, 24), (8, 12)], 8, 32, 4),
]


def _inputs(batch, shapes, heads, dims, points, device):
    gen = torch.Generator().manual_seed(0)
    s = sum(h * w for h, w in shapes)
    value = torch.randn(batch, s, heads, dims, generator=gen)
    locs = torch.rand(batch, s, heads, len(shapes), points, 2,
                      generator=gen) * 1.3 - 0.15
    weights = torch.rand(batch, s, heads, len(shapes), points,
                         generator=gen).softmax(-1)
    spatial = torch.tensor(shapes)
    return [x.to(device) for x in (value, spatial, locs, weights)]


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def _run(impl, inputs, train, grad_out):
    value, spatial, locs, weights = inputs
    if not train:
        with torch.no_grad():
            return deformable_attention(value, spatial, locs, weights, impl)
    leaves = [x.detach().requires_grad_() for x in (value, locs, weights)]
    out = deformable_attention(leaves[0], spatial, leaves[1], leaves[2],
                               impl)
    out.backward(grad_out)
    return out.detach()


def bench_case(case, impls, repeats, device):
    """Median seconds per implementation, for inference and training."""
    name, batch, shapes, heads, dims, points = case
    inputs = _inputs(batch, shapes, heads, dims, points, device)
    grad_out = torch.randn(batch, inputs[0].shape[1], heads * dims,
                           device=device)
    rows = []
    for train in (False, True):
        outs = {impl: _run(impl, inputs, train, grad_out)  # warm-up
                for impl in impls}
        times = {impl: [] for impl in impls}
        for _ in range(repeats):
            for impl in impls:
                _sync(device)
                start = time.perf_counter()
                _run(impl, inputs, train, grad_out)
                _sync(device)
                times[impl].append(time.perf_counter() - start)
        med = {impl: statistics.median(t) for impl, t in times.items()}
        diff = {impl: (outs[impl] - outs['plain']).abs().max().item()
                for impl in impls}
        rows.append((name, 'training' if train else 'inference', med, diff))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--quick', action='store_true',
                        help='the toy shape only, 2 repeats')
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    impls = ['plain', 'gather'] + (['fused'] if fused_available(device)
                                   else [])
    cases = [CASES[1]] if args.quick else CASES
    repeats = 2 if args.quick else args.repeats
    print(f'[deform_attn] {device}, {torch.get_num_threads()} threads, '
          f'median of {repeats} interleaved repeats; {", ".join(impls)}'
          + ('' if 'fused' in impls else ' (fused: needs CUDA and Triton)'),
          flush=True)
    head = f'{"shape":44s} {"mode":9s}' + ''.join(
        f' {impl + " ms":>10s}' for impl in impls)
    print(head + ''.join(f' {impl + " x":>9s} {"max diff":>9s}'
                         for impl in impls[1:]))
    for case in cases:
        for name, mode, med, diff in bench_case(case, impls, repeats,
                                                device):
            line = f'{name:44s} {mode:9s}' + ''.join(
                f' {med[i] * 1e3:10.1f}' for i in impls)
            line += ''.join(f' {med["plain"] / med[i]:8.2f}x {diff[i]:9.1e}'
                            for i in impls[1:])
            print(line, flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
