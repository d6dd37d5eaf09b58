# FRTM-VOS on MOSE v2 valid (server-scored): test with the checkpoint of
# frtm_r101_ytvos18-davis17; only the test data and evaluator change.
#
#   python tools/test.py configs/frtm/frtm_r101_ytvos18-davis17_mose-v2.py \
#       work_dirs/frtm_r101_ytvos18-davis17/iter_50400.pth --submit mose_v2.zip
_base_ = ['./frtm_r101_ytvos18-davis17.py']

# under the parent's data_root ('data'), moved with it
mose_v2_root = 'data/mose_v2'
test_dataloader = dict(dataset=dict(
    _delete_=True, type='MOSEv2Dataset', data_root=mose_v2_root,
    split='valid', test_mode=True, test_chunk_len=32,
    pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(
    _delete_=True, type='MOSEv2Submission',
    out_file='work_dirs/frtm_r101_ytvos18-davis17_mose-v2/submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='MOSEv2Submission')
