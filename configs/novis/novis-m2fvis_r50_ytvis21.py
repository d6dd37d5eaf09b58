# Mask2Former-VIS, ResNet-50, YouTube-VIS 2021 (model_final_b8aae2.pkl): as
# novis-m2fvis_r50_ytvis19.py on the 2021 data (see novis_r50_ytvis21.py).
#
#   python tools/model_converters/mask2former_d2.py model_final_b8aae2.pkl \
#       checkpoints/mask2former-vis_r50_ytvis21.pth \
#       --config configs/novis/novis-m2fvis_r50_ytvis21.py
#   python tools/test.py configs/novis/novis-m2fvis_r50_ytvis21.py \
#       checkpoints/mask2former-vis_r50_ytvis21.pth --submit out.zip
_base_ = ['./novis_r50_ytvis19.py']

data_root = 'data/youtube_vis_2021'
whole_video = 1000  # a video is one clip

model = dict(
    decoder=dict(type='Mask2FormerVideoHead', temporal_encoding='sine'),
    tracker=dict(_delete_=True, type='IoUClassClipTracker'),
    overlap_embeddings=False, clip_len=whole_video, stride=whole_video,
    test_cfg=dict(score='class'))
train_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file='train/instances.json'))
test_dataloader = dict(dataset=dict(
    data_root=data_root, ann_file='valid/instances.json'))
test_evaluator = dict(
    out_file='work_dirs/novis-m2fvis_r50_ytvis21_results.zip',
    ann_file=f'{data_root}/valid/instances.json')
submit_evaluator = dict(ann_file=f'{data_root}/valid/instances.json')
