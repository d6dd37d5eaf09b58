# FaSTGAN (r50, both critics) tested on SA-V val (J&F x100 with the sam2
# sav_evaluator rules): the checkpoint of fastgan_r50_ytvos18-davis17.
# Predictions are the aggregated id map, so where objects overlap the
# written masks do not (see docs/evaluation.md, SA-V).
#
#   python tools/test.py configs/fastgan/fastgan_r50_ytvos18-davis17_sav.py \
#       work_dirs/fastgan_r50_ytvos18-davis17/iter_N.pth [--submit sav.zip]
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

data_root = 'data'
sav_root = 'data/sav'
test_dataloader = dict(dataset=dict(
    _delete_=True, type='SAVDataset', data_root=sav_root, split='val',
    test_mode=True, test_chunk_len=32, pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(_delete_=True, type='SAVMetric', data_root=sav_root,
                      split='val')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='SAVSubmission',
                        data_root=sav_root, split='val')
