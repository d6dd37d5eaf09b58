# MinVIS with a small ResNet-18 on the toy YouTube-VIS videos (the core
# generator's; the same videos as the NOVIS toy config, so that the two toy
# APs compare), for CPUs. Same method as minvis_r50_ytvis19.py (single
# frames, Mask2Former losses, frame-to-frame query matching); the network is
# narrower and shallower so that training fits in minutes on 2 CPU cores.
#
# Two stages, as the paper's models start from image-pretrained weights:
#   python tools/train.py configs/pretrain/pretrain_r18_toy-ytvis.py
#   python tools/train.py configs/minvis/minvis_r18_toy-ytvis.py
#   python tools/test.py configs/minvis/minvis_r18_toy-ytvis.py \
#       work_dirs/minvis_r18_toy-ytvis/iter_1500.pth [--submit out.zip]
#
# The 64 x 96 toy frames are up-sampled x2 (train and test) so that the
# stride-4 mask features are 32 x 48 (toy objects are about 15 px wide).
_base_ = ['./minvis_r50_ytvis19.py']

data_root = 'data/toy/youtube_vis_novis'
# 120 training videos, 30 val videos (75 instances), 3 categories
toy_spec = dict(videos=120, val_videos=30, frames=16, size=(64, 96), seed=0)
num_classes = 3
num_points = 512
top_k = 10
width = 64
upscale = 2
# the backbone weights written by the pretraining stage (instead of the
# converted COCO Mask2Former of the base config)
pretrained = 'work_dirs/pretrain_r18_toy-ytvis/backbone.pth'
load_from = None

model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=18, base_channels=16,
                  frozen_bn=False,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    pixel_decoder=dict(in_channels=(16, 32, 64, 128), feat_channels=width,
                       out_channels=width, num_encoder_layers=2, num_heads=4,
                       ffn_channels=2 * width, num_groups=8),
    # 3 decoder layers (one pass over the three levels) instead of 9, and 10
    # queries for 1-4 objects per frame: unmatched queries are about 3 in 4,
    # so the no-object class is not down-weighted.
    decoder=dict(num_classes=num_classes, in_channels=width,
                 mask_channels=width, embed_dims=width, num_queries=10,
                 num_heads=4, num_layers=3, ffn_channels=4 * width,
                 num_points=num_points, matcher=dict(num_points=num_points),
                 loss_cls=dict(no_object_weight=1.0, loss_weight=5.0)),
    test_cfg=dict(top_k=top_k))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ClipRandomResize', ratio_range=(0.8 * upscale, 1.25 * upscale)),
    dict(type='ClipRandomCrop', crop_size=(64 * upscale, 96 * upscale),
         min_fg_pixels=16 * upscale**2, fg_frames='all'),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='ClipResize', shortest_edge=64 * upscale),
    dict(type='PackVideoInputs'),
]
# 8 single frames per step (the NOVIS toy config's 2 clips of 4 frames)
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, toy_spec=toy_spec,
                 pipeline=train_pipeline))
test_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=0,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type='YouTubeVISDataset', data_root=data_root,
                 ann_file='valid.json',
                 data_prefix=dict(img='valid/JPEGImages'), toy_spec=toy_spec,
                 test_mode=True, test_chunk_len=4, pipeline=test_pipeline))
val_dataloader = dict(test_dataloader)
val_dataloader.pop('_delete_')
# The toy validation split has labels: score it.
test_evaluator = dict(_delete_=True, type='YouTubeVISMetric',
                      ann_file=f'{data_root}/valid.json', topk=top_k)
val_evaluator = dict(type='YouTubeVISMetric',
                     ann_file=f'{data_root}/valid.json', topk=top_k)
submit_evaluator = dict(ann_file=f'{data_root}/valid.json', topk=top_k)
val_cfg = dict(type='VideoValLoop')

max_iters = 1500
# no validation during training: tools/test.py scores the checkpoint
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=1.0, decay_mult=1.0)}))
# warm-up, then the LR drops at 76 % and 95 % of the run
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[1140, 1430], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=max_iters))
