# The toy FRTM-VOS model on the toy YouTube-VOS-format `valid` split, where
# objects enter late and only their first-appearance mask is given. Test
# with the checkpoint of frtm_r18_toy-davis (same model):
#
#   python tools/test.py configs/frtm/frtm_r18_toy-ytvos.py \
#       work_dirs/frtm_r18_toy-davis/iter_2400.pth --submit ytvos.zip
_base_ = ['./frtm_r18_toy-davis.py']

ytvos_root = 'data/toy/youtube_vos'  # under the base's data_root
# the spec of configs/_base_/datasets/toy_youtube_vos.py (shared root)
ytvos_toy_spec = dict(videos=24, val_videos=6, frames=12, size=(64, 96),
                      seed=0)
test_dataloader = dict(dataset=dict(
    _delete_=True, type='YouTubeVOSDataset', data_root=ytvos_root,
    split='valid', toy_spec=ytvos_toy_spec, test_mode=True,
    test_chunk_len=8, pipeline={{_base_.test_pipeline}}))
val_dataloader = test_dataloader
test_evaluator = dict(_delete_=True, type='YouTubeVOSSubmission',
                      out_file='work_dirs/frtm_r18_toy-ytvos/submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(_delete_=True, type='YouTubeVOSSubmission')
