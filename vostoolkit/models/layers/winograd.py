"""Winograd F(4x4, 3x3) convolution for CPU inference.

A 3x3 convolution computed tile by tile: each 4x4 output tile comes from
its 6x6 input tile through ``Y = A^T [(G g G^T) * (B^T d B)] A`` (Lavin and
Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). The
channel sums become 36 matrix products over all tiles at once, with 4x
fewer multiplications than the direct convolution (36 per 16 outputs
instead of 144). On CPU with 256 or more channels it runs 1.5x (1 thread) to
1.7x (2 threads) faster than oneDNN's direct convolution
(``tools/benchmarks/conv_bn_fusion.py``); below that the transforms cost
more than they save. The transformed kernels are cached on the convolution:
36 numbers per 3x3 kernel instead of 9 (about 125 MB for a ResNet-50's
conv4_x / conv5_x, 280 MB for a ResNet-101's).

The transforms are built here by the Toom-Cook method from the points
``0, 1, -1, 1/2, -2`` and infinity, a set with a small float32 error: on a
256-channel layer, at most 2.6e-6 of the output's largest magnitude, where
the direct convolution's is 2e-7 to 1.5e-6 depending on the memory layout
(the textbook points ``0, +-1, +-2`` give 7e-6). The algorithm is exact in
real arithmetic; only float rounding differs, as with the Winograd and FFT
algorithms cuDNN picks for convolutions on GPU.

:func:`conv_bn_act` uses it at inference for qualifying convolutions (see
:func:`winograd_applies`); ``with winograd_inference(False):`` turns it off.
"""
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Tuple

import torch
from torch import Tensor

from ._switch import switched

# outputs per tile side, kernel size, tile side
_M, _R = 4, 3
_A = _M + _R - 1
_POINTS = (0.0, 1.0, -1.0, 0.5, -2.0)  # and infinity
# smallest channel counts (input and output) for which it pays on CPU
MIN_CHANNELS = 256
# elements of the largest per-chunk buffer (36 x tiles x channels):
# bounds the extra memory on large inputs (about 8 MB in float32)
_CHUNK_ELEMS = 1 << 21

_enabled = [True]
_transforms: Dict[torch.dtype, Tuple[Tensor, Tensor, Tensor]] = {}


@contextmanager
def winograd_inference(enabled: bool = True) -> Iterator[None]:
    """Switch the Winograd path of :func:`conv_bn_act` on or off inside the
    block (it is on by default): ``with winograd_inference(False):``."""
    with switched(_enabled, enabled):
        yield


def toom_cook(points: Tuple[float, ...], m: int, r: int
              ) -> Tuple[Tensor, Tensor, Tensor]:
    """Winograd F(m, r) transforms ``(B^T, G, A^T)`` in float64 from
    ``m + r - 2`` distinct finite points and the point at infinity.

    ``A^T`` (m, n) evaluates, ``G`` (n, r) interpolates with the Lagrange
    denominators folded in (n = m + r - 1); ``B^T`` (n, n) is the unique
    solution of ``sum_j A^T[i, j] G[j, k] B^T[j, l] = [l == i + k]``, the
    identity that makes ``A^T [(G g) * (B^T d)]`` the 1-D correlation
    ``y_i = sum_k g_k d_(i+k)``.
    """
    n = m + r - 1
    if len(points) != n - 1 or len(set(points)) != n - 1:
        raise ValueError(f'F({m}, {r}) needs {n - 1} distinct finite points')
    p = torch.tensor(points, dtype=torch.float64)
    at = torch.zeros(m, n, dtype=torch.float64)
    g = torch.zeros(n, r, dtype=torch.float64)
    for j in range(n - 1):
        at[:, j] = p[j] ** torch.arange(m, dtype=torch.float64)
        denom = torch.prod(p[j] - p[torch.arange(n - 1) != j])
        g[j] = p[j] ** torch.arange(r, dtype=torch.float64) / denom
    at[m - 1, n - 1] = 1.0
    g[n - 1, r - 1] = 1.0
    # the identity above is linear in B^T's entries: coeff[(i, k, l),
    # (j, l')] = A^T[i, j] G[j, k] [l == l']
    ag = torch.einsum('ij,jk->ikj', at, g)  # (m, r, n)
    coeff = torch.einsum('ikj,lq->iklqj', ag, torch.eye(n, dtype=torch.float64))
    coeff = coeff.reshape(m * r * n, n * n)
    target = torch.zeros(m, r, n, dtype=torch.float64)
    for i in range(m):
        for k in range(r):
            target[i, k, i + k] = 1.0
    sol = torch.linalg.lstsq(coeff, target.reshape(-1, 1)).solution
    bt = sol.reshape(n, n).t().contiguous()  # sol is indexed (l, j)
    if (coeff @ sol - target.reshape(-1, 1)).abs().max() > 1e-9:
        raise ArithmeticError('Toom-Cook system has no exact solution')
    return bt, g, at


