"""`--cfg-options data_root=NEW` moves every path built from data_root."""
from vostoolkit.apis.config import load_config

CONFIG = 'configs/maskprop/maskprop_r18_toy-davis.py'


def test_data_root_override_reaches_nested_paths():
    cfg = load_config(CONFIG, ['data_root=/elsewhere/DAVIS'])
    assert cfg.data_root == '/elsewhere/DAVIS'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.data_root == '/elsewhere/DAVIS'
    assert cfg.test_evaluator.gt_root == '/elsewhere/DAVIS'
    assert 'data/toy/davis' not in cfg.pretty_text


def test_explicit_nested_option_wins_over_reroot():
    cfg = load_config(CONFIG, ['data_root=/a', 'test_evaluator.gt_root=/b'])
    assert cfg.train_dataloader.dataset.data_root == '/a'
    assert cfg.test_evaluator.gt_root == '/b'


def test_without_data_root_override_nothing_moves():
    cfg = load_config(CONFIG, ['train_cfg.max_iters=3'])
    assert cfg.train_dataloader.dataset.data_root == 'data/toy/davis'


def test_toy_spec_option_reaches_the_datasets():
    """`--cfg-options toy_spec.videos=N` changes the data the dataloaders
    generate and check (the datasets hold copies made at parse time); a
    loader's own explicit option still wins."""
    novis = 'configs/novis/novis_r18_toy-ytvis.py'
    cfg = load_config(novis, ['toy_spec.videos=480'])
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        spec = cfg[key].dataset.toy_spec
        assert spec.videos == 480 and spec.val_videos == 30, key
    cfg = load_config(novis, ['toy_spec.videos=480',
                              'val_dataloader.dataset.toy_spec.frames=8'])
    assert cfg.train_dataloader.dataset.toy_spec.frames == 16
    assert cfg.val_dataloader.dataset.toy_spec.frames == 8
    assert cfg.val_dataloader.dataset.toy_spec.videos == 480
    # no toy_spec option: the datasets' specs are left alone
    cfg = load_config(novis, ['train_dataloader.dataset.toy_spec.videos=5'])
    assert cfg.toy_spec.videos == 120
    assert cfg.val_dataloader.dataset.toy_spec.videos == 120
