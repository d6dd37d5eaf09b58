# NOVIS with a small ResNet-18 on the toy YouTube-VIS videos (the core
# generator's, written under data/toy/youtube_vis_novis on first use), for
# CPUs: `make quickstart` trains and tests it. Same method as the benchmark
# configs (T=4 clips within +-5 frames, volumetric dice, overlap-embedding
# tracking, T=4 / S=2 near-online inference); the network is narrower and
# shallower so that training fits in minutes on 2 CPU cores.
#
# Two stages, as the paper's models start from image-pretrained weights:
#   python tools/train.py configs/pretrain/pretrain_r18_toy-ytvis.py
#   python tools/train.py configs/novis/novis_r18_toy-ytvis.py
#   python tools/test.py configs/novis/novis_r18_toy-ytvis.py \
#       work_dirs/novis_r18_toy-ytvis/iter_1500.pth [--submit out.zip]
#
# The 64 x 96 toy frames are up-sampled x2 (train and test) so that the
# stride-4 mask features are 32 x 48: at 16 x 24 the toy objects (about
# 15 px wide) would be only 4 cells across.
_base_ = ['./novis_r50_ytvis19.py']

data_root = 'data/toy/youtube_vis_novis'
# 120 training videos, 30 val videos (75 instances), 3 categories
toy_spec = dict(videos=120, val_videos=30, frames=16, size=(64, 96), seed=0)
num_classes = 3
clip_len = 4
num_points = 512
top_k = 10
width = 64
load_from = None
upscale = 2
# the backbone weights written by the pretraining stage
pretrained = 'work_dirs/pretrain_r18_toy-ytvis/backbone.pth'

model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(_delete_=True, type='ResNet', depth=18, base_channels=16,
                  frozen_bn=False,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    # trained from scratch: Deformable DETR's sine encoding (cell
    # centres, offset -0.5) and an N(0, 1) learned temporal encoding
    pixel_decoder=dict(in_channels=(16, 32, 64, 128), feat_channels=width,
                       out_channels=width, num_encoder_layers=2, num_heads=4,
                       ffn_channels=2 * width, num_groups=8,
                       positional_encoding=dict(offset=-0.5)),
    # 3 decoder layers (one pass over the three levels) instead of
    # Mask2Former's 9, for training time on a CPU.
    decoder=dict(num_classes=num_classes, in_channels=width,
                 mask_channels=width, embed_dims=width, num_queries=10,
                 num_heads=4, num_layers=3, ffn_channels=4 * width,
                 positional_encoding=dict(offset=-0.5),
                 temporal_init='normal',
                 num_points=num_points, matcher=dict(num_points=num_points),
                 # 10 queries for 1-4 objects: unmatched queries are about 3
                 # in 4, not 93 in 100 as in Mask2Former's COCO setting, so
                 # the no-object class is not down-weighted; from scratch
                 # the classes are the slowest part to learn, so their loss
                 # weighs more than in the paper.
                 loss_cls=dict(no_object_weight=1.0, loss_weight=5.0)),
    # An auxiliary loss (mmseg's auxiliary_head): the pretraining stage's
    # per-pixel category task goes on on the backbone's strides 8-32 during
    # training; it is not used at test time.
    auxiliary_head=dict(type='SemanticFPNHead', in_channels=(32, 64, 128),
                        num_classes=num_classes, channels=64,
                        background_weight=0.2, loss_weight=2.0,
                        upsample_logits=False),
    auxiliary_levels=(1, 2, 3),
    test_cfg=dict(top_k=top_k))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations'),
    dict(type='ClipRandomReverse', prob=0.5),
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
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='train.json',
                 data_prefix=dict(img='train/JPEGImages'), toy_spec=toy_spec,
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

# About 7 minutes on 2 CPU cores (0.2-0.3 s per iteration).
max_iters = 1500
# no validation during training: tools/test.py scores the checkpoint
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
optim_wrapper = dict(
    # fused AdamW: the same update in one kernel per step
    optimizer=dict(lr=1e-3, fused=True),
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
