# FRTM-VOS "Ours" on YouTube-VOS 2018 valid (server-scored): test with the
# checkpoint of frtm_r101_ytvos18-davis17. Objects first given on a later
# frame start their target model there.
#
#   python tools/test.py configs/frtm/frtm_r101_ytvos18-davis17_ytvos18-valid.py \
#       work_dirs/frtm_r101_ytvos18-davis17/iter_50400.pth --submit ytvos.zip
_base_ = ['./frtm_r101_ytvos18-davis17.py']

test_dataloader = dict(dataset=dict(
    _delete_=True, type='YouTubeVOSDataset', data_root={{_base_.ytvos_root}},
    split='valid', test_mode=True, test_chunk_len=8,
    pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
# `valid` has no full labels: testing writes the zip the server scores
test_evaluator = dict(
    _delete_=True, type='YouTubeVOSSubmission',
    out_file='work_dirs/frtm_r101_ytvos18-davis17_ytvos18-valid/submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='YouTubeVOSSubmission')
