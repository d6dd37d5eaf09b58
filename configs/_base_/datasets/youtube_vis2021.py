# YouTube-VIS 2021, laid out as released:
#   data/youtube_vis_2021/{train,valid}/instances.json
#   data/youtube_vis_2021/{train,valid}/JPEGImages/<vid>/<frame>.jpg
# `valid/instances.json` has no annotations (scored by the server):
# val/test write a results zip. Another root: --cfg-options
# data_root=/my/youtube_vis_2021 (moves every nested path).
_base_ = './youtube_vis2019.py'
data_root = 'data/youtube_vis_2021'
train_ann, train_img = 'train/instances.json', 'train/JPEGImages'
val_ann, val_img = 'valid/instances.json', 'valid/JPEGImages'

train_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file=train_ann, data_prefix=dict(img=train_img)))
val_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file=val_ann, data_prefix=dict(img=val_img)))
test_dataloader = val_dataloader
