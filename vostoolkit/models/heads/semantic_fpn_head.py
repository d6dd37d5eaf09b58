"""A light FPN semantic head: per-pixel class logits from multi-scale maps.

Used to pretrain a backbone on the frames of an instance-labelled video
dataset (:class:`~vostoolkit.models.segmentors.FrameSemanticPretrainer`):
every pixel is supervised with its instance's category, or background.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vostoolkit.models.base import BaseSemanticHead
from vostoolkit.registry import HEADS


def sample_cell_centres(labels: Tensor, size) -> Tensor:
    """(N, H, W) label maps read at the centres of an (h, w) grid of
    cells covering them, (N, h, w)."""
    big_h, big_w = labels.shape[-2:]
    h, w = size
    ys = ((torch.arange(h, device=labels.device) + 0.5) * big_h / h).long()
    xs = ((torch.arange(w, device=labels.device) + 0.5) * big_w / w).long()
    return labels[:, ys][:, :, xs]


@HEADS.register_module()
class SemanticFPNHead(BaseSemanticHead):
    """Lateral 1x1 convolutions, top-down sum at the finest given scale,
    one 3x3 conv + GroupNorm + ReLU, then a 1x1 classifier.

    Args:
        in_channels (Sequence[int]): Channels of the maps given to
            :meth:`forward`, finest first.
        num_classes (int): Foreground categories K; the head predicts K + 1
            logits with index 0 the background.
        channels (int): Width of the head.
        num_groups (int): GroupNorm groups.
        background_weight (float): Cross-entropy weight of the background
            class (objects are a small part of most frames).
        loss_weight (float): Weight of the loss.
        upsample_logits (bool): Compute the loss on logits up-sampled to
            the labels' size (default); False compares the logits at their
            own scale with the labels at each cell's centre, several times
            cheaper on CPU (the up-sampling's backward dominates the head).
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, in_channels: Sequence[int], num_classes: int, *,
                 channels: int = 64, num_groups: int = 8,
                 background_weight: float = 0.2, loss_weight: float = 1.0,
                 upsample_logits: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1 or not in_channels:
            raise ValueError('SemanticFPNHead needs num_classes >= 1 and at '
                             'least one input level')
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.upsample_logits = upsample_logits
        self.laterals = nn.ModuleList(
            nn.Conv2d(c, channels, 1) for c in in_channels)
        self.fuse = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.GroupNorm(num_groups, channels), nn.ReLU(inplace=True))
        self.classifier = nn.Conv2d(channels, num_classes + 1, 1)
        weight = torch.ones(num_classes + 1)
        weight[0] = background_weight
        self.register_buffer('class_weight', weight, persistent=False)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Args:
            feats (Sequence[Tensor]): (N, C_i, H_i, W_i), finest first.

        Returns:
            Tensor: (N, K + 1, H_0, W_0) logits at the finest given scale.
        """
        x = self.laterals[0](feats[0])
        for lateral, feat in zip(self.laterals[1:], feats[1:]):
            x = x + F.interpolate(lateral(feat), size=x.shape[-2:],
                                  mode='bilinear', align_corners=False)
        return self.classifier(self.fuse(x))

    def loss(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """Weighted per-pixel cross-entropy, at the labels' resolution or,
        without ``upsample_logits``, at the logits' (labels sampled at the
        centre of each logit cell).

        Args:
            logits (Tensor): (N, K + 1, h, w) from :meth:`forward`.
            labels (Tensor): (N, H, W) long, 0 background, k in 1..K the
                category, -1 ignored (padding).

        Returns:
            dict: ``loss_sem`` and, for the log, ``acc_fg`` (pixel accuracy
            on foreground pixels).
        """
        if self.upsample_logits:
            logits = F.interpolate(logits, size=labels.shape[-2:],
                                   mode='bilinear', align_corners=False)
        else:
            labels = sample_cell_centres(labels, logits.shape[-2:])
        loss = F.cross_entropy(logits, labels, weight=self.class_weight,
                               ignore_index=-1)
        with torch.no_grad():
            fg = labels > 0
            hits = (logits.argmax(1) == labels) & fg
            acc = hits.sum() / fg.sum().clamp(min=1)
        return dict(loss_sem=self.loss_weight * loss, acc_fg=acc)

    def logits_at(self, feats: Sequence[Tensor], size) -> Tensor:
        """(N, K + 1, H, W) logits bilinearly resized to ``size`` (H, W)."""
        return F.interpolate(self(feats), size=tuple(size), mode='bilinear',
                             align_corners=False)

    def predict(self, feats: Sequence[Tensor], size) -> Tensor:
        """(N, H, W) label maps (0 background) at ``size`` (H, W)."""
        return self.logits_at(feats, size).argmax(1)
