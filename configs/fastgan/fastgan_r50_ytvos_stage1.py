# FaSTGAN stage 1 (paper section 5): the regressor phi alone, balanced BCE
# only (lambda_CE = 100), 6 epochs on YouTube-VOS train from ImageNet
# ResNet-50 weights. Clips are a random reference M_n + a window of K = 4
# frames (BPTT); 512 x 512 crops, flips, scale 0.75-1.25, rotation +-30.
# Adam lr 1e-5, betas (0.5, 0.999), batch 6, polynomial decay (power 0.9).
#
# One epoch = as many clips as annotated training frames (each a possible
# reference): YouTube-VOS train has 3471 videos and about 94k annotated
# frames (6 fps), so an epoch is 94k / 6 = 15.6k iterations and 6 epochs are
# 94k iterations.
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['plugins.fastgan'], allow_failed_imports=False)

num_window_frames = 4  # K
crop_size = (512, 512)
ytvos_root = 'data/youtube-vos'
# torchvision's ImageNet ResNet-50 (resnet50-0676ba61.pth); its 3-channel
# conv1 loads into the RGB channels, the mask channel starts at zero.
pretrained = 'checkpoints/resnet50-0676ba61.pth'

model = dict(
    type='FaSTGAN',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=64),
    generator=dict(
        type='FaSTGANRegressor',
        backbone=dict(type='ResNet', depth=50, in_channels=4,
                      frozen_bn=True,
                      init_cfg=dict(type='Pretrained',
                                    checkpoint=pretrained)),
        decoder_channels=256, gc_kernel_size=7),
    # no critics in stage 1 (critic_spatial / critic_temporal unset)
    loss_ce=dict(type='FaSTGANBalancedBCELoss', loss_weight=100.0),
    n_critic=5)

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipResize', scale=crop_size, keep_ratio=False),
    dict(type='ClipRandomResize', ratio_range=(0.75, 1.25)),
    dict(type='ClipRandomRotate', max_angle=30.0, prob=1.0),
    dict(type='ClipRandomCrop', crop_size=crop_size, min_fg_pixels=64,
         fg_frames='first'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackVideoInputs'),
]
# Single scale at test: frames resized to 512 x 512, predictions resized
# back to the original size by the model.
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipResize', scale=crop_size, keep_ratio=False),
    dict(type='PackVideoInputs'),
]

# reference + K frames; YouTube-VOS annotations are every 5th video frame,
# so max_skip=1 means consecutive annotated frames (5 video frames apart).
ytvos_clip_sampler = dict(type='VOSClipSampler',
                          num_frames=num_window_frames + 1, max_skip=1,
                          random_reference=True, direction='forward')
train_dataloader = dict(
    batch_size=6, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='YouTubeVOSDataset', data_root=ytvos_root,
                 split='train', clip_sampler=ytvos_clip_sampler,
                 pipeline=train_pipeline))

max_iters = 94000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters + 1)

adam = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-5, betas=(0.5, 0.999)))
optim_wrapper = dict(constructor='MultiOptimWrapperConstructor',
                     generator=adam)
param_scheduler = dict(generator=[
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0,
         end=max_iters)
])

default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=5000))
# Several optimizers stepped by the model's own train_step: each submodule
# gets its own DDP wrapper.
model_wrapper_cfg = dict(type='vostoolkit.VOSSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
# What tools/test.py should build: the regressor without critics (a GAN
# checkpoint loads into it, its critic weights dropped). Until the core
# applies this key, pass
#   --cfg-options model.critic_spatial=None model.critic_temporal=None
test_model = dict(critic_spatial=None, critic_temporal=None)
