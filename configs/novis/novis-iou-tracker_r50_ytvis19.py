# NOVIS, ResNet-50, YouTube-VIS 2019, with the handcrafted tracker of the
# paper's ablation (Table 3, "heuristic"): the same model and near-online
# inference (T=4 / S=2), but consecutive clips are matched by the volumetric
# mask IoU on the frames they share plus the agreement of their class
# probabilities, instead of the cosine similarity of overlap embeddings.
# Table 3 measures it on an OVIS training split (21.9 AP against 23.3 with
# overlap embeddings); novis-iou-tracker_r50_ovis.py is that setting.
#
# The tracker runs at test time only: the weights of novis_r50_ytvis19.py
# serve as they are.
#   python tools/test.py configs/novis/novis-iou-tracker_r50_ytvis19.py CKPT \
#       --submit out.zip [--cfg-options data_root=DIR]
# The weight of the class term (the paper does not give one) is
#   --cfg-options model.tracker.class_weight=W
_base_ = ['./novis_r50_ytvis19.py']

model = dict(tracker=dict(_delete_=True, type='IoUClassClipTracker',
                          class_weight=1.0),
             overlap_embeddings=False)
test_evaluator = dict(
    out_file='work_dirs/novis-iou-tracker_r50_ytvis19_results.zip')
