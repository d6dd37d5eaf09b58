# FRTM-VOS on MOSE v1 valid (server-scored J&F): test with the checkpoint of
# frtm_r101_ytvos18-davis17; only the test data and evaluator change.
#
#   python tools/test.py configs/frtm/frtm_r101_ytvos18-davis17_mose.py \
#       work_dirs/frtm_r101_ytvos18-davis17/iter_50400.pth --submit mose.zip
_base_ = ['./frtm_r101_ytvos18-davis17.py']

# under the parent's data_root ('data'), moved with it
mose_root = 'data/mose'
test_dataloader = dict(dataset=dict(
    _delete_=True, type='MOSEDataset', data_root=mose_root,
    split='valid', test_mode=True, test_chunk_len=32,
    pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(
    _delete_=True, type='MOSESubmission',
    out_file='work_dirs/frtm_r101_ytvos18-davis17_mose/submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='MOSESubmission')
