# NOVIS, ResNet-50, YouTube-VIS 2019 (paper Table 1; Table 4: 12k iterations,
# LR drops at 4k and 8k, top-k 10). Clips of T=4 frames drawn within +-5
# frames of a random reference; shortest edge 228-512 for training and 360
# for testing; near-online inference with T=4 / S=2.
#
#   python tools/train.py configs/novis/novis_r50_ytvis19.py \
#       [--cfg-options data_root=DIR]
#   python tools/test.py configs/novis/novis_r50_ytvis19.py CKPT --submit out.zip \
#       [--cfg-options data_root=DIR]
#
# Paths: the dataset as released under data/youtube_vis_2019
# (train/JPEGImages, train.json, valid/JPEGImages, valid.json).
# `--cfg-options data_root=DIR` moves every path below (dataset roots and
# the evaluators' annotation files: tools/train.py and tools/test.py re-root
# them). A dataset with another category count needs
# `model.decoder.num_classes=K` too: a predicted label outside the split's
# categories stops the evaluator with an error naming the file.
#
# As the paper, training starts from Mask2Former's COCO instance model
# (model_final_3c8ec9.pkl, see plugins/novis/README.md), converted once:
#   python tools/model_converters/mask2former_d2.py model_final_3c8ec9.pkl \
#       checkpoints/mask2former_r50_coco-instance_40cls.pth --num-classes 40 \
#       --config configs/novis/novis_r50_ytvis19.py
# The network is Mask2Former's (sine encodings without offset, the pixel
# decoder in float32, detectron2's test-time resize); the learned temporal
# encoding, which Mask2Former has not, starts at zero.
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['plugins.novis'], allow_failed_imports=False)

data_root = 'data/youtube_vis_2019'
num_classes = 40
clip_len = 4
num_points = 3136  # PointRend points per frame at the 228-512 scale range
top_k = 10

model = dict(
    type='NOVIS',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='ResNet', depth=50, frozen_bn=True, frozen_stages=-1,
                  init_cfg=None),
    pixel_decoder=dict(
        type='MSDeformAttnPixelDecoder', in_channels=(256, 512, 1024, 2048),
        feat_channels=256, out_channels=256, num_encoder_levels=3,
        num_encoder_layers=6, num_heads=8, num_points=4, ffn_channels=1024,
        dropout=0.0, num_groups=32),
    decoder=dict(
        type='NOVISVideoDecoder', num_classes=num_classes, in_channels=256,
        mask_channels=256, embed_dims=256, num_queries=100, num_heads=8,
        num_layers=9, num_levels=3, ffn_channels=2048, dropout=0.0,
        pre_norm=False, temporal_encoding='learned', max_frames=clip_len,
        temporal_init='zeros',
        num_points=num_points, oversample_ratio=3.0,
        importance_sample_ratio=0.75,
        matcher=dict(type='HungarianMatcher', cost_class=2.0, cost_mask=5.0,
                     cost_dice=5.0, num_points=num_points),
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=2.0,
                      no_object_weight=0.1),
        loss_mask=dict(type='MaskBCELoss', loss_weight=5.0),
        loss_dice=dict(type='DiceLoss', loss_weight=5.0, volumetric=True)),
    tracker=dict(type='CosineClipTracker'),
    clip_len=clip_len, stride=2, overlap_embeddings=True,
    # test-time options: predictions kept per video; one view (the
    # paper's); e.g. tta.scales=(1.0,1.25) tta.flip=True for augmentation
    test_cfg=dict(top_k=top_k, tta=dict(scales=(1.0, ), flip=False)))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations'),
    dict(type='ClipRandomReverse', prob=0.5),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ClipRandomCrop', crop_size=(600, 600), pad_if_smaller=False,
         min_fg_pixels=64, fg_frames='all'),
    dict(type='ClipResize', shortest_edge=(228, 512), sample_style='range',
         max_size=1333),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='ClipResize', shortest_edge=360, max_size=1333, backend='pil'),
    dict(type='PackVideoInputs'),
]

# Batch 8 as the paper: 8 GPUs x 1 clip (tools/dist_train.sh CONFIG 8).
train_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='YouTubeVISDataset', data_root=data_root, ann_file='train.json',
        data_prefix=dict(img='train/JPEGImages'),
        clip_sampler=dict(type='VISClipSampler', num_frames=clip_len,
                          window=5),
        pipeline=train_pipeline))
# Whole videos in chunks of 2 frames: NOVIS streams them (memory does not
# grow with the video).
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=False,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(
        type='YouTubeVISDataset', data_root=data_root, ann_file='valid.json',
        data_prefix=dict(img='valid/JPEGImages'), test_mode=True,
        test_chunk_len=2, pipeline=test_pipeline))
# The validation split has no public labels: testing writes the server zip.
test_evaluator = dict(type='YouTubeVISSubmission',
                      out_file='work_dirs/novis_r50_ytvis19_results.zip',
                      ann_file=f'{data_root}/valid.json', topk=top_k)
submit_evaluator = dict(type='YouTubeVISSubmission',
                        ann_file=f'{data_root}/valid.json', topk=top_k)
test_cfg = dict(type='VideoTestLoop')

# Mask2Former's optimiser; NOVIS drops the LR twice (Table 4).
max_iters = 12000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters + 1)
embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8,
                   betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1, decay_mult=1.0),
            'query_embed': embed_multi,
            'query_feat': embed_multi,
            'level_embed': embed_multi,
            'temporal_encoding': embed_multi,
        },
        norm_decay_mult=0.0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[4000, 8000], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
load_from = 'checkpoints/mask2former_r50_coco-instance_40cls.pth'
default_hooks = dict(checkpoint=dict(interval=2000))
