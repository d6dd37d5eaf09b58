# MOSE v2 (henghuiding/MOSE-api, MOSEv2), laid out as released (as MOSE v1):
#   data/mose_v2/{train,valid}/JPEGImages/<video>/00000.jpg
#   data/mose_v2/{train,valid}/Annotations/<video>/00000.png  (palette ids)
# `valid` gives the first frame's mask only: testing writes the zip the
# server scores (J&F_new, J, F_new, ...).
# Another root: --cfg-options data_root=/my/mose_v2.
dataset_type = 'MOSEv2Dataset'
data_root = 'data/mose_v2'

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
    dataset=dict(type=dataset_type, data_root=data_root, split='valid',
                 test_mode=True, test_chunk_len=32, pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(type='MOSEv2Submission',
                      out_file='work_dirs/mose_v2_valid_submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(type='MOSEv2Submission')
