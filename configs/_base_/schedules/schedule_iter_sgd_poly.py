# Iteration-based schedule: SGD with linear warm-up and polynomial decay.
max_iters = 40000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
val_cfg = dict(type='VideoValLoop')
test_cfg = dict(type='VideoTestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=500),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=500,
         end=max_iters),
]
