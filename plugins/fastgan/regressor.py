"""The FaSTGAN segmentation regressor phi (the generator)."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from vostoolkit.registry import BACKBONES, MODELS

from .modules import GlobalConvBlock, RefinementModule, TemporalSkip


@MODELS.register_module()
class FaSTGANRegressor(BaseModule):
    """Siamese encoder-decoder regressor ``Y_t = phi(X_t, M_n, Y_{t-1})``.

    * Encoder phi_E: one backbone (shared weights) taking RGB + mask, applied
      to the current pair (X_t, Y_{t-1}) and to the reference segmentation
      M_n (reference frame + its mask). Its four maps (strides 4, 8, 16, 32)
      are used.
    * Matching: the two stride-32 encodings are concatenated and matched by a
      :class:`GlobalConvBlock`.
    * Decoder: three :class:`RefinementModule` s fed by the current frame's
      stride-16, 8 and 4 encoder skips (RGMP).
    * Temporal skip: the last decoder layer (stride 4) is concatenated with
      the same layer's features of the previous frame reduced to 1/8 of
      their channels (:class:`TemporalSkip`); a 3 x 3 convolution then gives
      the mask logit, upsampled to the frame size.

    Args:
        backbone (dict): Backbone config, a ``BACKBONES`` member with
            ``in_channels=4`` returning 4 maps of increasing stride (e.g.
            ``ResNet`` depth 50, ``out_indices`` layer1..layer4).
        decoder_channels (int): Decoder width (multiple of 8). Default: 256.
        gc_kernel_size (int): Global convolution kernel size. Default: 7.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, backbone: dict, *, decoder_channels: int = 256,
                 gc_kernel_size: int = 7, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = BACKBONES.build(backbone)
        in_channels = getattr(self.backbone, 'in_channels', 4)
        chans = tuple(self.backbone.out_channels)
        if in_channels != 4 or len(chans) != 4:
            raise ValueError(
                f'FaSTGANRegressor needs a backbone taking 4 input channels '
                f'(RGB + mask) and returning 4 maps; got in_channels='
                f'{in_channels} and out_channels={chans}')
        self.matching = GlobalConvBlock(2 * chans[3], decoder_channels,
                                        gc_kernel_size)
        self.refine16 = RefinementModule(chans[2], decoder_channels)
        self.refine8 = RefinementModule(chans[1], decoder_channels)
        self.refine4 = RefinementModule(chans[0], decoder_channels)
        self.temporal_skip = TemporalSkip(decoder_channels)
        self.predictor = nn.Conv2d(self.temporal_skip.out_channels, 1, 3,
                                   padding=1)

    def encode(self, img: Tensor, mask: Tensor) -> List[Tensor]:
        """phi_E on an image-mask pair.

        Args:
            img (Tensor): (N, 3, H, W) normalised frames.
            mask (Tensor): (N, 1, H, W) masks in [0, 1].

        Returns:
            list[Tensor]: 4 maps, strides 4 to 32.
        """
        return list(self.backbone(torch.cat([img, mask], dim=1)))

    def encode_reference(self, ref_img: Tensor, ref_mask: Tensor) -> Tensor:
        """Encode the reference segmentation M_n once per object.

        Args:
            ref_img (Tensor): (N, 3, H, W) reference frames.
            ref_mask (Tensor): (N, 1, H, W) reference masks.

        Returns:
            Tensor: (N, C5, H/32, W/32) reference encoding.
        """
        return self.encode(ref_img, ref_mask)[-1]

    def step(self, img: Tensor, prev_mask: Tensor, ref_feat: Tensor,
             prev_feat: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Segment one frame.

        Args:
            img (Tensor): (N, 3, H, W) current frames X_t.
            prev_mask (Tensor): (N, 1, H, W) previous estimate Y_{t-1}.
            ref_feat (Tensor): (N, C5, H/32, W/32) from
                :meth:`encode_reference`.
            prev_feat (Tensor | None): (N, C, H/4, W/4) last decoder layer
                of the previous frame (None on a first frame).

        Returns:
            tuple[Tensor, Tensor]: logits (N, 1, H, W) and this frame's last
            decoder layer (N, C, H/4, W/4), the next ``prev_feat``.
        """
        c4, c8, c16, c32 = self.encode(img, prev_mask)
        x = self.matching(torch.cat([c32, ref_feat], dim=1))
        x = self.refine16(x, c16)
        x = self.refine8(x, c8)
        feat = self.refine4(x, c4)
        logits = self.predictor(self.temporal_skip(feat, prev_feat))
        logits = F.interpolate(logits, size=img.shape[-2:], mode='bilinear',
                               align_corners=False)
        return logits, feat

    def forward(self, frames: Tensor, ref_img: Tensor, ref_mask: Tensor,
                init_prev_mask: Optional[Tensor] = None) -> Tensor:
        """Unroll over a window of K frames (back-propagation through time).

        Each step is fed its own previous prediction (the sigmoid of the
        previous logits, not detached) and the previous decoder features
        through the temporal skip; the whole window runs in one call so that
        a distributed wrapper sees one forward per backward.

        Args:
            frames (Tensor): (N, K, 3, H, W) the window, in time order.
            ref_img (Tensor): (N, 3, H, W) reference frame of M_n.
            ref_mask (Tensor): (N, 1, H, W) reference mask of M_n.
            init_prev_mask (Tensor, optional): (N, 1, H, W) the estimate fed
                to the first step. Default: ``ref_mask``.

        Returns:
            Tensor: (N, K, H, W) logits.
        """
        ref_feat = self.encode_reference(ref_img, ref_mask)
        prev = ref_mask if init_prev_mask is None else init_prev_mask
        prev_feat = None
        logits = []
        for k in range(frames.shape[1]):
            logit, prev_feat = self.step(frames[:, k], prev, ref_feat,
                                         prev_feat)
            logits.append(logit)
            prev = logit.sigmoid()
        return torch.cat(logits, dim=1)  # K x (N, 1, H, W) -> (N, K, H, W)
