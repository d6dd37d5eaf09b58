"""Folded and fused convolutions at inference (``make bench``).

    python tools/benchmarks/conv_bn_fusion.py [--repeats 3] [--quick]

Times, interleaved and as medians, the networks whose convolutions run
through :func:`vostoolkit.models.layers.conv_bn_act` three ways: the plain
modules (``fused_inference(False)``: convolution, then BatchNorm, ReLU, sum);
the folded / fused path with direct convolutions only (BatchNorm folded into
the convolution, ReLU and residual sum inside oneDNN's convolution,
``channels_last``; ``winograd_inference(False)``); and the default, which
also runs 3x3 convolutions of 256 or more channels by Winograd F(4x4, 3x3)
(:mod:`vostoolkit.models.layers.winograd`). On CPU, with the largest
difference of each fast path's outputs from the plain ones, relative to
their scale:

- one 3x3 convolution, 256 channels, 30 x 54 (a ResNet-101 layer3 block at
  480 x 854);
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
from vostoolkit.models.layers import (fused_inference,  # noqa: E402
                                      winograd_inference)
from vostoolkit.models.layers.conv_bn import conv_bn_act  # noqa: E402


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
    conv = nn.Conv2d(256, 256, 3, padding=1, bias=False)
    bn = _random_norms(nn.Sequential(nn.BatchNorm2d(256)))[0]
    xc = torch.randn(1, 256, *((8, 14) if quick else (30, 54))).relu()
    out.append((f'3x3 convolution 256 channels {xc.shape[2]}x{xc.shape[3]}',
                lambda: [conv_bn_act(xc, conv, bn, relu=True)]))
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


MODES = {'plain': (False, False), 'direct': (True, False),
         'winograd': (True, True)}  # fused_inference, winograd_inference


def bench(name: str, run: Callable[[], Sequence], repeats: int) -> Dict:
    """Median seconds of the three paths, interleaved."""
    times = {m: [] for m in MODES}
    outs = {}
    with torch.no_grad():
        for mode, (fused, wino) in MODES.items():
            with fused_inference(fused), winograd_inference(wino):
                outs[mode] = [t.clone() for t in run()]
        plain = outs['plain']
        scale = max(float(t.abs().max()) for t in plain)
        diff = {m: max(float((a - b).abs().max()) for a, b in zip(plain, o))
                / max(scale, 1e-12) for m, o in outs.items()}
        for r in range(repeats):
            order = list(MODES) if r % 2 == 0 else list(MODES)[::-1]
            for mode in order:
                fused, wino = MODES[mode]
                with fused_inference(fused), winograd_inference(wino):
                    start = time.perf_counter()
                    run()
                    times[mode].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    row = dict(name=name, **{f'{m}_s': med[m] for m in MODES},
               speedup=med['plain'] / med['winograd'],
               winograd_speedup=med['direct'] / med['winograd'],
               max_rel_diff=diff['winograd'],
               direct_max_rel_diff=diff['direct'])
    print(f"{name}: plain {med['plain']:.3f} s, fused {med['direct']:.3f} s "
          f"({med['plain'] / med['direct']:.2f}x), fused + Winograd "
          f"{med['winograd']:.3f} s ({row['speedup']:.2f}x; Winograd "
          f"{row['winograd_speedup']:.2f}x); max difference "
          f"{diff['direct']:.1e} / {diff['winograd']:.1e} of the output "
          'scale', flush=True)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--quick', action='store_true',
                        help='small sizes (a smoke run)')
    args = parser.parse_args(argv)
    print(f'conv + BatchNorm folding, oneDNN fusion and Winograd, torch '
          f'{torch.__version__}, {torch.get_num_threads()} CPU threads',
          flush=True)
    for name, run in cases(args.quick):
        bench(name, run, args.repeats)
    return 0


if __name__ == '__main__':
    sys.exit(main())
