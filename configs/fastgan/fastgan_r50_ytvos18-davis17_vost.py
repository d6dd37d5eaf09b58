# FaSTGAN on VOST val (J and J_last): test with the checkpoint of
# fastgan_r50_ytvos18-davis17; only the test data and evaluator change.
#
#   python tools/test.py configs/fastgan/fastgan_r50_ytvos18-davis17_vost.py \
#       work_dirs/fastgan_r50_ytvos18-davis17/iter_28080.pth --submit vost.zip
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

# every dataset folder under one root: --cfg-options data_root=DIR
data_root = 'data'
vost_root = 'data/vost'
test_dataloader = dict(dataset=dict(
    _delete_=True, type='VOSTDataset', data_root=vost_root,
    split='val', test_mode=True, test_chunk_len=32,
    pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(
    _delete_=True, type='VOSTMetric',
    gt_root=vost_root)
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='VOSTSubmission')
