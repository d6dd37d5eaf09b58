# YouTube-VIS 2019, laid out as released:
#   data/youtube_vis_2019/train.json, valid.json
#   data/youtube_vis_2019/{train,valid}/JPEGImages/<vid>/<frame>.jpg
# `valid.json` has no annotations (scored by the server): val/test write a
# results zip. Another root: --cfg-options data_root=/my/youtube_vis_2019
# (moves every nested path).
dataset_type = 'YouTubeVISDataset'
data_root = 'data/youtube_vis_2019'
train_ann, train_img = 'train.json', 'train/JPEGImages'
val_ann, val_img = 'valid.json', 'valid/JPEGImages'

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations', drop_absent=True),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ClipResize', shortest_edge=(288, 512), max_size=1333),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='ClipResize', shortest_edge=360),
    dict(type='PackVideoInputs'),
]
# NOVIS appendix A: T frames within +-5 frames of a random reference.
clip_sampler = dict(type='VISClipSampler', num_frames=4, window=5)

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=train_ann,
                 data_prefix=dict(img=train_img), clip_sampler=clip_sampler,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=val_ann,
                 data_prefix=dict(img=val_img), test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='YouTubeVISSubmission')
test_evaluator = val_evaluator
