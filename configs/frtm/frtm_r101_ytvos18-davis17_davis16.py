# FRTM-VOS "Ours" with the authors' rn101_all.pth on DAVIS 2016 val
# (their evaluate.py settings).
#
#   python tools/model_converters/frtm_official.py rn101_all.pth \
#       checkpoints/frtm_r101_ytvos18-davis17_official.pth \
#       --backbone checkpoints/resnet101-63fe2227.pth
#   python tools/test.py configs/frtm/frtm_r101_ytvos18-davis17_davis16.py \
#       checkpoints/frtm_r101_ytvos18-davis17_official.pth
_base_ = ['./frtm_r101_ytvos18-davis17.py']

test_dataloader = dict(dataset=dict(year='2016'))
val_dataloader = test_dataloader
test_evaluator = dict(year='2016')
val_evaluator = test_evaluator
