# Stage 1 of the toy NOVIS recipe: frame-level semantic pretraining of the
# ResNet-18 on the toy training videos (train split only). It stands in for
# the paper's starting point, a backbone pretrained on images (ImageNet, then
# Mask2Former on COCO), which cannot be downloaded here: each pixel of a
# frame is classified into background or its object's category, which
# teaches the features at an object's location what the object is. Trained
# from scratch with NOVIS's masks and classes alone, the R18 learns the
# masks but not the classes within 15 CPU minutes (plugins/novis/README.md).
#
# novis_r18_toy.py runs this stage by itself (its pretrain_stage) when
# work_dirs/novis_r18_toy_pretrain/backbone.pth is missing; by hand:
#   python tools/train.py configs/novis/novis_r18_toy_pretrain.py
# writes the same file (ExportModuleHook: the backbone's weights under
# torchvision's names).
_base_ = ['./novis_r18_toy.py']

pretrain_stage = None  # this is the stage
model = dict(
    _delete_=True, type='FrameSemanticPretrainer',
    # the toy NOVIS model's own preprocessing and backbone, so the exported
    # weights always fit it
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    # strides 8, 16 and 32 (the levels NOVIS's decoder attends to)
    head=dict(type='SemanticFPNHead', in_channels=(32, 64, 128),
              num_classes={{_base_.num_classes}}, channels=64,
              background_weight=0.2),
    in_levels=(1, 2, 3))

# Single frames (image-level pretraining), same augmentation as NOVIS.
train_dataloader = dict(batch_size=2,
                        dataset=dict(clip_sampler=dict(num_frames=1)))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

# About 1 minute on 2 CPU cores. Longer gives better classes but worse masks
# (measured with the earlier 6-decoder-layer NOVIS: 4000 iterations, AP
# 0.414-0.418 after the 15 minutes; 1500: 0.475; plugin README).
max_iters = 1500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[1300], gamma=0.1),
]
custom_hooks = [dict(type='ExportModuleHook', module='backbone',
                     filename='backbone.pth')]
default_hooks = dict(checkpoint=dict(interval=max_iters))
