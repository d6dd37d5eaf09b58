# Mask2Former-VIS (Cheng et al., 2021), ResNet-50, YouTube-VIS 2019, on the
# NOVIS model: the same network with Mask2Former-VIS's decoder (3-D sine
# encoding: the frame's position normalised by the clip length; no overlap
# embeddings), each video decoded as one clip and the top 10 (query, class)
# pairs scored by class probability alone, as the authors' inference.
# It runs the authors' weights (model_final_34112b.pkl, see
# plugins/novis/README.md), converted once:
#
#   python tools/model_converters/mask2former_d2.py model_final_34112b.pkl \
#       checkpoints/mask2former-vis_r50_ytvis19.pth \
#       --config configs/novis/novis-m2fvis_r50_ytvis19.py
#   python tools/test.py configs/novis/novis-m2fvis_r50_ytvis19.py \
#       checkpoints/mask2former-vis_r50_ytvis19.pth --submit out.zip
#   python tools/demo.py configs/novis/novis-m2fvis_r50_ytvis19.py \
#       checkpoints/mask2former-vis_r50_ytvis19.pth --input VIDEO
#
# Near-online instead (clips of 4 frames every 2, matched by mask IoU on the
# shared frames and class):
#   --cfg-options model.clip_len=4 model.stride=2
# Training with this config uses NOVIS's recipe (from the converted COCO
# checkpoint, 4-frame clips), not Mask2Former-VIS's schedule.
_base_ = ['./novis_r50_ytvis19.py']

# longer than any YouTube-VIS video: a video is one clip
whole_video = 1000

model = dict(
    decoder=dict(type='Mask2FormerVideoHead', temporal_encoding='sine'),
    tracker=dict(_delete_=True, type='IoUClassClipTracker'),
    overlap_embeddings=False, clip_len=whole_video, stride=whole_video,
    # Mask2Former-VIS's score: the class probability alone
    test_cfg=dict(score='class'))
test_evaluator = dict(
    out_file='work_dirs/novis-m2fvis_r50_ytvis19_results.zip')
