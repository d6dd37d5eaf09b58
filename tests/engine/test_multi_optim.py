"""MultiOptimWrapperConstructor and a generator/critics toy trained by the
Runner with 5 critic steps per generator step."""
import uuid

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict
from mmengine.runner import Runner

import vostoolkit.engine.optimizers as optimizers
from vostoolkit.engine import MultiOptimWrapperConstructor

N_CRITIC = 5


class ToyGAN(BaseModel):
    """Generator + two critics; its own train_step steps them in turn:
    every call steps both critics, every N_CRITIC-th also the generator."""

    def __init__(self):
        super().__init__()
        self.generator = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 4))
        self.critic_spatial = nn.Linear(4, 1)
        self.critic_temporal = nn.Linear(4, 1)
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.generator(inputs)

    def train_step(self, data, optim_wrapper):
        real = torch.stack(data)  # (B, 4)
        fake = self.generator(torch.randn_like(real))
        log = {}
        for name in ('critic_spatial', 'critic_temporal'):
            critic = getattr(self, name)
            loss = critic(fake.detach()).mean() - critic(real).mean()
            optim_wrapper[name].update_params(loss)
            log[f'loss_{name}'] = loss.detach()
        self.calls += 1
        if self.calls % N_CRITIC == 0:
            loss = -(self.critic_spatial(fake).mean() +
                     self.critic_temporal(fake).mean())
            optim_wrapper['generator'].update_params(loss)
            log['loss_generator'] = loss.detach()
        return log


def _adam(lr=1e-3):
    return dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=lr,
                                                    betas=(0.5, 0.999)))


def _steps(wrapper) -> int:
    states = list(wrapper.optimizer.state.values())
    return int(states[0]['step']) if states else 0


def test_runner_counts_critic_and_generator_steps(tmp_path):
    cfg = dict(constructor='MultiOptimWrapperConstructor',
               generator=_adam(1e-4), critic_spatial=_adam(),
               critic_temporal=_adam())
    schedulers = dict(
        generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
        critic_spatial=[dict(type='MultiStepLR', milestones=[4], gamma=0.1,
                             by_epoch=False)],
        critic_temporal=[dict(type='ConstantLR', factor=1.0,
                              by_epoch=False)])
    runner = Runner(
        model=ToyGAN(), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=[torch.randn(4) for _ in range(8)],
                              sampler=dict(type='DefaultSampler'),
                              batch_size=2, collate_fn=dict(
                                  type='pseudo_collate')),
        train_cfg=dict(by_epoch=False, max_iters=10),
        optim_wrapper=cfg, param_scheduler=schedulers,
        default_scope='vostoolkit',
        default_hooks=dict(checkpoint=None, logger=dict(type='LoggerHook',
                                                        interval=100)),
        experiment_name=f'multi_optim_{uuid.uuid4().hex[:8]}')
    runner.train()
    wrappers = runner.optim_wrapper
    assert isinstance(wrappers, OptimWrapperDict)
    assert _steps(wrappers['critic_spatial']) == 10
    assert _steps(wrappers['critic_temporal']) == 10
    assert _steps(wrappers['generator']) == 10 // N_CRITIC
    assert wrappers['critic_spatial'].get_lr()['lr'] == [pytest.approx(1e-4)]
    assert wrappers['generator'].get_lr()['lr'] == [pytest.approx(1e-4)]


def test_dotted_paths_and_paramwise_cfg():
    model = ToyGAN()
    constructor = MultiOptimWrapperConstructor(dict(
        **{'generator.0': dict(_adam(), paramwise_cfg=dict(bias_lr_mult=2.)),
           'generator.1': _adam(), 'critic_spatial': _adam(),
           'critic_temporal': _adam()}))
    wrappers = constructor(model)
    groups = wrappers['generator.0'].optimizer.param_groups
    assert sorted(g['lr'] for g in groups) == [1e-3, 2e-3]
    assert wrappers['generator.1'].optimizer.param_groups[0]['params'][0] \
        is model.generator[1].weight


def test_unknown_key_names_the_key_and_the_submodules():
    constructor = MultiOptimWrapperConstructor(dict(critic_x=_adam()))
    with pytest.raises(ValueError, match=r"'critic_x'.*generator"):
        constructor(ToyGAN())


def test_shared_parameters_are_refused():
    constructor = MultiOptimWrapperConstructor(dict(
        generator=_adam(), **{'generator.0': _adam()}))
    with pytest.raises(ValueError, match='share parameters'):
        constructor(ToyGAN())


def test_bad_entry_is_refused():
    with pytest.raises(ValueError, match="optim_wrapper\\['generator'\\]"):
        MultiOptimWrapperConstructor(dict(generator=dict(lr=1)))


def test_uncovered_parameters_are_reported(monkeypatch):
    messages = []
    monkeypatch.setattr(optimizers, 'print_log',
                        lambda msg, **kw: messages.append(msg))
    MultiOptimWrapperConstructor(dict(generator=_adam()))(ToyGAN())
    assert len(messages) == 1
    assert 'critic_spatial.weight' in messages[0]
    assert 'critic_temporal.bias' in messages[0]
    assert 'generator' not in messages[0].split(':')[-1]
