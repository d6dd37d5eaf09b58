# NOVIS, ResNet-50, OVIS at the normal scale, online with a track buffer (the
# paper's section 5.5 and Figure 3): a model trained on clips of one frame
# (T=1) segments each frame on its own, and every frame's query embeddings
# are matched (cosine, Hungarian) to the mean of each track's last 4
# embeddings, the buffer length the paper finds best on OVIS. Without the
# buffer (model.tracker.buffer_len=1) it is the plain online variant, which
# the paper compares to MinVIS. The paper reports the near-online T=4 / S=2
# model (novis_r50_ovis.py) ahead of this one on OVIS and YouTube-VIS 2019.
#
#   python tools/train.py configs/novis/novis-online_r50_ovis.py
#   python tools/test.py configs/novis/novis-online_r50_ovis.py CKPT \
#       --submit out.zip [--cfg-options data_root=DIR]
# (start from Mask2Former's COCO model with a 25-class head, see
# novis_r50_ovis.py)
_base_ = ['./novis_r50_ytvis19.py']

# OVIS as in novis_r50_ovis.py (a child of the YouTube-VIS 2019 config, not
# of that one, to keep configs at most 3 files deep)
data_root = 'data/ovis'
max_iters = 16000
top_k = 30
load_from = 'checkpoints/mask2former_r50_coco-instance_25cls.pth'
clip_len = 1

model = dict(decoder=dict(num_classes=25, max_frames=clip_len),
             tracker=dict(_delete_=True, type='EmbeddingBufferTracker',
                          buffer_len=4),
             clip_len=clip_len, stride=1, overlap_embeddings=False,
             test_cfg=dict(top_k=top_k))
train_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_train.json', data_prefix=dict(img='train'),
    clip_sampler=dict(num_frames=clip_len)))
test_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root,
    ann_file='annotations_valid.json', data_prefix=dict(img='valid')))
test_evaluator = dict(out_file='work_dirs/novis-online_r50_ovis_results.zip',
                      ann_file=f'{data_root}/annotations_valid.json',
                      topk=top_k)
submit_evaluator = dict(ann_file=f'{data_root}/annotations_valid.json',
                        topk=top_k)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[8000, 12000], gamma=0.1),
]
