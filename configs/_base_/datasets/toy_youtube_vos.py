# Toy YouTube-VOS-format videos, generated under data/toy/youtube_vos on
# first use when missing: stems every 5th frame (00000, 00005, ...),
# `train` fully annotated, `valid` with each object's first-appearance mask
# only (objects enter late), `valid_all_frames` with every frame. `valid` has
# no full labels (as the real one): val/test write a submission zip.
dataset_type = 'YouTubeVOSDataset'
data_root = 'data/toy/youtube_vos'
toy_spec = dict(videos=24, val_videos=6, frames=12, size=(64, 96), seed=0)

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='PackVideoInputs'),
]
clip_sampler = dict(type='VOSClipSampler', num_frames=3, max_skip=3,
                    random_reference=True)

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 toy_spec=toy_spec, clip_sampler=clip_sampler,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, split='valid',
                 toy_spec=toy_spec, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='YouTubeVOSSubmission')
test_evaluator = val_evaluator
