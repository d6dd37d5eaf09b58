# YouTube-VOS 2019, laid out as released (same layout as 2018):
#   data/youtube_vos_2019/{train,valid}/JPEGImages/<vid>/<frame>.jpg
#   data/youtube_vos_2019/{train,valid}/Annotations/<vid>/<frame>.png
#   data/youtube_vos_2019/{train,valid}/meta.json
#   data/youtube_vos_2019/valid_all_frames/JPEGImages/   (optional)
# Another root: --cfg-options data_root=/my/youtube_vos_2019.
_base_ = './youtube_vos2018.py'
data_root = 'data/youtube_vos_2019'

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
