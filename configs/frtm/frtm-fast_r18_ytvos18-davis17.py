# FRTM-VOS "Ours (fast)" with the authors' rn18_all.pth on DAVIS 2017 val
# (their evaluate.py --fast: N_GN=4, N_CGu=5; c=96, t_s=8 as "Ours").
#
#   python tools/model_converters/frtm_official.py rn18_all.pth \
#       checkpoints/frtm_r18_ytvos18-davis17_official.pth \
#       --backbone checkpoints/resnet18-f37072fd.pth
#   python tools/test.py configs/frtm/frtm-fast_r18_ytvos18-davis17.py \
#       checkpoints/frtm_r18_ytvos18-davis17_official.pth
_base_ = ['./frtm_r101_ytvos18-davis17.py']

backbone_checkpoint = 'checkpoints/resnet18-f37072fd.pth'
model = dict(
    backbone=dict(depth=18,
                  init_cfg=dict(checkpoint=backbone_checkpoint)),
    target_model=dict(in_channels=256, num_gn_steps=4,
                      update_cg_iters=5),
    head=dict(in_channels=(64, 128, 256, 512)))
