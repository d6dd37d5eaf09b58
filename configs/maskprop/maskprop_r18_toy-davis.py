# The core's baseline VOS model (MaskPropagationBaseline: a tiny per-object
# propagation network with soft aggregation) trained from scratch on the
# toy DAVIS-format videos (generated under data/toy/davis on first use).
#
#   python tools/train.py configs/maskprop/maskprop_r18_toy-davis.py
#   python tools/test.py configs/maskprop/maskprop_r18_toy-davis.py \
#       work_dirs/maskprop_r18_toy-davis/iter_1500.pth [--submit out.zip]
_base_ = ['../_base_/datasets/toy_davis.py', '../_base_/default_runtime.py']

model = dict(
    type='MaskPropagationBaseline',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=16),
    backbone=dict(type='ResNet', depth=18, in_channels=8, base_channels=8,
                  out_indices=('layer1', 'layer2', 'layer3')),
    head=dict(type='MaskPropagationHead', channels=16))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipRandomResize', ratio_range=(0.8, 1.2)),
    dict(type='ClipRandomCrop', crop_size=(64, 96), min_fg_pixels=16,
         fg_frames='first'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
submit_evaluator = dict(type='DAVISSubmission')
val_cfg = dict(type='VideoValLoop')
test_cfg = dict(type='VideoTestLoop')

max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[1200], gamma=0.1)
]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=500))
