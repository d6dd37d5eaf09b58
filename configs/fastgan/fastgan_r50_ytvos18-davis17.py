# FaSTGAN, the final model (paper section 5): the stage-1 regressor
# (fastgan-stage1_r50_ytvos18.py) trained 40 epochs on DAVIS 2017 train
# against the spatial and temporal WGAN-GP critics (eq. 5: lambda_CE = 100,
# lambda_S = lambda_T = 1, lambda_gp = 10); each iteration steps both
# critics, every 5th also the regressor; the ground-truth trick for the
# critics' real masks; learning rate constant for 10 epochs, then polynomial
# decay (power 0.9). Clips are a random reference M_n + a window of K = 4
# frames (BPTT); 512 x 512 crops, flips, scale 0.75-1.25, rotation +-30.
#
# One epoch = one clip per annotated frame: DAVIS 2017 train has 60
# sequences and 4209 frames, i.e. 4209 / 6 = 702 iterations per epoch;
# 40 epochs = 28080 iterations (5616 regressor steps).
#
#   python tools/train.py configs/fastgan/fastgan-stage1_r50_ytvos18.py
#   python tools/train.py configs/fastgan/fastgan_r50_ytvos18-davis17.py
#   python tools/test.py configs/fastgan/fastgan_r50_ytvos18-davis17.py \
#       work_dirs/fastgan_r50_ytvos18-davis17/iter_28080.pth --submit out.zip
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['plugins.fastgan'], allow_failed_imports=False)

data_root = 'data/DAVIS'
load_from = 'work_dirs/fastgan-stage1_r50_ytvos18/iter_94000.pth'
num_window_frames = 4  # K
crop_size = (512, 512)
epoch = 702

model = dict(
    type='FaSTGAN',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=64),
    generator=dict(
        type='FaSTGANRegressor',
        # ImageNet weights come with the stage-1 checkpoint (load_from)
        backbone=dict(type='ResNet', depth=50, in_channels=4,
                      frozen_bn=True),
        decoder_channels=256, gc_kernel_size=7),
    critic_spatial=dict(type='FaSTGANSpatialCritic', base_channels=64,
                        max_channels=512, num_downsamples=6),
    critic_temporal=dict(type='FaSTGANTemporalCritic',
                         num_frames=num_window_frames,
                         base_channels=64, max_channels=512,
                         num_downsamples=6),
    loss_ce=dict(type='FaSTGANBalancedBCELoss', loss_weight=100.0),
    loss_critic=dict(type='FaSTGANCriticLoss', loss_weight=1.0,
                     lambda_gp=10.0),
    loss_adv_spatial=dict(type='FaSTGANAdversarialLoss', loss_weight=1.0),
    loss_adv_temporal=dict(type='FaSTGANAdversarialLoss', loss_weight=1.0),
    n_critic=5, gt_uncertainty=0.25, gt_noise='prediction')
# tools/test.py builds the model without its critics
test_model = dict(critic_spatial=None, critic_temporal=None)

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
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipResize', scale=crop_size, keep_ratio=False),
    dict(type='PackVideoInputs'),
]
clip_sampler = dict(type='VOSClipSampler', num_frames=num_window_frames + 1,
                    max_skip=3, random_reference=True, direction='forward')
train_dataloader = dict(
    batch_size=6, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DAVISDataset', data_root=data_root, year='2017',
                 split='train', clip_sampler=clip_sampler,
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=2,
    sampler=dict(type='VideoShardSampler'),
    # videos go to the model 8 frames at a time (memory flat in length)
    dataset=dict(type='DAVISDataset', data_root=data_root, year='2017',
                 split='val', test_mode=True, test_chunk_len=8,
                 pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='DAVISMetric', gt_root=data_root, year='2017',
                      split='val')
val_evaluator = test_evaluator
submit_evaluator = dict(type='DAVISSubmission')
val_cfg = dict(type='VideoValLoop')
test_cfg = dict(type='VideoTestLoop')

max_iters = 40 * epoch
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=5 * epoch)
adam = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-5, betas=(0.5, 0.999)))
optim_wrapper = dict(constructor='MultiOptimWrapperConstructor',
                     generator=adam, critic_spatial=adam,
                     critic_temporal=adam)
schedule = [
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0,
         end=10 * epoch),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False,
         begin=10 * epoch, end=max_iters),
]
param_scheduler = dict(generator=schedule, critic_spatial=schedule,
                       critic_temporal=schedule)
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=5 * epoch))
model_wrapper_cfg = dict(type='vostoolkit.VOSSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
