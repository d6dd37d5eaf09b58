"""Adversarial training of video segmentors against ``CRITICS`` members:
WGAN-GP critic steps every iteration, a segmentor step every ``n_critic``
iterations, several optimizers and no special Runner.

Two ways in:

* :class:`AdversarialSegmentor` wraps any segmentor that implements
  :meth:`~vostoolkit.models.segmentors.BaseVideoSegmentor.adversarial_batch`
  (``model = dict(type='AdversarialSegmentor', segmentor=dict(...),
  critics=dict(critic_spatial=dict(...)))``); nothing in the segmentor
  changes.
* A segmentor whose paper defines its critics as its own parts (FaSTGAN)
  inherits :class:`AdversarialTrainMixin` and builds them as ``critic_*``
  attributes; its configs and checkpoints keep their layout.
"""
import re
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor

from vostoolkit.registry import LOSSES

from .base import AdversarialBatch

GT_NOISE_MODES = ('prediction', 'residual')


def bare(module: nn.Module) -> nn.Module:
    """``module`` without its distributed wrappers."""
    while is_model_wrapper(module):
        module = module.module
    return module


def critic_real_masks(gt: Tensor, pred: Tensor,
                      ignore: Optional[Tensor] = None, *,
                      uncertainty: Optional[float] = 0.25,
                      noise: Optional[str] = 'prediction',
                      generator: Optional[torch.Generator] = None
                      ) -> Tensor:
    """The critics' "real" masks, with FaSTGAN's ground-truth trick
    (Caelles, Pumarola et al., section 5).

    1. Ground-truth pixels that the prediction estimates correctly with an
       uncertainty below ``uncertainty`` (``|p - y| < uncertainty``, i.e.
       the right side of 0.5 and confident) take the predicted value, which
       brings the real and generated mask distributions closer; None skips
       this step.
    2. Gaussian noise is added. ``noise='prediction'`` (the paper's text):
       its mean and variance are those of the frame's prediction Y_t;
       ``'residual'``: those of the frame's error ``Y_t - Y``; None: no
       noise. The result is clamped to [0, 1].

    Pixels in ``ignore`` (void, padding) copy the prediction, so they tell
    the critics nothing.

    Args:
        gt (Tensor): (N, K, H, W) ground truth in {0, 1}.
        pred (Tensor): (N, K, H, W) predicted probabilities (detached
            here).
        ignore (Tensor, optional): (N, K, H, W) bool.
        uncertainty (float, optional): Threshold of step 1.
        noise (str | None): ``'prediction'``, ``'residual'`` or None.
        generator (torch.Generator, optional): RNG of the noise.

    Returns:
        Tensor: (N, K, H, W) masks in [0, 1].
    """
    if noise is not None and noise not in GT_NOISE_MODES:
        raise ValueError(f'critic_real_masks noise must be one of '
                         f'{GT_NOISE_MODES} or None, got {noise!r}')
    pred = pred.detach()
    gt = gt.to(pred.dtype)
    real = gt
    if uncertainty is not None:
        real = torch.where((pred - gt).abs() < uncertainty, pred, gt)
    if ignore is not None:
        real = torch.where(ignore, pred, real)
    if noise is not None:
        src = pred if noise == 'prediction' else pred - gt
        mean = src.mean(dim=(-2, -1), keepdim=True)  # (N, K, 1, 1)
        std = src.var(dim=(-2, -1), unbiased=False, keepdim=True).sqrt()
        eps = torch.randn(real.shape, generator=generator,
                          dtype=real.dtype).to(real.device)
        real = real + mean + std * eps
    return real.clamp(0, 1)


