# FRTM-VOS "Ours" (Robinson et al.) as the authors' code runs it: frozen
# ImageNet ResNet-101, target model D on conv4_x (c=96, t_s=8, N_GN=5,
# N_CGi=5, N_CG=10, N_CGu=10, M0 of 5 samples), refinement network R on
# conv2_x..conv5_x, trained on YouTube-VOS 2018 train + DAVIS 2017 train
# (DAVIS 8 times per epoch): the authors' training set "all". Tested on
# DAVIS 2017 val. The authors' weights (rn101_all.pth), converted:
#
#   python tools/model_converters/frtm_official.py rn101_all.pth \
#       checkpoints/frtm_r101_ytvos18-davis17_official.pth \
#       --backbone checkpoints/resnet101-63fe2227.pth
#   python tools/test.py configs/frtm/frtm_r101_ytvos18-davis17.py \
#       checkpoints/frtm_r101_ytvos18-davis17_official.pth
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_iter_adam.py'
]
custom_imports = dict(imports=['plugins.frtm'], allow_failed_imports=False)

# the datasets' folders under one root (docs/datasets.md):
# --cfg-options data_root=DIR moves both
data_root = 'data'
davis_root = f'{data_root}/DAVIS'
ytvos_root = f'{data_root}/youtube_vos_2018'
# torchvision's ImageNet ResNet-101 (resnet101-63fe2227.pth); the backbone
# keeps torchvision's parameter names, so the file loads as it is.
backbone_checkpoint = 'checkpoints/resnet101-63fe2227.pth'

model = dict(
    type='FRTM',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=1),
    # F: conv2_x..conv5_x, frozen (the max-pool output of sec. 3.5 is not
    # read by the authors' refinement network)
    backbone=dict(
        type='ResNet', depth=101, frozen_stages=4, frozen_bn=True,
        out_indices=('layer1', 'layer2', 'layer3', 'layer4'),
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint)),
    target_model=dict(
        type='FRTMTargetModel', num_filters=96, filter_size=3,
        filter_reg=(1e-4, 1e-2), precond=(1e-4, 1e-2), kappa_min=0.1,
        num_gn_steps=5, cg_iters_first=5, cg_iters=10, update_cg_iters=10,
        update_interval=8, memory_size=80, learning_rate=0.1,
        cg_forget_factor=0.9**750),
    head=dict(type='FRTMRefinementHead', channels=64, batch_norm=True),
    augmenter=dict(type='FRTMFirstFrameAugmenter', num_samples=5),
    target_level=2,  # conv4_x, stride 16
    freeze_backbone=True,
    # M0 size while training R (the authors' training script uses 15)
    train_num_samples=15)

# ---------------------------------------------------------------- data
# One reference frame (clip frame 0, drawn anew each time) followed by two
# validation frames of the same video.
clip_sampler = dict(type='VOSClipSampler', num_frames=3, max_skip=5,
                    random_reference=True)
train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipRandomResize', ratio_range=(0.8, 1.2),
         scale=(854, 480)),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='ClipRandomCrop', crop_size=(480, 854), min_fg_pixels=100,
         fg_frames='first'),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='PackVideoInputs'),
]
davis_train = dict(
    type='DAVISDataset', data_root=davis_root, year='2017', split='train',
    clip_sampler=clip_sampler, pipeline=train_pipeline)
ytvos_train = dict(
    type='YouTubeVOSDataset', data_root=ytvos_root, split='train',
    clip_sampler=clip_sampler, pipeline=train_pipeline)

train_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    # the two readers' metainfo differ (name, DAVIS's single class)
    dataset=dict(type='ConcatDataset', ignore_keys=['dataset', 'classes'],
                 datasets=[
                     ytvos_train,
                     dict(type='RepeatDataset', times=8, dataset=davis_train)
                 ]))
test_dataloader = dict(
    batch_size=1, num_workers=2,
    sampler=dict(type='VideoShardSampler'),
    # videos go to the model 8 frames at a time (memory flat in length)
    dataset=dict(type='DAVISDataset', data_root=davis_root, year='2017',
                 split='val', test_mode=True, test_chunk_len=8,
                 pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='DAVISMetric', gt_root=davis_root, year='2017',
                      split='val')
val_evaluator = test_evaluator
# tools/test.py --submit OUT.zip: DAVIS server layout
submit_evaluator = dict(type='DAVISSubmission')

# ------------------------------------------------------------ schedule
# Adam (beta 0.9, 0.999), weight decay 1e-5; lr 1e-3 for 120 epochs, then
# 1e-4 for 60 (sec. 3.3). One epoch, as the authors' script: 4000
# YouTube-VOS clips + 8 x 60 DAVIS clips = 4480 clips = 280 iterations of 16.
max_iters = 180 * 280
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=10 * 280)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=1e-5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[120 * 280],
         gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=10 * 280))
