"""WGAN-GP terms (Gulrajani et al., "Improved training of Wasserstein GANs"):
a critic's objective with gradient penalty, and the generator's term.

Used by :class:`~vostoolkit.models.segmentors.AdversarialTrainMixin`; any
critic of the ``CRITICS`` role fits (it maps (B, ...) samples to (B, 1, h, w)
scores without mixing samples).
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor
from torch.amp import GradScaler

from vostoolkit.models.base import BaseLoss
from vostoolkit.registry import LOSSES


def _full(x: Tensor) -> Tensor:
    """Half-precision tensors as float32 (float32 / float64 unchanged)."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def interpolates(real: Tensor, fake: Tensor) -> Tensor:
    """``a * real + (1 - a) * fake``, one ``a ~ U[0, 1]`` per sample, as a
    leaf that requires grad (float32 when the samples are half).

    Args:
        real (Tensor): (B, ...) real samples.
        fake (Tensor): (B, ...) generated samples.

    Returns:
        Tensor: (B, ...) interpolates.
    """
    real, fake = _full(real.detach()), _full(fake.detach())
    alpha_shape = (real.shape[0], ) + (1, ) * (real.dim() - 1)
    alpha = torch.rand(alpha_shape, device=real.device, dtype=real.dtype)
    interp = alpha * real + (1 - alpha) * fake
    return interp.requires_grad_(True)


def penalty_from_scores(scores: Tensor, interp: Tensor,
                        scaler: Optional[GradScaler] = None
                        ) -> Tuple[Tensor, Tensor]:
    """``E[(||grad_x D(x~)||_2 - 1)^2]`` from the (B,) scores of the
    (B, ...) interpolates.

    With a ``scaler`` (mixed precision with loss scaling) the PyTorch AMP
    recipe for gradient penalties is followed: the scores are scaled before
    ``autograd.grad`` so that small half-precision gradients do not flush
    to zero, and the gradients are unscaled (in float32) before the norm.
    The penalty then enters the loss that the scaler scales as usual; an
    overflow makes it inf / NaN, and the scaler skips that step.

    Returns:
        tuple[Tensor, Tensor]: the penalty (scalar, differentiable w.r.t.
        the critic's parameters) and the (B,) gradient norms (detached).
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


def sample_scores(critic: nn.Module, x: Tensor) -> Tensor:
    """(B,) scores of (B, ...) samples: the mean of each (B, 1, h, w) patch
    map, reduced in float32 under autocast."""
    return _full(critic(x)).flatten(1).mean(1)


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor,
                     scaler: Optional[GradScaler] = None
                     ) -> Tuple[Tensor, Tensor]:
    """WGAN-GP penalty ``E[(||grad_x D(x~)||_2 - 1)^2]``.

    ``x~ = a * real + (1 - a) * fake`` with one ``a ~ U[0, 1]`` per sample.
    The critic's score of a sample is the mean of its patch map, the same
    scalar the Wasserstein terms use, and its gradient is taken with respect
    to the whole input sample (all K frames for a temporal critic).

    Args:
        critic (nn.Module): Maps (B, ...) samples to (B, 1, h, w) scores;
            it must not mix samples (no batch normalisation).
        real (Tensor): (B, ...) real samples.
        fake (Tensor): (B, ...) generated samples (detached here).
        scaler (GradScaler, optional): The loss scaler of the critic's
            optimiser under float16 mixed precision (``AmpOptimWrapper``'s
            ``loss_scaler``), see :func:`penalty_from_scores`.

    Returns:
        tuple[Tensor, Tensor]: the penalty (scalar, float32 when the
        inputs are half) and the (B,) gradient norms (detached).
    """
    interp = interpolates(real, fake)
    return penalty_from_scores(sample_scores(critic, interp), interp, scaler)


@LOSSES.register_module()
class WGANGPCriticLoss(BaseLoss):
    """A critic's WGAN-GP objective, to minimise.

    The critic maximises ``E[D(real)] - E[D(fake)] - lambda_gp * GP``, so it
    minimises ``E[D(fake)] - E[D(real)] + lambda_gp * GP``.

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
        interp = interpolates(real, fake)
        batch = torch.cat([real, fake, interp])  # (3B, ...)
        scores = sample_scores(critic, batch)  # (3B,)
        s_real, s_fake, s_interp = scores.split(real.shape[0])
        gp, norms = penalty_from_scores(s_interp, interp, scaler)
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
class WGANGeneratorLoss(BaseLoss):
    """The generator's adversarial term: ``-loss_weight * E[D(fake)]``.

    Args:
        loss_weight (float): Weight of the term. Default: 1.
    """

    def forward(self, fake_scores: Tensor) -> Tensor:
        """Args: fake_scores (Tensor): (B, 1, h, w) critic scores of the
        generated samples (with a graph to the generator).

        Returns:
            Tensor: scalar.
        """
        return -self.loss_weight * fake_scores.mean()
