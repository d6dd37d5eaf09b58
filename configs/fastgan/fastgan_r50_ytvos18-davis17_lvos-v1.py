# FaSTGAN (r50, both critics) tested on LVOS v1 valid (J&F, seen / unseen,
# V, with the lvos-evaluation rules): the checkpoint of
# fastgan_r50_ytvos18-davis17. Reads DAVIS (train, from the base) and LVOS.
#
#   python tools/test.py configs/fastgan/fastgan_r50_ytvos18-davis17_lvos-v1.py \
#       work_dirs/fastgan_r50_ytvos18-davis17/iter_N.pth [--submit lvos.zip]
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

data_root = 'data'
lvos_root = 'data/lvos_v1'
test_dataloader = dict(dataset=dict(
    _delete_=True, type='LVOSDataset', data_root=lvos_root, split='valid',
    test_mode=True, test_chunk_len=32, pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(_delete_=True, type='LVOSMetric', data_root=lvos_root,
                      split='valid')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='LVOSSubmission',
                        meta_file=f'{lvos_root}/valid/valid_meta.json')
