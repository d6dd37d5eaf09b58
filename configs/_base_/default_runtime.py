# Runtime shared by every config: scope, hooks, environment, logging.
default_scope = 'vostoolkit'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # by_epoch=False: checkpoints are named iter_<N>.pth; max_keep_ckpts
    # bounds the disk used; `--resume` with no path picks the last one.
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000,
                    max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

# dist_cfg.backend: 'nccl' for CUDA runs; tools/train.py and tools/test.py
# switch it to 'gloo' when CUDA is unavailable (see vostoolkit.apis.runner).
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# DDP wrapper that also runs on CPU (gloo); with CUDA it is exactly
# mmengine's MMDistributedDataParallel. Models that step several optimizers
# in their own train_step use 'vostoolkit.VOSSeparateDistributedDataParallel'.
model_wrapper_cfg = dict(
    type='vostoolkit.VOSDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
log_level = 'INFO'

vis_backends = [dict(type='LocalVisBackend')]
# No fixed name: each Runner's visualizer is named after its experiment.
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

randomness = dict(seed=0)
load_from = None
resume = False
