"""Multi-scale deformable attention as one weighted gather over all levels.

The plain implementation (:func:`~.ms_deform_attn.
multi_scale_deformable_attention`) calls ``grid_sample`` once per level on a
channels-first copy of the values and then weights and sums the samples.
Here every bilinear tap of every level is one row of a channels-last value
table, and the output of a (query, head) is a weighted sum of
``L * P * 4`` rows, the attention weight folded into the bilinear weights:

* each level is padded with one ring of zeros, so that a sampling point
  outside the map (clamped to the ring) needs no validity mask: its taps
  read zeros, exactly what ``grid_sample``'s ``padding_mode='zeros'`` does;
* the tap indices and weights are computed for all levels at once, on
  (B*Nq, 2, M*L*P) tensors whose inner dimension is contiguous;
* on CPU the weighted sum is ``F.embedding_bag(mode='sum')`` (a fused
  gather-multiply-add), with a hand-written backward: the value gradient is
  the same kind of bag sum over the transposed index (one sort), the weight
  gradient a chunked gather and dot product;
* on CUDA with Triton the whole function is compiled by ``torch.compile``
  (one fused kernel for the taps and the gather; nothing is compiled at
  install time), with the eager version as the fallback.

Same sampling convention as the plain implementation: ``(x, y)`` in
``[0, 1]``, pixel ``i`` centred at ``(i + 0.5) / W``, bilinear, zeros
outside.
"""
import importlib.util
import warnings
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

Shapes = Sequence[Tuple[int, int]]

# the weight gradient gathers the rows of this many floats at a time (about
# 2 MiB: a chunk stays in cache; measured 4x faster than 16 MiB chunks)
_GRAD_CHUNK_FLOATS = 1 << 19


def padded_value_rows(value: Tensor, shapes: Shapes
                      ) -> Tuple[Tensor, List[int], int]:
    """Values as a channels-last row table, each level zero-padded by one
    pixel on every side.

    Args:
        value (Tensor): (B, S, M, D), levels flattened one after another.
        shapes (Sequence[tuple[int, int]]): (H_l, W_l) of each level.

    Returns:
        tuple: ``rows`` (B * S' * M, D) with S' = sum (H_l + 2)(W_l + 2),
        row ``(b * S' + s) * M + m``; the start of each padded level in S';
        and S'.
    """
    b, _, m, d = value.shape
    starts, total = [], 0
    for h, w in shapes:
        starts.append(total)
        total += (h + 2) * (w + 2)
    table = value.new_zeros(b, total, m * d)
    src = value.split([h * w for h, w in shapes], dim=1)
    for v, start, (h, w) in zip(src, starts, shapes):
        level = table[:, start:start + (h + 2) * (w + 2)]
        # (B, (H+2)*(W+2), M*D) -> (B, H+2, W+2, M*D), interior <- values
        level.view(b, h + 2, w + 2, m * d)[:, 1:-1, 1:-1] = v.reshape(
            b, h, w, m * d)
    return table.view(-1, d), starts, total


