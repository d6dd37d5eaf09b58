"""FaSTGAN losses: balanced BCE (eq. 2) and WGAN-GP terms (eqs. 3-5)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.base import BaseLoss
from vostoolkit.models.losses import (WGANGeneratorLoss, WGANGPCriticLoss,
                                      gradient_penalty)
from vostoolkit.registry import LOSSES

__all__ = ['FaSTGANBalancedBCELoss', 'FaSTGANCriticLoss',
           'FaSTGANAdversarialLoss', 'gradient_penalty']


@LOSSES.register_module()
class FaSTGANBalancedBCELoss(BaseLoss):
    """Class-balanced binary cross-entropy of eq. 2, averaged over K frames.

    For each frame, ``beta = |Y^-| / |Y|`` is the share of background pixels
    (among valid pixels, soft targets counted fractionally) and::

        L = -[beta * sum_j y_j log p_j + (1 - beta) * sum_j (1 - y_j)
              log(1 - p_j)]

    Frames are averaged (the 1/K of eq. 2), then the batch.

    Two choices the paper leaves open:

    * ``pixel_reduction='mean'`` (default) divides each frame's sum by its
      number of valid pixels, so that ``lambda_CE = 100`` balances against
      the O(1) critic terms whatever the resolution; ``'sum'`` is eq. 2
      literally.
    * A frame with no foreground (or no background) pixel would get
      ``beta = 1`` (or 0) and zero loss whatever the prediction; such
      frames use ``beta = 0.5`` (plain BCE / 2) so that an object that left
      the frame still teaches the regressor to predict nothing.

    The balancing weighs the object ``beta / (1 - beta)`` times more than
    the background, so the loss is minimal for ``p > 0.5`` wherever the
    object's posterior exceeds ``1 - beta``: an uncertain model predicts
    dilated masks. ``balanced=False`` (``beta = 0.5`` everywhere, plain BCE
    / 2) is offered for short trainings (the CPU toy config).

    Args:
        loss_weight (float): lambda_CE. Default: 100.
        pixel_reduction (str): ``'mean'`` or ``'sum'``.
        balanced (bool): Use eq. 2's beta (default) or 0.5.
    """

    def __init__(self, loss_weight: float = 100.0,
                 pixel_reduction: str = 'mean', balanced: bool = True):
        super().__init__(loss_weight)
        if pixel_reduction not in ('mean', 'sum'):
            raise ValueError(f"pixel_reduction must be 'mean' or 'sum', got "
                             f'{pixel_reduction!r}')
        self.pixel_reduction = pixel_reduction
        self.balanced = balanced

    def forward(self, logits: Tensor, targets: Tensor,
                weights: Optional[Tensor] = None) -> Tensor:
        """Compute the weighted loss.

        Args:
            logits (Tensor): (N, K, H, W) mask logits.
            targets (Tensor): (N, K, H, W) targets in [0, 1].
            weights (Tensor, optional): (N, K, H, W) 1 for valid pixels, 0
                for void pixels and frames without annotation.

        Returns:
            Tensor: scalar; 0 (with a graph) when no pixel is valid.
        """
        targets = targets.to(logits.dtype)
        w = torch.ones_like(logits) if weights is None else weights.to(
            logits.dtype)
        pos = (w * targets).flatten(2).sum(-1)  # (N, K)
        neg = (w * (1 - targets)).flatten(2).sum(-1)
        total = pos + neg
        beta = torch.where(total > 0, neg / total.clamp(min=1e-12),
                           torch.zeros_like(total))
        degenerate = (pos <= 0) | (neg <= 0)
        if not self.balanced:
            degenerate = torch.ones_like(degenerate)
        beta = torch.where(degenerate, torch.full_like(beta, 0.5), beta)
        log_p = F.logsigmoid(logits)
        log_q = F.logsigmoid(-logits)
        frame_pos = (w * targets * log_p).flatten(2).sum(-1)
        frame_neg = (w * (1 - targets) * log_q).flatten(2).sum(-1)
        frame_loss = -(beta * frame_pos + (1 - beta) * frame_neg)  # (N, K)
        if self.pixel_reduction == 'mean':
            frame_loss = frame_loss / total.clamp(min=1)
        valid = total > 0
        if not bool(valid.any()):
            return logits.sum() * 0
        return self.loss_weight * frame_loss[valid].mean()


@LOSSES.register_module()
class FaSTGANCriticLoss(WGANGPCriticLoss):
    """A critic's WGAN-GP objective (eqs. 3 and 4), to minimise: the core's
    :class:`~vostoolkit.models.losses.WGANGPCriticLoss` under the paper's
    name.

    The critic maximises ``E[D(real)] - E[D(fake)] - lambda_gp * GP``, so it
    minimises ``E[D(fake)] - E[D(real)] + lambda_gp * GP``. For the spatial
    critic the K frames are samples of one batch, which realises the 1/K
    sum of eq. 3.

    Args:
        loss_weight (float): Scale of the objective. Default: 1.
        lambda_gp (float): Gradient penalty weight. Default: 10.
    """


@LOSSES.register_module()
class FaSTGANAdversarialLoss(WGANGeneratorLoss):
    """The generator's adversarial term: ``-lambda * E[D(fake)]`` (the
    core's :class:`~vostoolkit.models.losses.WGANGeneratorLoss`).

    In eqs. 3 and 4 only ``-E[D(fake)]`` depends on the regressor, which
    minimises it; ``loss_weight`` is lambda_S or lambda_T of eq. 5.

    Args:
        loss_weight (float): lambda_S or lambda_T. Default: 1.
    """
