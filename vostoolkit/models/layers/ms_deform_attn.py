"""Multi-scale deformable attention (Zhu et al., Deformable DETR) in PyTorch.

:func:`multi_scale_deformable_attention` is the plain implementation (one
:func:`torch.nn.functional.grid_sample` per level): the reference that the
faster paths of :mod:`.ms_deform_attn_gather` are tested against, and what
``MultiScaleDeformableAttention(...).impl = 'plain'`` runs. All of them run
on CPU and GPU without a compiled extension. Sampling locations follow the
Deformable DETR convention: ``(x, y)`` normalised to ``[0, 1]`` over the
level's width and height, pixel ``i`` covering ``[i / W, (i + 1) / W)`` (its
centre at ``(i + 0.5) / W``); bilinear interpolation with zeros outside the
map (``align_corners=False``, ``padding_mode='zeros'``).
"""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .ms_deform_attn_gather import (fused_available,
                                    fused_deformable_attention,
                                    gather_deformable_attention)

IMPLS = ('auto', 'plain', 'gather', 'fused')


def multi_scale_deformable_attention(value: Tensor, spatial_shapes: Tensor,
                                     sampling_locations: Tensor,
                                     attention_weights: Tensor) -> Tensor:
    """Weighted sum of bilinearly sampled values over levels and points.

    Args:
        value (Tensor): (B, S, M, D) values of all levels, flattened level by
            level (S = sum of H_l * W_l), M heads of D channels.
        spatial_shapes (Tensor): (L, 2) long, (H_l, W_l) of each level.
        sampling_locations (Tensor): (B, Nq, M, L, P, 2) normalised (x, y).
        attention_weights (Tensor): (B, Nq, M, L, P) weights (softmaxed over
            L * P by the caller).

    Returns:
        Tensor: (B, Nq, M * D) attended values.
    """
    b, _, m, d = value.shape
    _, nq, _, num_levels, num_points, _ = sampling_locations.shape
    sizes = [int(h) * int(w) for h, w in spatial_shapes.tolist()]
    value_list = value.split(sizes, dim=1)
    grids = 2 * sampling_locations - 1  # [0, 1] -> [-1, 1]
    sampled = []
    for lvl, (h, w) in enumerate(spatial_shapes.tolist()):
        # (B, H*W, M, D) -> (B, M*D, H*W)
        v = value_list[lvl].flatten(2).transpose(1, 2)
        v = v.reshape(b * m, d, h, w)  # (B, M*D, H*W) -> (B*M, D, H, W)
        # (B, Nq, M, P, 2) -> (B, M, Nq, P, 2)
        g = grids[:, :, :, lvl].transpose(1, 2)
        g = g.flatten(0, 1)  # (B, M, Nq, P, 2) -> (B*M, Nq, P, 2)
        sampled.append(F.grid_sample(v, g, mode='bilinear',
                                     padding_mode='zeros',
                                     align_corners=False))  # (B*M, D, Nq, P)
    stacked = torch.stack(sampled, dim=-2)  # (B*M, D, Nq, L, P)
    stacked = stacked.flatten(-2)  # (B*M, D, Nq, L, P) -> (B*M, D, Nq, L*P)
    # (B, Nq, M, L, P) -> (B, M, Nq, L, P)
    weights = attention_weights.transpose(1, 2)
    # -> (B*M, 1, Nq, L*P)
    weights = weights.reshape(b * m, 1, nq, num_levels * num_points)
    out = (stacked * weights).sum(-1)  # (B*M, D, Nq)
    out = out.view(b, m * d, nq)  # (B*M, D, Nq) -> (B, M*D, Nq)
    return out.transpose(1, 2).contiguous()  # (B, Nq, M*D)


def deformable_attention(value: Tensor, spatial_shapes: Tensor,
                         sampling_locations: Tensor, attention_weights: Tensor,
                         impl: str = 'auto') -> Tensor:
    """:func:`multi_scale_deformable_attention` by the chosen implementation.

    Args:
        value, spatial_shapes, sampling_locations, attention_weights: as
            for :func:`multi_scale_deformable_attention`.
        impl (str): ``'plain'`` (``grid_sample`` per level), ``'gather'``
            (one weighted gather over all levels, :mod:`.ms_deform_attn_
            gather`), ``'fused'`` (the gather compiled by ``torch.compile``;
            CUDA with Triton only) or ``'auto'``: fused where available,
            else gather. A fused call whose compilation fails falls back to
            the gather.

    Returns:
        Tensor: (B, Nq, M * D).
    """
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, got {impl!r}')
    if impl == 'plain':
        return multi_scale_deformable_attention(
            value, spatial_shapes, sampling_locations, attention_weights)
    if impl == 'fused' and not fused_available(value.device):
        raise RuntimeError(f'the fused deformable attention needs a CUDA '
                           f'device and Triton, got {value.device}')
    if impl == 'fused' or (impl == 'auto' and fused_available(value.device)):
        out = fused_deformable_attention(value, spatial_shapes,
                                         sampling_locations,
                                         attention_weights)
        if out is not None:
            return out
    return gather_deformable_attention(value, spatial_shapes,
                                       sampling_locations, attention_weights)


