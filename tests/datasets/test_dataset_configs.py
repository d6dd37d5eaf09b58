"""The base dataset configs build and yield packed samples (pointed at the
tiny session toy data, or at a tmp dir for the toy configs' generation)."""
import os.path as osp

import pytest
from mmengine.config import Config

from vostoolkit.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(ROOT, 'configs', '_base_', 'datasets')

# config -> session toy format whose layout it reads
REAL = {
    'davis2016.py': 'davis', 'davis2017.py': 'davis',
    'youtube_vos2018.py': 'youtube-vos', 'youtube_vos2019.py': 'youtube-vos',
    'youtube_vis2019.py': 'youtube-vis', 'ovis.py': 'ovis',
    'mose.py': 'mose', 'mose_v2.py': 'mose', 'vost.py': 'vost',
}


def _build(ds_cfg, **override):
    cfg = dict(ds_cfg)
    cfg.update(override)
    return DATASETS.build(cfg)


def _check_sample(sample, task):
    assert sample['inputs'].ndim == 4 and sample['inputs'].shape[1] == 3
    ds = sample['data_samples']
    if task == 'vis':
        assert 'gt_instances' in ds or ds.metainfo['task'] == 'vis'
    assert ds.metainfo['task'] == task


@pytest.mark.parametrize('name', sorted(REAL))
def test_real_layout_configs(name, toy_data):
    root, _ = toy_data(REAL[name])
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    task = 'vis' if REAL[name] in ('youtube-vis', 'ovis') else 'vos'
    train = _build(cfg.train_dataloader.dataset, data_root=root)
    _check_sample(train[0], task)
    val = _build(cfg.val_dataloader.dataset, data_root=root)
    assert val.test_mode
    sample = val[0]
    _check_sample(sample, task)
    assert sample['data_samples'].metainfo['is_first']


def test_youtube_vis_2021_file_names():
    cfg = Config.fromfile(osp.join(CFG_DIR, 'youtube_vis2021.py'))
    assert cfg.train_dataloader.dataset.ann_file == 'train/instances.json'
    assert cfg.val_dataloader.dataset.ann_file == 'valid/instances.json'


@pytest.mark.parametrize('name,task', [('toy_davis.py', 'vos'),
                                       ('toy_youtube_vos.py', 'vos'),
                                       ('toy_youtube_vis.py', 'vis')])
def test_toy_configs_generate_on_first_use(name, task, tmp_path):
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    root = str(tmp_path / 'toy')
    small = dict(cfg.toy_spec, videos=2, val_videos=1, frames=4)
    train = _build(cfg.train_dataloader.dataset, data_root=root,
                   toy_spec=small)
    assert osp.isfile(osp.join(root, 'toy_spec.json'))
    _check_sample(train[0], task)
    val = _build(cfg.val_dataloader.dataset, data_root=root, toy_spec=small)
    _check_sample(val[0], task)
    with pytest.warns(UserWarning, match='another spec'):
        _build(cfg.val_dataloader.dataset, data_root=root,
               toy_spec=dict(small, seed=1))
