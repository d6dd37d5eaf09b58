# Small FaSTGAN for CPU, stage 1: a narrow ResNet-18 regressor (no
# pretrained weights) trained with the cross-entropy only on the toy
# DAVIS-format videos (64 x 96 frames, generated on first use). Clips are
# a random reference + K = 4 frames unrolled with BPTT, as in the paper.
#
# Two departures from the full-size configs, for a few minutes of CPU:
# * frames are upsampled 2x (128 x 192), since the regressor predicts at
#   stride 4 and the toy objects are only ~15 x 20 pixels (predictions are
#   resized back to 64 x 96 for scoring);
# * the cross-entropy is not class-balanced (balanced=False): eq. 2's
#   beta ~ 0.95 weighs a small object ~19x the background, which makes an
#   early model predict dilated masks (plugins/fastgan/README.md).
#
#   python tools/train.py configs/fastgan/fastgan-stage1_r18_toy-davis.py
#   python tools/train.py configs/fastgan/fastgan_r18_toy-davis.py
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['plugins.fastgan'], allow_failed_imports=False)

data_root = 'data/toy/davis'
num_window_frames = 4  # K
scale = (192, 128)  # (w, h): toy frames upsampled 2x
# the shared toy DAVIS data (configs/_base_/datasets/toy_davis.py's spec)
toy_spec = dict(videos=24, val_videos=6, frames=12, size=(64, 96), seed=0)

model = dict(
    type='FaSTGAN',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    generator=dict(
        type='FaSTGANRegressor',
        backbone=dict(type='ResNet', depth=18, in_channels=4,
                      base_channels=16),
        decoder_channels=32, gc_kernel_size=7),
    loss_ce=dict(type='FaSTGANBalancedBCELoss', loss_weight=100.0,
                 balanced=False),
    n_critic=5)

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipResize', scale=scale, keep_ratio=False),
    dict(type='ClipRandomResize', ratio_range=(0.75, 1.25)),
    dict(type='ClipRandomRotate', max_angle=30.0, prob=1.0),
    dict(type='ClipRandomCrop', crop_size=(128, 192), min_fg_pixels=64,
         fg_frames='first'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipResize', scale=scale, keep_ratio=False),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DAVISDataset', data_root=data_root, year='2017',
                 split='train', toy_spec=toy_spec,
                 clip_sampler=dict(type='VOSClipSampler',
                                   num_frames=num_window_frames + 1,
                                   max_skip=1, random_reference=True),
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type='DAVISDataset', data_root=data_root, year='2017',
                 split='val', test_mode=True, toy_spec=toy_spec,
                 test_chunk_len=8,  # memory flat in video length
                 pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='DAVISMetric', gt_root=data_root, year='2017',
                      split='val')
val_evaluator = test_evaluator
submit_evaluator = dict(type='DAVISSubmission')
val_cfg = dict(type='VideoValLoop')
test_cfg = dict(type='VideoTestLoop')

max_iters = 300
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
adam = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))
optim_wrapper = dict(constructor='MultiOptimWrapperConstructor',
                     generator=adam)
param_scheduler = dict(generator=[
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0,
         end=max_iters)
])
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=max_iters))
model_wrapper_cfg = dict(type='vostoolkit.VOSSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
test_model = dict(critic_spatial=None, critic_temporal=None)
