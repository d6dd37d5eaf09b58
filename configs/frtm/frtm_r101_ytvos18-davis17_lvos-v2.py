# FRTM-VOS "Ours" tested on LVOS v2 valid (J&F, seen / unseen, V, with the
# lvos-evaluation rules): the checkpoint of frtm_r101_ytvos18-davis17.
# Objects start their target model on their frame_range start.
#
#   python tools/test.py configs/frtm/frtm_r101_ytvos18-davis17_lvos-v2.py \
#       work_dirs/frtm_r101_ytvos18-davis17/iter_50400.pth [--submit lvos.zip]
_base_ = ['./frtm_r101_ytvos18-davis17.py']

lvos_root = 'data/lvos_v2'  # under the base's data_root ('data')
test_dataloader = dict(dataset=dict(
    _delete_=True, type='LVOSDataset', data_root=lvos_root, split='valid',
    test_mode=True, test_chunk_len=32, pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(_delete_=True, type='LVOSMetric', data_root=lvos_root,
                      split='valid')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='LVOSSubmission',
                        meta_file=f'{lvos_root}/valid/valid_meta.json')
