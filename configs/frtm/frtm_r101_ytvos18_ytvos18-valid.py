# FRTM-VOS "Ours" with the authors' rn101_ytvos.pth on YouTube-VOS
# 2018 valid, run on all frames (valid_all_frames; the zip holds the
# annotated ones)
# (their evaluate.py settings).
#
#   python tools/model_converters/frtm_official.py rn101_ytvos.pth \
#       checkpoints/frtm_r101_ytvos18_official.pth \
#       --backbone checkpoints/resnet101-63fe2227.pth
#   python tools/test.py configs/frtm/frtm_r101_ytvos18_ytvos18-valid.py \
#       checkpoints/frtm_r101_ytvos18_official.pth --submit ytvos.zip
_base_ = ['./frtm_r101_ytvos18-davis17.py']

# trained on YouTube-VOS 2018 train only (the authors' "ytvos")
train_dataloader = dict(dataset=dict(
    _delete_=True, type='RepeatDataset', times=1,
    dataset={{_base_.ytvos_train}}))
test_dataloader = dict(dataset=dict(
    _delete_=True, type='YouTubeVOSDataset',
    data_root={{_base_.ytvos_root}},
    split='valid', use_all_frames=True, test_mode=True, test_chunk_len=8,
    pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
# `valid` has no full labels: testing writes the zip the server scores
test_evaluator = dict(
    _delete_=True, type='YouTubeVOSSubmission',
    out_file='work_dirs/frtm_r101_ytvos18_ytvos18-valid/'
    'submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='YouTubeVOSSubmission')
