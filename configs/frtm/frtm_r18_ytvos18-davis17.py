# FRTM-VOS "Ours" with the authors' rn18_all.pth on DAVIS 2017 val
# (their evaluate.py settings).
#
#   python tools/model_converters/frtm_official.py rn18_all.pth \
#       checkpoints/frtm_r18_ytvos18-davis17_official.pth \
#       --backbone checkpoints/resnet18-f37072fd.pth
#   python tools/test.py configs/frtm/frtm_r18_ytvos18-davis17.py \
#       checkpoints/frtm_r18_ytvos18-davis17_official.pth
_base_ = ['./frtm_r101_ytvos18-davis17.py']

backbone_checkpoint = 'checkpoints/resnet18-f37072fd.pth'
model = dict(
    backbone=dict(depth=18,
                  init_cfg=dict(checkpoint=backbone_checkpoint)),
    target_model=dict(in_channels=256),
    head=dict(in_channels=(64, 128, 256, 512)))
