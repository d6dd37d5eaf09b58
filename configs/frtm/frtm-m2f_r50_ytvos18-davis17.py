# FRTM-VOS on Mask2Former's multi-scale features: the authors' FRTM-VOS
# (frtm_r101_ytvos18-davis17.py: D learned online, R trained on YouTube-VOS
# 2018 + DAVIS 2017, tested on DAVIS 2017 val) with the ResNet-50 and the
# MSDeformAttnPixelDecoder of Mask2Former's COCO instance model (the model
# MinVIS and NOVIS start from) as the frozen feature extractor F, in place
# of the ImageNet ResNet-101. Asks whether segmentation-trained
# multi-scale features serve the discriminative target model better than
# raw conv4_x.
#
# The maps D and R choose from are the backbone's, then the pixel decoder's
# outputs in order: 0-3 ResNet layer1..layer4 (strides 4-32), 4 the mask
# features (stride 4), 5-7 the encoder maps at strides 32, 16, 8. D reads
# the stride-16 encoder map (where FRTM-VOS reads conv4_x); R reads the
# decoder's four maps, shallowest first.
#
# checkpoints/mask2former_r50_coco.pth: Mask2Former's COCO instance R50
# model (model_final_3c8ec9.pkl, see plugins/minvis/README.md) converted
# once; backbone.* and pixel_decoder.* are read from it:
#   python tools/model_converters/mask2former_d2.py model_final_3c8ec9.pkl \
#       checkpoints/mask2former_r50_coco.pth \
#       --config configs/minvis/minvis_r50_coco.py
#   python tools/train.py configs/frtm/frtm-m2f_r50_ytvos18-davis17.py
#   python tools/test.py configs/frtm/frtm-m2f_r50_ytvos18-davis17.py \
#       work_dirs/frtm-m2f_r50_ytvos18-davis17/iter_50400.pth
# A MinVIS or NOVIS model trained on YouTube-VIS holds the same two parts
# under the same names: give its checkpoint instead to start from
# video-trained features.
_base_ = ['./frtm_r101_ytvos18-davis17.py']

backbone_checkpoint = 'checkpoints/mask2former_r50_coco.pth'

model = dict(
    backbone=dict(
        depth=50,
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint,
                      prefix='backbone.')),
    # Mask2Former's pixel decoder, as in configs/minvis/minvis_r50_ytvis19.py
    neck=dict(
        type='MSDeformAttnPixelDecoder', in_channels=(256, 512, 1024, 2048),
        feat_channels=256, out_channels=256, num_encoder_levels=3,
        num_encoder_layers=6, num_heads=8, num_points=4, ffn_channels=1024,
        dropout=0.0, num_groups=32,
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint,
                      prefix='pixel_decoder.')),
    target_model=dict(in_channels=256),
    head=dict(in_channels=(256, 256, 256, 256)),
    target_level=6,  # the encoder map at stride 16
    head_levels=(4, 7, 6, 5),  # strides 4, 8, 16, 32
    freeze_backbone=True,
    freeze_neck=True)
