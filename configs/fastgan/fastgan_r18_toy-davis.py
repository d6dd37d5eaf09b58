# Small FaSTGAN for CPU, stage 2 (the final toy model): from the toy stage-1
# regressor, both critics (n_critic = 5, lambda_gp = 10, ground-truth
# trick); learning rate constant for the first quarter, then polynomial
# decay.
#
# The real masks get no Gaussian noise here (gt_noise=None): with noise on
# the real masks only, a critic can tell real from generated masks by the
# noise alone, which pulls a briefly trained regressor towards noisy masks
# (plugins/fastgan/README.md).
_base_ = ['./fastgan-stage1_r18_toy-davis.py']

load_from = 'work_dirs/fastgan-stage1_r18_toy-davis/iter_300.pth'
num_window_frames = 4

model = dict(
    critic_spatial=dict(type='FaSTGANSpatialCritic', base_channels=8,
                        max_channels=64, num_downsamples=6),
    critic_temporal=dict(type='FaSTGANTemporalCritic',
                         num_frames=num_window_frames, base_channels=8,
                         max_channels=64, num_downsamples=6),
    loss_critic=dict(type='FaSTGANCriticLoss', loss_weight=1.0,
                     lambda_gp=10.0),
    loss_adv_spatial=dict(type='FaSTGANAdversarialLoss', loss_weight=1.0),
    loss_adv_temporal=dict(type='FaSTGANAdversarialLoss', loss_weight=1.0),
    n_critic=5, gt_uncertainty=0.25, gt_noise=None)

max_iters = 250
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
adam = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)))
optim_wrapper = dict(generator=adam, critic_spatial=adam,
                     critic_temporal=adam)
schedule = [
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0,
         end=max_iters // 4),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False,
         begin=max_iters // 4, end=max_iters),
]
param_scheduler = dict(generator=schedule, critic_spatial=schedule,
                       critic_temporal=schedule)
default_hooks = dict(checkpoint=dict(interval=max_iters))
