# LVOS v1 (long-term VOS), laid out as released:
#   data/lvos_v1/{train,valid}/JPEGImages/<vid>/00000001.jpg  (every frame)
#   data/lvos_v1/{train,valid}/Annotations/<vid>/00000001.png (every 5th)
#   data/lvos_v1/{train,valid}/<split>_meta.json  (each object's frame_range)
#   data/lvos_v1/valid/unseen_videos.txt  (lvos-evaluation's list)
# Objects enter part-way (their first mask is on their frame_range start).
# Videos run to thousands of frames: tests read them in chunks of 32.
dataset_type = 'LVOSDataset'
data_root = 'data/lvos_v1'

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
# masks are given on every 5th frame: max_skip counts annotated frames
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
                 test_mode=True, test_chunk_len=32, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='LVOSMetric', data_root=data_root, split='valid')
test_evaluator = val_evaluator
# tools/test.py --submit: the Codalab zip (frames the server reads)
submit_evaluator = dict(type='LVOSSubmission',
                        meta_file=f'{data_root}/valid/valid_meta.json')
