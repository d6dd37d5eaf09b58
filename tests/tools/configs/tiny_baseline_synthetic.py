# Tiny MaskPropagationBaseline on in-memory synthetic clips: a few CPU
# iterations for the tool and distributed tests.
_base_ = ['../../../configs/_base_/default_runtime.py']

custom_imports = dict(imports=['vostoolkit.testing'],
                      allow_failed_imports=False)

model = dict(
    type='MaskPropagationBaseline',
    backbone=dict(type='ResNet', depth=18, in_channels=8, base_channels=4,
                  out_indices=('layer1', 'layer2')),
    head=dict(type='MaskPropagationHead', channels=8))

train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SyntheticVOSDataset', num_videos=2, num_frames=5,
                 size=(32, 32), clip_len=3, repeat=8))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='VideoShardSampler'),
    dataset=dict(type='SyntheticVOSDataset', num_videos=3, num_frames=5,
                 size=(32, 32), test_mode=True, chunk_len=2, seed=100))
test_evaluator = dict(type='SyntheticJaccardMetric')
test_cfg = dict(type='VideoTestLoop')

train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[3],
                        gamma=0.5)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=-1))
# Saves the state each run starts from, for the resume test to compare.
custom_hooks = [dict(type='DumpTrainStateHook')]
