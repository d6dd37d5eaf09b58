# VOST (TRI-ML/VOST), laid out as released:
#   data/vost/JPEGImages/<seq>/<frame>.jpg     (the annotated frames)
#   data/vost/Annotations/<seq>/<frame>.png    (palette ids, 255 ignored)
#   data/vost/ImageSets/{train,val}.txt
# Scored on val with J and J_last (VOSTMetric); --submit writes
# <seq>/<frame>.png. Another root: --cfg-options data_root=/my/vost.
dataset_type = 'VOSTDataset'
data_root = 'data/vost'

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
clip_sampler = dict(type='VOSClipSampler', num_frames=3, max_skip=5,
                    random_reference=True)

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 clip_sampler=clip_sampler, pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, split='val',
                 test_mode=True, test_chunk_len=32, pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='VOSTMetric', gt_root=data_root)
val_evaluator = test_evaluator
submit_evaluator = dict(type='VOSTSubmission')
