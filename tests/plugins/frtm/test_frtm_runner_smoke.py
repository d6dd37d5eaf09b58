"""FRTM through mmengine's Runner: a few training iterations, then the video
test loop on tiny in-memory videos."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import vostoolkit.testing  # noqa: F401  (registers the synthetic dataset)
from plugins.frtm import FRTM
from vostoolkit.registry import MODELS

MODEL = dict(
    type='FRTM',
    backbone=dict(type='ResNet', depth=18, base_channels=8,
                  out_indices=('layer1', 'layer2', 'layer3', 'layer4')),
    target_model=dict(type='FRTMTargetModel', num_filters=8,
                      num_gn_steps=2, update_interval=2, memory_size=8),
    head=dict(type='FRTMRefinementHead', channels=16),
    augmenter=dict(type='FRTMFirstFrameAugmenter', num_samples=3),
    freeze_backbone=False, train_num_samples=3)


def _cfg(work_dir):
    return Config(dict(
        default_scope='vostoolkit',
        custom_imports=dict(imports=['plugins.frtm', 'vostoolkit.testing'],
                            allow_failed_imports=False),
        work_dir=str(work_dir),
        model=copy.deepcopy(MODEL),
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='SyntheticVOSDataset', num_videos=2,
                         num_frames=5, size=(32, 32), clip_len=3, repeat=4)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=3),
        optim_wrapper=dict(type='OptimWrapper', optimizer=dict(
            type='Adam', lr=1e-3, weight_decay=1e-5)),
        test_dataloader=dict(
            batch_size=1, num_workers=0,
            sampler=dict(type='VideoShardSampler'),
            dataset=dict(type='SyntheticVOSDataset', num_videos=2,
                         num_frames=4, size=(32, 32), test_mode=True,
                         chunk_len=2, seed=100)),
        test_evaluator=dict(type='SyntheticJaccardMetric'),
        test_cfg=dict(type='VideoTestLoop'),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook',
                                           interval=100)),
        log_level='WARNING',
        randomness=dict(seed=0)))


def test_runner_trains_and_tests_frtm(tmp_path):
    runner = Runner.from_cfg(_cfg(tmp_path))
    model = runner.model
    assert isinstance(model, FRTM)
    before = {k: v.clone() for k, v in model.head.state_dict().items()}
    runner.train()
    after = model.head.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    seen = []  # (objects, last frame) of each video, recorded on reset
    reset = model.inference.reset

    def recording_reset():
        seen.append((model.inference.obj_ids, model.inference.last_frame))
        reset()

    model.inference.reset = recording_reset
    metrics = runner.test()
    assert metrics['synthetic/num_results'] > 0
    assert 0.0 <= metrics['synthetic/J'] <= 1.0
    # reset before each of the 2 videos and after the last; each video's
    # objects were started on frame 0 and tracked to its last frame (3)
    assert len(seen) == 3
    assert seen[1][1] == 3 and seen[2][1] == 3
    assert len(seen[1][0]) == 2 and len(seen[2][0]) == 2


def test_frozen_backbone_gets_no_gradient():
    cfg = copy.deepcopy(MODEL)
    cfg['freeze_backbone'] = True
    model = MODELS.build(cfg)
    dataset = vostoolkit.testing.SyntheticVOSDataset(
        num_videos=1, num_frames=4, size=(32, 32), clip_len=3)
    batch = model.data_preprocessor(
        dict(inputs=[dataset[0]['inputs']],
             data_samples=[dataset[0]['data_samples']]), training=True)
    model.train()
    losses = model(**batch, mode='loss')
    assert losses['loss_mask'].requires_grad
    losses['loss_mask'].backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.head.parameters())
    assert not model.backbone.training
    logits = model(**batch, mode='tensor')
    assert logits[0].shape == (2, 1, 32, 32)


def test_bad_target_level():
    cfg = copy.deepcopy(MODEL)
    cfg['target_level'] = 7
    with pytest.raises(ValueError, match='target_level'):
        MODELS.build(cfg)
