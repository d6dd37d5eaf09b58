# FRTM-VOS on a Mask2Former pixel decoder's features, small, for CPU on the
# toy DAVIS-format videos: the toy FRTM (frtm_r18_toy-davis.py) with the
# ResNet-18 and the MSDeformAttnPixelDecoder of the toy MinVIS model in
# place of its backbone. Both start from the MinVIS stage's checkpoint and
# stay frozen, as FRTM's feature extractor F; only the refinement network R
# is trained (D is learned online, as always).
#
# The maps D and R choose from are the backbone's, then the pixel decoder's
# outputs in order: 0-3 ResNet layer1..layer4 (strides 4-32), 4 the mask
# features (stride 4), 5-7 the encoder maps at strides 32, 16, 8. D reads
# the mask features (stride 4, as the toy FRTM's layer1); R reads the
# decoder's maps shallowest first.
#
#   python tools/train.py configs/pretrain/pretrain_r18_toy-ytvis.py
#   python tools/train.py configs/minvis/minvis_r18_toy-ytvis.py
#   python tools/train.py configs/frtm/frtm-m2f_r18_toy-davis.py
#   python tools/test.py configs/frtm/frtm-m2f_r18_toy-davis.py \
#       work_dirs/frtm-m2f_r18_toy-davis/iter_2400.pth
# Another start (e.g. the NOVIS toy model, whose pixel decoder also needs
# model.neck.positional_encoding.offset=-0.5): --cfg-options
# model.backbone.init_cfg.checkpoint=FILE model.neck.init_cfg.checkpoint=FILE;
# without one: model.backbone.init_cfg=None model.neck.init_cfg=None
# model.freeze_backbone=False model.freeze_neck=False.
_base_ = ['./frtm_r18_toy-davis.py']

# the toy MinVIS model (backbone.* and pixel_decoder.* are read from it)
m2f_checkpoint = 'work_dirs/minvis_r18_toy-ytvis/iter_1500.pth'
width = 64  # the toy MinVIS pixel decoder's channels

model = dict(
    # the toy MinVIS ResNet-18 (16 base channels)
    backbone=dict(
        base_channels=16, frozen_bn=False,
        init_cfg=dict(type='Pretrained', checkpoint=m2f_checkpoint,
                      prefix='backbone.')),
    neck=dict(
        type='MSDeformAttnPixelDecoder', in_channels=(16, 32, 64, 128),
        feat_channels=width, out_channels=width, num_encoder_levels=3,
        num_encoder_layers=2, num_heads=4, num_points=4,
        ffn_channels=2 * width, dropout=0.0, num_groups=8,
        init_cfg=dict(type='Pretrained', checkpoint=m2f_checkpoint,
                      prefix='pixel_decoder.')),
    target_model=dict(in_channels=width),
    head=dict(in_channels=(width, ) * 4),
    target_level=4,  # mask features, stride 4
    head_levels=(4, 7, 6, 5),  # strides 4, 8, 16, 32
    freeze_backbone=True,
    freeze_neck=True)
