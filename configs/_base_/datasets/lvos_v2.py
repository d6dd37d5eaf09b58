# LVOS v2 (long-term VOS), laid out as released:
#   data/lvos_v2/{train,valid}/JPEGImages/<vid>/00000001.jpg  (every frame)
#   data/lvos_v2/{train,valid}/Annotations/<vid>/00000001.png (every 5th)
#   data/lvos_v2/{train,valid}/<split>_meta.json  (each object's frame_range)
#   data/lvos_v2/valid/unseen_videos.txt  (lvos-evaluation's list)
# Objects enter part-way (their first mask is on their frame_range start).
# Videos run to thousands of frames: tests read them in chunks of 32.
_base_ = './lvos_v1.py'
data_root = 'data/lvos_v2'

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(data_root=data_root)
test_evaluator = val_evaluator
submit_evaluator = dict(meta_file=f'{data_root}/valid/valid_meta.json')
