# FaSTGAN stage 1 (paper section 5): the regressor phi alone, balanced BCE
# only (lambda_CE = 100), 6 epochs on YouTube-VOS 2018 train from ImageNet
# ResNet-50 weights; Adam lr 1e-5, betas (0.5, 0.999), batch 6, polynomial
# decay (power 0.9). Its checkpoint starts the final model
# (fastgan_r50_ytvos18-davis17.py, load_from).
#
# One epoch = as many clips as annotated training frames (each a possible
# reference): YouTube-VOS train has 3471 videos and about 94k annotated
# frames (6 fps), so an epoch is 94k / 6 = 15.6k iterations and 6 epochs are
# 94k iterations.
#
#   python tools/train.py configs/fastgan/fastgan-stage1_r50_ytvos18.py
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

data_root = 'data/youtube_vos_2018'
load_from = None
model = dict(
    generator=dict(backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/resnet50-0676ba61.pth'))),
    critic_spatial=None, critic_temporal=None)

train_dataloader = dict(dataset=dict(
    _delete_=True, type='YouTubeVOSDataset', data_root=data_root,
    split='train', pipeline={{_base_.train_pipeline}},
    clip_sampler=dict(type='VOSClipSampler',
                      num_frames=5,  # the reference + K = 4
                      max_skip=1, random_reference=True,
                      direction='forward')))
# YouTube-VOS has no labelled val split: stage 1 is neither validated nor
# tested (test the final model)
val_dataloader = val_evaluator = val_cfg = None
test_dataloader = test_evaluator = test_cfg = submit_evaluator = None

max_iters = 94000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
optim_wrapper = dict(_delete_=True,
                     constructor='MultiOptimWrapperConstructor',
                     generator={{_base_.adam}})
param_scheduler = dict(_delete_=True, generator=[
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0,
         end=max_iters)
])
default_hooks = dict(checkpoint=dict(interval=5000))
