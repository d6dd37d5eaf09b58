# YouTube-VOS 2018, laid out as released:
#   data/youtube_vos_2018/{train,valid}/JPEGImages/<vid>/<frame>.jpg
#   data/youtube_vos_2018/{train,valid}/Annotations/<vid>/<frame>.png
#   data/youtube_vos_2018/{train,valid}/meta.json
#   data/youtube_vos_2018/valid_all_frames/JPEGImages/   (optional)
# `valid` gives each object's first-appearance mask only: it is scored by
# the server, so test/val write a submission zip. Another root:
# --cfg-options data_root=/my/youtube_vos_2018 (moves every nested path).
dataset_type = 'YouTubeVOSDataset'
data_root = 'data/youtube_vos_2018'

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
# Annotations are every 5th video frame: max_skip counts annotated frames.
clip_sampler = dict(type='VOSClipSampler', num_frames=3, max_skip=3,
                    random_reference=True)

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 clip_sampler=clip_sampler, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, split='valid',
                 use_all_frames=False, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='YouTubeVOSSubmission')
test_evaluator = val_evaluator
