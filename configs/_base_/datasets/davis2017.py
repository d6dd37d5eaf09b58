# DAVIS 2017 semi-supervised VOS, laid out as released:
#   data/DAVIS/JPEGImages/480p/<seq>/00000.jpg
#   data/DAVIS/Annotations/480p/<seq>/00000.png   (palette ids, 255 void)
#   data/DAVIS/ImageSets/2017/{train,val}.txt
# Another root: --cfg-options data_root=/my/DAVIS (moves every nested path).
dataset_type = 'DAVISDataset'
data_root = 'data/DAVIS'
year = '2017'

train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackVideoInputs'),
]
# Test clips carry the first-frame masks (semi-supervised protocol).
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='PackVideoInputs'),
]
# One reference frame + following frames (FRTM-VOS: 1 + 2).
clip_sampler = dict(type='VOSClipSampler', num_frames=3, max_skip=5,
                    random_reference=True)

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, year=year,
                 split='train', resolution='480p', clip_sampler=clip_sampler,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, year=year,
                 split='val', resolution='480p', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DAVISMetric', gt_root=data_root, year=year,
                     split='val')
test_evaluator = val_evaluator
