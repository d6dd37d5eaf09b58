# FaSTGAN on MOSE v2 valid (server-scored): test with the checkpoint of
# fastgan_r50_ytvos18-davis17; only the test data and evaluator change.
#
#   python tools/test.py configs/fastgan/fastgan_r50_ytvos18-davis17_mose-v2.py \
#       work_dirs/fastgan_r50_ytvos18-davis17/iter_28080.pth --submit mose_v2.zip
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

# every dataset folder under one root: --cfg-options data_root=DIR
data_root = 'data'
mose_v2_root = 'data/mose_v2'
test_dataloader = dict(dataset=dict(
    _delete_=True, type='MOSEv2Dataset', data_root=mose_v2_root,
    split='valid', test_mode=True, test_chunk_len=32,
    pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(
    _delete_=True, type='MOSEv2Submission',
    out_file='work_dirs/fastgan_r50_ytvos18-davis17_mose-v2/submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='MOSEv2Submission')
