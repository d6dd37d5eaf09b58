"""FaSTGAN training: optimizer step counts, BPTT, checkpoint into a test
model."""
import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner.checkpoint import load_checkpoint, save_checkpoint

from vostoolkit.registry import MODELS

from fastgan_helpers import build_tiny, tiny_model_cfg, toy_batch


def _wrapper(module):
    return OptimWrapper(torch.optim.Adam(module.parameters(), lr=1e-4,
                                         betas=(0.5, 0.999)))


def _count_steps(wrappers: dict) -> dict:
    """Wrap each optimizer's ``step`` to count its calls."""
    counts = {name: 0 for name in wrappers}
    for name, wrapper in wrappers.items():
        step = wrapper.optimizer.step

        def counted(*args, _name=name, _step=step, **kwargs):
            counts[_name] += 1
            return _step(*args, **kwargs)

        wrapper.optimizer.step = counted
    return counts


def _run(model, optim_wrapper, iters, hub=None):
    for i in range(iters):
        if hub is not None:
            hub.update_info('iter', i)  # what mmengine's RuntimeInfoHook does
        log_vars = model.train_step(toy_batch(seeds=[i, i + 7]),
                                    optim_wrapper)
    return log_vars


@pytest.mark.parametrize('use_hub', [True, False])
def test_stage2_five_critic_steps_per_generator_step(fresh_message_hub,
                                                     use_hub):
    model = build_tiny()
    wrappers = dict(generator=_wrapper(model.generator),
                    critic_spatial=_wrapper(model.critic_spatial),
                    critic_temporal=_wrapper(model.critic_temporal))
    counts = _count_steps(wrappers)
    _run(model, OptimWrapperDict(**wrappers), 10,
         fresh_message_hub if use_hub else None)
    assert counts == dict(generator=2, critic_spatial=10, critic_temporal=10)


def test_stage1_steps_only_the_generator():
    model = build_tiny(critics=())
    assert model.critics() == {}
    wrappers = dict(generator=_wrapper(model.generator))
    counts = _count_steps(wrappers)
    log_vars = _run(model, OptimWrapperDict(**wrappers), 4)
    assert counts == dict(generator=4)
    assert set(log_vars) == {'loss', 'loss_ce'}
    # a plain optim wrapper works too when there are no critics
    plain = _wrapper(model)
    plain_counts = _count_steps(dict(all=plain))
    _run(model, plain, 3)
    assert plain_counts == dict(all=3)


def test_critic_steps_leave_generator_and_generator_step_leaves_critics():
    model = build_tiny()
    wrappers = OptimWrapperDict(
        generator=_wrapper(model.generator),
        critic_spatial=_wrapper(model.critic_spatial),
        critic_temporal=_wrapper(model.critic_temporal))
    gen_before = {k: v.clone() for k, v in model.generator.state_dict().items()
                  if v.dtype.is_floating_point and 'running' not in k}
    crit_before = [p.clone() for p in model.critic_spatial.parameters()]
    log_vars = model.train_step(toy_batch(), wrappers)  # call 0: critics only
    assert 'loss_ce' not in log_vars
    assert {'critic_spatial_wdist', 'critic_temporal_gp'} <= set(log_vars)
    gen_after = model.generator.state_dict()
    assert all(torch.equal(v, gen_after[k]) for k, v in gen_before.items())
    assert any(not torch.equal(a, b) for a, b in zip(
        crit_before, model.critic_spatial.parameters()))
    for _ in range(4):  # call 4 has the generator step
        log_vars = model.train_step(toy_batch(), wrappers)
    assert {'loss_ce', 'loss_adv_spatial', 'loss_adv_temporal'} <= set(
        log_vars)
    # the generator's backward left no gradient in the critics
    assert all(p.grad is None or not p.grad.any()
               for p in model.critic_spatial.parameters())


