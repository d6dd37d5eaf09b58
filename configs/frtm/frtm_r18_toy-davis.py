# Small FRTM-VOS for CPU on the toy DAVIS-format videos (generated on first
# use under data/toy/davis, the shared toy spec of the base). A narrow
# ResNet-18 without pretrained weights (none are available offline) is
# trained together with the refinement network; the target model still gets
# no gradient. D reads layer1 (stride 4): conv4_x of a 64 x 96 frame is
# only 4 x 6. The rest is the authors' architecture and inference.
#
#   python tools/train.py configs/frtm/frtm_r18_toy-davis.py
#   python tools/test.py configs/frtm/frtm_r18_toy-davis.py \
#       work_dirs/frtm_r18_toy-davis/iter_2400.pth [--submit out.zip]
_base_ = [
    '../_base_/datasets/toy_davis.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_iter_adam.py'
]
custom_imports = dict(imports=['plugins.frtm'], allow_failed_imports=False)

model = dict(
    type='FRTM',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=1),
    backbone=dict(
        type='ResNet', depth=18, base_channels=32,
        out_indices=('layer1', 'layer2', 'layer3', 'layer4')),
    target_model=dict(
        type='FRTMTargetModel', num_filters=32, num_gn_steps=5,
        cg_iters_first=5, cg_iters=10, update_cg_iters=10,
        update_interval=8, memory_size=80),
    head=dict(type='FRTMRefinementHead', channels=32),
    augmenter=dict(type='FRTMFirstFrameAugmenter', num_samples=5),
    target_level=0,
    freeze_backbone=False,
    # while training R only: 2 Gauss-Newton steps (5 + 10 CG iterations),
    # cheaper on CPU; inference uses the above
    train_num_samples=5,
    train_target_overrides=dict(num_gn_steps=2))

# Training videos: the core generator's toy DAVIS videos with the shared
# spec's seed and size, 120 of them instead of 24 (its first 24 are the
# shared ones; its val videos are never read): the network is trained from
# scratch, and 24 videos would be learnt by heart. Validation and test stay
# on the shared toy DAVIS val split. Both folders are under data_root, so
# `--cfg-options data_root=DIR` moves them together.
data_root = 'data/toy'
train_root = f'{data_root}/davis_frtm'
train_toy_spec = dict(videos=120, val_videos=30, frames=12, size=(64, 96),
                      seed=0)
# One reference (clip frame 0) and two validation frames that follow it.
train_dataloader = dict(dataset=dict(
    data_root=train_root, toy_spec=train_toy_spec,
    clip_sampler=dict(type='VOSClipSampler', num_frames=3, max_skip=5,
                      random_reference=True)))
# test videos go to the model 8 frames at a time (memory flat in length)
val_dataloader = dict(dataset=dict(test_chunk_len=8))
test_dataloader = dict(dataset=dict(test_chunk_len=8))
submit_evaluator = dict(type='DAVISSubmission')

# About 22 minutes on 2 CPU cores (0.55 s per iteration).
max_iters = 2400
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=1e-5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1900], gamma=0.1)
]
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=400))
# stops earlier (with a checkpoint) if the 2 CPU cores are slower
custom_hooks = [dict(type='TrainTimeBudgetHook', max_minutes=30)]