class AdversarialTrainMixin:
    """``train_step`` of a segmentor trained against critics (WGAN-GP).

    The host is a :class:`~vostoolkit.models.segmentors.BaseVideoSegmentor`
    that implements ``adversarial_batch`` and :meth:`adversarial_loss`,
    builds its critics (``CRITICS`` members) as child modules named
    ``critic_<name>``, and calls :meth:`init_adversarial` in ``__init__``.
    ``generator_key`` names the optim wrapper of everything but the critics.

    Schedule (Gulrajani et al.'s WGAN-GP, as mmagic does it): every call
    makes one step of each critic on a fresh batch; the calls whose
    iteration ``i`` satisfies ``(i + 1) % n_critic == 0`` also make one
    segmentor step, so there are ``n_critic`` critic steps per segmentor
    step. ``i`` is the Runner's iteration (``MessageHub`` info ``'iter'``,
    set by mmengine's ``RuntimeInfoHook`` and restored on resume); outside
    a Runner a counter of calls is used. Without critics the segmentor
    steps on its ``loss`` every call.

    The optim wrapper is an ``OptimWrapperDict`` keyed ``generator_key``
    and one key per critic (the core's ``MultiOptimWrapperConstructor``);
    without critics a plain optim wrapper also works.
    """

    generator_key = 'generator'
    _calls = 0

    def init_adversarial(self, *, n_critic: int, loss_critic: dict,
                         gt_uncertainty: Optional[float],
                         gt_noise: Optional[str]) -> None:
        """Check and store the adversarial settings; call in ``__init__``
        after ``super().__init__()``.

        Args:
            n_critic (int): Critic steps per segmentor step (>= 1).
            loss_critic (dict): ``LOSSES`` config of the critics' objective
                (``terms(critic, real, fake, scaler)`` and
                ``objective(terms)``, e.g. ``WGANGPCriticLoss``).
            gt_uncertainty (float, optional): Ground-truth trick threshold
                of :func:`critic_real_masks` (None: off).
            gt_noise (str, optional): Its noise mode (None: no noise).
        """
        name = type(self).__name__
        if n_critic < 1:
            raise ValueError(f'{name} n_critic must be >= 1, got {n_critic}')
        if gt_noise is not None and gt_noise not in GT_NOISE_MODES:
            raise ValueError(f'{name} gt_noise must be one of '
                             f'{GT_NOISE_MODES} or None, got {gt_noise!r}')
        self.n_critic = n_critic
        self.loss_critic = LOSSES.build(loss_critic)
        self.gt_uncertainty = gt_uncertainty
        self.gt_noise = gt_noise
        self._register_load_state_dict_pre_hook(self._drop_absent_critics)

    # ------------------------------------------------------------ structure
    def critics(self) -> Dict[str, nn.Module]:
        """The critics that are built, by optim-wrapper name (in the order
        they were built)."""
        return {name: module for name, module in self.named_children()
                if name.startswith('critic_')}

    def adversarial_loss(self, name: str) -> nn.Module:
        """The segmentor's loss term against critic ``name``: maps the
        critic's (B, 1, h, w) scores of predicted samples to a scalar."""
        raise NotImplementedError(
            f'{type(self).__name__} does not define adversarial_loss()')

    def _drop_absent_critics(self, state_dict, prefix, *args,
                             **kwargs) -> None:
        """Drop the weights of critics this model does not build, so a GAN
        checkpoint loads (strictly) into a test model."""
        built = set(self.critics())
        pattern = re.compile(re.escape(prefix) + r'(critic_\w+?)\.')
        for key in list(state_dict):
            match = pattern.match(key)
            if match and match.group(1) not in built:
                del state_dict[key]

    # ------------------------------------------------------------- training
    def _iteration(self) -> int:
        it = MessageHub.get_current_instance().get_info('iter')
        if it is None:
            it = self._calls
        self._calls = self._calls + 1
        return int(it)

    def _check_wrappers(self, optim_wrapper, names) -> OptimWrapperDict:
        needed = [self.generator_key] + list(names)
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError(
                f'{type(self).__name__} with critics needs an '
                f'OptimWrapperDict with keys {needed} (optim_wrapper='
                f"dict(constructor='MultiOptimWrapperConstructor', ...)), "
                f'got {type(optim_wrapper).__name__}')
        missing = [n for n in needed if n not in optim_wrapper]
        if missing:
            raise KeyError(f'optim_wrapper has no entry for {missing}; it '
                           f'has {list(optim_wrapper.keys())}, '
                           f'{type(self).__name__} needs {needed}')
        return optim_wrapper

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """One training iteration.

        Args:
            data (dict): A batch from the dataloader.
            optim_wrapper (OptimWrapper | OptimWrapperDict): keys
                ``generator_key`` and one per built critic; a plain optim
                wrapper is accepted when there are no critics.

        Returns:
            dict[str, Tensor]: Logged values (the segmentor's losses only on
            iterations with a segmentor step).
        """
        critics = self.critics()
        if not critics:
            return self._supervised_step(data, optim_wrapper)
        wrappers = self._check_wrappers(optim_wrapper, critics)
        gen_step = (self._iteration() + 1) % self.n_critic == 0
        gen_wrapper = wrappers[self.generator_key]
        with gen_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            with torch.set_grad_enabled(gen_step):
                batch = self.adversarial_batch(data['inputs'],
                                               data['data_samples'])
        log_vars = self._critic_steps(batch, wrappers)
        if gen_step:
            with gen_wrapper.optim_context(self):
                losses = dict(batch.losses)
                losses.update(self.adversarial_losses(batch))
            parsed, gen_vars = self.parse_losses(losses)
            gen_wrapper.update_params(parsed)
            log_vars.update(gen_vars)
        return log_vars

    def _supervised_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        """Without critics: the segmentor steps on its ``loss``."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            optim_wrapper = self._check_wrappers(optim_wrapper,
                                                 [])[self.generator_key]
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed)
        return log_vars

    def _critic_steps(self, batch: AdversarialBatch,
                      wrappers: OptimWrapperDict) -> Dict[str, Tensor]:
        """One WGAN-GP step of each critic on ``batch`` (detached).

        Returns:
            dict[str, Tensor]: per critic, its objective, Wasserstein
            estimate, gradient penalty and gradient norm on interpolates.
        """
        probs = batch.pred_masks.detach()
        ignore = None if batch.pixel_valid is None else ~batch.pixel_valid
        real_masks = critic_real_masks(
            batch.gt_masks, probs, ignore, uncertainty=self.gt_uncertainty,
            noise=self.gt_noise)
        log_vars = {}
        for name, critic in self.critics().items():
            layout = bare(critic).critic_inputs
            real = layout(batch.frames, real_masks, batch.frame_valid)
            fake = layout(batch.frames, probs, batch.frame_valid)
            if real is None:  # no annotated frame or window in the batch
                continue
            wrapper = wrappers[name]
            wrapper.zero_grad()
            # AmpOptimWrapper (float16) scales the loss: the penalty's
            # autograd.grad must see the same scaler (AMP recipe)
            scaler = getattr(wrapper, 'loss_scaler', None)
            with wrapper.optim_context(critic):
                terms = self.loss_critic.terms(critic, real, fake,
                                               scaler=scaler)
                loss = self.loss_critic.objective(terms)
            wrapper.update_params(loss)
            short = name[len('critic_'):]
            log_vars[f'critic_{short}_loss'] = loss.detach()
            log_vars[f'critic_{short}_wdist'] = terms['wdist'].detach()
            log_vars[f'critic_{short}_gp'] = terms['gp'].detach()
            log_vars[f'critic_{short}_grad_norm'] = terms['grad_norm']
        return log_vars

    def adversarial_losses(self, batch: AdversarialBatch
                           ) -> Dict[str, Tensor]:
        """The segmentor's adversarial terms ``loss_adv_<name>``, one per
        critic with samples in ``batch``.

        The critics are called unwrapped with their parameters frozen, so
        the segmentor's backward leaves no gradient in them.
        """
        losses = {}
        for name, critic in self.critics().items():
            critic = bare(critic)
            fake = critic.critic_inputs(batch.frames, batch.pred_masks,
                                        batch.frame_valid)
            if fake is None:
                continue
            flags = [p.requires_grad for p in critic.parameters()]
            for p in critic.parameters():
                p.requires_grad_(False)
            try:
                scores = critic(fake)
            finally:
                for p, flag in zip(critic.parameters(), flags):
                    p.requires_grad_(flag)
            losses[f'loss_adv_{name[len("critic_"):]}'] = \
                self.adversarial_loss(name)(scores)
        return losses
