"""Small transformer layers (batch first) shared by necks and heads.

The decoder layers follow Mask2Former: each is one sub-block with a residual
connection, dropout and LayerNorm (post-norm by default, pre-norm optional);
positional encodings are added to queries and keys, never to values.
"""
from typing import Optional

from torch import Tensor, nn

from vostoolkit.utils.amp import float32_island

from .ms_deform_attn import MultiScaleDeformableAttention


def _with_pos(x: Tensor, pos: Optional[Tensor]) -> Tensor:
    return x if pos is None else x + pos


def _xavier(module: nn.Module) -> None:
    for p in module.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)


class _AttentionBlock(nn.Module):
    """Multi-head attention with dropout, a residual and a LayerNorm (post-
    or pre-norm); subclasses say what attends to what in ``forward``."""

    def __init__(self, embed_dims: int, num_heads: int, dropout: float = 0.0,
                 pre_norm: bool = False):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dims, num_heads,
                                          dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(embed_dims)
        self.dropout = nn.Dropout(dropout)
        self.pre_norm = pre_norm
        _xavier(self)


class SelfAttentionLayer(_AttentionBlock):
    """Multi-head self-attention among queries with residual and norm.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Heads.
        dropout (float): Dropout on attention weights and the residual.
        pre_norm (bool): Normalise before attention instead of after.
    """

    def forward(self, x: Tensor, pos: Optional[Tensor] = None) -> Tensor:
        """Args: x, pos (Tensor): (B, N, C). Returns: (B, N, C)."""
        y = self.norm(x) if self.pre_norm else x
        q = _with_pos(y, pos)
        y = self.attn(q, q, y, need_weights=False)[0]
        x = x + self.dropout(y)
        return x if self.pre_norm else self.norm(x)


class CrossAttentionLayer(_AttentionBlock):
    """Multi-head cross-attention from queries to a memory, optionally masked.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Heads.
        dropout (float): Dropout on attention weights and the residual.
        pre_norm (bool): Normalise before attention instead of after.
    """

    def forward(self, x: Tensor, memory: Tensor,
                attn_mask: Optional[Tensor] = None,
                pos: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None) -> Tensor:
        """Attend from ``x`` to ``memory``.

        Args:
            x (Tensor): (B, N, C) queries.
            memory (Tensor): (B, S, C) keys/values.
            attn_mask (Tensor, optional): (B * num_heads, N, S) bool, True
                where attention is *not* allowed. A row that is all True
                produces NaN; callers unmask such rows.
            pos (Tensor, optional): (B, S, C) key encoding.
            query_pos (Tensor, optional): (B, N, C) query encoding.

        Returns:
            Tensor: (B, N, C).
        """
        y = self.norm(x) if self.pre_norm else x
        y = self.attn(_with_pos(y, query_pos), _with_pos(memory, pos), memory,
                      attn_mask=attn_mask, need_weights=False)[0]
        x = x + self.dropout(y)
        return x if self.pre_norm else self.norm(x)


class FFNLayer(nn.Module):
    """Two-layer feed-forward block with residual and norm.

    Args:
        embed_dims (int): Channels.
        ffn_channels (int): Hidden channels.
        dropout (float): Dropout after the activation and on the residual.
        pre_norm (bool): Normalise before the block instead of after.
    """

    def __init__(self, embed_dims: int, ffn_channels: int,
                 dropout: float = 0.0, pre_norm: bool = False):
        super().__init__()
        self.linear1 = nn.Linear(embed_dims, ffn_channels)
        self.linear2 = nn.Linear(ffn_channels, embed_dims)
        self.activation = nn.ReLU(inplace=True)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)
        self.pre_norm = pre_norm
        _xavier(self)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): (B, N, C). Returns: (B, N, C)."""
        y = self.norm(x) if self.pre_norm else x
        y = self.linear2(self.dropout1(self.activation(self.linear1(y))))
        x = x + self.dropout2(y)
        return x if self.pre_norm else self.norm(x)


class DeformableEncoderLayer(nn.Module):
    """Deformable DETR encoder layer: deformable self-attention, then FFN
    (both post-norm).

    Under autocast the deformable attention runs in float32 (inputs cast,
    output float32), as Mask2Former's ``MSDeformAttnFunction`` does: its
    sampling locations lose their sub-pixel part in half precision.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Heads.
        num_levels (int): Feature levels attended.
        num_points (int): Sampling points per head and level.
        ffn_channels (int): Hidden channels of the FFN.
        dropout (float): Dropout.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8,
                 num_levels: int = 3, num_points: int = 4,
                 ffn_channels: int = 1024, dropout: float = 0.0):
        super().__init__()
        self.attn = MultiScaleDeformableAttention(embed_dims, num_heads,
                                                  num_levels, num_points)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)
        self.ffn = FFNLayer(embed_dims, ffn_channels, dropout)

    def forward(self, x: Tensor, pos: Tensor, reference_points: Tensor,
                spatial_shapes: Tensor,
                padding_mask: Optional[Tensor] = None) -> Tensor:
        """Encode flattened multi-level features.

        Args:
            x (Tensor): (B, S, C) features of all levels.
            pos (Tensor): (B, S, C) positional + level encodings.
            reference_points (Tensor): (B, S, L, 2) normalised (x, y).
            spatial_shapes (Tensor): (L, 2) long.
            padding_mask (Tensor, optional): (B, S) bool, True on padding.

        Returns:
            Tensor: (B, S, C).
        """
        y = float32_island(self.attn)(x + pos, reference_points, x,
                                      spatial_shapes, padding_mask)
        x = self.norm(x + self.dropout(y))
        return self.ffn(x)
