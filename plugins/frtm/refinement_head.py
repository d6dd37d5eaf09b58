"""FRTM-VOS refinement network R (sec. 3.2) and the D-only score head.

R turns the coarse target scores ``s`` of the target model and the backbone
features of four depths (conv2_x to conv5_x, as the authors' ``SegNetwork``)
into full-resolution mask logits with a U-Net: at each depth ``d`` (deepest
first) a target segmentation encoder (TSE) ``T^d`` fuses the features with
the scores, and a refinement module ``R^d`` merges it with the refined output
of the deeper level, ``z^d = R^d(T^d(x^d, s), z^{d+1})`` (eq. 5). A final
up-sampler turns ``z^1`` (stride 4) into logits at the image size.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.base import BaseMaskRefinementHead
from vostoolkit.models.layers import (conv_bn_act, inference_layout,
                                      sequential_conv_bn_act,
                                      upsample2x_bicubic)
from vostoolkit.models.layers.conv_bn import conv_taps, sum_taps
from vostoolkit.registry import HEADS


def _resize(x: Tensor, size: Sequence[int], mode: str = 'bilinear'
            ) -> Tensor:
    """Resize (N, C, h, w) to ``size`` (no-op when equal)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode=mode, align_corners=False)


class FRTMTargetEncoder(nn.Module):
    """Target segmentation encoder T^d (the authors' ``TSE``).

    The features are projected to ``channels`` (1x1 conv, ReLU, 1x1 conv),
    concatenated with the scores resized to their resolution, and encoded by
    three 3x3 convolutions with ReLUs.

    Args:
        in_channels (int): Channels of the backbone map x^d.
        channels (int): Width of the refinement network (64).
        score_channels (int): Channels of the scores (1).
    """

    def __init__(self, in_channels: int, channels: int = 64,
                 score_channels: int = 1):
        super().__init__()
        self.project = nn.Sequential(
            nn.Conv2d(in_channels, channels, 1), nn.ReLU(),
            nn.Conv2d(channels, channels, 1))
        mid = channels + score_channels
        self.encode = nn.Sequential(
            nn.Conv2d(mid, mid, 3, padding=1), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, padding=1), nn.ReLU(),
            nn.Conv2d(mid, channels, 3, padding=1), nn.ReLU())

    def forward(self, proj: Tensor, scores: Tensor) -> Tensor:
        """Args:
            proj (Tensor): (N, channels, H_d, W_d) projected features
                (:attr:`project` of the backbone map, shared by the objects
                of an image).
            scores (Tensor): (N, 1, h, w) target scores (any resolution).

        Returns:
            Tensor: the encoding (N, channels, H_d, W_d).
        """
        x = torch.cat([proj, _resize(scores, proj.shape[-2:])], dim=1)
        return sequential_conv_bn_act(self.encode, x)


