"""FaSTGAN's spatial and temporal WGAN-GP critics (PatchGAN score maps)."""
from typing import Optional

import torch.nn as nn
from torch import Tensor

from vostoolkit.models.base import BaseCritic
from vostoolkit.registry import CRITICS


def patchgan_body(in_channels: int, base_channels: int, max_channels: int,
                  num_downsamples: int) -> nn.Sequential:
    """A PatchGAN critic body without normalisation (WGAN-GP penalises the
    gradient per sample, which batch normalisation would couple).

    ``num_downsamples`` times (4 x 4 convolution, stride 2, LeakyReLU 0.2),
    channels doubling from ``base_channels`` up to ``max_channels``, then a
    3 x 3 convolution to one score per overlapping patch.

    Returns:
        nn.Sequential: maps (N, in_channels, H, W) to
        (N, 1, H / 2**num_downsamples, W / 2**num_downsamples).
    """
    layers, c_in = [], in_channels
    for i in range(num_downsamples):
        c_out = min(base_channels * 2**i, max_channels)
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        c_in = c_out
    layers.append(nn.Conv2d(c_in, 1, 3, 1, 1))
    return nn.Sequential(*layers)


@CRITICS.register_module()
class FaSTGANSpatialCritic(BaseCritic):
    """Spatial critic D_S: scores one masked frame X_t * Y_t.

    A PatchGAN whose output S[i, j] scores an overlapping input patch; with
    the default 6 downsamplings the map is H/64 x W/64 (8 x 8 at 512 x 512).

    Args:
        in_channels (int): Channels of a masked frame. Default: 3.
        base_channels (int): Width of the first layer. Default: 64.
        max_channels (int): Width cap. Default: 512.
        num_downsamples (int): Stride-2 layers; 6 gives H/2**6. Default: 6.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, in_channels: int = 3, *, base_channels: int = 64,
                 max_channels: int = 512, num_downsamples: int = 6,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.body = patchgan_body(in_channels, base_channels, max_channels,
                                  num_downsamples)

    def forward(self, x: Tensor) -> Tensor:
        """Score masked frames.

        Args:
            x (Tensor): (N, 3, H, W) masked frames X * Y (N may be
                batch x frames).

        Returns:
            Tensor: (N, 1, H/64, W/64) patch scores.
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'FaSTGANSpatialCritic expects (N, '
                             f'{self.in_channels}, H, W), got '
                             f'{tuple(x.shape)}')
        return self.body(x)

    def critic_inputs(self, frames: Tensor, masks: Tensor,
                      valid: Tensor) -> Optional[Tensor]:
        """One sample per annotated frame: the masked frame X_t * Y_t.

        Args:
            frames (Tensor): (N, K, 3, H, W) normalised frames.
            masks (Tensor): (N, K, H, W) or (N, K, 1, H, W) in [0, 1].
            valid (Tensor): (N, K) bool, annotated frames.

        Returns:
            Tensor | None: (M, 3, H, W), M annotated frames; None if M = 0.
        """
        masked = self.masked_frames(frames, masks, valid)
        out = masked[valid]  # (N, K, 3, H, W) -> (M, 3, H, W)
        return out if out.shape[0] else None


@CRITICS.register_module()
class FaSTGANTemporalCritic(BaseCritic):
    """Temporal critic D_T: jointly scores K consecutive masked frames.

    How it takes the K frames: they are stacked along the channel axis in
    time order (frame-major: channels ``3k .. 3k+2`` are frame k), so the
    first convolution sees all K frames at every position and the critic is
    a 2-D PatchGAN with ``3 * K`` input channels. K is therefore fixed at
    construction; the output has the spatial critic's shape, H/64 x W/64.

    Args:
        num_frames (int): K, the temporal window. Default: 4.
        frame_channels (int): Channels of one masked frame. Default: 3.
        base_channels (int): Width of the first layer. Default: 64.
        max_channels (int): Width cap. Default: 512.
        num_downsamples (int): Stride-2 layers. Default: 6.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, num_frames: int = 4, *, frame_channels: int = 3,
                 base_channels: int = 64, max_channels: int = 512,
                 num_downsamples: int = 6, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.num_frames = num_frames
        self.frame_channels = frame_channels
        self.body = patchgan_body(num_frames * frame_channels, base_channels,
                                  max_channels, num_downsamples)

    def forward(self, x: Tensor) -> Tensor:
        """Score windows of masked frames.

        Args:
            x (Tensor): (N, 3, K, H, W) masked frames X_t * Y_t, time on
                the third axis (the ``BaseCritic`` layout).

        Returns:
            Tensor: (N, 1, H/64, W/64) patch scores.
        """
        expected = (self.frame_channels, self.num_frames)
        if x.dim() != 5 or tuple(x.shape[1:3]) != expected:
            raise ValueError(
                f'FaSTGANTemporalCritic expects (N, {expected[0]}, '
                f'K={expected[1]}, H, W), got {tuple(x.shape)}')
        # (N, C, K, H, W) -> (N, K*C, H, W), frame-major channels
        x = x.transpose(1, 2).flatten(1, 2)
        return self.body(x)

    def critic_inputs(self, frames: Tensor, masks: Tensor,
                      valid: Tensor) -> Optional[Tensor]:
        """One sample per fully annotated window of K frames.

        Args:
            frames (Tensor): (N, K, 3, H, W) normalised frames; K must be
                ``num_frames``.
            masks (Tensor): (N, K, H, W) or (N, K, 1, H, W) in [0, 1].
            valid (Tensor): (N, K) bool, annotated frames.

        Returns:
            Tensor | None: (M, 3, K, H, W), the M clips whose K frames are
            all annotated; None if M = 0.

        Raises:
            ValueError: When the batch's K is not ``num_frames``.
        """
        if frames.dim() == 5 and frames.shape[1] != self.num_frames:
            raise ValueError(
                f'clips give K={frames.shape[1]} frames to the temporal '
                f'critic but its num_frames={self.num_frames}; set the clip '
                'sampler and the critic to the same K')
        masked = self.masked_frames(frames, masks, valid)
        # (N, K, 3, H, W) -> (M, 3, K, H, W)
        out = masked[valid.all(dim=1)].transpose(1, 2)
        return out if out.shape[0] else None
