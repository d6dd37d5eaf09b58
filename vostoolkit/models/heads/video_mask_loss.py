"""Set-prediction losses of mask-tube heads: Hungarian matching per clip,
class cross-entropy, and mask BCE / dice on PointRend-sampled points, for
the last layer and every intermediate prediction (deep supervision)."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce, get_world_size
from torch import Tensor

from vostoolkit.registry import LOSSES, MATCHERS
from vostoolkit.models.task_modules import (
    calculate_uncertainty, get_uncertain_point_coords_with_randomness,
    point_sample)


def _default(cfg: Optional[dict], default: dict) -> dict:
    return dict(default) if cfg is None else dict(cfg)


class VideoMaskLossMixin:
    """Adds :meth:`loss` to a head whose forward returns lists of
    ``cls_logits`` (B, N, K + 1) and ``mask_logits`` (B, N, T, H, W).

    Defaults follow Mask2Former: matcher costs 2 / 5 / 5, class loss weight 2
    with no-object weight 0.1, mask BCE 5 (per frame), dice 5 (volumetric,
    NOVIS section 4.1).
    """

    def _init_losses(self, matcher: Optional[dict], loss_cls: Optional[dict],
                     loss_mask: Optional[dict], loss_dice: Optional[dict],
                     num_points: int, oversample_ratio: float,
                     importance_sample_ratio: float) -> None:
        self.matcher = MATCHERS.build(_default(
            matcher, dict(type='HungarianMatcher', cost_class=2.0,
                          cost_mask=5.0, cost_dice=5.0,
                          num_points=num_points)))
        self.loss_cls = LOSSES.build(_default(
            loss_cls, dict(type='CrossEntropyLoss', loss_weight=2.0,
                           no_object_weight=0.1)))
        self.loss_mask = LOSSES.build(_default(
            loss_mask, dict(type='MaskBCELoss', loss_weight=5.0)))
        self.loss_dice = LOSSES.build(_default(
            loss_dice, dict(type='DiceLoss', loss_weight=5.0,
                            volumetric=True)))
        self.num_points = num_points
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio

    @staticmethod
    def _avg_factor(targets: Sequence[dict], device: torch.device) -> float:
        """Ground-truth tubes in the batch, averaged over processes, >= 1."""
        num = torch.as_tensor(float(sum(len(t['labels']) for t in targets)),
                              device=device)
        if get_world_size() > 1:
            all_reduce(num, op='mean')
        return max(num.item(), 1.0)

    def _point_logits(self, src: Tensor, tgt: Tensor) -> Tuple[Tensor, Tensor]:
        """Sample matched tubes at importance points, per frame.

        Args:
            src (Tensor): (M, T, h, w) predicted logits.
            tgt (Tensor): (M, T, H, W) binary targets (same extent as src).

        Returns:
            tuple[Tensor, Tensor]: logits and targets (M, T, P).
        """
        m, t = src.shape[:2]
        src = src.flatten(0, 1)[:, None]  # (M, T, h, w) -> (M*T, 1, h, w)
        tgt = tgt.flatten(0, 1)[:, None].to(src.dtype)  # -> (M*T, 1, H, W)
        with torch.no_grad():
            coords = get_uncertain_point_coords_with_randomness(
                src, calculate_uncertainty, self.num_points,
                self.oversample_ratio, self.importance_sample_ratio)
            labels = point_sample(tgt, coords).squeeze(1)  # (M*T, P)
        logits = point_sample(src, coords).squeeze(1)  # (M*T, P)
        return logits.view(m, t, -1), labels.view(m, t, -1)  # (M, T, P)

    def loss_single(self, cls_logits: Tensor, mask_logits: Tensor,
                    targets: Sequence[dict], avg_factor: float
                    ) -> Dict[str, Tensor]:
        """Losses of one decoder prediction.

        Args:
            cls_logits (Tensor): (B, N, K + 1).
            mask_logits (Tensor): (B, N, T, h, w).
            targets (Sequence[dict]): per clip, ``labels`` (G,) long and
                ``masks`` (G, T, H, W) bool covering the same padded extent
                as the mask logits; fully occluded frames are empty.
            avg_factor (float): Normaliser of the mask losses.

        Returns:
            dict: ``loss_cls``, ``loss_mask``, ``loss_dice`` scalars.
        """
        b, n = cls_logits.shape[:2]
        labels = cls_logits.new_full((b, n), self.num_classes,
                                     dtype=torch.long)
        src, tgt = [], []
        for i, target in enumerate(targets):
            pred_idx, gt_idx = self.matcher.match(
                cls_logits[i].detach(), mask_logits[i].detach(),
                target['labels'], target['masks'])
            labels[i, pred_idx] = target['labels'][gt_idx].long()
            src.append(mask_logits[i][pred_idx])
            tgt.append(target['masks'][gt_idx])
        loss_cls = self.loss_cls(cls_logits.flatten(0, 1), labels.flatten())
        src, tgt = torch.cat(src), torch.cat(tgt)
        if src.shape[0] == 0:
            zero = mask_logits.sum() * 0.0
            return dict(loss_cls=loss_cls, loss_mask=zero, loss_dice=zero)
        logits, point_labels = self._point_logits(src, tgt)
        return dict(
            loss_cls=loss_cls,
            loss_mask=self.loss_mask(logits, point_labels, avg_factor),
            loss_dice=self.loss_dice(logits, point_labels, avg_factor))

    def loss(self, outputs: Dict[str, List[Tensor]],
             targets: Sequence[dict]) -> Dict[str, Tensor]:
        """Losses of every prediction of a forward pass.

        Args:
            outputs (dict): from ``forward``: ``cls_logits`` and
                ``mask_logits``, lists whose last entry is the final layer.
            targets (Sequence[dict]): see :meth:`loss_single`.

        Returns:
            dict: ``loss_cls``, ``loss_mask``, ``loss_dice`` of the last
            layer and ``d{i}.loss_*`` of the earlier predictions.
        """
        avg_factor = self._avg_factor(targets, outputs['cls_logits'][0].device)
        preds = list(zip(outputs['cls_logits'], outputs['mask_logits']))
        losses = {}
        for i, (cls_logits, mask_logits) in enumerate(preds):
            single = self.loss_single(cls_logits, mask_logits, targets,
                                      avg_factor)
            prefix = '' if i == len(preds) - 1 else f'd{i}.'
            losses.update({prefix + k: v for k, v in single.items()})
        return losses
