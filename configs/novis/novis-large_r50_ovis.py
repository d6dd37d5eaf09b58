# NOVIS, ResNet-50, OVIS at the large scale (Table 2, MST 720): shortest edge
# 480-800 for training, 720 for testing, 6272 PointRend points per frame
# (appendix A).
_base_ = ['./novis_r50_ytvis19.py']

# OVIS as in novis_r50_ovis.py (a child of the YouTube-VIS 2019 config, not
# of that one, to keep configs at most 3 files deep)
data_root = 'data/ovis'
max_iters = 16000
top_k = 30
# Mask2Former's COCO instance model, 25-class head (see novis_r50_ovis.py)
load_from = 'checkpoints/mask2former_r50_coco-instance_25cls.pth'

num_points = 6272

model = dict(decoder=dict(num_classes=25, num_points=num_points,
                          matcher=dict(num_points=num_points)),
             test_cfg=dict(top_k=top_k))
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
    dict(type='ClipResize', shortest_edge=720, max_size=1333, backend='pil'),
    dict(type='PackVideoInputs'),
]
train_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_train.json', data_prefix=dict(img='train'),
    pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_valid.json', data_prefix=dict(img='valid'),
    pipeline=test_pipeline))
test_evaluator = dict(out_file='work_dirs/novis-large_r50_ovis_results.zip',
                      ann_file=f'{data_root}/annotations_valid.json',
                      topk=top_k)
submit_evaluator = dict(ann_file=f'{data_root}/annotations_valid.json',
                        topk=top_k)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[8000, 12000], gamma=0.1),
]
