# NOVIS, ResNet-50, YouTube-VIS 2021 (Table 4: 14k iterations, LR drops at
# 6k and 10k, top-k 10). Data under data/youtube_vis_2021 as released:
# {train,valid}/JPEGImages and {train,valid}/instances.json.
# Starts from the same converted COCO checkpoint as novis_r50_ytvis19.py
# (40 classes).
_base_ = ['./novis_r50_ytvis19.py']

data_root = 'data/youtube_vis_2021'
max_iters = 14000

model = dict(decoder=dict(num_classes=40))
train_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file='train/instances.json'))
test_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file='valid/instances.json'))
test_evaluator = dict(out_file='work_dirs/novis_r50_ytvis21_results.zip',
                      ann_file=f'{data_root}/valid/instances.json')
submit_evaluator = dict(ann_file=f'{data_root}/valid/instances.json')
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[6000, 10000], gamma=0.1),
]
