# OVIS (occluded VIS), laid out as released:
#   data/ovis/annotations_{train,valid}.json
#   data/ovis/{train,valid}/<vid>/img_0000001.jpg
# `annotations_valid.json` has no annotations (scored by the server):
# val/test write a results zip. Another root: --cfg-options
# data_root=/my/ovis (moves every nested path).
_base_ = './youtube_vis2019.py'
dataset_type = 'OVISDataset'
data_root = 'data/ovis'
train_ann, train_img = 'annotations_train.json', 'train'
val_ann, val_img = 'annotations_valid.json', 'valid'

train_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root, ann_file=train_ann,
    data_prefix=dict(img=train_img)))
val_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root, ann_file=val_ann,
    data_prefix=dict(img=val_img)))
test_dataloader = val_dataloader
