"""FRTM under autocast: the target model learns, predicts and updates in
float32 (its Gauss-Newton / CG problem is badly conditioned), and a
bfloat16 training step runs through the optim wrapper (CPU)."""
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner

import vostoolkit.testing  # noqa: F401  (registers the synthetic dataset)
from plugins.frtm import FRTM
from vostoolkit.registry import TARGET_MODELS

BF16 = torch.bfloat16


def _first_frame(c_in=12):
    """(4, c_in, 8, 8) features where 3 channels light up on the target,
    and its (4, 1, 32, 32) masks."""
    g = torch.Generator().manual_seed(0)
    masks = torch.zeros(4, 1, 32, 32)
    for k in range(4):
        y0, x0 = torch.randint(0, 18, (2, ), generator=g).tolist()
        masks[k, :, y0:y0 + 12, x0:x0 + 12] = 1
    feats = 0.3 * torch.randn(4, c_in, 8, 8, generator=g)
    feats[:, :3] += F.avg_pool2d(masks, 4)
    return feats, masks


def _learn_predict_update(model, feats, masks):
    state = model.init_state(feats, masks,
                             generator=torch.Generator().manual_seed(1))
    scores = model.predict(state, feats[1:2])
    updated = model.update(state, feats[1:2], masks[1:2])
    return state, scores, updated


def test_target_model_stays_float32_under_autocast():
    model = TARGET_MODELS.build(dict(type='FRTMTargetModel', in_channels=12,
                                     num_filters=6, update_interval=1))
    feats, masks = _first_frame()
    half = feats.to(BF16)  # what a bfloat16 backbone hands over
    ref, ref_scores, _ = _learn_predict_update(model, half.float(), masks)
    with torch.autocast('cpu', dtype=BF16):
        state, scores, updated = _learn_predict_update(model, half, masks)
    assert updated  # the update re-learned w2 under autocast too
    assert state.w1.dtype == state.w2.dtype == torch.float32
    assert scores.dtype == torch.float32
    # the same float32 computation as outside autocast
    torch.testing.assert_close(state.w1, ref.w1)
    torch.testing.assert_close(state.w2, ref.w2)
    torch.testing.assert_close(scores, ref_scores)


MODEL = dict(
    type='FRTM',
    backbone=dict(type='ResNet', depth=18, base_channels=8,
                  out_indices=('layer1', 'layer2', 'layer3', 'layer4')),
    target_model=dict(type='FRTMTargetModel', num_filters=8,
                      num_gn_steps=2, update_interval=2, memory_size=8),
    head=dict(type='FRTMRefinementHead', channels=16),
    augmenter=dict(type='FRTMFirstFrameAugmenter', num_samples=3),
    freeze_backbone=False, train_num_samples=3)


def test_bf16_training_step_through_the_optim_wrapper(tmp_path):
    runner = Runner.from_cfg(Config(dict(
        default_scope='vostoolkit',
        custom_imports=dict(imports=['plugins.frtm', 'vostoolkit.testing'],
                            allow_failed_imports=False),
        work_dir=str(tmp_path), model=MODEL,
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='SyntheticVOSDataset', num_videos=2,
                         num_frames=5, size=(32, 32), clip_len=3, repeat=2)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        optim_wrapper=dict(type='AutocastOptimWrapper', optimizer=dict(
            type='Adam', lr=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=100)),
        log_level='WARNING', randomness=dict(seed=0))))
    model = runner.model
    assert isinstance(model, FRTM)
    dtypes = {}
    predict = model.train_target_model.predict

    def recording_predict(state, feats):
        dtypes['feats'], dtypes['w1'] = feats.dtype, state.w1.dtype
        out = predict(state, feats)
        dtypes['scores'] = out.dtype
        return out

    model.train_target_model.predict = recording_predict

    def record(module, args, out):
        dtypes.setdefault('backbone', out.dtype)

    hook = model.backbone.conv1.register_forward_hook(record)
    before = {k: v.detach().clone()
              for k, v in model.head.state_dict().items()}
    runner.train()
    hook.remove()
    assert dtypes == dict(backbone=BF16, feats=BF16, w1=torch.float32,
                          scores=torch.float32)
    after = model.head.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert all(torch.isfinite(v).all() for v in after.values()
               if v.is_floating_point())
