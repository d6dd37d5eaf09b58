# FRTM-VOS "Ours (DV17)": the refinement network trained on DAVIS 2017 train
# only (8 passes per epoch); the target model as the final model.
_base_ = ['./frtm_r101_ytvos18-davis17.py']

train_dataloader = dict(dataset=dict(
    _delete_=True, type='RepeatDataset', times=8,
    dataset={{_base_.davis_train}}))
# 8 x 60 clips = 480 clips = 30 iterations of 16 per epoch
max_iters = 180 * 30
train_cfg = dict(max_iters=max_iters, val_interval=10 * 30)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[120 * 30],
         gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=10 * 30))
