"""FaSTGAN under mixed precision: the WGAN-GP penalty through the loss
scaler (float16) gives the float32 critic gradients, and a bfloat16
training step through the optim wrappers (CPU autocast)."""
import warnings

import pytest
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict

from plugins.fastgan import FaSTGANCriticLoss, FaSTGANSpatialCritic
from vostoolkit.engine import AutocastOptimWrapper

from fastgan_helpers import build_tiny, toy_batch


def _critic(last_layer_gain: float) -> FaSTGANSpatialCritic:
    """A tiny critic; a small last-layer gain gives small input gradients,
    as a freshly initialised critic has (norm ~ 1e-7 at gain 1e-5)."""
    torch.manual_seed(0)
    critic = FaSTGANSpatialCritic(base_channels=4, max_channels=8,
                                  num_downsamples=2)
    with torch.no_grad():
        critic.body[-1].weight.mul_(last_layer_gain)
    return critic


def _critic_grads(critic, real, fake, mode):
    """Critic parameter gradients of the WGAN-GP objective, and its terms.

    ``mode``: ``'fp32'``; ``'scaled'`` (float16 autocast, GradScaler as
    AmpOptimWrapper uses it); ``'unscaled'`` (float16, no scaler).
    """
    critic.zero_grad()
    objective = FaSTGANCriticLoss(lambda_gp=10.)
    torch.manual_seed(3)  # the same interpolation coefficients
    if mode == 'fp32':
        terms = objective.terms(critic, real, fake)
        objective.objective(terms).backward()
    else:
        scaler = torch.amp.GradScaler('cpu') if mode == 'scaled' else None
        with torch.autocast('cpu', dtype=torch.float16):
            terms = objective.terms(critic, real, fake, scaler=scaler)
            loss = objective.objective(terms)
        if scaler is None:
            loss.backward()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(torch.optim.SGD(critic.parameters(), lr=0.))
    grads = torch.cat([p.grad.flatten() for p in critic.parameters()])
    return grads, terms


@pytest.mark.parametrize('gain', [1.0, 1e-5])
def test_scaled_penalty_gives_the_float32_critic_gradients(gain):
    critic = _critic(gain)
    torch.manual_seed(5)
    real, fake = torch.randn(4, 3, 16, 16), torch.randn(4, 3, 16, 16)
    ref, ref_terms = _critic_grads(critic, real, fake, 'fp32')
    got, terms = _critic_grads(critic, real, fake, 'scaled')
    assert terms['gp'].dtype == torch.float32
    assert torch.isfinite(got).all()
    assert (got - ref).norm() / ref.norm() < 0.05
    assert terms['grad_norm'].item() == pytest.approx(
        ref_terms['grad_norm'].item(), rel=0.05)


def test_unscaled_half_penalty_loses_a_small_critic_gradient():
    """Why the scaler is needed: float16 flushes a small input gradient to
    zero, and the critic's gradient is then wrong."""
    critic = _critic(1e-5)
    torch.manual_seed(5)
    real, fake = torch.randn(4, 3, 16, 16), torch.randn(4, 3, 16, 16)
    ref, ref_terms = _critic_grads(critic, real, fake, 'fp32')
    got, terms = _critic_grads(critic, real, fake, 'unscaled')
    assert ref_terms['grad_norm'].item() > 1e-7
    assert terms['grad_norm'].item() == 0.0
    assert (got - ref).norm() / ref.norm() > 0.5


def _amp_wrapper_on_cpu(monkeypatch, module):
    """mmengine's AmpOptimWrapper (its real backward / step) with a CPU
    GradScaler: mmengine builds it on GPUs only and its CPU autocast is
    bfloat16, so the scaler here scales without need, but the path is the
    one float16 training takes."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
    monkeypatch.setattr(amp_module, 'is_cuda_available', lambda: True)
    with warnings.catch_warnings():  # its CUDA GradScaler, replaced below
        warnings.simplefilter('ignore')
        wrapper = AmpOptimWrapper(
            optimizer=torch.optim.Adam(module.parameters(), lr=1e-4,
                                       betas=(0.5, 0.999)),
            dtype='bfloat16')
    wrapper.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.**10)
    calls = []
    scale = wrapper.loss_scaler.scale
    wrapper.loss_scaler.scale = lambda out: calls.append(1) or scale(out)
    return wrapper, calls


def test_critic_step_takes_the_penalty_through_the_wrappers_scaler(
        monkeypatch):
    model = build_tiny(n_critic=5)
    spatial, s_calls = _amp_wrapper_on_cpu(monkeypatch, model.critic_spatial)
    temporal, t_calls = _amp_wrapper_on_cpu(monkeypatch,
                                            model.critic_temporal)
    gen, _ = _amp_wrapper_on_cpu(monkeypatch, model.generator)
    before = [p.detach().clone() for p in model.critic_spatial.parameters()]
    log_vars = model.train_step(toy_batch(), OptimWrapperDict(
        generator=gen, critic_spatial=spatial, critic_temporal=temporal))
    # once for the penalty's autograd.grad, once for the loss's backward
    assert len(s_calls) == 2 and len(t_calls) == 2
    assert all(torch.isfinite(v).all() for v in log_vars.values())
    after = list(model.critic_spatial.parameters())
    assert all(torch.isfinite(p).all() for p in after)
    assert any(not torch.equal(a, b) for a, b in zip(before, after))


def test_bf16_training_step_through_the_optim_wrappers():
    model = build_tiny(n_critic=1)  # a generator step on every call

    def wrapper(module):
        return AutocastOptimWrapper(optimizer=torch.optim.Adam(
            module.parameters(), lr=1e-3, betas=(0.5, 0.999)))

    wrappers = OptimWrapperDict(
        generator=wrapper(model.generator),
        critic_spatial=wrapper(model.critic_spatial),
        critic_temporal=wrapper(model.critic_temporal))
    dtypes = []
    hook = model.critic_spatial.body[0].register_forward_hook(
        lambda m, a, out: dtypes.append(out.dtype))
    params = {name: [p.detach().clone() for p in getattr(model,
                                                         name).parameters()]
              for name in ('generator', 'critic_spatial', 'critic_temporal')}
    log_vars = model.train_step(toy_batch(), wrappers)
    hook.remove()
    assert dtypes and set(dtypes) == {torch.bfloat16}
    assert {'loss_ce', 'critic_spatial_gp', 'critic_temporal_gp'} <= set(
        log_vars)
    assert all(torch.isfinite(v).all() for v in log_vars.values())
    for name, before in params.items():
        after = list(getattr(model, name).parameters())
        assert all(p.dtype == torch.float32 for p in after)
        assert any(not torch.equal(a, b) for a, b in zip(before, after)), \
            name
