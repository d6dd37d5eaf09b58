"""Hungarian matching of predicted mask tubes to ground-truth tubes."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from vostoolkit.models.base import BaseMatcher
from vostoolkit.registry import MATCHERS

from .point_sample import point_sample


def pairwise_sigmoid_bce(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean BCE of every prediction against every target.

    Args:
        logits (Tensor): (Q, D) logits.
        targets (Tensor): (G, D) binary targets.

    Returns:
        Tensor: (Q, G) BCE averaged over the D elements.
    """
    pos = F.binary_cross_entropy_with_logits(
        logits, torch.ones_like(logits), reduction='none')  # (Q, D)
    neg = F.binary_cross_entropy_with_logits(
        logits, torch.zeros_like(logits), reduction='none')
    cost = pos @ targets.T + neg @ (1 - targets).T  # (Q, G)
    return cost / logits.shape[1]


def pairwise_dice(logits: Tensor, targets: Tensor, eps: float = 1.0
                  ) -> Tensor:
    """Dice loss ``1 - (2|s.y| + eps) / (|s| + |y| + eps)`` for every pair.

    Args:
        logits (Tensor): (Q, D) logits (sigmoid inside).
        targets (Tensor): (G, D) binary targets.
        eps (float): Smoothing.

    Returns:
        Tensor: (Q, G).
    """
    probs = logits.sigmoid()
    inter = probs @ targets.T  # (Q, G)
    total = probs.sum(-1)[:, None] + targets.sum(-1)[None, :]
    return 1 - (2 * inter + eps) / (total + eps)


@MATCHERS.register_module()
class HungarianMatcher(BaseMatcher):
    """One-to-one matching of N query tubes to G ground-truth tubes of a clip.

    The cost of query q and ground truth g is
    ``cost_class * -p_q(c_g) + cost_mask * BCE + cost_dice * dice``, the mask
    terms over the whole T-frame tube (Mask2Former-VIS), evaluated on
    ``num_points`` random points per frame shared by all frames, predictions
    and targets; ``num_points=0`` uses every pixel (predictions resized to
    the target size). Minimised with ``scipy.optimize.linear_sum_assignment``.

    Args:
        cost_class (float): Weight of the class cost.
        cost_mask (float): Weight of the mask BCE cost.
        cost_dice (float): Weight of the dice cost.
        num_points (int): Points per frame; 0 for all pixels.
    """

    def __init__(self, cost_class: float = 2.0, cost_mask: float = 5.0,
                 cost_dice: float = 5.0, num_points: int = 12544):
        self.cost_class, self.cost_mask = cost_class, cost_mask
        self.cost_dice, self.num_points = cost_dice, num_points

    def _sample(self, mask_logits: Tensor, gt_masks: Tensor
                ) -> Tuple[Tensor, Tensor]:
        q, t = mask_logits.shape[:2]
        g = gt_masks.shape[0]
        gt = gt_masks.to(mask_logits.dtype)
        if not self.num_points:
            if mask_logits.shape[-2:] != gt.shape[-2:]:
                mask_logits = F.interpolate(
                    mask_logits, size=gt.shape[-2:], mode='bilinear',
                    align_corners=False)
            # (Q, T*H*W), (G, T*H*W)
            return mask_logits.flatten(1), gt.flatten(1)
        coords = torch.rand(1, self.num_points, 2, device=mask_logits.device)
        # (1, Q*T, P)
        pred = point_sample(mask_logits.flatten(0, 1)[None], coords)
        tgt = point_sample(gt.flatten(0, 1)[None], coords)  # (1, G*T, P)
        return pred.view(q, -1), tgt.view(g, -1)  # (Q, T*P), (G, T*P)

    def cost_matrix(self, cls_logits: Tensor, mask_logits: Tensor,
                    gt_labels: Tensor, gt_masks: Tensor) -> Tensor:
        """Matching cost of every query against every ground truth.

        Args:
            cls_logits (Tensor): (Q, K + 1) class logits (last: no object).
            mask_logits (Tensor): (Q, T, h, w) mask logits.
            gt_labels (Tensor): (G,) long labels in [0, K).
            gt_masks (Tensor): (G, T, H, W) binary masks; absent frames are
                empty.

        Returns:
            Tensor: (Q, G) costs.
        """
        if mask_logits.shape[1] != gt_masks.shape[1]:
            raise ValueError(f'prediction has {mask_logits.shape[1]} frames, '
                             f'ground truth {gt_masks.shape[1]}')
        probs = cls_logits.float().softmax(-1)
        cost = -self.cost_class * probs[:, gt_labels]  # (Q, G)
        pred, tgt = self._sample(mask_logits.float(), gt_masks)
        cost = cost + self.cost_mask * pairwise_sigmoid_bce(pred, tgt)
        return cost + self.cost_dice * pairwise_dice(pred, tgt)

    @torch.no_grad()
    def match(self, cls_logits: Tensor, mask_logits: Tensor,
              gt_labels: Tensor, gt_masks: Tensor,
              cost: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Minimum-cost one-to-one assignment.

        Args: as :meth:`cost_matrix`; ``cost`` (Q, G) skips computing it.

        Returns:
            tuple[Tensor, Tensor]: ``pred_idx`` and ``gt_idx`` (min(Q, G),)
            long, sorted by ``pred_idx``.
        """
        device = cls_logits.device
        if gt_labels.numel() == 0:
            empty = torch.zeros(0, dtype=torch.long, device=device)
            return empty, empty.clone()
        if cost is None:
            cost = self.cost_matrix(cls_logits, mask_logits, gt_labels,
                                    gt_masks)
        cost = torch.nan_to_num(cost.float(), nan=1e8, posinf=1e8,
                                neginf=-1e8)
        rows, cols = linear_sum_assignment(cost.cpu().numpy())
        return (torch.as_tensor(rows, dtype=torch.long, device=device),
                torch.as_tensor(cols, dtype=torch.long, device=device))