def bilinear_taps(shapes: Shapes, starts: Sequence[int], padded_len: int,
                  sampling_locations: Tensor, attention_weights: Tensor
                  ) -> Tuple[Tensor, Tensor]:
    """Row indices and weights of the four bilinear taps of every sample.

    Args:
        shapes, starts, padded_len: level sizes and the layout of
            :func:`padded_value_rows`.
        sampling_locations (Tensor): (B, Nq, M, L, P, 2) normalised (x, y).
        attention_weights (Tensor): (B, Nq, M, L, P).

    Returns:
        tuple: ``taps`` (B*Nq*M, 4*L*P) int rows of the padded table and
        ``weights`` (B*Nq*M, 4*L*P), the attention weight times the
        bilinear weight (zero-valued taps may point at padding); within a
        (query, head) row, corner-major (each corner's L*P samples
        contiguous: cheaper to lay out than sample-major).
    """
    b, nq, m, num_levels, p, _ = sampling_locations.shape
    r, k, lp = b * nq, m * num_levels * p, num_levels * p
    dev = sampling_locations.device
    dtype = torch.promote_types(sampling_locations.dtype, torch.float32)
    idx_dtype = torch.int32 if b * padded_len * m < 2**31 else torch.int64

    def per_sample(vals, dt):  # (L,) -> (K,) in (M, L, P) order
        t = torch.as_tensor(vals, dtype=dt, device=dev)
        return t.view(1, -1, 1).expand(m, -1, p).reshape(k)

    size = torch.stack([per_sample([w for _, w in shapes], dtype),
                        per_sample([h for h, _ in shapes], dtype)])  # (2, K)
    # (B, Nq, M, L, P, 2) -> (B*Nq, 2, K): pixel coordinates, pixel i's
    # centre at i; outside the map clamped to the zero ring [-1, W]
    pix = sampling_locations.to(dtype).reshape(r, k, 2).transpose(1, 2)
    pix = torch.clamp(pix * size - 0.5, min=torch.full_like(size, -1.0),
                      max=size)
    corner = torch.minimum(pix.detach().floor(), size - 1)  # in [-1, W-1]
    frac = pix - corner  # (B*Nq, 2, K)
    width = per_sample([w + 2 for _, w in shapes], idx_dtype)  # padded W
    head = torch.arange(m, dtype=idx_dtype, device=dev)
    head = head.view(m, 1, 1).expand(-1, num_levels, p).reshape(k)
    # table row of the top-left tap: ((b*S' + start + (y+1)*W' + x+1)*M + m
    const = (per_sample(starts, idx_dtype) + width + 1) * m + head  # (K,)
    batch = torch.arange(b, dtype=idx_dtype, device=dev) * (padded_len * m)
    batch = batch.repeat_interleave(nq)[:, None]  # (B*Nq, 1)
    ci = corner.to(idx_dtype)
    top_left = ci[:, 1] * (width * m) + ci[:, 0] * m + const + batch
    # the 4 corners: (x, y), (x+1, y), (x, y+1), (x+1, y+1): (4, M, L*P)
    offsets = torch.stack([torch.zeros_like(width), torch.full_like(width, m),
                           width * m, width * m + m]).view(4, m, lp)
    offsets = offsets.transpose(0, 1).contiguous()  # (M, 4, L*P)
    # (B*Nq, M, 1, L*P) + (M, 4, L*P) -> (B*Nq, M, 4, L*P)
    taps = top_left.view(r, m, 1, lp) + offsets
    fx, fy = frac.view(r, 2, m, lp).unbind(1)  # (B*Nq, M, L*P) each
    w = attention_weights.reshape(r, m, lp).to(dtype)
    wy1 = fy * w
    wy0 = w - wy1
    wx1, wy1x1 = wy0 * fx, wy1 * fx
    weights = torch.stack([wy0 - wx1, wx1, wy1 - wy1x1, wy1x1], 2)
    # (B*Nq, M, 4, L*P) -> (B*Nq*M, 4*L*P)
    return taps.reshape(r * m, 4 * lp), weights.view(r * m, 4 * lp)


