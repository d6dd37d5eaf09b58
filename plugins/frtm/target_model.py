"""FRTM-VOS target model D(x; w) = w2 * (w1 * x), learned online (sec. 3.1).

The module holds hyper-parameters only: the weights learned for an object
live in a :class:`FRTMTargetState` (one per object, reset per video), so one
``FRTMTargetModel`` serves every object of every video.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.base import BaseTargetModel
from vostoolkit.registry import TARGET_MODELS

from .gauss_newton import gauss_newton_cg, residual_loss
from .memory import FRTMSampleMemory, initial_sample_weights


def frtm_pixel_weights(labels: Tensor, kappa_min: float = 0.1,
                       min_pixels: int = 10) -> Tensor:
    """Pixel weights v_k of eq. 4 balancing target and background.

    With the target fraction ``kappa_hat = mean(y)`` and the desired target
    influence ``kappa = max(kappa_min, kappa_hat)``, target pixels weigh
    ``kappa / kappa_hat`` and background pixels ``(1 - kappa) / (1 -
    kappa_hat)``, so that target pixels hold at least ``kappa_min`` of the
    total weight. (The paper prints ``min``, which would *lower* the weight
    of small targets, against the stated aim; the authors' code uses the
    ``max`` reading.) Weights multiply the *squared* residuals. Labels with
    fewer than ``min_pixels`` target pixels (empty masks included) are not
    re-weighted.

    Args:
        labels (Tensor): (S, 1, H, W) labels; values above 0.5 are target.
        kappa_min (float): Minimum target influence (0.1 in the paper).
        min_pixels (int): Smallest target (pixels) that gets re-weighted.

    Returns:
        Tensor: (S, 1, H, W) pixel weights, floating point.
    """
    dtype = labels.dtype if labels.is_floating_point() else torch.float32
    target = (labels > 0.5).to(dtype)
    num_pixels = labels.shape[-2] * labels.shape[-1]
    num_target = target.sum(dim=(-2, -1), keepdim=True)  # (S, 1, 1, 1)
    kappa_hat = num_target / num_pixels
    kappa = kappa_hat.clamp(min=kappa_min)
    reweight = (num_target >= max(min_pixels, 1)) & (kappa_hat < kappa_min)
    # where no re-weighting happens, any value in (0, 1) keeps the divisions
    # finite; the result is replaced by 1 there
    safe_hat = torch.where(reweight, kappa_hat, torch.full_like(kappa_hat, .5))
    one = torch.ones_like(kappa_hat)
    w_target = torch.where(reweight, kappa / safe_hat, one)
    w_background = torch.where(reweight, (1 - kappa) / (1 - safe_hat), one)
    return w_target * target + w_background * (1 - target)


class FRTMTargetState:
    """Online state of one object's target model (outside any network).

    Attributes:
        w1 (Tensor | None): (c, C, 1, 1) projection learned on M0, then fixed.
        w2 (Tensor | None): (1, c, k, k) score filter, re-learned on updates.
        memory (FRTMSampleMemory): the sample memory M.
        num_frames (int): frames seen since the object was initialised.
        init_losses (list[float]): loss of eq. 2 along the first-frame
            Gauss-Newton steps; ``update_losses`` the same for the last
            update.
    """

    def __init__(self, memory: FRTMSampleMemory):
        self.memory = memory
        self.reset()

    def reset(self) -> None:
        """Forget the learned weights and the samples."""
        self.w1: Optional[Tensor] = None
        self.w2: Optional[Tensor] = None
        self.memory.reset()
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
    channel, no biases. Both are drawn Kaiming-normal and learned on the
    first-frame set M0 by ``num_gn_steps`` Gauss-Newton steps
    (``cg_iters_first`` CG iterations in the first, ``cg_iters`` after) on
    eq. 2; later updates, every ``update_interval`` frames, re-learn ``w2``
    alone on the memory with one Gauss-Newton step of ``update_cg_iters`` CG
    iterations (the problem is linear in ``w2``), ``w1`` staying fixed.

    Args:
        in_channels (int): Channels of the input features (1024: conv4_x).
        num_filters (int): c, the channels after ``w1`` (96; 32 when fast).
        filter_size (int): Kernel size of ``w2`` (3).
        filter_reg (Sequence[float]): lambda_1, lambda_2 of eq. 2 (the
            authors' code: 1e-4 and 1e-2; the paper leaves them open).
        kappa_min (float): Minimum target influence of eq. 4.
        min_target_pixels (int): Labels with fewer target pixels are not
            pixel-weighted.
        num_gn_steps (int): N_GN on the first frame (5; 4 when fast).
        cg_iters_first (int): N_CGi, CG iterations of the first GN step.
        cg_iters (int): N_CG, CG iterations of the other GN steps.
        update_cg_iters (int): N_CGu, CG iterations of an update (10; 5).
        update_interval (int): t_s, update every this many frames (8; 16).
        update (bool): False disables online updates ("no update" ablation).
        memory_size (int): K_max (80).
        learning_rate (float): eta of the sample weights (0.1).
        min_sample_pixels (int): Frames whose predicted mask has fewer target
            pixels (> 0.5) are not added to the memory (the authors' code
            skips them, so an occluded object does not teach its model that
            it is absent); 0 adds every frame as Algorithm 1.
        precond (Sequence[float], optional): Per-layer diagonal
            preconditioner of CG; default: the regularisation weights, as
            the authors' code. None runs plain CG.
        label_stride (int): Labels are area-averaged by this factor before
            the loss (1: the given resolution, as the paper; larger values
            trade accuracy for speed and memory on CPU).
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
                 label_stride: int = 1,
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
        if label_stride < 1:
            raise ValueError(f'label_stride must be >= 1, got {label_stride}')
        self.label_stride = label_stride

    # ------------------------------------------------------------ the model
    def init_weights_random(self, like: Tensor,
                            generator: Optional[torch.Generator] = None
                            ) -> Tuple[Tensor, Tensor]:
        """Kaiming-normal ``w1`` (c, C, 1, 1) and ``w2`` (1, c, k, k).

        Each weight is drawn from N(0, 2 / fan_in), on ``like``'s device and
        dtype.
        """
        k = self.filter_size
        shapes = ((self.num_filters, self.in_channels, 1, 1),
                  (1, self.num_filters, k, k))
        weights = []
        for shape in shapes:
            fan_in = shape[1] * shape[2] * shape[3]
            w = torch.randn(shape, generator=generator, dtype=like.dtype,
                            device='cpu' if generator is None
                            else generator.device)
            weights.append((w * math.sqrt(2.0 / fan_in)).to(like.device))
        return weights[0], weights[1]

    def project(self, feats: Tensor, w1: Tensor) -> Tensor:
        """``w1 * x``: (N, C, h, w) -> (N, c, h, w)."""
        return F.conv2d(feats, w1)

    def filter(self, proj: Tensor, w2: Tensor) -> Tensor:
        """``w2 * z``: (N, c, h, w) -> (N, 1, h, w) scores."""
        return F.conv2d(proj, w2, padding=self.filter_size // 2)

    @staticmethod
    def upsample(scores: Tensor, size: Sequence[int]) -> Tensor:
        """U: bilinear up-sampling of (N, 1, h, w) scores to ``size``."""
        if tuple(scores.shape[-2:]) == tuple(size):
            return scores
        return F.interpolate(scores, size=tuple(size), mode='bilinear',
                             align_corners=False)

    def residuals(self, feats: Tensor, labels: Tensor, sqrt_weights: Tensor,
                  w1: Optional[Tensor], w2: Tensor,
                  with_w1_reg: bool = True) -> Tuple[Tensor, ...]:
        """Residuals r_w of eq. 3, whose squared sum is the loss of eq. 2.

        Args:
            feats (Tensor): (S, C, h, w) features; when ``w1`` is None they
                are already projected, (S, c, h, w).
            labels (Tensor): (S, 1, H, W) labels.
            sqrt_weights (Tensor): (S, 1, H, W) ``sqrt(gamma_k * v_k)``.
            w1 (Tensor | None): (c, C, 1, 1) projection.
            w2 (Tensor): (1, c, k, k) filter.
            with_w1_reg (bool): Include ``sqrt(lambda_1) w1`` (only when
                ``w1`` is given).

        Returns:
            tuple[Tensor]: data residuals (S, 1, H, W), then
            ``sqrt(lambda_j) w_j`` for the regularised layers.
        """
        proj = feats if w1 is None else self.project(feats, w1)
        scores = self.upsample(self.filter(proj, w2), labels.shape[-2:])
        data = sqrt_weights * (scores - labels)
        reg1, reg2 = (math.sqrt(r) for r in self.filter_reg)
        if w1 is None or not with_w1_reg:
            return data, reg2 * w2
        return data, reg1 * w1, reg2 * w2

    def loss(self, feats: Tensor, labels: Tensor, sample_weights: Tensor,
             w1: Optional[Tensor], w2: Tensor,
             pixel_weights: Optional[Tensor] = None) -> Tensor:
        """The loss of eq. 2 (a 0-dim tensor); arguments as in
        :meth:`residuals`, ``sample_weights`` (S,) and optional pixel weights
        (S, 1, H, W) (default: eq. 4 of ``labels``)."""
        if pixel_weights is None:
            pixel_weights = self.pixel_weights(labels)
        sqrt_w = (sample_weights.view(-1, 1, 1, 1) * pixel_weights).sqrt()
        return residual_loss(self.residuals(feats, labels, sqrt_w, w1, w2))

    def prepare_labels(self, masks: Tensor) -> Tensor:
        """Area-average (S, 1, H, W) masks by ``label_stride``."""
        if self.label_stride == 1:
            return masks
        size = [max(1, round(n / self.label_stride))
                for n in masks.shape[-2:]]
        return F.interpolate(masks, size=size, mode='area')

    def pixel_weights(self, labels: Tensor) -> Tensor:
        """Eq. 4 with this model's ``kappa_min`` (see
        :func:`frtm_pixel_weights`)."""
        return frtm_pixel_weights(labels, self.kappa_min,
                                  self.min_target_pixels)

    # ------------------------------------------------------------ the role
    def new_state(self) -> FRTMTargetState:
        """An empty per-object state."""
        return FRTMTargetState(
            FRTMSampleMemory(self.memory_size, self.learning_rate))

    def init_state(self, feats: Tensor, masks: Tensor,
                   weights: Optional[Tensor] = None,
                   generator: Optional[torch.Generator] = None,
                   state: Optional[FRTMTargetState] = None
                   ) -> FRTMTargetState:
        """Learn ``w1`` and ``w2`` on the first-frame set M0.

        Args:
            feats (Tensor): (S, C, h, w) features of M0; sample 0 is the
                original frame, the others its augmented copies.
            masks (Tensor): (S, 1, H, W) target masks (H, W >= h, w).
            weights (Tensor, optional): (S,) sample weights; default: the
                original weighs twice each copy, normalised to sum to one.
            generator (torch.Generator, optional): For the random init.
            state (FRTMTargetState, optional): Reuse (and reset) this state.

        Returns:
            FRTMTargetState: learned weights and the memory filled with M0
            (features projected by the learned ``w1``).
        """
        self._check_feats(feats)
        if masks.dim() != 4 or masks.shape[0] != feats.shape[0]:
            raise ValueError(f'masks must be (S, 1, H, W) with S = '
                             f'{feats.shape[0]}, got {tuple(masks.shape)}')
        feats = feats.detach()
        labels = self.prepare_labels(masks.detach().to(feats.dtype))
        if weights is None:
            weights = initial_sample_weights(feats.shape[0],
                                             device=feats.device,
                                             dtype=feats.dtype)
        weights = weights.to(feats) / weights.sum()
        pixel_weights = self.pixel_weights(labels)
        sqrt_w = (weights.view(-1, 1, 1, 1) * pixel_weights).sqrt()
        w1, w2 = self.init_weights_random(feats, generator)

        def residual_fn(w1_, w2_):
            return self.residuals(feats, labels, sqrt_w, w1_, w2_)

        cg_iters = [self.cg_iters_first] + [self.cg_iters] * (
            self.num_gn_steps - 1)
        result = gauss_newton_cg(residual_fn, (w1, w2), cg_iters,
                                 self.precond)
        if state is None:
            state = self.new_state()
        state.reset()
        state.w1, state.w2 = result.params
        state.init_losses = result.losses
        with torch.no_grad():
            proj = self.project(feats, state.w1)
        state.memory.initialize(proj, labels, pixel_weights, weights)
        return state

    def predict(self, state: FRTMTargetState, feats: Tensor) -> Tensor:
        """Coarse target scores ``D(x; w)``: (N, C, h, w) -> (N, 1, h, w)."""
        if not state.initialized:
            raise RuntimeError('FRTMTargetModel.predict() on a state that '
                               'was not initialised (call init_state first)')
        self._check_feats(feats)
        return self.filter(self.project(feats, state.w1), state.w2)

    def update(self, state: FRTMTargetState, feats: Tensor,
               mask: Tensor) -> bool:
        """Add a frame to the memory and re-learn ``w2`` when it is due.

        The frame counter advances on every call; ``w2`` is re-optimised
        when it reaches a multiple of ``update_interval`` (Algorithm 1).

        Args:
            state (FRTMTargetState): The object's state.
            feats (Tensor): (1, C, h, w) features of the frame.
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
        mask = self.prepare_labels(mask.detach().to(feats.dtype))
        with torch.no_grad():
            proj = self.project(feats.detach(), state.w1)
        state.memory.add(proj, mask, self.pixel_weights(mask))
        if state.num_frames % self.update_interval != 0:
            return False
        self.optimize_filter(state, self.update_cg_iters)
        return True

    def optimize_filter(self, state: FRTMTargetState, num_cg: int) -> None:
        """One Gauss-Newton step on ``w2`` alone over the memory."""
        proj, labels, pixel_weights, weights = state.memory.samples()
        sqrt_w = (weights.view(-1, 1, 1, 1) * pixel_weights).sqrt()

        def residual_fn(w2_):
            return self.residuals(proj, labels, sqrt_w, None, w2_)

        precond = None if self.precond is None else self.precond[1:]
        result = gauss_newton_cg(residual_fn, (state.w2, ), [num_cg],
                                 precond)
        state.w2 = result.params[0]
        state.update_losses = result.losses
        state.num_updates += 1

    def _check_feats(self, feats: Tensor) -> None:
        if feats.dim() != 4 or feats.shape[1] != self.in_channels:
            raise ValueError(
                f'FRTMTargetModel expects (N, {self.in_channels}, h, w) '
                f'features, got {tuple(feats.shape)}; set in_channels to '
                f'the channels of the backbone map it reads')
