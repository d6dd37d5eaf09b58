# Stage 1 of the toy NOVIS and MinVIS recipes: frame-level semantic
# pretraining of a ResNet-18 on the toy YouTube-VIS training videos (train
# split only). It stands in for the papers' starting point, a backbone
# pretrained on images (ImageNet, then Mask2Former on COCO), which the toy
# recipes do without: each pixel of a frame is classified into background or
# its object's category. ExportModuleHook writes the backbone's weights
# (torchvision's names) to work_dirs/pretrain_r18_toy-ytvis/backbone.pth,
# which both toy stage-2 configs start from (novis_r18_toy-ytvis.py,
# minvis_r18_toy-ytvis.py). About 1 minute on 2 CPU cores; a core model, so no
# plugin is imported.
#
#   python tools/train.py configs/pretrain/pretrain_r18_toy-ytvis.py
#   python tools/train.py configs/novis/novis_r18_toy-ytvis.py     # or minvis
_base_ = ['../_base_/default_runtime.py']

# the stage-2 configs' data (the same videos; a test checks they agree)
data_root = 'data/toy/youtube_vis_novis'
toy_spec = dict(videos=120, val_videos=30, frames=16, size=(64, 96), seed=0)
num_classes = 3
upscale = 2

model = dict(
    type='FrameSemanticPretrainer',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    # the stage-2 configs' backbone, so the exported weights fit it
    backbone=dict(type='ResNet', depth=18, base_channels=16,
                  frozen_bn=False),
    # strides 8, 16 and 32 (the levels the query decoders attend to)
    head=dict(type='SemanticFPNHead', in_channels=(32, 64, 128),
              num_classes=num_classes, channels=64, background_weight=0.2),
    in_levels=(1, 2, 3))

# single frames (image-level pretraining), the stage-2 augmentation
train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ClipRandomResize', ratio_range=(0.8 * upscale, 1.25 * upscale)),
    dict(type='ClipRandomCrop', crop_size=(64 * upscale, 96 * upscale),
         min_fg_pixels=16 * upscale**2, fg_frames='all'),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='YouTubeVISDataset', data_root=data_root,
                 ann_file='train.json',
                 data_prefix=dict(img='train/JPEGImages'), toy_spec=toy_spec,
                 clip_sampler=dict(type='VISClipSampler', num_frames=1,
                                   window=0),
                 pipeline=train_pipeline))

max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters + 1)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[1300], gamma=0.1),
]
custom_hooks = [dict(type='ExportModuleHook', module='backbone',
                     filename='backbone.pth')]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=max_iters))
