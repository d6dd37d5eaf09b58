# FaSTGAN stage 2 (paper section 5, the final model): from the stage-1
# regressor, 40 epochs on DAVIS 2017 train with the spatial and temporal
# WGAN-GP critics (eq. 5: lambda_CE = 100, lambda_S = lambda_T = 1,
# lambda_gp = 10); each iteration steps both critics, every 5th also the
# regressor; the ground-truth trick for the critics' real masks; learning
# rate constant for 10 epochs, then polynomial decay (power 0.9).
#
# One epoch = one clip per annotated frame: DAVIS 2017 train has 60
# sequences and 4209 frames, i.e. 4209 / 6 = 702 iterations per epoch;
# 40 epochs = 28080 iterations (5616 regressor steps).
#
#   python tools/train.py configs/fastgan/fastgan_r50_ytvos_stage1.py
#   python tools/train.py configs/fastgan/fastgan_r50_ytvos-davis17.py
#   python tools/test.py configs/fastgan/fastgan_r50_ytvos-davis17.py \
#       work_dirs/fastgan_r50_ytvos-davis17/iter_28080.pth --submit out.zip
_base_ = ['./fastgan_r50_ytvos_stage1.py']

load_from = 'work_dirs/fastgan_r50_ytvos_stage1/iter_94000.pth'
davis_root = 'data/DAVIS'
epoch = 702
num_window_frames = 4  # K, as in stage 1

model = dict(
    generator=dict(backbone=dict(init_cfg=None)),  # stage-1 weights load
    critic_spatial=dict(type='FaSTGANSpatialCritic', base_channels=64,
                        max_channels=512, num_downsamples=6),
    critic_temporal=dict(type='FaSTGANTemporalCritic',
                         num_frames=num_window_frames,
                         base_channels=64, max_channels=512,
                         num_downsamples=6),
    loss_critic=dict(type='FaSTGANCriticLoss', loss_weight=1.0,
                     lambda_gp=10.0),
    loss_adv_spatial=dict(type='FaSTGANAdversarialLoss', loss_weight=1.0),
    loss_adv_temporal=dict(type='FaSTGANAdversarialLoss', loss_weight=1.0),
    n_critic=5, gt_uncertainty=0.25, gt_noise='prediction')

davis_train = dict(
    type='DAVISDataset', data_root=davis_root, year='2017', split='train',
    clip_sampler=dict(type='VOSClipSampler',
                      num_frames=num_window_frames + 1,
                      max_skip=3, random_reference=True,
                      direction='forward'),
    pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=dict(_delete_=True, **davis_train))
davis_val = dict(
    batch_size=1, num_workers=2,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type='DAVISDataset', data_root=davis_root, year='2017',
                 split='val', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
val_dataloader = davis_val
test_dataloader = davis_val
val_evaluator = dict(type='DAVISMetric', gt_root=davis_root, year='2017',
                     split='val')
test_evaluator = val_evaluator
submit_evaluator = dict(type='DAVISSubmission')
val_cfg = dict(type='VideoValLoop')
test_cfg = dict(type='VideoTestLoop')

max_iters = 40 * epoch
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=5 * epoch)
adam = dict(type='OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-5, betas=(0.5, 0.999)))
optim_wrapper = dict(critic_spatial=adam, critic_temporal=adam)
schedule = [
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0,
         end=10 * epoch),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False,
         begin=10 * epoch, end=max_iters),
]
param_scheduler = dict(generator=schedule, critic_spatial=schedule,
                       critic_temporal=schedule)
default_hooks = dict(checkpoint=dict(interval=5 * epoch))
