"""FaSTGAN through mmengine's Runner: stage 1 (CE), stage 2 from stage 1
(critics, n_critic=5), then a test model without critics in the video loop.
"""
import glob
import os.path as osp
import uuid

import torch
from mmengine.config import Config
from mmengine.runner import Runner

import vostoolkit.testing  # noqa: F401  (registers the synthetic dataset)
from plugins.fastgan import FaSTGAN

from fastgan_helpers import tiny_model_cfg

RUN = uuid.uuid4().hex[:8]
ADAM = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)))


def _cfg(work_dir, model, max_iters, **extra):
    base = dict(
        default_scope='vostoolkit',
        custom_imports=dict(imports=['plugins.fastgan', 'vostoolkit.testing'],
                            allow_failed_imports=False),
        work_dir=str(work_dir), model=model,
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='SyntheticVOSDataset', num_videos=2,
                         num_frames=5, size=(64, 64), clip_len=3, repeat=4)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        test_dataloader=dict(
            batch_size=1, num_workers=0,
            sampler=dict(type='VideoShardSampler'),
            dataset=dict(type='SyntheticVOSDataset', num_videos=2,
                         num_frames=4, size=(64, 64), test_mode=True,
                         chunk_len=2, seed=100)),
        test_evaluator=dict(type='SyntheticJaccardMetric'),
        test_cfg=dict(type='VideoTestLoop'),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook',
                                           interval=max_iters,
                                           by_epoch=False)),
        log_level='WARNING', randomness=dict(seed=0))
    base.update(extra)
    return Config(base)


def _steps(wrapper) -> int:
    states = list(wrapper.optimizer.state.values())
    return int(states[0]['step']) if states else 0


def test_two_stage_training_then_test_without_critics(tmp_path):
    stage1 = Runner.from_cfg(_cfg(
        tmp_path / 's1', tiny_model_cfg(critics=()), 2,
        optim_wrapper=dict(constructor='MultiOptimWrapperConstructor',
                           generator=ADAM),
        experiment_name=f'fastgan_smoke_s1_{RUN}'))
    stage1.train()
    assert _steps(stage1.optim_wrapper['generator']) == 2
    ckpt1 = osp.join(tmp_path, 's1', 'iter_2.pth')
    assert osp.exists(ckpt1)

    stage2 = Runner.from_cfg(_cfg(
        tmp_path / 's2', tiny_model_cfg(), 5, load_from=ckpt1,
        optim_wrapper=dict(constructor='MultiOptimWrapperConstructor',
                           generator=ADAM, critic_spatial=ADAM,
                           critic_temporal=ADAM),
        param_scheduler=dict(
            generator=[dict(type='ConstantLR', factor=1., by_epoch=False,
                            end=2),
                       dict(type='PolyLR', power=0.9, by_epoch=False,
                            begin=2, end=5)],
            critic_spatial=[dict(type='ConstantLR', factor=1.,
                                 by_epoch=False)],
            critic_temporal=[dict(type='ConstantLR', factor=1.,
                                  by_epoch=False)]),
        experiment_name=f'fastgan_smoke_s2_{RUN}'))
    gen1 = stage1.model.generator.state_dict()
    stage2.train()  # load_from is applied inside train()
    wrappers = stage2.optim_wrapper
    assert _steps(wrappers['critic_spatial']) == 5
    assert _steps(wrappers['critic_temporal']) == 5
    assert _steps(wrappers['generator']) == 1
    assert any(not torch.equal(v, gen1[k])
               for k, v in stage2.model.generator.state_dict().items())
    ckpt2 = osp.join(tmp_path, 's2', 'iter_5.pth')
    saved = torch.load(ckpt2, map_location='cpu', weights_only=False)
    assert any(k.startswith('critic_temporal.') for k in saved['state_dict'])

    tester = Runner.from_cfg(_cfg(
        tmp_path / 'test', tiny_model_cfg(critics=()), 1, load_from=ckpt2,
        train_dataloader=None, train_cfg=None,
        experiment_name=f'fastgan_smoke_test_{RUN}'))
    metrics = tester.test()
    model = tester.model
    assert isinstance(model, FaSTGAN) and model.critics() == {}
    assert not any('critic' in k for k in model.state_dict())
    expected = stage2.model.generator.state_dict()
    assert all(torch.equal(v, expected[k])
               for k, v in model.generator.state_dict().items())
    assert metrics['synthetic/num_results'] > 0
    assert 0.0 <= metrics['synthetic/J'] <= 1.0
    assert glob.glob(osp.join(tmp_path, 'test', '*'))
