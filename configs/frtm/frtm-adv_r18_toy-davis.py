# FRTM's refinement network trained against FaSTGAN's spatial and temporal
# WGAN-GP critics (docs/mixing.md), on the toy DAVIS-format videos: the toy
# FRTM (frtm_r18_toy-davis.py) wrapped in the core's AdversarialSegmentor.
# As FaSTGAN's stage 2, it starts from the supervised model: every iteration
# steps both critics, every 5th also FRTM (its BCE plus the critics' terms).
# The critics see FRTM's K = 2 validation frames per clip (reference +
# 2 frames, as FRTM trains): D_S each annotated frame, D_T the window.
# Inference is FRTM's; the tested model holds no critic.
#
#   python tools/train.py configs/frtm/frtm_r18_toy-davis.py
#   python tools/train.py configs/frtm/frtm-adv_r18_toy-davis.py
#   (if the first run's time budget stopped it before iteration 2400, add
#   --cfg-options load_from=work_dirs/frtm_r18_toy-davis/iter_N.pth)
#   python tools/test.py configs/frtm/frtm-adv_r18_toy-davis.py \
#       work_dirs/frtm-adv_r18_toy-davis/iter_500.pth
_base_ = ['./frtm_r18_toy-davis.py']
custom_imports = dict(imports=['plugins.frtm', 'plugins.fastgan'],
                      allow_failed_imports=False)

load_from = 'work_dirs/frtm_r18_toy-davis/iter_2400.pth'
num_window_frames = 2  # K: the clip sampler's num_frames - 1

model = dict(
    _delete_=True,
    type='AdversarialSegmentor',
    segmentor={{_base_.model}},
    # FaSTGAN's critics by registry type (plugins.fastgan), toy widths;
    # 4 downsamplings give a 4 x 6 patch map on 64 x 96 frames
    critics=dict(
        critic_spatial=dict(type='FaSTGANSpatialCritic', base_channels=8,
                            max_channels=64, num_downsamples=4),
        critic_temporal=dict(type='FaSTGANTemporalCritic',
                             num_frames=num_window_frames, base_channels=8,
                             max_channels=64, num_downsamples=4)),
    loss_critic=dict(type='WGANGPCriticLoss', lambda_gp=10.0),
    # FaSTGAN's lambda_CE : lambda_S : lambda_T = 100 : 1 : 1, FRTM's BCE
    # having weight 1
    loss_adv=dict(
        critic_spatial=dict(type='WGANGeneratorLoss', loss_weight=0.01),
        critic_temporal=dict(type='WGANGeneratorLoss', loss_weight=0.01)),
    n_critic=5,
    # FaSTGAN's ground-truth trick, without noise (as its toy config)
    gt_uncertainty=0.25, gt_noise=None)
# tools/test.py builds the model without its critics
test_model = dict(critics=None)

max_iters = 500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
adam = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)))
optim_wrapper = dict(
    _delete_=True, constructor='MultiOptimWrapperConstructor',
    segmentor=adam, critic_spatial=adam, critic_temporal=adam)
schedule = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0,
                 end=max_iters)]
param_scheduler = dict(_delete_=True, segmentor=schedule,
                       critic_spatial=schedule, critic_temporal=schedule)
default_hooks = dict(checkpoint=dict(interval=max_iters))
# several GPUs: each of FRTM and the critics in its own DDP, so that the
# model's own train_step (several optimizers) runs
model_wrapper_cfg = dict(type='vostoolkit.VOSSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
