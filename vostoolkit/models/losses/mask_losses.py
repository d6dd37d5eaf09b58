"""Mask losses on sampled points of mask tubes: per-frame BCE and dice.

Both take logits and binary targets of shape (M, T, P): M matched tubes, T
frames, P points per frame (or all pixels of a frame, flattened); (M, P) is
read as one frame. Frames where an object is fully occluded or absent are
kept, with all-zero targets (NOVIS section 4.1). Each tube's loss is summed
over tubes and divided by ``avg_factor`` (the number of ground-truth tubes in
the batch, averaged over processes by the caller), default M.
"""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.base import BaseLoss
from vostoolkit.registry import LOSSES


def _as_tubes(logits: Tensor, targets: Tensor):
    if logits.shape != targets.shape:
        raise ValueError(f'logits {tuple(logits.shape)} and targets '
                         f'{tuple(targets.shape)} differ in shape')
    if logits.dim() == 2:
        # (M, P) -> (M, 1, P)
        return logits[:, None].float(), targets[:, None].float()
    if logits.dim() != 3:
        raise ValueError(f'expected (M, T, P) or (M, P), got '
                         f'{tuple(logits.shape)}')
    return logits.float(), targets.float()


def _reduce(per_tube: Tensor, avg_factor: Optional[float]) -> Tensor:
    denom = per_tube.shape[0] if avg_factor is None else avg_factor
    return per_tube.sum() / max(float(denom), 1e-6)


@LOSSES.register_module()
class MaskBCELoss(BaseLoss):
    """Binary cross-entropy computed per frame, then averaged over frames.

    A tube's loss is ``mean_t mean_p BCE(x_tp, y_tp)``: every frame weighs the
    same, however many of its pixels are foreground, so a tube occluded in
    several frames does not drown its visible frames (NOVIS section 4.1).

    Args:
        loss_weight (float): Scale of the returned loss.
    """

    def forward(self, logits: Tensor, targets: Tensor,
                avg_factor: Optional[float] = None) -> Tensor:
        """Args:
            logits (Tensor): (M, T, P) or (M, P) logits.
            targets (Tensor): same shape, values in {0, 1}.
            avg_factor (float, optional): Divisor of the summed tube losses.

        Returns:
            Tensor: scalar loss.
        """
        x, y = _as_tubes(logits, targets)
        bce = F.binary_cross_entropy_with_logits(x, y, reduction='none')
        per_tube = bce.mean(-1).mean(-1)  # (M, T, P) -> (M,)
        return self.loss_weight * _reduce(per_tube, avg_factor)


@LOSSES.register_module()
class DiceLoss(BaseLoss):
    """Dice loss ``1 - (2 sum(s y) + eps) / (sum(s) + sum(y) + eps)``.

    With ``volumetric=True`` (NOVIS) the sums run over the whole clip volume,
    one dice per tube; otherwise one dice per frame, averaged over frames (a
    frame where prediction and target are both empty scores 0).

    Args:
        loss_weight (float): Scale of the returned loss.
        volumetric (bool): One dice over all frames of a tube.
        eps (float): Smoothing added to numerator and denominator.
    """

    def __init__(self, loss_weight: float = 1.0, volumetric: bool = True,
                 eps: float = 1.0):
        super().__init__(loss_weight)
        self.volumetric, self.eps = volumetric, eps

    def forward(self, logits: Tensor, targets: Tensor,
                avg_factor: Optional[float] = None) -> Tensor:
        """Args:
            logits (Tensor): (M, T, P) or (M, P) logits.
            targets (Tensor): same shape, values in {0, 1}.
            avg_factor (float, optional): Divisor of the summed tube losses.

        Returns:
            Tensor: scalar loss.
        """
        x, y = _as_tubes(logits, targets)
        s = x.sigmoid()
        if self.volumetric:
            s, y = s.flatten(1), y.flatten(1)  # (M, T, P) -> (M, T*P)
        inter = (s * y).sum(-1)
        dice = 1 - (2 * inter + self.eps) / (s.sum(-1) + y.sum(-1) + self.eps)
        per_tube = dice if self.volumetric else dice.mean(-1)  # (M,)
        return self.loss_weight * _reduce(per_tube, avg_factor)
