# NOVIS, ResNet-50, OVIS at the normal scale (Table 2, MST 360; Table 4:
# 16k iterations, LR drops at 8k and 12k, top-k 30: OVIS videos hold more
# than 20 objects). Data under data/ovis as released: train/, valid/,
# annotations_train.json, annotations_valid.json.
#
#   python tools/train.py configs/novis/novis_r50_ovis.py
#
# Elsewhere, or on another dataset in the OVIS layout (K categories):
#   python tools/train.py configs/novis/novis_r50_ovis.py --cfg-options \
#       data_root=DIR model.decoder.num_classes=K
#   python tools/test.py configs/novis/novis_r50_ovis.py CKPT --submit out.zip \
#       --cfg-options data_root=DIR model.decoder.num_classes=K
# (the toy OVIS-format data: vostoolkit.datasets.toy, fmt='ovis'). For the
# YouTube-VIS layout also set train_dataloader.dataset.type=
# YouTubeVISDataset, ann_file=train.json, data_prefix.img=train/JPEGImages
# and the test split's equivalents (test_dataloader.dataset.*,
# test_evaluator.ann_file, submit_evaluator.ann_file), or use r50_ytvis19.py
# with data_root=DIR.
#
# Starts from Mask2Former's COCO instance model with a 25-class head:
#   python tools/model_converters/mask2former_d2.py model_final_3c8ec9.pkl \
#       checkpoints/mask2former_r50_coco-instance_25cls.pth --num-classes 25 \
#       --config configs/novis/novis_r50_ovis.py
_base_ = ['./novis_r50_ytvis19.py']

data_root = 'data/ovis'
max_iters = 16000
top_k = 30
load_from = 'checkpoints/mask2former_r50_coco-instance_25cls.pth'

model = dict(decoder=dict(num_classes=25), test_cfg=dict(top_k=top_k))
train_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_train.json', data_prefix=dict(img='train')))
test_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_valid.json', data_prefix=dict(img='valid')))
test_evaluator = dict(out_file='work_dirs/novis_r50_ovis_results.zip',
                      ann_file=f'{data_root}/annotations_valid.json',
                      topk=top_k)
submit_evaluator = dict(ann_file=f'{data_root}/annotations_valid.json',
                        topk=top_k)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[8000, 12000], gamma=0.1),
]
