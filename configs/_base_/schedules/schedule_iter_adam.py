# Iteration-based schedule: Adam with a step decay, validation at the end.
max_iters = 20000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
val_cfg = dict(type='VideoValLoop')
test_cfg = dict(type='VideoTestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-5))

param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[15000], gamma=0.1),
]
