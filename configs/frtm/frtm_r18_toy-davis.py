# Small FRTM-VOS for CPU: a ResNet-18 (narrow, no pretrained weights, so it
# is trained together with the refinement network; the target model still
# gets no gradient) on the toy DAVIS-format videos (64 x 96 frames). The
# target model reads layer2 (stride 8) since conv4_x of such small frames is
# only 4 x 6.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_iter_adam.py'
]
custom_imports = dict(imports=['plugins.frtm'], allow_failed_imports=False)

data_root = 'data/toy/davis'

model = dict(
    type='FRTM',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(
        type='ResNet', depth=18, base_channels=32,
        out_indices=('maxpool', 'layer1', 'layer2', 'layer3', 'layer4')),
    target_model=dict(
        type='FRTMTargetModel', num_filters=32, num_gn_steps=5,
        cg_iters_first=5, cg_iters=10, update_cg_iters=10,
        update_interval=8, memory_size=80),
    head=dict(type='FRTMRefinementHead', channels=32, final_channels=16),
    augmenter=dict(type='FRTMFirstFrameAugmenter', num_samples=10,
                   inpaint_radius=3),
    target_level=2,
    freeze_backbone=False,
    train_num_samples=5)

clip_sampler = dict(type='VOSClipSampler', num_frames=3)
train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='DAVISDataset', data_root=data_root, year='2017',
                 split='train', clip_sampler=clip_sampler,
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type='DAVISDataset', data_root=data_root, year='2017',
                 split='val', test_mode=True, pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='DAVISMetric', gt_root=data_root, year='2017',
                      split='val')
val_evaluator = test_evaluator

max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=1e-5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1000], gamma=0.1)
]
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=500))
