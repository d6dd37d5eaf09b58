"""Positional encodings: 2-D sinusoidal (DETR), sinusoidal temporal
(Mask2Former-VIS) and learned temporal (NOVIS)."""
import math
from typing import Optional

import torch
from torch import Tensor, nn


def _sin_cos(pos: Tensor, num_feats: int, temperature: float) -> Tensor:
    """Sinusoids of positions ``pos`` (...,) over ``num_feats`` channels:
    frequencies ``temperature ** (2 * (i // 2) / num_feats)``, sin on even
    and cos on odd channels. Returns (..., num_feats)."""
    idx = torch.arange(num_feats, device=pos.device, dtype=pos.dtype)
    half = torch.div(idx, 2, rounding_mode='floor')
    dim_t = temperature**(2 * half / num_feats)
    x = pos[..., None] / dim_t  # (..., F)
    # (..., F/2, 2) -> (..., F), sin and cos interleaved
    return torch.stack([x[..., 0::2].sin(), x[..., 1::2].cos()],
                       dim=-1).flatten(-2)


class SinePositionalEncoding(nn.Module):
    """DETR's 2-D sinusoidal encoding, normalised to the (unpadded) map size.

    Channel layout: ``num_feats`` channels for y then ``num_feats`` for x,
    each interleaving sin and cos over frequencies
    ``temperature ** (2 * (i // 2) / num_feats)``. With ``normalize``, row
    ``i`` (1-based, counting valid cells) of a map with ``h`` valid rows is
    at ``(i + offset) / (h + eps) * scale``.

    Args:
        num_feats (int): Channels per axis (output has ``2 * num_feats``).
        temperature (float): Frequency base.
        normalize (bool): Scale positions to ``[0, scale]`` over the valid
            extent of each map (Mask2Former uses True).
        scale (float): Range of normalised positions.
        eps (float): Avoids division by zero for empty maps.
        offset (float): Added to the 1-based positions before normalising:
            0 is DETR's and Mask2Former's encoding, -0.5 Deformable DETR's
            (cell centres).
    """

    def __init__(self, num_feats: int = 128, temperature: float = 10000.0,
                 normalize: bool = True, scale: float = 2 * math.pi,
                 eps: float = 1e-6, offset: float = 0.0):
        super().__init__()
        self.num_feats, self.temperature = num_feats, temperature
        self.normalize, self.scale, self.eps = normalize, scale, eps
        self.offset = float(offset)

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
            y = (y + self.offset) / (y[:, -1:, :] + self.eps) * self.scale
            xx = (xx + self.offset) / (xx[:, :, -1:] + self.eps) * self.scale
        pos_y = _sin_cos(y, self.num_feats, self.temperature)  # (N, H, W, F)
        pos_x = _sin_cos(xx, self.num_feats, self.temperature)
        # (N, H, W, 2F) -> (N, 2F, H, W)
        return torch.cat([pos_y, pos_x], dim=3).permute(0, 3, 1, 2)


class SineTemporalEncoding(nn.Module):
    """The temporal term of Mask2Former-VIS's 3-D sine encoding.

    Mask2Former-VIS (``PositionEmbeddingSine3D``) adds to the 2-D sine
    encoding of every frame a sinusoid of the frame's position in the clip,
    over all ``embed_dims`` channels: frame ``t`` (1-based) of a clip of
    ``T`` frames is at ``z = t / (T + eps) * scale``, and channel ``i``
    is ``sin`` (even ``i``) or ``cos`` (odd ``i``) of
    ``z / temperature ** (2 * (i // 2) / embed_dims)``. Positions are
    normalised by the clip length, so any clip length works.

    Args:
        embed_dims (int): Channels C.
        temperature (float): Frequency base.
        scale (float): Range of normalised positions.
        eps (float): As in :class:`SinePositionalEncoding`.
    """

    def __init__(self, embed_dims: int, temperature: float = 10000.0,
                 scale: float = 2 * math.pi, eps: float = 1e-6):
        super().__init__()
        self.embed_dims, self.temperature = embed_dims, temperature
        self.scale, self.eps = scale, eps

    def forward(self, num_frames: int, device: Optional[torch.device] = None
                ) -> Tensor:
        """Return the (num_frames, embed_dims) float32 encodings of frames
        1..T of a clip of T frames."""
        z = torch.arange(1, num_frames + 1, device=device,
                         dtype=torch.float32)
        z = z / (num_frames + self.eps) * self.scale  # (T,)
        return _sin_cos(z, self.embed_dims, self.temperature)


class LearnedTemporalEncoding(nn.Module):
    """One learned vector per frame position of a clip (NOVIS appendix A).

    Args:
        max_frames (int): Longest clip the encoding supports.
        embed_dims (int): Channels.
        init (str): ``'normal'`` (``nn.Embedding``'s N(0, 1)) or
            ``'zeros'``: start as no encoding at all, so that a decoder
            pretrained without one (a converted Mask2Former) starts from
            its pretrained behaviour.
    """

    def __init__(self, max_frames: int, embed_dims: int,
                 init: str = 'normal'):
        super().__init__()
        if init not in ('normal', 'zeros'):
            raise ValueError(f"init must be 'normal' or 'zeros', got "
                             f'{init!r}')
        self.max_frames, self.init = max_frames, init
        self.embed = nn.Embedding(max_frames, embed_dims)
        if init == 'zeros':
            nn.init.zeros_(self.embed.weight)

    def forward(self, num_frames: int, device: Optional[torch.device] = None
                ) -> Tensor:
        """Return (num_frames, embed_dims) encodings of positions 0..T-1."""
        if num_frames > self.max_frames:
            raise ValueError(f'clip of {num_frames} frames exceeds the '
                             f'temporal encoding built for {self.max_frames}; '
                             f'raise max_frames')
        return self.embed.weight[:num_frames]
