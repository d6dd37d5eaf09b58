# Toy DAVIS-format videos (vostoolkit.datasets.toy; tools/make_toy_data.py),
# generated under data/toy/davis on first use, with a progress bar, when the
# folder is missing. 3 shape categories with their own textures, 1-4
# objects a video (all on the first frame, as DAVIS), motion, deformation,
# occlusion, objects leaving, textured backgrounds. Configs that point at
# the same root should use the same toy_spec (a different one only warns).
dataset_type = 'DAVISDataset'
data_root = 'data/toy/davis'
toy_spec = dict(videos=24, val_videos=6, frames=12, size=(64, 96), seed=0)
# Toy videos are short: clip frames at most 3 apart; loading is cheap enough
# for the main process.
clip_sampler = dict(type='VOSClipSampler', num_frames=3, max_skip=3,
                    random_reference=True)

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
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, year='2017',
                 split='train', toy_spec=toy_spec, clip_sampler=clip_sampler,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, year='2017',
                 split='val', toy_spec=toy_spec, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DAVISMetric', gt_root=data_root, year='2017',
                     split='val')
test_evaluator = val_evaluator
