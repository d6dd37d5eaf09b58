# MinVIS on any video with the COCO Mask2Former instance model (R50, 80 COCO
# categories) and no video training: the image model segments every frame
# and its query embeddings are matched frame to frame (the paper's tracking
# by query matching, on the model it starts from). For tools/demo.py:
#
#   python tools/demo.py configs/minvis/minvis_r50_coco.py \
#       checkpoints/mask2former_r50_coco.pth --input VIDEO.mp4 [--gif]
#
# checkpoints/mask2former_r50_coco.pth: Mask2Former's COCO instance R50
# model (model_final_3c8ec9.pkl, see plugins/minvis/README.md) converted
# once, with its 80 categories:
#   python tools/model_converters/mask2former_d2.py model_final_3c8ec9.pkl \
#       checkpoints/mask2former_r50_coco.pth \
#       --config configs/minvis/minvis_r50_coco.py
# The test set of the base config (YouTube-VIS 2019) has other categories:
# this config is for inference on your own videos, not for training or
# scoring.
_base_ = ['./minvis_r50_ytvis19.py']

num_classes = 80
load_from = 'checkpoints/mask2former_r50_coco.pth'
# COCO's 80 thing categories in the order of Mask2Former's classifier;
# tools/demo.py names the predicted instances with them.
classes = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
    'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard',
    'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard',
    'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork',
    'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
    'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair',
    'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv',
    'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave',
    'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase',
    'scissors', 'teddy bear', 'hair drier', 'toothbrush')

model = dict(decoder=dict(num_classes=num_classes))

# Frames resized to a shortest edge of 480 (the COCO model was trained with
# large-scale jitter, so it holds at this scale; 800 is COCO's test scale).
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(type='ClipResize', shortest_edge=480, max_size=1333, backend='pil'),
    dict(type='PackVideoInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
