# FRTM-VOS "Ours" (the model and schedule of frtm_r101_ytvos18-davis17)
# trained on SA-V train and tested on SA-V val. SA-V train ships as mp4 +
# JSON masklets: convert it once into data/sav/sav_train first
# (docs/datasets.md, SA-V train):
#
#   python tools/dataset_converters/sav_train.py SAV_TRAIN_DIR \
#       data/sav/sav_train --annotated-only
#   python tools/train.py configs/frtm/frtm_r101_sav.py
#
# FRTM learns from the id map of each clip (gt_obj_masks: where objects
# overlap, the smaller one is on top); its predictions are id maps, so
# where objects overlap the written masks do not (docs/evaluation.md, SA-V).
_base_ = ['./frtm_r101_ytvos18-davis17.py']

sav_root = 'data/sav'  # under the base's data_root ('data')
train_dataloader = dict(dataset=dict(
    _delete_=True, type='SAVDataset', data_root=sav_root, split='train',
    clip_sampler={{_base_.clip_sampler}},
    pipeline={{_base_.train_pipeline}}))
test_dataloader = dict(dataset=dict(
    _delete_=True, type='SAVDataset', data_root=sav_root, split='val',
    test_mode=True, test_chunk_len=32, pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(_delete_=True, type='SAVMetric', data_root=sav_root,
                      split='val')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='SAVSubmission',
                        data_root=sav_root, split='val')