def test_wrong_optim_wrappers_are_refused():
    model = build_tiny()
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        model.train_step(toy_batch(), _wrapper(model))
    partial = OptimWrapperDict(generator=_wrapper(model.generator),
                               critic_spatial=_wrapper(model.critic_spatial))
    with pytest.raises(KeyError, match='critic_temporal'):
        model.train_step(toy_batch(), partial)
    k3 = build_tiny(k=3)
    with pytest.raises(ValueError, match='K=2'):
        k3.train_step(toy_batch(), OptimWrapperDict(
            generator=_wrapper(k3.generator),
            critic_spatial=_wrapper(k3.critic_spatial),
            critic_temporal=_wrapper(k3.critic_temporal)))


def test_core_constructor_builds_the_three_optimizers():
    from vostoolkit.engine import MultiOptimWrapperConstructor
    model = build_tiny()
    adam = dict(type='OptimWrapper',
                optimizer=dict(type='Adam', lr=1e-5, betas=(0.5, 0.999)))
    wrappers = MultiOptimWrapperConstructor(
        dict(generator=adam, critic_spatial=adam, critic_temporal=adam))(model)
    counts = _count_steps(dict(wrappers.items()))
    _run(model, wrappers, 5)
    assert counts == dict(generator=1, critic_spatial=5, critic_temporal=5)


def test_bptt_feeds_each_step_its_own_previous_prediction():
    model = build_tiny(critics=(), k=3)
    gen = model.generator
    calls = []
    step = gen.step

    def spy(img, prev_mask, ref_feat, prev_feat=None):
        logits, feat = step(img, prev_mask, ref_feat, prev_feat)
        logits.retain_grad()
        calls.append((prev_mask, prev_feat, logits, feat))
        return logits, feat

    gen.step = spy
    data = model.data_preprocessor(toy_batch(num_frames=4), True)
    batch = model._prepare(data['inputs'], data['data_samples'])
    logits = model._unroll(batch)
    assert len(calls) == 3 and logits.shape[1] == 3
    assert torch.equal(calls[0][0], batch['ref_mask'])  # first: M_n's mask
    assert calls[0][1] is None
    for k in (1, 2):
        prev_mask, prev_feat, _, _ = calls[k]
        assert torch.equal(prev_mask, calls[k - 1][2].sigmoid())
        assert prev_mask.requires_grad  # not detached
        assert prev_feat is calls[k - 1][3]  # temporal skip state
    # a loss on the last frame only reaches the first frame's prediction
    model.loss_ce(logits[:, 2:], batch['targets'][:, 2:]).backward()
    assert calls[0][2].grad is not None and calls[0][2].grad.abs().sum() > 0


def test_gan_checkpoint_loads_into_test_model_without_critics(tmp_path):
    trained = build_tiny()
    wrappers = OptimWrapperDict(
        generator=_wrapper(trained.generator),
        critic_spatial=_wrapper(trained.critic_spatial),
        critic_temporal=_wrapper(trained.critic_temporal))
    _run(trained, wrappers, 5)
    path = str(tmp_path / 'gan.pth')
    save_checkpoint(dict(state_dict=trained.state_dict()), path)
    cfg = tiny_model_cfg(critics=())
    torch.manual_seed(1)
    test_model = MODELS.build(cfg)
    assert test_model.critics() == {}
    assert not any(k.startswith('critic') for k in test_model.state_dict())
    load_checkpoint(test_model, path, strict=True)
    expected = trained.generator.state_dict()
    for key, value in test_model.generator.state_dict().items():
        assert torch.equal(value, expected[key]), key
    # plain torch strict loading too
    test_model.load_state_dict(trained.state_dict(), strict=True)
    # a stage-1 checkpoint (no critics) loads into a stage-2 model
    stage2 = build_tiny()
    missing = stage2.load_state_dict(test_model.state_dict(), strict=False)
    assert missing.unexpected_keys == []
    assert all(k.startswith('critic') for k in missing.missing_keys)
