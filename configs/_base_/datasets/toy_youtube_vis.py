# Toy YouTube-VIS-format videos, generated under data/toy/youtube_vis on
# first use when missing: train.json / valid.json (valid WITH annotations,
# so AP is computed locally), {train,valid}/JPEGImages/<vid>/00000.jpg.
# Instances enter late and leave (null segmentations), occlude each other;
# segmentations mix polygons, uncompressed and compressed RLE.
dataset_type = 'YouTubeVISDataset'
data_root = 'data/toy/youtube_vis'
toy_spec = dict(videos=24, val_videos=6, frames=16, size=(64, 96), seed=0)

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations', drop_absent=True),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='PackVideoInputs'),
]
clip_sampler = dict(type='VISClipSampler', num_frames=4, window=5)

train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='train.json',
                 data_prefix=dict(img='train/JPEGImages'), toy_spec=toy_spec,
                 clip_sampler=clip_sampler, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='valid.json',
                 data_prefix=dict(img='valid/JPEGImages'), toy_spec=toy_spec,
                 test_mode=True, test_chunk_len=4, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='YouTubeVISMetric',
                     ann_file=f'{data_root}/valid.json')
test_evaluator = val_evaluator
