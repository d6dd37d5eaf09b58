# FRTM-VOS "Ours (fast)" with the authors' rn101_all.pth on DAVIS 2017 val
# (their evaluate.py --fast: N_GN=4, N_CGu=5; c=96, t_s=8 as "Ours").
#
#   python tools/model_converters/frtm_official.py rn101_all.pth \
#       checkpoints/frtm_r101_ytvos18-davis17_official.pth \
#       --backbone checkpoints/resnet101-63fe2227.pth
#   python tools/test.py configs/frtm/frtm-fast_r101_ytvos18-davis17.py \
#       checkpoints/frtm_r101_ytvos18-davis17_official.pth
_base_ = ['./frtm_r101_ytvos18-davis17.py']

model = dict(
    target_model=dict(num_gn_steps=4, update_cg_iters=5))
