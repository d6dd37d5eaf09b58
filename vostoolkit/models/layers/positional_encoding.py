"""Positional encodings: 2-D sinusoidal (DETR) and learned temporal."""
import math
from typing import Optional

import torch
from torch import Tensor, nn


class SinePositionalEncoding(nn.Module):
    """DETR's 2-D sinusoidal encoding, normalised to the (unpadded) map size.

    Channel layout: ``num_feats`` channels for y then ``num_feats`` for x,
    each interleaving sin and cos over frequencies
    ``temperature ** (2 * (i // 2) / num_feats)``.

    Args:
        num_feats (int): Channels per axis (output has ``2 * num_feats``).
        temperature (float): Frequency base.
        normalize (bool): Scale positions to ``[0, scale]`` over the valid
            extent of each map (Mask2Former uses True).
        scale (float): Range of normalised positions.
        eps (float): Avoids division by zero for empty maps.
    """

    def __init__(self, num_feats: int = 128, temperature: float = 10000.0,
                 normalize: bool = True, scale: float = 2 * math.pi,
                 eps: float = 1e-6):
        super().__init__()
        self.num_feats, self.temperature = num_feats, temperature
        self.normalize, self.scale, self.eps = normalize, scale, eps

    def forward(self, x: Tensor, padding_mask: Optional[Tensor] = None
                ) -> Tensor:
        """Encode the positions of a feature map.

        Args:
            x (Tensor): (N, C, H, W) map; only its shape, device and dtype
                are used.
            padding_mask (Tensor, optional): (N, H, W) bool, True on padding.

        Returns:
            Tensor: (N, 2 * num_feats, H, W).
        """
        n, _, h, w = x.shape
        if padding_mask is None:
            valid = torch.ones(n, h, w, device=x.device, dtype=x.dtype)
        else:
            valid = (~padding_mask).to(x.dtype)
        y = valid.cumsum(1)  # (N, H, W), 1-based row index
        xx = valid.cumsum(2)
        if self.normalize:
            y = (y - 0.5) / (y[:, -1:, :] + self.eps) * self.scale
            xx = (xx - 0.5) / (xx[:, :, -1:] + self.eps) * self.scale
        idx = torch.arange(self.num_feats, device=x.device, dtype=x.dtype)
        half = torch.div(idx, 2, rounding_mode='floor')
        dim_t = self.temperature ** (2 * half / self.num_feats)
        pos_x = xx[..., None] / dim_t  # (N, H, W, F)
        pos_y = y[..., None] / dim_t
        # (N, H, W, F/2, 2) -> (N, H, W, F), sin and cos interleaved
        pos_x = torch.stack([pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()],
                            dim=4).flatten(3)
        pos_y = torch.stack([pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()],
                            dim=4).flatten(3)
        # (N, 2F, H, W)
        return torch.cat([pos_y, pos_x], dim=3).permute(0, 3, 1, 2)


class LearnedTemporalEncoding(nn.Module):
    """One learned vector per frame position of a clip (NOVIS appendix A).

    Args:
        max_frames (int): Longest clip the encoding supports.
        embed_dims (int): Channels.
    """

    def __init__(self, max_frames: int, embed_dims: int):
        super().__init__()
        self.max_frames = max_frames
        self.embed = nn.Embedding(max_frames, embed_dims)

    def forward(self, num_frames: int) -> Tensor:
        """Return (num_frames, embed_dims) encodings of positions 0..T-1."""
        if num_frames > self.max_frames:
            raise ValueError(f'clip of {num_frames} frames exceeds the '
                             f'temporal encoding built for {self.max_frames}; '
                             f'raise max_frames')
        return self.embed.weight[:num_frames]