class MultiScaleDeformableAttention(nn.Module):
    """Multi-scale deformable attention module (Deformable DETR, eq. 3).

    Each query predicts ``num_points`` sampling offsets per head and level
    around its reference point, and softmaxed weights over the
    ``num_levels * num_points`` samples of each head.

    Args:
        embed_dims (int): Channels of queries and values.
        num_heads (int): Attention heads (``embed_dims`` must divide).
        num_levels (int): Feature levels.
        num_points (int): Sampling points per head and level.

    Attributes:
        impl (str): Sampling implementation, ``'auto'`` by default (see
            :func:`deformable_attention`); set it to ``'plain'`` to run the
            reference ``grid_sample`` path.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8,
                 num_levels: int = 3, num_points: int = 4):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads})')
        self.embed_dims, self.num_heads = embed_dims, num_heads
        self.num_levels, self.num_points = num_levels, num_points
        self.sampling_offsets = nn.Linear(
            embed_dims, num_heads * num_levels * num_points * 2)
        self.attention_weights = nn.Linear(
            embed_dims, num_heads * num_levels * num_points)
        self.value_proj = nn.Linear(embed_dims, embed_dims)
        self.output_proj = nn.Linear(embed_dims, embed_dims)
        self.impl = 'auto'
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Deformable DETR's initialisation: offsets start on rays around the
        reference point (one direction per head, k-th point at distance k),
        uniform attention weights, Xavier projections."""
        nn.init.zeros_(self.sampling_offsets.weight)
        angles = torch.arange(self.num_heads) * (2 * math.pi / self.num_heads)
        grid = torch.stack([angles.cos(), angles.sin()], -1)  # (M, 2)
        grid = grid / grid.abs().max(-1, keepdim=True)[0]
        scale = torch.arange(1, self.num_points + 1, dtype=grid.dtype)
        # (M, 1, P, 2)
        grid = grid[:, None, None, :] * scale[None, None, :, None]
        grid = grid.expand(-1, self.num_levels, -1, -1)  # (M, L, P, 2)
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(grid.reshape(-1))
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for lin in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, query: Tensor, reference_points: Tensor, value: Tensor,
                spatial_shapes: Tensor,
                value_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Attend from queries to multi-scale values.

        Args:
            query (Tensor): (B, Nq, C) queries (positional encoding added).
            reference_points (Tensor): (B, Nq, L, 2) normalised (x, y)
                reference of each query on each level.
            value (Tensor): (B, S, C) flattened values of all levels.
            spatial_shapes (Tensor): (L, 2) long, (H_l, W_l) per level.
            value_padding_mask (Tensor, optional): (B, S) bool, True where a
                value is padding (it is zeroed).

        Returns:
            Tensor: (B, Nq, C) output (before residual and norm).
        """
        b, nq, _ = query.shape
        m, lv, p = self.num_heads, self.num_levels, self.num_points
        if spatial_shapes.shape[0] != lv:
            raise ValueError(f'got {spatial_shapes.shape[0]} levels, the '
                             f'module was built for {lv}')
        v = self.value_proj(value)
        if value_padding_mask is not None:
            v = v.masked_fill(value_padding_mask[..., None], 0.0)
        v = v.view(b, v.shape[1], m, -1)  # (B, S, C) -> (B, S, M, D)
        offsets = self.sampling_offsets(query).view(b, nq, m, lv, p, 2)
        weights = self.attention_weights(query).view(b, nq, m, lv * p)
        weights = weights.softmax(-1).view(b, nq, m, lv, p)
        # offsets are in pixels of each level: normalise by (W_l, H_l)
        # (L, 2) as (W, H)
        normaliser = spatial_shapes.flip(-1).to(offsets.dtype)
        locations = (reference_points[:, :, None, :, None, :]
                     + offsets / normaliser[None, None, None, :, None, :])
        out = deformable_attention(v, spatial_shapes, locations, weights,
                                   self.impl)
        return self.output_proj(out)