def _mats(dtype: torch.dtype) -> Tuple[Tensor, Tensor, Tensor]:
    """(36, 36) input, (16, 36) output transforms of 2-D tiles and the
    (6, 3) kernel interpolation, in ``dtype``."""
    if dtype not in _transforms:
        bt, g, at = toom_cook(_POINTS, _M, _R)
        # V[a, b] = sum_ij BT[a, i] d[i, j] BT[b, j]
        k_in = torch.einsum('ai,bj->abij', bt, bt).reshape(_A * _A, _A * _A)
        # Y[p, q] = sum_ab AT[p, a] M[a, b] AT[q, b]
        k_out = torch.einsum('pa,qb->pqab', at, at).reshape(_M * _M, _A * _A)
        _transforms[dtype] = (k_in.to(dtype), k_out.to(dtype), g)
    return _transforms[dtype]


def winograd_weight(weight: Tensor) -> Tensor:
    """Transformed kernels ``G g G^T`` of a (K, C, 3, 3) weight, laid out
    as (36, C, K) for the per-position matrix products (computed in
    float64, returned in the weight's dtype)."""
    _, _, g = _mats(weight.dtype)
    u = g @ weight.detach().double() @ g.t()  # (K, C, 6, 6)
    return u.permute(2, 3, 1, 0).reshape(
        _A * _A, weight.shape[1], weight.shape[0]).to(weight.dtype) \
        .contiguous()


def winograd_applies(x: Tensor, conv: torch.nn.Conv2d) -> bool:
    """Whether :func:`conv_bn_act` runs ``conv`` on ``x`` this way: switched
    on, a CPU float32 3x3 convolution with stride 1, dilation 1, padding 1,
    one group, and at least ``MIN_CHANNELS`` input and output channels."""
    return (_enabled[0] and x.device.type == 'cpu'
            and x.dtype == torch.float32 and x.dim() == 4
            and conv.groups == 1
            and tuple(conv.kernel_size) == (3, 3)
            and tuple(conv.stride) == (1, 1)
            and tuple(conv.dilation) == (1, 1)
            and tuple(conv.padding) == (1, 1)
            and min(conv.in_channels, conv.out_channels) >= MIN_CHANNELS)


def winograd_conv3x3(x: Tensor, u: Tensor, bias: Optional[Tensor] = None,
                     residual: Optional[Tensor] = None,
                     relu: bool = False) -> Tensor:
    """``relu(conv2d(x, weight, bias, padding=1) + residual)`` for a 3x3
    kernel given as ``u = winograd_weight(weight)``.

    Args:
        x (Tensor): (N, C, H, W), best in ``channels_last`` memory format.
        u (Tensor): (36, C, K) transformed kernels.
        bias (Tensor, optional): (K,).
        residual (Tensor, optional): (N, K, H, W) added before the ReLU.
        relu (bool): Apply a ReLU last.

    Returns:
        Tensor: (N, K, H, W) in ``channels_last`` memory format. Large
        inputs run in chunks of tile rows, so the extra memory stays near
        ``_CHUNK_ELEMS`` elements per buffer.
    """
    k_in, k_out, _ = _mats(x.dtype)
    n, c, h, w = x.shape
    k = u.shape[2]
    if x.numel() == 0:
        return x.new_zeros(n, k, h, w).contiguous(
            memory_format=torch.channels_last)
    th, tw = -(-h // _M), -(-w // _M)
    hp, wp = th * _M + 2, tw * _M + 2
    # zero-padded input, (N, Hp, Wp, C) contiguous
    xp = x.new_empty(n, hp, wp, c)
    xp[:, 0].zero_()
    xp[:, h + 1:].zero_()
    xp[:, 1:h + 1, 0].zero_()
    xp[:, 1:h + 1, w + 1:].zero_()
    xp[:, 1:h + 1, 1:w + 1] = x.permute(0, 2, 3, 1)
    out = x.new_empty(n, h, w, k)
    rows = max(1, _CHUNK_ELEMS // (_A * _A * n * tw * max(c, k)))
    s_n, s_h, s_w, s_c = xp.stride()
    for r0 in range(0, th, rows):
        r1 = min(th, r0 + rows)
        # (6, 6, N, rows, tw, C): the 6x6 input tile of each output tile
        tiles = xp.as_strided(
            (_A, _A, n, r1 - r0, tw, c),
            (s_h, s_w, s_n, _M * s_h, _M * s_w, s_c),
            xp.storage_offset() + r0 * _M * s_h)
        d = tiles.reshape(_A * _A, -1)
        v = torch.mm(k_in, d).view(_A * _A, -1, c)
        prod = torch.bmm(v, u)  # (36, N * rows * tw, K)
        y = torch.mm(k_out, prod.view(_A * _A, -1))
        y = y.view(_M, _M, n, r1 - r0, tw, k).permute(2, 3, 0, 4, 1, 5)
        y = y.reshape(n, (r1 - r0) * _M, tw * _M, k)
        y0, y1 = r0 * _M, min(h, r1 * _M)
        out[:, y0:y1] = y[:, :y1 - y0, :w]
    if bias is not None:
        out += bias
    if residual is not None:
        out += residual.permute(0, 2, 3, 1)
    if relu:
        out.relu_()
    return out.permute(0, 3, 1, 2)
