"""Folded and fused convolutions at inference (``make bench``).

    python tools/benchmarks/conv_bn_fusion.py [--repeats 3] [--quick]

Times, interleaved and as medians, the networks whose convolutions run
through :func:`vostoolkit.models.layers.conv_bn_act` with the plain modules
(``fused_inference(False)``: convolution, then BatchNorm, ReLU, sum) against
the folded / fused path (BatchNorm folded into the convolution, ReLU and
residual sum inside oneDNN's convolution, ``channels_last``), on CPU, with
the largest difference between the two outputs relative to their scale:

- ResNet-18 and ResNet-101 (frozen BatchNorm), one 480 x 854 frame (FRTM);
- ResNet-50, one clip of 4 frames at 384 x 640 (NOVIS);
- FRTM's refinement network (ResNet-18 widths) at 480 x 854, one object
  (its bicubic up-sampling takes the fast path in both).

Random weights with non-trivial BatchNorm statistics; the cost does not
depend on them. ``--quick`` runs small sizes (a smoke run).
"""
import argparse
import os.path as osp
import statistics
import sys
import time
from typing import Callable, Dict, List, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from vostoolkit.models.backbones import ResNet  # noqa: E402
from vostoolkit.models.layers import fused_inference  # noqa: E402


def _random_norms(model: nn.Module, seed: int = 0) -> nn.Module:
    """BatchNorm statistics and affine parameters away from the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.named_buffers():
            if name.endswith('running_var'):
                t.copy_(0.5 + torch.rand(t.shape, generator=g))
            elif name.endswith('running_mean'):
                t.copy_(0.1 * torch.randn(t.shape, generator=g))
    return model.eval()


def cases(quick: bool) -> List[Tuple[str, Callable[[], Sequence]]]:
    """(name, run) pairs; ``run()`` returns the outputs to compare."""
    from plugins.frtm import FRTMRefinementHead
    size = (48, 80) if quick else (480, 854)
    clip = (2, 3, 64, 96) if quick else (4, 3, 384, 640)
    depths = (18, ) if quick else (18, 101)
    out = []
    torch.manual_seed(0)
    for depth in depths:
        net = _random_norms(ResNet(depth, frozen_bn=True))
        x = torch.randn(1, 3, *size)
        out.append((f'ResNet-{depth} 1x3x{size[0]}x{size[1]}',
                    lambda net=net, x=x: net(x)))
    r50 = _random_norms(ResNet(50, frozen_bn=True))
    x50 = torch.randn(*clip)
    out.append(('ResNet-50 ' + 'x'.join(map(str, clip)),
                lambda: r50(x50)))
    head = _random_norms(FRTMRefinementHead((64, 128, 256, 512)))
    feats = [torch.randn(1, c, size[0] // s, size[1] // s)
             for c, s in zip((64, 128, 256, 512), (4, 8, 16, 32))]
    scores = torch.randn(1, 1, size[0] // 16, size[1] // 16)
    out.append((f'FRTM refinement network (R18) {size[0]}x{size[1]}',
                lambda: [head(scores, feats, size)]))
    return out


def bench(name: str, run: Callable[[], Sequence], repeats: int) -> Dict:
    """Median seconds of the plain and fused paths, interleaved."""
    times = {'plain': [], 'fused': []}
    with torch.no_grad():
        with fused_inference(False):
            plain = [t.clone() for t in run()]
        fused = run()
        scale = max(float(t.abs().max()) for t in plain)
        diff = max(float((a - b).abs().max()) for a, b in zip(plain, fused))
        for r in range(repeats):
            order = ('plain', 'fused') if r % 2 == 0 else ('fused', 'plain')
            for mode in order:
                with fused_inference(mode == 'fused'):
                    start = time.perf_counter()
                    run()
                    times[mode].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    row = dict(name=name, plain_s=med['plain'], fused_s=med['fused'],
               speedup=med['plain'] / med['fused'],
               max_rel_diff=diff / max(scale, 1e-12))
    print(f"{name}: plain {row['plain_s']:.3f} s, fused "
          f"{row['fused_s']:.3f} s ({row['speedup']:.2f}x), max difference "
          f"{row['max_rel_diff']:.1e} of the output scale", flush=True)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--quick', action='store_true',
                        help='small sizes (a smoke run)')
    args = parser.parse_args(argv)
    print(f'conv + BatchNorm folding and oneDNN fusion, torch '
          f'{torch.__version__}, {torch.get_num_threads()} CPU threads',
          flush=True)
    for name, run in cases(args.quick):
        bench(name, run, args.repeats)
    return 0


if __name__ == '__main__':
    sys.exit(main())
