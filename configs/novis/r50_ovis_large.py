# NOVIS, ResNet-50, OVIS at the large scale (Table 2, MST 720): shortest edge
# 480-800 for training, 720 for testing, 6272 PointRend points per frame
# (appendix A).
_base_ = ['./r50_ovis.py']

num_points = 6272

model = dict(decoder=dict(num_points=num_points,
                          matcher=dict(num_points=num_points)))
train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='LoadVISAnnotations'),
    dict(type='ClipRandomReverse', prob=0.5),
    dict(type='ClipRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ClipRandomCrop', crop_size=(600, 600), pad_if_smaller=False,
         min_fg_pixels=64, fg_frames='all'),
    dict(type='ClipResize', shortest_edge=(480, 800), sample_style='range',
         max_size=1333),
    dict(type='PackVideoInputs'),
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='ClipResize', shortest_edge=720, max_size=1333),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_evaluator = dict(out_file='work_dirs/novis_r50_ovis_large_results.zip')
