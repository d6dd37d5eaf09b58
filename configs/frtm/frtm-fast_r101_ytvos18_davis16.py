# FRTM-VOS "Ours (fast)" with the authors' rn101_ytvos.pth on DAVIS 2016 val
# (their evaluate.py --fast: N_GN=4, N_CGu=5; c=96, t_s=8 as "Ours").
#
#   python tools/model_converters/frtm_official.py rn101_ytvos.pth \
#       checkpoints/frtm_r101_ytvos18_official.pth \
#       --backbone checkpoints/resnet101-63fe2227.pth
#   python tools/test.py configs/frtm/frtm-fast_r101_ytvos18_davis16.py \
#       checkpoints/frtm_r101_ytvos18_official.pth
_base_ = ['./frtm_r101_ytvos18-davis17.py']

model = dict(
    target_model=dict(num_gn_steps=4, update_cg_iters=5))
# trained on YouTube-VOS 2018 train only (the authors' "ytvos")
train_dataloader = dict(dataset=dict(
    _delete_=True, type='RepeatDataset', times=1,
    dataset={{_base_.ytvos_train}}))
test_dataloader = dict(dataset=dict(year='2016'))
val_dataloader = test_dataloader
test_evaluator = dict(year='2016')
val_evaluator = test_evaluator
