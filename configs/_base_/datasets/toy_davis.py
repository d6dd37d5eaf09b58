# Toy DAVIS-format videos (vostoolkit.datasets.toy; tools/make_toy_data.py),
# generated under data/toy/davis on first use, with a progress bar, when the
# folder is missing. 3 shape categories with their own textures, 1-4
# objects a video (all on the first frame, as DAVIS), motion, deformation,
# occlusion, objects leaving, textured backgrounds. Configs that point at
# the same root should use the same toy_spec (a different one only warns).
_base_ = './davis2017.py'
data_root = 'data/toy/davis'
toy_spec = dict(videos=24, val_videos=6, frames=12, size=(64, 96), seed=0)
# Toy videos are short: clip frames at most 3 apart; loading is cheap enough
# for the main process.
clip_sampler = dict(type='VOSClipSampler', num_frames=3, max_skip=3,
                    random_reference=True)

train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, toy_spec=toy_spec,
                 clip_sampler=clip_sampler))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, toy_spec=toy_spec))
test_dataloader = val_dataloader
val_evaluator = dict(gt_root=data_root)
test_evaluator = val_evaluator
