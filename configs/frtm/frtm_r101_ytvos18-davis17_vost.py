# FRTM-VOS on VOST val (J and J_last): test with the checkpoint of
# frtm_r101_ytvos18-davis17; only the test data and evaluator change.
#
#   python tools/test.py configs/frtm/frtm_r101_ytvos18-davis17_vost.py \
#       work_dirs/frtm_r101_ytvos18-davis17/iter_50400.pth --submit vost.zip
_base_ = ['./frtm_r101_ytvos18-davis17.py']

# under the parent's data_root ('data'), moved with it
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
