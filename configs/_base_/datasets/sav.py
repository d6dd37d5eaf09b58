# SA-V (Segment Anything Video) val / test, laid out as released:
#   data/sav/sav_val/sav_val.txt                            (video list)
#   data/sav/sav_val/JPEGImages_24fps/<vid>/00000.jpg         (every frame)
#   data/sav/sav_val/Annotations_6fps/<vid>/<obj>/00000.png   (every 4th)
# and the training set (released as mp4 + JSON masklets) in the same layout
# under data/sav/sav_train/ once converted (docs/datasets.md, SA-V train):
#   python tools/dataset_converters/sav_train.py SAV_TRAIN_DIR \
#       data/sav/sav_train --annotated-only
# One binary PNG per object (masks overlap): samples carry per-object masks
# (gt_instances) beside an id map (gt_obj_masks, the smaller object on top).
# Videos are long at 24 fps: tests read them in chunks of 32 frames. For the
# test split set split='test' in the dataset, metric and writer.
dataset_type = 'SAVDataset'
data_root = 'data/sav'

# train clips: a reference frame and two more, steps counted in annotated
# (6 fps) frames
train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
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
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVOSAnnotations'),
    dict(type='PackVideoInputs'),
]
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, split='val',
                 test_mode=True, test_chunk_len=32, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SAVMetric', data_root=data_root, split='val')
test_evaluator = val_evaluator
# tools/test.py --submit: one binary PNG per object on the annotated frames,
# the layout sam2's sav_evaluator.py reads as --pred_root
submit_evaluator = dict(type='SAVSubmission', data_root=data_root,
                        split='val')
