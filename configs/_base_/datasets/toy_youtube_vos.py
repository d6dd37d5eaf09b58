# Toy YouTube-VOS-format videos, generated under data/toy/youtube_vos on
# first use when missing: stems every 5th frame (00000, 00005, ...),
# `train` fully annotated, `valid` with each object's first-appearance mask
# only (objects enter late), `valid_all_frames` with every frame. `valid` has
# no full labels (as the real one): val/test write a submission zip.
_base_ = './youtube_vos2018.py'
data_root = 'data/toy/youtube_vos'
toy_spec = dict(videos=24, val_videos=6, frames=12, size=(64, 96), seed=0)

train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, toy_spec=toy_spec))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, toy_spec=toy_spec))
test_dataloader = val_dataloader
