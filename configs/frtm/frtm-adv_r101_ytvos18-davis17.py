# FRTM-VOS (frtm_r101_ytvos18-davis17.py) fine-tuned against FaSTGAN's
# spatial and temporal WGAN-GP critics (docs/mixing.md): the authors'
# converted weights are the supervised start (FaSTGAN's stage 2 idea: the
# critics are added once the model is close to its task), and the
# refinement network R trains on the same YouTube-VOS 2018 + DAVIS 2017
# clips against both critics. Every iteration steps the critics, every 5th
# also R (its BCE plus 0.01 x each critic's term: FaSTGAN's 100 : 1 : 1).
# The critics see R's K = 2 validation frames per clip. FaSTGAN's critic
# widths, lambda_gp = 10, ground-truth trick with noise, Adam (0.5, 0.999).
# This schedule (20 epochs, 1e-5) is a starting point: no figure has been
# measured with it.
#
#   python tools/train.py configs/frtm/frtm-adv_r101_ytvos18-davis17.py
#   python tools/test.py configs/frtm/frtm-adv_r101_ytvos18-davis17.py \
#       work_dirs/frtm-adv_r101_ytvos18-davis17/iter_5600.pth
_base_ = ['./frtm_r101_ytvos18-davis17.py']
custom_imports = dict(imports=['plugins.frtm', 'plugins.fastgan'],
                      allow_failed_imports=False)

# a plain FRTM checkpoint loads into the wrapper (under segmentor.)
load_from = 'checkpoints/frtm_r101_ytvos18-davis17_official.pth'
num_window_frames = 2  # K: the clip sampler's num_frames - 1

model = dict(
    _delete_=True,
    type='AdversarialSegmentor',
    segmentor={{_base_.model}},
    critics=dict(
        critic_spatial=dict(type='FaSTGANSpatialCritic'),
        critic_temporal=dict(type='FaSTGANTemporalCritic',
                             num_frames=num_window_frames)),
    loss_critic=dict(type='WGANGPCriticLoss', lambda_gp=10.0),
    loss_adv=dict(
        critic_spatial=dict(type='WGANGeneratorLoss', loss_weight=0.01),
        critic_temporal=dict(type='WGANGeneratorLoss', loss_weight=0.01)),
    n_critic=5, gt_uncertainty=0.25, gt_noise='prediction')
# tools/test.py builds the model without its critics
test_model = dict(critics=None)

# 20 epochs of 280 iterations (the base's epoch)
max_iters = 20 * 280
train_cfg = dict(max_iters=max_iters, val_interval=5 * 280)
adam = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-5, betas=(0.5, 0.999)))
optim_wrapper = dict(
    _delete_=True, constructor='MultiOptimWrapperConstructor',
    segmentor=adam, critic_spatial=adam, critic_temporal=adam)
schedule = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0,
                 end=max_iters)]
param_scheduler = dict(_delete_=True, segmentor=schedule,
                       critic_spatial=schedule, critic_temporal=schedule)
default_hooks = dict(checkpoint=dict(interval=5 * 280))
model_wrapper_cfg = dict(type='vostoolkit.VOSSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
