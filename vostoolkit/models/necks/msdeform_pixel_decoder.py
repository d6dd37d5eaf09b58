"""Mask2Former's pixel decoder: a deformable-attention encoder over the coarse
levels (strides 8, 16, 32) and an FPN step to the stride-4 mask features.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vostoolkit.models.base import BasePixelDecoder
from vostoolkit.models.layers import (DeformableEncoderLayer,
                                      SinePositionalEncoding, conv_bn_act,
                                      sequential_conv_bn_act)
from vostoolkit.registry import NECKS


def _conv_gn(in_ch: int, out_ch: int, kernel: int, num_groups: int,
             relu: bool = False, bias: bool = False) -> nn.Sequential:
    layers = [nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2,
                        bias=bias),
              nn.GroupNorm(num_groups, out_ch)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _c2_xavier(conv: nn.Conv2d) -> None:
    """detectron2's ``c2_xavier_fill``: Kaiming-uniform with a=1, zero bias."""
    nn.init.kaiming_uniform_(conv.weight, a=1)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


@NECKS.register_module()
class MSDeformAttnPixelDecoder(BasePixelDecoder):
    """Multi-scale deformable-attention pixel decoder (Mask2Former).

    Inputs are backbone maps ordered by increasing stride (e.g. ResNet
    ``layer1..layer4`` at strides 4, 8, 16, 32). The last
    ``num_encoder_levels`` maps are projected to ``feat_channels`` and refined
    jointly by ``num_encoder_layers`` deformable encoder layers; the earlier
    maps are merged top-down by an FPN step, and a 1x1 convolution of the
    finest map gives the mask features. Works frame by frame: a clip enters
    with frames folded into the batch.

    Args:
        in_channels (Sequence[int]): Channels of each input map.
        feat_channels (int): Channels of the encoder and FPN maps.
        out_channels (int): Channels of the mask features.
        num_encoder_levels (int): Coarsest maps given to the encoder.
        num_encoder_layers (int): Deformable encoder layers.
        num_heads (int): Attention heads.
        num_points (int): Sampling points per head and level.
        ffn_channels (int): Hidden channels of the encoder FFNs.
        dropout (float): Encoder dropout.
        num_groups (int): GroupNorm groups.
        positional_encoding (dict, optional): Options of the
            :class:`SinePositionalEncoding` of the encoder levels
            (``num_feats`` is ``feat_channels // 2``); default
            Mask2Former's (no offset).
        fp32 (bool): Run in float32 under autocast, as Mask2Former does
            (its deformable attention does not support half precision);
            the outputs are then float32.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 *, feat_channels: int = 256, out_channels: int = 256,
                 num_encoder_levels: int = 3, num_encoder_layers: int = 6,
                 num_heads: int = 8, num_points: int = 4,
                 ffn_channels: int = 1024, dropout: float = 0.0,
                 num_groups: int = 32,
                 positional_encoding: Optional[dict] = None,
                 fp32: bool = True, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not 0 < num_encoder_levels <= len(in_channels):
            raise ValueError(f'num_encoder_levels={num_encoder_levels} does '
                             f'not fit {len(in_channels)} input maps')
        self.in_channels = tuple(in_channels)
        self.num_encoder_levels = num_encoder_levels
        self.feat_channels, self.out_channels = feat_channels, out_channels
        enc_in = self.in_channels[-num_encoder_levels:][::-1]  # coarse first
        self.input_proj = nn.ModuleList(
            _conv_gn(c, feat_channels, 1, num_groups, bias=True)
            for c in enc_in)
        self.level_embed = nn.Parameter(
            torch.empty(num_encoder_levels, feat_channels))
        self.pos_encoding = SinePositionalEncoding(
            **{'num_feats': feat_channels // 2, **(positional_encoding or {})})
        self.fp32 = fp32
        self.encoder = nn.ModuleList(
            DeformableEncoderLayer(feat_channels, num_heads,
                                   num_encoder_levels, num_points,
                                   ffn_channels, dropout)
            for _ in range(num_encoder_layers))
        fpn_in = self.in_channels[:len(in_channels) - num_encoder_levels]
        self.lateral_convs = nn.ModuleList(
            _conv_gn(c, feat_channels, 1, num_groups) for c in fpn_in[::-1])
        self.output_convs = nn.ModuleList(
            _conv_gn(feat_channels, feat_channels, 3, num_groups, relu=True)
            for _ in fpn_in)
        self.mask_feature = nn.Conv2d(feat_channels, out_channels, 1)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for proj in self.input_proj:
            nn.init.xavier_uniform_(proj[0].weight, gain=1)
            nn.init.zeros_(proj[0].bias)
        nn.init.normal_(self.level_embed)
        for seq in list(self.lateral_convs) + list(self.output_convs):
            _c2_xavier(seq[0])
        _c2_xavier(self.mask_feature)

    @staticmethod
    def reference_points(spatial_shapes: Tensor, batch: int,
                         device: torch.device, dtype: torch.dtype) -> Tensor:
        """Pixel centres of every level, normalised: (B, S, L, 2) as (x, y).
        """
        refs = []
        for h, w in spatial_shapes.tolist():
            ys = (torch.arange(h, device=device, dtype=dtype) + 0.5) / h
            xs = (torch.arange(w, device=device, dtype=dtype) + 0.5) / w
            ry, rx = torch.meshgrid(ys, xs, indexing='ij')
            refs.append(torch.stack([rx.flatten(), ry.flatten()], -1))
        ref = torch.cat(refs, 0)  # (S, 2)
        num_levels = spatial_shapes.shape[0]
        return ref[None, :, None, :].expand(batch, -1, num_levels, -1)

    def _encode(self, maps: List[Tensor]) -> List[Tensor]:
        """Run the deformable encoder on coarse-first maps (N, C_i, h, w)."""
        srcs, poss, shapes = [], [], []
        for lvl, x in enumerate(maps):
            # (N, C, h, w); oneDNN's convolution at inference
            src = sequential_conv_bn_act(self.input_proj[lvl], x)
            pos = self.pos_encoding(src) + self.level_embed[lvl][None, :,
                                                                  None, None]
            shapes.append(src.shape[-2:])
            # (N, C, h, w) -> (N, h*w, C)
            srcs.append(src.flatten(2).transpose(1, 2))
            poss.append(pos.flatten(2).transpose(1, 2))
        spatial_shapes = torch.as_tensor(shapes, dtype=torch.long,
                                         device=maps[0].device)
        x, pos = torch.cat(srcs, 1), torch.cat(poss, 1)  # (N, S, C)
        ref = self.reference_points(spatial_shapes, x.shape[0], x.device,
                                    x.dtype)
        for layer in self.encoder:
            x = layer(x, pos, ref, spatial_shapes)
        outs = x.split([h * w for h, w in shapes], dim=1)
        # (N, h*w, C) -> (N, C, h, w)
        return [o.transpose(1, 2).reshape(o.shape[0], -1, h, w)
                for o, (h, w) in zip(outs, shapes)]

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        """Decode backbone maps.

        Args:
            feats (Sequence[Tensor]): maps (N, in_channels[i], H_i, W_i) by
                increasing stride.

        Returns:
            tuple: ``mask_features`` (N, out_channels, H_0, W_0) at the finest
            stride, and ``multi_scale_features``, a list of the
            ``num_encoder_levels`` encoder maps (N, feat_channels, H_l, W_l)
            from coarse to fine (strides 32, 16, 8 for a ResNet).
        """
        if len(feats) != len(self.in_channels):
            raise ValueError(f'{type(self).__name__} expects '
                             f'{len(self.in_channels)} maps, got {len(feats)}')
        if self.fp32:
            with torch.autocast(feats[0].device.type, enabled=False):
                return self._decode([f.float() for f in feats])
        return self._decode(list(feats))

    def _decode(self, feats: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        """:meth:`forward` after the checks, in the inputs' dtype."""
        k = len(feats) - self.num_encoder_levels
        outs = self._encode(list(feats[k:])[::-1])
        multi_scale = list(outs)
        y = outs[-1]
        for i, x in enumerate(list(feats[:k])[::-1]):
            lateral = sequential_conv_bn_act(self.lateral_convs[i], x)
            y = lateral + F.interpolate(y, size=lateral.shape[-2:],
                                        mode='bilinear', align_corners=False)
            y = sequential_conv_bn_act(self.output_convs[i], y)
        # the usual (contiguous) layout, whatever ran inside
        return conv_bn_act(y, self.mask_feature).contiguous(), multi_scale
