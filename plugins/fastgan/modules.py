"""Building blocks of the FaSTGAN regressor.

The matching and decoding blocks follow RGMP (Wug Oh et al., CVPR 2018), on
which the FaSTGAN regressor is built: a global convolution block (Peng et al.,
CVPR 2017) matches the two encodings, refinement modules upsample with the
current frame's encoder skips, and FaSTGAN adds the temporal skip connection.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


class ResBlock(nn.Module):
    """Pre-activation residual block: ``x + conv(relu(conv(relu(x))))``.

    Args:
        channels (int): Input and output channels.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): (N, C, h, w). Returns: (N, C, h, w)."""
        out = self.conv1(F.relu(x))
        out = self.conv2(F.relu(out))
        return x + out


class GlobalConvBlock(nn.Module):
    """Global convolution (Peng et al.): a large k x k receptive field from
    two separable branches, (k x 1 then 1 x k) + (1 x k then k x 1),
    followed by a residual block as in RGMP.

    Args:
        in_channels (int): Channels of the matched encodings (reference and
            current frame concatenated).
        out_channels (int): Output channels.
        kernel_size (int): k, odd. Default: 7.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 7):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'GlobalConvBlock kernel_size must be odd, got '
                             f'{kernel_size}')
        k, p = kernel_size, kernel_size // 2
        self.left = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, (k, 1), padding=(p, 0)),
            nn.Conv2d(out_channels, out_channels, (1, k), padding=(0, p)))
        self.right = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, (1, k), padding=(0, p)),
            nn.Conv2d(out_channels, out_channels, (k, 1), padding=(p, 0)))
        self.res = ResBlock(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): (N, C_in, h, w). Returns: (N, C_out, h, w)."""
        return self.res(self.left(x) + self.right(x))


class RefinementModule(nn.Module):
    """RGMP refinement module: merges an encoder skip of the current frame
    with the upsampled coarser decoder features.

    Args:
        skip_channels (int): Channels of the encoder skip.
        channels (int): Decoder channels (input and output).
    """

    def __init__(self, skip_channels: int, channels: int):
        super().__init__()
        self.skip_conv = nn.Conv2d(skip_channels, channels, 3, padding=1)
        self.skip_res = ResBlock(channels)
        self.out_res = ResBlock(channels)

    def forward(self, coarse: Tensor, skip: Tensor) -> Tensor:
        """Refine.

        Args:
            coarse (Tensor): (N, C, h, w) decoder features.
            skip (Tensor): (N, C_skip, H', W') encoder skip (about 2h x 2w).

        Returns:
            Tensor: (N, C, H', W') refined features.
        """
        up = F.interpolate(coarse, size=skip.shape[-2:], mode='bilinear',
                           align_corners=False)
        return self.out_res(self.skip_res(self.skip_conv(skip)) + up)


class TemporalSkip(nn.Module):
    """FaSTGAN's temporal skip connection.

    The last decoder layer's features of the current frame are concatenated
    with the same layer's features of the previous frame, after a 3 x 3
    convolution (and ReLU) reduces those to ``channels // 8`` channels. On
    the first frame of a video, of an object or of a training window there
    is no previous frame: its features are taken as zeros (the same
    convention at training and test time, so one batch may mix objects with
    and without a previous frame).

    Args:
        channels (int): C, channels of the last decoder layer (a multiple of
            8).
    """

    def __init__(self, channels: int):
        super().__init__()
        if channels % 8:
            raise ValueError(f'TemporalSkip channels must be a multiple of '
                             f'8, got {channels}')
        self.reduced_channels = channels // 8
        self.out_channels = channels + self.reduced_channels
        self.reduce = nn.Conv2d(channels, self.reduced_channels, 3,
                                padding=1)

    def forward(self, feat: Tensor, prev_feat: Optional[Tensor]) -> Tensor:
        """Concatenate the current and the reduced previous features.

        Args:
            feat (Tensor): (N, C, h, w) current features.
            prev_feat (Tensor | None): (N, C, h, w) the previous frame's
                features (not detached: gradients flow back in time); None
                on a first frame.

        Returns:
            Tensor: (N, C + C // 8, h, w).
        """
        if prev_feat is None:
            prev_feat = torch.zeros_like(feat)
        reduced = F.relu(self.reduce(prev_feat))  # (N, C/8, h, w)
        return torch.cat([feat, reduced], dim=1)
