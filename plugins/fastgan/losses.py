"""FaSTGAN losses: balanced BCE (eq. 2) and WGAN-GP terms (eqs. 3-5)."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.amp import GradScaler

from vostoolkit.models.base import BaseLoss
from vostoolkit.registry import LOSSES


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


def _full(x: Tensor) -> Tensor:
    """Half-precision tensors as float32 (float32 / float64 unchanged)."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _interpolates(real: Tensor, fake: Tensor) -> Tensor:
    """``a * real + (1 - a) * fake``, one ``a ~ U[0, 1]`` per sample, as a
    leaf that requires grad (float32 when the samples are half)."""
    real, fake = _full(real.detach()), _full(fake.detach())
    alpha_shape = (real.shape[0], ) + (1, ) * (real.dim() - 1)
    alpha = torch.rand(alpha_shape, device=real.device, dtype=real.dtype)
    interp = alpha * real + (1 - alpha) * fake
    return interp.requires_grad_(True)


def _penalty(scores: Tensor, interp: Tensor,
             scaler: Optional[GradScaler] = None) -> Tuple[Tensor, Tensor]:
    """Penalty from the (B,) scores of the (B, ...) interpolates.

    With a ``scaler`` (mixed precision with loss scaling) the PyTorch AMP
    recipe for gradient penalties is followed: the scores are scaled before
    ``autograd.grad`` so that small half-precision gradients do not flush
    to zero, and the gradients are unscaled (in float32) before the norm.
    The penalty then enters the loss that the scaler scales as usual; an
    overflow makes it inf / NaN, and the scaler skips that step.
    """
    out = scores.sum()
    if scaler is not None and scaler.is_enabled():
        out = scaler.scale(out)
    grads, = torch.autograd.grad(out, interp, create_graph=True)
    grads = _full(grads)
    if scaler is not None and scaler.is_enabled():
        grads = grads * (1.0 / scaler.get_scale())
    norms = grads.flatten(1).norm(2, dim=1)  # (B, ...) -> (B,)
    return ((norms - 1)**2).mean(), norms.detach()


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor,
                     scaler: Optional[GradScaler] = None
                     ) -> Tuple[Tensor, Tensor]:
    """WGAN-GP penalty ``E[(||grad_x D(x~)||_2 - 1)^2]`` (Gulrajani et al.).

    ``x~ = a * real + (1 - a) * fake`` with one ``a ~ U[0, 1]`` per sample.
    The critic's score of a sample is the mean of its patch map, the same
    scalar the Wasserstein terms use, and its gradient is taken with respect
    to the whole input sample (all K frames for the temporal critic).

    Args:
        critic (nn.Module): Maps (B, ...) samples to (B, 1, h, w) scores;
            it must not mix samples (no batch normalisation).
        real (Tensor): (B, ...) real samples.
        fake (Tensor): (B, ...) generated samples (detached here).
        scaler (GradScaler, optional): The loss scaler of the critic's
            optimiser under float16 mixed precision (``AmpOptimWrapper``'s
            ``loss_scaler``): the gradient is taken of the scaled scores
            and unscaled (see :func:`_penalty`).

    Returns:
        tuple[Tensor, Tensor]: the penalty (scalar, float32 when the
        inputs are half, differentiable w.r.t. the critic's parameters)
        and the (B,) gradient norms (detached).
    """
    interp = _interpolates(real, fake)
    # (B, 1, h, w) -> (B,), reduced in float32 under autocast
    scores = _full(critic(interp)).flatten(1).mean(1)
    return _penalty(scores, interp, scaler)


@LOSSES.register_module()
class FaSTGANCriticLoss(BaseLoss):
    """A critic's WGAN-GP objective (eqs. 3 and 4), to minimise.

    The critic maximises ``E[D(real)] - E[D(fake)] - lambda_gp * GP``, so it
    minimises ``E[D(fake)] - E[D(real)] + lambda_gp * GP``. For the spatial
    critic the K frames are samples of one batch, which realises the 1/K
    sum of eq. 3.

    Args:
        loss_weight (float): Scale of the objective. Default: 1.
        lambda_gp (float): Gradient penalty weight. Default: 10.
    """

    def __init__(self, loss_weight: float = 1.0, lambda_gp: float = 10.0):
        super().__init__(loss_weight)
        self.lambda_gp = lambda_gp

    def terms(self, critic: nn.Module, real: Tensor, fake: Tensor,
              scaler: Optional[GradScaler] = None) -> Dict[str, Tensor]:
        """Unweighted parts of the objective, from one critic forward over
        real, generated and interpolated samples.

        Args:
            critic (nn.Module): The critic.
            real (Tensor): (B, ...) real samples.
            fake (Tensor): (B, ...) generated samples (detached here).
            scaler (GradScaler, optional): The critic optimiser's loss
                scaler under float16 mixed precision (see
                :func:`gradient_penalty`).

        Returns:
            dict[str, Tensor]: ``wdist`` (E[D(real)] - E[D(fake)], the
            critic's Wasserstein estimate), ``gp`` (the penalty) and
            ``grad_norm`` (mean gradient norm on the interpolates).
        """
        real, fake = _full(real.detach()), _full(fake.detach())
        interp = _interpolates(real, fake)
        batch = torch.cat([real, fake, interp])  # (3B, ...)
        # (3B, 1, h, w) -> (3B,), reduced in float32 under autocast
        scores = _full(critic(batch)).flatten(1).mean(1)
        s_real, s_fake, s_interp = scores.split(real.shape[0])
        gp, norms = _penalty(s_interp, interp, scaler)
        return dict(wdist=s_real.mean() - s_fake.mean(), gp=gp,
                    grad_norm=norms.mean())

    def objective(self, terms: Dict[str, Tensor]) -> Tensor:
        """``loss_weight * (lambda_gp * gp - wdist)`` from :meth:`terms`."""
        return self.loss_weight * (self.lambda_gp * terms['gp'] -
                                   terms['wdist'])

    def forward(self, critic: nn.Module, real: Tensor,
                fake: Tensor) -> Tensor:
        """The weighted objective (scalar) to minimise."""
        return self.objective(self.terms(critic, real, fake))


@LOSSES.register_module()
class FaSTGANAdversarialLoss(BaseLoss):
    """The generator's adversarial term: ``-lambda * E[D(fake)]``.

    In eqs. 3 and 4 only ``-E[D(fake)]`` depends on the regressor, which
    minimises it; ``loss_weight`` is lambda_S or lambda_T of eq. 5.

    Args:
        loss_weight (float): lambda_S or lambda_T. Default: 1.
    """

    def forward(self, fake_scores: Tensor) -> Tensor:
        """Args: fake_scores (Tensor): (B, 1, h, w) critic scores of the
        generated samples (with a graph to the regressor).

        Returns:
            Tensor: scalar.
        """
        return -self.loss_weight * fake_scores.mean()
