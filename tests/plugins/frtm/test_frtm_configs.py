"""The FRTM configs parse, variants change what they claim, the toy model
builds and runs."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import plugins.frtm  # noqa: F401
from vostoolkit.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CFG_DIR = osp.join(ROOT, 'configs', 'frtm')


def _load(name):
    return Config.fromfile(osp.join(CFG_DIR, name))


@pytest.mark.parametrize('path', sorted(glob.glob(osp.join(CFG_DIR,
                                                           '*.py'))))
def test_config_parses(path):
    cfg = Config.fromfile(path)
    assert cfg.model.type == 'FRTM'
    assert cfg.default_scope == 'vostoolkit'
    assert 'plugins.frtm' in cfg.custom_imports.imports


def test_paper_settings_and_variants():
    final = _load('frtm_r101_ytvos18-davis17.py').model
    tm = final.target_model
    assert (tm.num_filters, tm.update_interval, tm.num_gn_steps,
            tm.cg_iters_first, tm.cg_iters, tm.update_cg_iters,
            tm.memory_size, tm.learning_rate, tm.kappa_min) == (
                96, 8, 5, 5, 10, 10, 80, 0.1, 0.1)
    assert final.augmenter.num_samples == 20 and final.freeze_backbone
    fast = _load('frtm-fast_r101_ytvos18-davis17.py').model.target_model
    assert (fast.num_filters, fast.update_interval, fast.num_gn_steps,
            fast.cg_iters_first, fast.cg_iters, fast.update_cg_iters) == (
                32, 16, 4, 5, 10, 5)
    assert not _load('frtm-no-update_r101_ytvos18-davis17.py'
                     ).model.target_model['update']
    d_only = _load('frtm-d-only_r101_ytvos18-davis17.py').model
    assert d_only.head == dict(type='FRTMScoreHead')
    assert not d_only.target_model['update']
    dv17 = _load('frtm_r101_davis17.py').train_dataloader.dataset
    assert dv17.type == 'RepeatDataset' and dv17.times == 8
    assert dv17.dataset.type == 'DAVISDataset'
    full = _load('frtm_r101_ytvos18-davis17.py')
    optim = full.optim_wrapper.optimizer
    assert (optim.type, optim.lr, optim.weight_decay) == ('Adam', 1e-3, 1e-5)
    assert full.param_scheduler[0].gamma == 0.1


def test_toy_model_builds_and_predicts():
    torch.manual_seed(0)
    model = MODELS.build(_load('frtm_r18_toy-davis.py').model)
    assert model.target_model.in_channels == 32  # layer1 of the narrow R18
    feats = model.extract_feats(torch.randn(1, 3, 64, 96))
    assert [f.shape[1] for f in feats] == [32, 32, 64, 128, 256]
    assert model.head.in_channels == (32, 32, 64, 128, 256)
    # lighter Gauss-Newton while training R only; nothing extra is saved
    assert model.train_target_model.num_gn_steps == 2
    assert model.target_model.num_gn_steps == 5
    assert not any('target_model' in k for k in model.state_dict())
    calls = []
    init_state = model.train_target_model.init_state
    model.train_target_model.init_state = lambda *a, **k: (
        calls.append(1), init_state(*a, **k))[1]
    mask = torch.zeros(64, 96, dtype=torch.bool)
    mask[20:40, 30:60] = True
    model.learn_target(torch.randn(3, 64, 96), mask)
    assert calls == [1]


# ------------------------------------------------------------------ data
def _point_at_toy(ds: dict, roots: dict) -> dict:
    """Copy of a dataset config with every VOS dataset's root replaced by a
    toy root of its format (wrappers are followed)."""
    ds = dict(ds)
    if ds['type'] in roots:
        ds['data_root'] = roots[ds['type']]
        ds.pop('toy_spec', None)
    if 'dataset' in ds:
        ds['dataset'] = _point_at_toy(ds['dataset'], roots)
    if 'datasets' in ds:
        ds['datasets'] = [_point_at_toy(d, roots) for d in ds['datasets']]
    return ds


def _leaves(dataset):
    """The innermost datasets of mmengine's wrappers."""
    if hasattr(dataset, 'datasets'):
        return [d for sub in dataset.datasets for d in _leaves(sub)]
    if hasattr(dataset, 'dataset'):
        return _leaves(dataset.dataset)
    return [dataset]


@pytest.fixture(scope='module')
def toy_long_roots(tmp_path_factory):
    """Tiny toy LVOS and SA-V roots (one test video each)."""
    from vostoolkit.datasets.toy import generate_toy_dataset
    roots = {}
    for ds, fmt in (('LVOSDataset', 'lvos'), ('SAVDataset', 'sav')):
        roots[ds] = str(tmp_path_factory.mktemp(fmt))
        generate_toy_dataset(roots[ds], fmt, videos=0, val_videos=1,
                             frames=3, size=(32, 48), seed=1)
    return roots


@pytest.mark.parametrize('path', sorted(glob.glob(osp.join(CFG_DIR,
                                                           '*.py'))))
def test_config_datasets_build_on_toy_data(path, toy_davis_root,
                                           toy_ytvos_root, toy_long_roots,
                                           toy_data):
    """Each dataloader's dataset builds with the real readers and yields
    what FRTM reads: train clips of 1 reference + 2 frames with the
    reference's objects, test videos with the first given masks."""
    import numpy as np
    from mmengine.registry import DefaultScope
    from vostoolkit.registry import DATASETS, METRICS
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope('vostoolkit'):
        _check_datasets(cfg, toy_davis_root, toy_ytvos_root, dict(
            toy_long_roots, MOSEDataset=toy_data('mose')[0],
            MOSEv2Dataset=toy_data('mose')[0],
            VOSTDataset=toy_data('vost')[0]))
    assert METRICS.get(cfg.submit_evaluator['type']) is not None
    assert METRICS.get(cfg.test_evaluator['type']) is not None


def _check_datasets(cfg, toy_davis_root, toy_ytvos_root, long_roots):
    import numpy as np
    from vostoolkit.registry import DATASETS
    roots = dict(DAVISDataset=toy_davis_root,
                 YouTubeVOSDataset=toy_ytvos_root, **long_roots)
    np.random.seed(0)
    train = DATASETS.build(_point_at_toy(cfg.train_dataloader.dataset,
                                         roots))
    for leaf in _leaves(train):
        item = leaf[0]
        assert item['inputs'].shape[0] == 3  # reference + 2 validation
        ref = item['data_samples'].gt_obj_masks[0]
        assert ref.shape == item['inputs'].shape[-2:]
        assert int(ref.max()) > 0  # clip frame 0 shows an object
    for key in ('val_dataloader', 'test_dataloader'):
        test = DATASETS.build(_point_at_toy(cfg[key].dataset, roots))
        item = test[0]
        sample = item['data_samples']
        assert sample.metainfo['frame_ids'][0] == 0
        assert 'gt_obj_masks' in sample and len(sample.obj_ids) > 0
        assert item['inputs'].shape[0] == len(sample.metainfo['frame_ids'])
