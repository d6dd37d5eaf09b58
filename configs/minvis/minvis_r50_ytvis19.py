# MinVIS, ResNet-50, YouTube-VIS 2019 (Huang et al., NeurIPS 2022; the
# authors' video_maskformer2_R50_bs32_8ep_frame.yaml): Mask2Former for images
# trained on single frames of the training videos, 16 frames per batch, 6000
# iterations, LR x0.1 at 4000; shortest edge 360 or 480 for training and 360
# for testing; online inference, queries matched frame to frame.
#
#   python tools/train.py configs/minvis/minvis_r50_ytvis19.py \
#       [--cfg-options data_root=DIR]
#   python tools/test.py configs/minvis/minvis_r50_ytvis19.py CKPT \
#       --submit out.zip [--cfg-options data_root=DIR]
#
# Paths: the dataset as released under data/youtube_vis_2019
# (train/JPEGImages, train.json, valid/JPEGImages, valid.json);
# `--cfg-options data_root=DIR` moves every path below.
#
# As the paper, training starts from Mask2Former's COCO instance model
# (model_final_3c8ec9.pkl, see plugins/minvis/README.md), converted once
# with its class head re-initialised for the 40 categories:
#   python tools/model_converters/mask2former_d2.py model_final_3c8ec9.pkl \
#       checkpoints/mask2former_r50_coco-instance_40cls.pth --num-classes 40 \
#       --config configs/minvis/minvis_r50_ytvis19.py
# (NOVIS's configs start from the same file.) The network is Mask2Former's
# (sine encodings without offset, the pixel decoder in float32, detectron2's
# test-time resize).
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['plugins.minvis'], allow_failed_imports=False)

data_root = 'data/youtube_vis_2019'
num_classes = 40
num_points = 12544  # Mask2Former's PointRend points per image
top_k = 10

model = dict(
    type='MinVIS',
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
    # Mask2Former's image decoder: the core's mask-tube head on clips of
    # one frame, with the 2-D sine encoding only (no temporal encoding).
    decoder=dict(
        type='Mask2FormerVideoHead', num_classes=num_classes,
        in_channels=256, mask_channels=256, embed_dims=256, num_queries=100,
        num_heads=8, num_layers=9, num_levels=3, ffn_channels=2048,
        dropout=0.0, pre_norm=False, temporal_encoding='none', max_frames=1,
        num_points=num_points, oversample_ratio=3.0,
        importance_sample_ratio=0.75,
        matcher=dict(type='HungarianMatcher', cost_class=2.0, cost_mask=5.0,
                     cost_dice=5.0, num_points=num_points),
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=2.0,
                      no_object_weight=0.1),
        loss_mask=dict(type='MaskBCELoss', loss_weight=5.0),
        loss_dice=dict(type='DiceLoss', loss_weight=5.0)),
    # tracking: Hungarian matching of the query embeddings (cosine)
    # between consecutive frames
    tracker=dict(type='CosineClipTracker'),
    test_cfg=dict(top_k=top_k))

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ClipResize', shortest_edge=[360, 480], max_size=1333),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='ClipResize', shortest_edge=360, max_size=1333, backend='pil'),
    dict(type='PackVideoInputs'),
]

# 16 frames per step: tools/dist_train.sh CONFIG 8 (8 GPUs x 2 frames).
train_dataloader = dict(
    batch_size=2, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='YouTubeVISDataset', data_root=data_root, ann_file='train.json',
        data_prefix=dict(img='train/JPEGImages'),
        # one frame per sample: MinVIS trains an image model
        clip_sampler=dict(type='VISClipSampler', num_frames=1, window=0),
        pipeline=train_pipeline))
# Whole videos in chunks of 8 frames: each chunk is segmented as a batch and
# tracked frame by frame (memory does not grow with the video).
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=False,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(
        type='YouTubeVISDataset', data_root=data_root, ann_file='valid.json',
        data_prefix=dict(img='valid/JPEGImages'), test_mode=True,
        test_chunk_len=8, pipeline=test_pipeline))
# The validation split has no public labels: testing writes the server zip.
test_evaluator = dict(type='YouTubeVISSubmission',
                      out_file='work_dirs/minvis_r50_ytvis19_results.zip',
                      ann_file=f'{data_root}/valid.json', topk=top_k)
submit_evaluator = dict(type='YouTubeVISSubmission',
                        ann_file=f'{data_root}/valid.json', topk=top_k)
test_cfg = dict(type='VideoTestLoop')

max_iters = 6000
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
        },
        norm_decay_mult=0.0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[4000], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
load_from = 'checkpoints/mask2former_r50_coco-instance_40cls.pth'
default_hooks = dict(checkpoint=dict(interval=2000))