class FRTMResidualBlock(nn.Module):
    """Refinement residual block (the authors' ``RRB``): a 1x1 conv, then
    ``relu(h + conv3x3(relu(bn(conv3x3(h)))))``."""

    def __init__(self, channels: int, batch_norm: bool = True):
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels, 1)
        layers = [nn.Conv2d(channels, channels, 3, padding=1)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(channels))
        layers += [nn.ReLU(),
                   nn.Conv2d(channels, channels, 3, padding=1, bias=False)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) -> (N, C, H, W)."""
        h = conv_bn_act(x, self.reduce)
        # conv3x3 [-> bn] -> relu, then conv3x3 + h -> relu (fused at
        # inference)
        inner = sequential_conv_bn_act(self.body[:-1], h)
        return conv_bn_act(inner, self.body[-1], relu=True, residual=h)


class FRTMChannelAttention(nn.Module):
    """Channel attention block (the authors' ``CAB``): the deeper level
    re-weights the channels of the shallower one, then is added to it
    up-sampled.

    Global averages of both inputs are concatenated, passed through
    1x1 conv - ReLU - 1x1 conv - sigmoid, and scale the shallow map.
    """

    def __init__(self, channels: int = 64):
        super().__init__()
        self.attend = nn.Sequential(
            nn.Conv2d(2 * channels, channels, 1), nn.ReLU(),
            nn.Conv2d(channels, channels, 1))

    def forward(self, shallow: Tensor, deep: Tensor) -> Tensor:
        """Args:
            shallow (Tensor): (N, C, H, W) encoding of this level.
            deep (Tensor): (N, C, h, w) output of the deeper level (1 x 1
                for the deepest level: its pooled projection).

        Returns:
            Tensor: (N, C, H, W).
        """
        pooled = torch.cat([F.adaptive_avg_pool2d(shallow, 1),
                            F.adaptive_avg_pool2d(deep, 1)], dim=1)
        gated = shallow * torch.sigmoid(self.attend(pooled))
        return gated + _resize(deep, shallow.shape[-2:])


class FRTMRefinementModule(nn.Module):
    """R^d: residual block, channel attention with z^{d+1}, residual block.
    """

    def __init__(self, channels: int = 64, batch_norm: bool = True):
        super().__init__()
        self.pre = FRTMResidualBlock(channels, batch_norm)
        self.attention = FRTMChannelAttention(channels)
        self.post = FRTMResidualBlock(channels, batch_norm)

    def forward(self, encoding: Tensor, deeper: Tensor) -> Tensor:
        """(N, C, H, W) encoding and (N, C, h, w) deeper output ->
        (N, C, H, W) refined output z^d."""
        return self.post(self.attention(self.pre(encoding), deeper))


class FRTMUpsampler(nn.Module):
    """The final block: bicubic x2, 3x3 conv to ``channels // 2``, ReLU,
    bicubic x2, bilinear to the image size, 3x3 conv to one logit."""

    def __init__(self, channels: int = 64):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels // 2, 3, padding=1)
        self.conv2 = nn.Conv2d(channels // 2, 1, 3, padding=1)

    def forward(self, x: Tensor, out_size: Sequence[int]) -> Tensor:
        """(N, C, h, w) -> (N, 1, H, W) logits at ``out_size``."""
        x = conv_bn_act(upsample2x_bicubic(x), self.conv1, relu=True)
        conv = self.conv2
        if torch.is_grad_enabled() and (x.requires_grad
                                        or conv.weight.requires_grad):
            x = _resize(upsample2x_bicubic(x), out_size)
            return conv_bn_act(x, conv)
        # At inference the last convolution mixes channels first: mixing
        # commutes with the per-channel resizes, so they run on its 9
        # per-tap maps instead of its 32 input channels (same numbers to
        # float rounding, 4 times less resizing)
        taps = _resize(upsample2x_bicubic(conv_taps(x, conv.weight)),
                       out_size)
        return sum_taps(taps, conv.kernel_size, conv.padding, conv.bias)


@HEADS.register_module()
class FRTMRefinementHead(BaseMaskRefinementHead):
    """The refinement network R of FRTM-VOS (the authors' ``SegNetwork``).

    Args:
        in_channels (Sequence[int]): Channels of the backbone maps, shallowest
            first (ResNet-101: conv2_x 256, conv3_x 512, conv4_x 1024,
            conv5_x 2048; ResNet-18: 64, 128, 256, 512).
        channels (int): Width of the network (64).
        batch_norm (bool): BatchNorm inside the residual blocks (the
            authors' ``use_bn=True``).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 channels: int = 64, batch_norm: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = tuple(in_channels)
        self.encoders = nn.ModuleList(
            FRTMTargetEncoder(c, channels) for c in self.in_channels)
        self.refiners = nn.ModuleList(
            FRTMRefinementModule(channels, batch_norm)
            for _ in self.in_channels)
        self.upsampler = FRTMUpsampler(channels)

    def forward(self, scores: Tensor, feats: Sequence[Tensor],
                out_size: Sequence[int]) -> Tensor:
        """Refine target scores into mask logits.

        Args:
            scores (Tensor): (B*O, 1, h, w) target-model scores, O objects per
                image, consecutive.
            feats (Sequence[Tensor]): backbone maps, shallowest first, each
                (B, in_channels[i], H_i, W_i).
            out_size (Sequence[int]): (H, W) of the logits.

        Returns:
            Tensor: (B*O, 1, H, W) logits.
        """
        if len(feats) != len(self.in_channels):
            raise ValueError(f'FRTMRefinementHead takes '
                             f'{len(self.in_channels)} feature maps, got '
                             f'{len(feats)}')
        deeper = None
        for level in reversed(range(len(feats))):
            encoder = self.encoders[level]
            # the projection depends on the image only: once per image
            x = inference_layout(feats[level], self)
            proj = _repeat_for_objects(
                sequential_conv_bn_act(encoder.project, x),
                scores.shape[0])  # (B*O, C, H, W)
            encoding = encoder(proj, _resize(scores, proj.shape[-2:]))
            if deeper is None:  # deepest: pooled projection of x^d
                deeper = F.adaptive_avg_pool2d(proj, 1)
            deeper = self.refiners[level](encoding, deeper)
        return self.upsampler(deeper, out_size)

    def loss(self, scores: Tensor, feats: Sequence[Tensor], gt_masks: Tensor,
             valid: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Binary cross-entropy of the refined masks (sec. 3.3).

        Args:
            scores (Tensor): (N, 1, h, w) target scores.
            feats (Sequence[Tensor]): backbone maps, as in :meth:`forward`.
            gt_masks (Tensor): (N, 1, H, W) target masks in {0, 1}.
            valid (Tensor, optional): (N, 1, H, W) bool, False on void
                pixels, which do not count.

        Returns:
            dict[str, Tensor]: ``loss_mask``.
        """
        logits = self(scores, feats, gt_masks.shape[-2:])
        return dict(loss_mask=masked_bce(logits, gt_masks, valid))

    def predict(self, scores: Tensor, feats: Sequence[Tensor],
                out_size: Sequence[int]) -> Tensor:
        """Mask probabilities (N, 1, H, W)."""
        return torch.sigmoid(self(scores, feats, out_size))


def _repeat_for_objects(x: Tensor, num_rows: int) -> Tensor:
    """Share each image's map among its objects' score maps.

    ``num_rows`` score rows for ``B`` images: rows ``b*O .. b*O+O-1`` belong
    to image ``b``. (B, C, H, W) -> (B*O, C, H, W).
    """
    batch = x.shape[0]
    if num_rows == batch:
        return x
    if num_rows % batch:
        raise ValueError(f'{num_rows} score maps cannot be shared among '
                         f'{batch} images')
    return x.repeat_interleave(num_rows // batch, dim=0)


def masked_bce(logits: Tensor, targets: Tensor,
               valid: Optional[Tensor] = None) -> Tensor:
    """Mean binary cross-entropy over valid pixels (0 when none is)."""
    loss = F.binary_cross_entropy_with_logits(
        logits, targets.to(logits.dtype), reduction='none')
    if valid is None:
        return loss.mean()
    valid = valid.to(logits.dtype)
    return (loss * valid).sum() / valid.sum().clamp(min=1.0)


@HEADS.register_module()
class FRTMScoreHead(BaseMaskRefinementHead):
    """The "D-only" head of Table 1: no refinement network.

    The coarse scores are up-sampled bilinearly to the output size and
    mapped to logits by a learned scale and offset (the only two parameters
    trained offline), before the sigmoid.

    Args:
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.scale = nn.Parameter(torch.ones(1))
        self.offset = nn.Parameter(torch.zeros(1))

    def forward(self, scores: Tensor, feats: Sequence[Tensor],
                out_size: Sequence[int]) -> Tensor:
        """(N, 1, h, w) scores -> (N, 1, H, W) logits; ``feats`` unused."""
        return self.scale * _resize(scores, out_size) + self.offset

    def loss(self, scores: Tensor, feats: Sequence[Tensor], gt_masks: Tensor,
             valid: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Binary cross-entropy, as :meth:`FRTMRefinementHead.loss`."""
        logits = self(scores, feats, gt_masks.shape[-2:])
        return dict(loss_mask=masked_bce(logits, gt_masks, valid))

    def predict(self, scores: Tensor, feats: Sequence[Tensor],
                out_size: Sequence[int]) -> Tensor:
        """Mask probabilities (N, 1, H, W)."""
        return torch.sigmoid(self(scores, feats, out_size))