class _WeightedRowSum(torch.autograd.Function):
    """``out[q] = sum_k weights[q, k] * rows[taps[q, k]]`` (CPU)."""

    @staticmethod
    def forward(ctx, rows: Tensor, taps: Tensor, weights: Tensor) -> Tensor:
        ctx.save_for_backward(rows, taps, weights)
        return F.embedding_bag(taps, rows, per_sample_weights=weights,
                               mode='sum')

    @staticmethod
    def backward(ctx, grad: Tensor):
        rows, taps, weights = ctx.saved_tensors
        grad = grad.contiguous()
        grad_rows = grad_weights = None
        n, k = taps.shape
        if ctx.needs_input_grad[0]:
            # rows[i] receives sum over (q, k) with taps[q, k] == i of
            # weights[q, k] * grad[q]: a bag sum over the sorted taps (a
            # stable sort: the same sums in the same order on every run)
            sorted_taps, order = taps.flatten().sort(stable=True)
            counts = torch.bincount(sorted_taps, minlength=rows.shape[0])
            offsets = counts.cumsum(0) - counts
            grad_rows = F.embedding_bag(
                order // k, grad, offsets, mode='sum',
                per_sample_weights=weights.flatten().index_select(0, order))
        if ctx.needs_input_grad[2]:
            grad_weights = torch.empty_like(weights)
            step = max(1, _GRAD_CHUNK_FLOATS // (k * rows.shape[1]))
            for s in range(0, n, step):
                chunk = taps[s:s + step]
                # (c, K, D) gathered rows . (c, 1, D) -> (c, K)
                got = rows.index_select(0, chunk.flatten()).view(
                    *chunk.shape, -1)
                torch.sum(got.mul_(grad[s:s + step, None]), -1,
                          out=grad_weights[s:s + step])
        return grad_rows, None, grad_weights


def _gather_attention(value: Tensor, shapes: Shapes,
                      sampling_locations: Tensor, attention_weights: Tensor,
                      fused_sum: bool) -> Tensor:
    b, _, m, d = value.shape
    nq = sampling_locations.shape[1]
    rows, starts, padded_len = padded_value_rows(value, shapes)
    taps, weights = bilinear_taps(shapes, starts, padded_len,
                                  sampling_locations, attention_weights)
    weights = weights.to(rows.dtype)
    if fused_sum:
        out = _WeightedRowSum.apply(rows, taps, weights)  # (B*Nq*M, D)
    else:  # plain indexing, which torch.compile fuses into one kernel
        out = (rows[taps.long()] * weights[..., None]).sum(1)
    return out.view(b, nq, m * d)  # (B*Nq*M, D) -> (B, Nq, M*D)


def gather_deformable_attention(value: Tensor, spatial_shapes: Tensor,
                                sampling_locations: Tensor,
                                attention_weights: Tensor) -> Tensor:
    """Drop-in for :func:`~.ms_deform_attn.multi_scale_deformable_attention`
    (same arguments, same result up to float rounding; differentiable in
    ``value``, ``sampling_locations`` and ``attention_weights``).

    Args:
        value (Tensor): (B, S, M, D).
        spatial_shapes (Tensor): (L, 2) long, (H_l, W_l).
        sampling_locations (Tensor): (B, Nq, M, L, P, 2) normalised (x, y).
        attention_weights (Tensor): (B, Nq, M, L, P).

    Returns:
        Tensor: (B, Nq, M * D).
    """
    shapes = [(int(h), int(w)) for h, w in spatial_shapes.tolist()]
    return _gather_attention(value, shapes, sampling_locations,
                             attention_weights, fused_sum=True)


# torch.compile specialises on the level sizes: each new input resolution
# compiles again (seconds to a minute). Past this many resolutions (dynamo's
# default recompile limit) new ones take the eager gather instead.
MAX_COMPILED_SHAPES = 8
_compiled = None
_compiled_shapes: set = set()
_compile_failed = False


def fused_available(device: torch.device) -> bool:
    """Whether the compiled (Triton) path can serve tensors on ``device``:
    a CUDA device, Triton importable and no earlier compile failure."""
    return (device.type == 'cuda' and not _compile_failed
            and importlib.util.find_spec('triton') is not None)


def fused_deformable_attention(value: Tensor, spatial_shapes: Tensor,
                               sampling_locations: Tensor,
                               attention_weights: Tensor) -> Optional[Tensor]:
    """The gather formulation compiled by ``torch.compile`` (Triton kernels
    on CUDA; untested on a GPU so far). Returns None when the caller should
    use an eager path instead: compiling failed (one warning per process;
    the fused path is then off) or ``MAX_COMPILED_SHAPES`` other level
    shapes were compiled already."""
    global _compiled, _compile_failed
    shapes = tuple((int(h), int(w)) for h, w in spatial_shapes.tolist())
    if shapes not in _compiled_shapes:
        if len(_compiled_shapes) >= MAX_COMPILED_SHAPES:
            return None
        _compiled_shapes.add(shapes)
    if _compiled is None:
        _compiled = torch.compile(_gather_attention, dynamic=True)
    try:
        return _compiled(value, shapes, sampling_locations,
                         attention_weights, False)
    except Exception as exc:  # noqa: BLE001 - any compiler failure
        _compile_failed = True
        warnings.warn(f'deformable attention: torch.compile failed '
                      f'({type(exc).__name__}: {exc}); using the eager '
                      f'PyTorch path')
        return None
