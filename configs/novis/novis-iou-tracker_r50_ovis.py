# NOVIS, ResNet-50, OVIS at the normal scale, with the handcrafted tracker of
# the paper's ablation (Table 3, "heuristic"; measured there on an OVIS
# training split: 21.9 AP, against 23.3 with overlap embeddings): clips of
# T=4 frames every S=2 matched by the volumetric mask IoU on their shared
# frames plus the agreement of their class probabilities. The model and its
# training are novis_r50_ovis.py's; only the tracking between clips differs,
# so that config's weights serve as they are:
#   python tools/test.py configs/novis/novis-iou-tracker_r50_ovis.py CKPT \
#       --submit out.zip [--cfg-options data_root=DIR]
_base_ = ['./novis_r50_ytvis19.py']

# OVIS as in novis_r50_ovis.py (a child of the YouTube-VIS 2019 config, not
# of that one, to keep configs at most 3 files deep)
data_root = 'data/ovis'
max_iters = 16000
top_k = 30
load_from = 'checkpoints/mask2former_r50_coco-instance_25cls.pth'

model = dict(decoder=dict(num_classes=25),
             tracker=dict(_delete_=True, type='IoUClassClipTracker',
                          class_weight=1.0),
             overlap_embeddings=False,
             test_cfg=dict(top_k=top_k))
train_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_train.json', data_prefix=dict(img='train')))
test_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_valid.json', data_prefix=dict(img='valid')))
test_evaluator = dict(
    out_file='work_dirs/novis-iou-tracker_r50_ovis_results.zip',
    ann_file=f'{data_root}/annotations_valid.json', topk=top_k)
submit_evaluator = dict(ann_file=f'{data_root}/annotations_valid.json',
                        topk=top_k)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[8000, 12000], gamma=0.1),
]
