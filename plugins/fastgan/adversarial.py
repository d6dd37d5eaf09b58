"""FaSTGAN's training step: critic steps every iteration, a generator step
every ``n_critic`` iterations, several optimizers and no special Runner."""
from typing import Dict, Union

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor

from .targets import critic_real_masks


class AdversarialTrainStepMixin:
    """``train_step`` of :class:`~plugins.fastgan.FaSTGAN`.

    The host model provides ``critics()``, ``data_preprocessor``,
    ``_prepare``, ``_unroll``, ``generator_losses``, ``critic_inputs``,
    ``loss_critic``, ``n_critic``, ``gt_uncertainty`` and ``gt_noise``.

    Schedule (Gulrajani et al.'s WGAN-GP, as mmagic does it): every call
    makes one step of each critic on a fresh batch; the calls whose
    iteration ``i`` satisfies ``(i + 1) % n_critic == 0`` also make one
    generator step, so there are ``n_critic`` critic steps per generator
    step. ``i`` is the Runner's iteration (``MessageHub`` info ``'iter'``,
    set by mmengine's ``RuntimeInfoHook`` and restored on resume); outside
    a Runner a counter of calls is used. Without critics the generator
    steps on every call.
    """

    _calls = 0

    def _iteration(self) -> int:
        it = MessageHub.get_current_instance().get_info('iter')
        if it is None:
            it = self._calls
        self._calls = self._calls + 1
        return int(it)

    def _check_wrappers(self, optim_wrapper, names) -> OptimWrapperDict:
        needed = ['generator'] + list(names)
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError(
                f'{type(self).__name__} with critics needs an '
                f'OptimWrapperDict with keys {needed} (optim_wrapper='
                f"dict(constructor='MultiOptimWrapperConstructor', ...)), "
                f'got {type(optim_wrapper).__name__}')
        missing = [n for n in needed if n not in optim_wrapper]
        if missing:
            raise KeyError(f'optim_wrapper has no entry for {missing}; it '
                           f'has {list(optim_wrapper.keys())}')
        return optim_wrapper

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """One training iteration.

        Args:
            data (dict): A batch from the dataloader.
            optim_wrapper (OptimWrapper | OptimWrapperDict): keys
                ``generator`` and one per built critic; a plain optim
                wrapper is accepted when there are no critics.

        Returns:
            dict[str, Tensor]: Logged values (the generator's losses only on
            iterations with a generator step).
        """
        critics = self.critics()
        if not critics:
            return self._generator_only_step(data, optim_wrapper)
        wrappers = self._check_wrappers(optim_wrapper, critics)
        gen_step = (self._iteration() + 1) % self.n_critic == 0
        gen_wrapper = wrappers['generator']
        with gen_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            batch = self._prepare(data['inputs'], data['data_samples'])
            with torch.set_grad_enabled(gen_step):
                logits = self._unroll(batch)
        log_vars = self._critic_steps(batch, logits.detach().sigmoid(),
                                      wrappers)
        if gen_step:
            with gen_wrapper.optim_context(self):
                losses = self.generator_losses(batch, logits)
            parsed, gen_vars = self.parse_losses(losses)
            gen_wrapper.update_params(parsed)
            log_vars.update(gen_vars)
        return log_vars

    def _generator_only_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        """Stage 1 / CE-only: the generator steps on ``loss_ce``."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            optim_wrapper = self._check_wrappers(optim_wrapper,
                                                 [])['generator']
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed)
        return log_vars

    def _critic_steps(self, batch: Dict[str, Tensor], probs: Tensor,
                      wrappers: OptimWrapperDict) -> Dict[str, Tensor]:
        """One WGAN-GP step of each critic.

        Args:
            batch (dict): From ``_prepare``.
            probs (Tensor): (N, K, H, W) detached predictions.
            wrappers (OptimWrapperDict): The optim wrappers.

        Returns:
            dict[str, Tensor]: per critic, its objective, Wasserstein
            estimate, gradient penalty and gradient norm on interpolates.
        """
        real_masks = critic_real_masks(
            batch['targets'], probs, ~batch['valid'],
            uncertainty=self.gt_uncertainty, noise=self.gt_noise)
        log_vars = {}
        for name, critic in self.critics().items():
            real = self.critic_inputs(name, batch['frames'], real_masks,
                                      batch['frame_valid'])
            fake = self.critic_inputs(name, batch['frames'], probs,
                                      batch['frame_valid'])
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
