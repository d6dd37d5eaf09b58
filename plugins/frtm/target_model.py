"""FRTM-VOS target model D(x; w) = w2 * (w1 * x), learned online (sec. 3.1).

The module holds hyper-parameters only: the weights learned for an object
live in a :class:`FRTMTargetState` (one per object, reset per video), so one
``FRTMTargetModel`` serves every object of every video. Optimisation follows
the authors' code: residuals ``filter_reg * w`` for the regulariser,
Polak-Ribiere CG with a forgetting factor, and one extra ``w2``-only
Gauss-Newton step on the memory after the first-frame optimisation.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import vjp

from vostoolkit.models.base import BaseTargetModel
from vostoolkit.models.layers.conv_bn import few_output_conv2d
from vostoolkit.registry import TARGET_MODELS
from vostoolkit.utils.amp import float32_island

from .gauss_newton import CGState, gauss_newton_cg
from .memory import FRTMSampleMemory, initial_sample_weights
from .target_ops import filter_operator, frtm_pixel_weights
from .upsampled_l2 import apply_normal, upsampled_l2_terms


class FRTMTargetState:
    """Online state of one object's target model (outside any network).

    Attributes:
        w1 (Tensor | None): (c, C, 1, 1) projection learned on M0, then fixed.
        w2 (Tensor | None): (1, c, k, k) score filter, re-learned on updates.
        memory (FRTMSampleMemory): the sample memory M.
        cg (CGState): the conjugate-gradient direction kept between updates.
        current (Tensor | None): (1, c, h, w) projection of the frame last
            given to ``predict`` (the sample an update adds).
        num_frames (int): frames seen since the object was initialised.
        init_losses (list[float]): loss of eq. 2 before each first-frame
            Gauss-Newton step; ``update_losses`` the same for the last
            ``w2``-only step.
    """

    def __init__(self, memory: FRTMSampleMemory):
        self.memory = memory
        self.reset()

    def reset(self) -> None:
        """Forget the learned weights and the samples."""
        self.w1: Optional[Tensor] = None
        self.w2: Optional[Tensor] = None
        self.memory.reset()
        self.cg = CGState()
        self.current: Optional[Tensor] = None
        self.num_frames = 0
        self.num_updates = 0
        self.init_losses: List[float] = []
        self.update_losses: List[float] = []

    @property
    def initialized(self) -> bool:
        return self.w1 is not None


@TARGET_MODELS.register_module()
class FRTMTargetModel(BaseTargetModel):
    """The discriminative target model of FRTM-VOS, learned online.

    ``D(x; w) = w2 * (w1 * x)``: ``w1`` is a 1x1 convolution to
    ``num_filters`` channels, ``w2`` a ``filter_size`` convolution to one
    channel, no biases. Both start from PyTorch's default convolution init
    and are learned on the first-frame set M0 by ``num_gn_steps``
    Gauss-Newton steps (``cg_iters_first`` CG iterations in the first,
    ``cg_iters`` after) on eq. 2; then ``w2`` alone takes one more step of
    ``update_cg_iters`` on the memory (M0 projected by ``w1``). Later
    updates, every ``update_interval`` frames, repeat that ``w2``-only step
    on the memory, ``w1`` staying fixed.

    Args:
        in_channels (int): Channels of the input features (1024: conv4_x).
        num_filters (int): c, the channels after ``w1`` (96).
        filter_size (int): Kernel size of ``w2`` (3).
        filter_reg (Sequence[float]): Regularisation of ``w1``, ``w2``: the
            residuals are ``filter_reg[j] * w_j`` (the authors' code), so
            lambda_j of eq. 2 is its square.
        kappa_min (float): Minimum target influence of eq. 4.
        min_target_pixels (int): Labels with fewer target pixels are not
            pixel-weighted.
        num_gn_steps (int): N_GN on the first frame (5; 4 when fast).
        cg_iters_first (int): N_CGi, CG iterations of the first GN step.
        cg_iters (int): N_CG, CG iterations of the other GN steps.
        update_cg_iters (int): N_CGu, CG iterations of a ``w2`` step
            (10; 5 when fast).
        update_interval (int): t_s, update every this many frames (8).
        update (bool): False disables online updates ("no update" ablation).
        memory_size (int): K_max (80).
        learning_rate (float): eta of the sample weights (0.1).
        min_sample_pixels (int): Frames whose predicted mask has fewer target
            pixels (> 0.5) are not added to the memory (the authors' code);
            0 adds every frame as Algorithm 1.
        precond (Sequence[float], optional): Per-layer diagonal
            preconditioner of CG (the authors': 1e-4, 1e-2). None runs
            plain CG.
        cg_forget_factor (float): Forgetting factor of the CG direction
            carried between calls (the authors': ``0.9 ** 750``; 0
            restarts CG at every Gauss-Newton step).
        init_cfg (dict, optional): Unused (nothing is learned offline).
    """

    def __init__(self, in_channels: int = 1024, num_filters: int = 96,
                 filter_size: int = 3, *,
                 filter_reg: Sequence[float] = (1e-4, 1e-2),
                 kappa_min: float = 0.1, min_target_pixels: int = 10,
                 num_gn_steps: int = 5, cg_iters_first: int = 5,
                 cg_iters: int = 10, update_cg_iters: int = 10,
                 update_interval: int = 8, update: bool = True,
                 memory_size: int = 80, learning_rate: float = 0.1,
                 min_sample_pixels: int = 10,
                 precond: Optional[Sequence[float]] = (1e-4, 1e-2),
                 cg_forget_factor: float = 0.9**750,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if filter_size % 2 != 1:
            raise ValueError(f'filter_size must be odd, got {filter_size}')
        if len(filter_reg) != 2 or min(filter_reg) < 0:
            raise ValueError(f'filter_reg must be two non-negative values, '
                             f'got {filter_reg}')
        if num_gn_steps < 1 or update_interval < 1:
            raise ValueError('num_gn_steps and update_interval must be >= 1')
        self.in_channels = in_channels
        self.num_filters = num_filters
        self.filter_size = filter_size
        self.filter_reg = tuple(float(r) for r in filter_reg)
        self.kappa_min = kappa_min
        self.min_target_pixels = min_target_pixels
        self.num_gn_steps = num_gn_steps
        self.cg_iters_first = cg_iters_first
        self.cg_iters = cg_iters
        self.update_cg_iters = update_cg_iters
        self.update_interval = update_interval
        self.update_enabled = update
        self.memory_size = memory_size
        self.learning_rate = learning_rate
        self.min_sample_pixels = min_sample_pixels
        self.precond = None if precond is None else tuple(precond)
        self.cg_forget_factor = cg_forget_factor

    # ------------------------------------------------------------ the model
    def init_weights_random(self, like: Tensor,
                            generator: Optional[torch.Generator] = None
                            ) -> Tuple[Tensor, Tensor]:
        """``w1`` (c, C, 1, 1) and ``w2`` (1, c, k, k) drawn as PyTorch's
        default convolution init: uniform in +-1/sqrt(fan_in)."""
        k = self.filter_size
        shapes = ((self.num_filters, self.in_channels, 1, 1),
                  (1, self.num_filters, k, k))
        weights = []
        for shape in shapes:
            bound = 1.0 / math.sqrt(shape[1] * shape[2] * shape[3])
            w = torch.rand(shape, generator=generator, dtype=like.dtype,
                           device='cpu' if generator is None
                           else generator.device)
            weights.append(((2 * w - 1) * bound).to(like.device))
        return weights[0], weights[1]

    def project(self, feats: Tensor, w1: Tensor) -> Tensor:
        """``w1 * x``: (N, C, h, w) -> (N, c, h, w)."""
        if feats.device.type == 'cpu':  # a matrix product, here and in
            # its derivatives (conv2d's are slow under torch.func on CPU)
            n, _, h, w = feats.shape
            # (c, C) @ (N, C, h*w) -> (N, c, h*w)
            out = w1.flatten(1) @ feats.reshape(n, feats.shape[1], h * w)
            return out.view(n, -1, h, w)
        return F.conv2d(feats, w1)

    def filter(self, proj: Tensor, w2: Tensor) -> Tensor:
        """``w2 * z``: (N, c, h, w) -> (N, 1, h, w) scores."""
        pad = self.filter_size // 2
        if proj.device.type == 'cpu':  # one output: conv2d's slow path
            return few_output_conv2d(proj, w2, None, (pad, pad))
        return F.conv2d(proj, w2, padding=pad)

    def pixel_weights(self, labels: Tensor) -> Tensor:
        """Eq. 4 with this model's ``kappa_min`` (see
        :func:`frtm_pixel_weights`)."""
        return frtm_pixel_weights(labels, self.kappa_min,
                                  self.min_target_pixels)

    def loss(self, feats: Tensor, labels: Tensor, sample_weights: Tensor,
             w1: Tensor, w2: Tensor) -> Tensor:
        """Eq. 2 at the labels' resolution, as the authors compute it: 0-dim.

        Args:
            feats (Tensor): (S, C, h, w) features.
            labels (Tensor): (S, 1, H, W) labels.
            sample_weights (Tensor): (S,) gamma_k.
            w1 (Tensor): (c, C, 1, 1); w2 (Tensor): (1, c, k, k).
        """
        scores = F.interpolate(self.filter(self.project(feats, w1), w2),
                               size=labels.shape[-2:], mode='bilinear',
                               align_corners=False)
        data = (sample_weights.view(-1, 1, 1, 1) * self.pixel_weights(labels)
                * (scores - labels)**2).sum()
        r1, r2 = self.filter_reg
        return data + (r1 * w1).pow(2).sum() + (r2 * w2).pow(2).sum()

    def label_terms(self, labels: Tensor, size: Sequence[int]
                    ) -> Tuple[Tensor, Tensor, Tensor]:
        """Loss terms of (S, 1, H, W) labels for scores of ``size``, with
        eq. 4's pixel weights (see :func:`upsampled_l2_terms`)."""
        return upsampled_l2_terms(labels, self.pixel_weights(labels), size)

    def _linearize(self, score_fn, feats_terms, regs: Sequence[float],
                   tangent_fn):
        """``linearize`` of :func:`gauss_newton_cg` for eq. 2.

        ``score_fn(*params)`` gives (S, 1, h, w) scores; ``tangent_fn(params,
        cache, v)`` their derivative along ``v`` given the forward's cache.
        """
        stencils, rhs, consts, weights = feats_terms
        gamma = weights.view(-1, 1, 1, 1)

        def normal(s: Tensor) -> Tensor:  # sum_k gamma_k U^T V_k U s_k
            return gamma * apply_normal(stencils, s)

        def linearize(params):
            scores, pull_back, cache = vjp(score_fn, *params, has_aux=True)
            a_s = normal(scores)
            data = (scores * a_s).sum() - 2 * (gamma * scores * rhs).sum() \
                + (weights * consts).sum()
            reg = sum((r * p).pow(2).sum() for r, p in zip(regs, params))
            grad = pull_back(a_s - gamma * rhs)
            grad = tuple(g + r * r * p for g, r, p in zip(grad, regs, params))

            def normal_op(v):
                out = pull_back(normal(tangent_fn(params, cache, v)))
                return tuple(o + r * r * vi for o, r, vi in zip(out, regs, v))

            return data + reg, grad, normal_op

        return linearize

    # ------------------------------------------------------------ the role
    def new_state(self) -> FRTMTargetState:
        """An empty per-object state."""
        return FRTMTargetState(
            FRTMSampleMemory(self.memory_size, self.learning_rate))

    @float32_island
    def init_state(self, feats: Tensor, masks: Tensor, *,
                   weights: Optional[Tensor] = None,
                   generator: Optional[torch.Generator] = None,
                   state: Optional[FRTMTargetState] = None,
                   init: Optional[Tuple[Tensor, Tensor]] = None
                   ) -> FRTMTargetState:
        """Learn ``w1`` and ``w2`` on the first-frame set M0.

        Args:
            feats (Tensor): (S, C, h, w) features of M0; sample 0 is the
                original frame, the others its augmented copies.
            masks (Tensor): (S, 1, H, W) target masks.
            weights (Tensor, optional): (S,) sample weights; default: the
                original weighs twice each copy, normalised to sum to one.
            generator (torch.Generator, optional): For the random init.
            state (FRTMTargetState, optional): Reuse (and reset) this state.
            init (tuple[Tensor], optional): Starting ``(w1, w2)`` instead of
                a random draw.

        Returns:
            FRTMTargetState: learned weights and the memory filled with M0
            (features projected by the learned ``w1``).
        """
        self._check_feats(feats)
        if masks.dim() != 4 or masks.shape[0] != feats.shape[0]:
            raise ValueError(f'masks must be (S, 1, H, W) with S = '
                             f'{feats.shape[0]}, got {tuple(masks.shape)}')
        feats = feats.detach()
        labels = masks.detach().to(feats.dtype)
        if weights is None:
            weights = initial_sample_weights(feats.shape[0],
                                             device=feats.device,
                                             dtype=feats.dtype)
        weights = weights.to(feats) / weights.sum()
        with torch.no_grad():
            terms = self.label_terms(labels, feats.shape[-2:])
        w1, w2 = (self.init_weights_random(feats, generator) if init is None
                  else (init[0].to(feats), init[1].to(feats)))

        def score_fn(w1_, w2_):
            proj = self.project(feats, w1_)
            return self.filter(proj, w2_), proj

        def tangent_fn(params, proj, v):
            return self.filter(self.project(feats, v[0]), params[1]) + \
                self.filter(proj, v[1])

        linearize = self._linearize(score_fn, (*terms, weights),
                                    self.filter_reg, tangent_fn)
        cg_iters = [self.cg_iters_first] + [self.cg_iters] * (
            self.num_gn_steps - 1)
        result = gauss_newton_cg(linearize, (w1, w2), cg_iters, self.precond,
                                 CGState(self.cg_forget_factor))
        if state is None:
            state = self.new_state()
        state.reset()
        state.cg = CGState(self.cg_forget_factor)
        state.w1, state.w2 = result.params
        state.init_losses = result.losses
        with torch.no_grad():
            proj = self.project(feats, state.w1)
        state.memory.initialize(proj, *terms, weights)
        self.optimize_filter(state, self.update_cg_iters)
        state.num_updates = 0
        return state

    @float32_island
    def predict(self, state: FRTMTargetState, feats: Tensor) -> Tensor:
        """Coarse target scores ``D(x; w)``: (N, C, h, w) -> (N, 1, h, w).

        The projection of the features is kept in ``state.current`` for the
        next :meth:`update`.
        """
        if not state.initialized:
            raise RuntimeError('FRTMTargetModel.predict() on a state that '
                               'was not initialised (call init_state first)')
        self._check_feats(feats)
        state.current = self.project(feats.detach(), state.w1)
        return self.filter(state.current, state.w2)

    @float32_island
    def update(self, state: FRTMTargetState, feats: Tensor,
               mask: Tensor) -> bool:
        """Add a frame to the memory and re-learn ``w2`` when it is due.

        The frame counter advances on every call; ``w2`` is re-optimised
        when it reaches a multiple of ``update_interval`` (Algorithm 1) and
        the frame was added.

        Args:
            state (FRTMTargetState): The object's state.
            feats (Tensor): (1, C, h, w) features of the frame (projected
                again only when they are not the ones last predicted on).
            mask (Tensor): (1, 1, H, W) predicted mask in [0, 1], the label.

        Returns:
            bool: whether ``w2`` was re-optimised.
        """
        if not state.initialized:
            raise RuntimeError('FRTMTargetModel.update() before init_state')
        state.num_frames += 1
        if not self.update_enabled:
            return False
        if int((mask > 0.5).sum()) < self.min_sample_pixels:
            return False
        proj = state.current
        if proj is None or proj.shape[-2:] != feats.shape[-2:]:
            proj = self.project(feats.detach(), state.w1)
        with torch.no_grad():
            terms = self.label_terms(mask.detach().to(proj.dtype),
                                     proj.shape[-2:])
        state.memory.add(proj, *terms)
        if state.num_frames % self.update_interval != 0:
            return False
        self.optimize_filter(state, self.update_cg_iters)
        return True

    @float32_island
    def optimize_filter(self, state: FRTMTargetState, num_cg: int) -> None:
        """One Gauss-Newton step on ``w2`` alone over the memory.

        The scores are linear in ``w2``: ``w2 * z`` and its adjoint are
        evaluated as two matrix products with the memory's features (see
        :func:`_filter_operator`), the same numbers as ``conv2d`` and its
        weight gradient.
        """
        proj, stencils, rhs, consts, weights = state.memory.samples()
        apply, adjoint = filter_operator(proj, self.filter_size)
        gamma = weights.view(-1, 1, 1, 1)
        reg = self.filter_reg[1]

        def linearize(params):
            w2, = params
            scores = apply(w2)
            a_s = gamma * apply_normal(stencils, scores)
            loss = (scores * a_s).sum() - 2 * (gamma * scores * rhs).sum() \
                + (weights * consts).sum() + (reg * w2).pow(2).sum()
            grad = adjoint(a_s - gamma * rhs) + reg * reg * w2

            def normal_op(v):
                out = adjoint(gamma * apply_normal(stencils, apply(v[0])))
                return (out + reg * reg * v[0], )

            return loss, (grad, ), normal_op

        precond = None if self.precond is None else self.precond[1:]
        result = gauss_newton_cg(linearize, (state.w2, ), [num_cg], precond,
                                 state.cg)
        state.w2 = result.params[0]
        state.update_losses = result.losses
        state.num_updates += 1

    def _check_feats(self, feats: Tensor) -> None:
        if feats.dim() != 4 or feats.shape[1] != self.in_channels:
            raise ValueError(
                f'FRTMTargetModel expects (N, {self.in_channels}, h, w) '
                f'features, got {tuple(feats.shape)}; set in_channels to '
                f'the channels of the backbone map it reads')
