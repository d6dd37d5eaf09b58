# FRTM-VOS "Ours (fast)" with the authors' rn18_all.pth on YouTube-VOS
# 2018 valid, run on all frames (valid_all_frames; the zip holds the
# annotated ones)
# (their evaluate.py --fast: N_GN=4, N_CGu=5; c=96, t_s=8 as "Ours").
#
#   python tools/model_converters/frtm_official.py rn18_all.pth \
#       checkpoints/frtm_r18_ytvos18-davis17_official.pth \
#       --backbone checkpoints/resnet18-f37072fd.pth
#   python tools/test.py configs/frtm/frtm-fast_r18_ytvos18-davis17_ytvos18-valid.py \
#       checkpoints/frtm_r18_ytvos18-davis17_official.pth --submit ytvos.zip
_base_ = ['./frtm_r101_ytvos18-davis17.py']

backbone_checkpoint = 'checkpoints/resnet18-f37072fd.pth'
model = dict(
    backbone=dict(depth=18,
                  init_cfg=dict(checkpoint=backbone_checkpoint)),
    target_model=dict(in_channels=256, num_gn_steps=4,
                      update_cg_iters=5),
    head=dict(in_channels=(64, 128, 256, 512)))
test_dataloader = dict(dataset=dict(
    _delete_=True, type='YouTubeVOSDataset',
    data_root={{_base_.ytvos_root}},
    split='valid', use_all_frames=True, test_mode=True, test_chunk_len=8,
    pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
# `valid` has no full labels: testing writes the zip the server scores
test_evaluator = dict(
    _delete_=True, type='YouTubeVOSSubmission',
    out_file='work_dirs/frtm-fast_r18_ytvos18-davis17_ytvos18-valid/'
    'submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='YouTubeVOSSubmission')
