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
    model = cfg.model
    if model.type == 'AdversarialSegmentor':  # FRTM against critics
        model = model.segmentor
    assert model.type == 'FRTM'
    assert cfg.default_scope == 'vostoolkit'
    assert 'plugins.frtm' in cfg.custom_imports.imports


OFFICIAL = {('r101', 'ytvos18-davis17'): 101, ('r101', 'ytvos18'): 101,
            ('r18', 'ytvos18-davis17'): 18}
TESTS = ('davis17', 'davis16', 'ytvos18-valid')


def _official_name(backbone, train, fast, test):
    algo = 'frtm-fast' if fast else 'frtm'
    if train == 'ytvos18-davis17' and test == 'davis17':
        return f'{algo}_{backbone}_{train}.py'
    return f'{algo}_{backbone}_{train}_{test}.py'


def test_authors_settings():
    final = _load('frtm_r101_ytvos18-davis17.py').model
    tm = final.target_model
    assert (tm.num_filters, tm.update_interval, tm.num_gn_steps,
            tm.cg_iters_first, tm.cg_iters, tm.update_cg_iters,
            tm.memory_size, tm.learning_rate, tm.kappa_min) == (
                96, 8, 5, 5, 10, 10, 80, 0.1, 0.1)
    assert tm.filter_reg == (1e-4, 1e-2) and tm.precond == (1e-4, 1e-2)
    assert tm.cg_forget_factor == 0.9**750
    assert final.augmenter.num_samples == 5 and final.freeze_backbone
    assert final.backbone.out_indices == ('layer1', 'layer2', 'layer3',
                                          'layer4')
    assert final.target_level == 2  # conv4_x
    assert final.data_preprocessor.pad_size_divisor == 1
    assert not _load('frtm-no-update_r101_ytvos18-davis17.py'
                     ).model.target_model['update']
    d_only = _load('frtm-d-only_r101_ytvos18-davis17.py').model
    assert d_only.head == dict(type='FRTMScoreHead')
    dv17 = _load('frtm_r101_davis17.py').train_dataloader.dataset
    assert dv17.type == 'RepeatDataset' and dv17.times == 8
    full = _load('frtm_r101_ytvos18-davis17.py')
    optim = full.optim_wrapper.optimizer
    assert (optim.type, optim.lr, optim.weight_decay) == ('Adam', 1e-3, 1e-5)


@pytest.mark.parametrize('backbone,train', sorted(OFFICIAL))
def test_configs_of_the_official_runs(backbone, train):
    """Each official checkpoint, plain and fast, on DAVIS 2016 / 2017 val
    and YouTube-VOS 2018 valid (all frames): the authors' evaluate.py
    settings (fast: 4 Gauss-Newton steps, 5 CG iterations per update)."""
    depth = OFFICIAL[(backbone, train)]
    for fast in (False, True):
        for test in TESTS:
            cfg = _load(_official_name(backbone, train, fast, test))
            model = cfg.model
            assert model.backbone.depth == depth
            tm = model.target_model
            assert (tm.num_gn_steps, tm.update_cg_iters) == (
                (4, 5) if fast else (5, 10))
            assert (tm.num_filters, tm.update_interval) == (96, 8)
            if depth == 18:
                assert tm.in_channels == 256
                assert tuple(model.head.in_channels) == (64, 128, 256, 512)
                assert 'resnet18' in model.backbone.init_cfg.checkpoint
            ds = cfg.test_dataloader.dataset
            if test == 'ytvos18-valid':
                assert ds.type == 'YouTubeVOSDataset' and ds.use_all_frames
                assert ds.split == 'valid'
                assert cfg.test_evaluator.type == 'YouTubeVOSSubmission'
            else:
                year = test[-2:]
                assert (ds.type, ds.year, ds.split) == ('DAVISDataset',
                                                        f'20{year}', 'val')
                assert cfg.test_evaluator.year == f'20{year}'
            train_ds = cfg.train_dataloader.dataset
            if train == 'ytvos18':
                assert train_ds.dataset.type == 'YouTubeVOSDataset'
            else:
                assert train_ds.type == 'ConcatDataset'


def test_toy_model_builds_and_predicts():
    torch.manual_seed(0)
    model = MODELS.build(_load('frtm_r18_toy-davis.py').model)
    assert model.target_model.in_channels == 32  # layer1 of the narrow R18
    feats = model.extract_feats(torch.randn(1, 3, 64, 96))
    assert [f.shape[1] for f in feats] == [32, 64, 128, 256]
    assert model.head.in_channels == (32, 64, 128, 256)
    # M0's features stop at D's stage and equal the full forward's
    model.eval()
    image = torch.randn(2, 3, 64, 96)
    assert torch.allclose(model.extract_target_feats(image),
                          model.extract_feats(image)[0], atol=1e-6)
    # lighter Gauss-Newton while training R only; nothing extra is saved
    assert model.train_target_model.num_gn_steps == 2
    assert model.target_model.num_gn_steps == 5
    assert not any('target_model' in k for k in model.state_dict())
    mask = torch.zeros(64, 96, dtype=torch.bool)
    mask[20:40, 30:60] = True
    state = model.learn_target(torch.randn(3, 64, 96), mask)
    assert len(state.init_losses) == 2


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
    """Tiny toy LVOS and SA-V roots (one test video each; SA-V also one
    train video, released as mp4 + JSON and converted)."""
    from vostoolkit.datasets.toy import generate_toy_dataset
    from vostoolkit.testing import load_tool
    roots = {}
    for ds, fmt in (('LVOSDataset', 'lvos'), ('SAVDataset', 'sav')):
        roots[ds] = str(tmp_path_factory.mktemp(fmt))
        generate_toy_dataset(roots[ds], fmt, videos=0, val_videos=1,
                             frames=3, size=(32, 48), seed=1)
    sav = roots['SAVDataset']
    generate_toy_dataset(sav, 'sav-train', videos=1, frames=3,
                         size=(32, 48), seed=1)
    convert = load_tool('tools/dataset_converters/sav_train.py')
    assert convert.main([osp.join(sav, 'sav_train_mp4'),
                         osp.join(sav, 'sav_train')]) == 0
    return roots


def _distinct_data_configs():
    """One config per distinct set of dataloader / evaluator settings (the
    official-run configs share a few)."""
    seen, paths = set(), []
    for path in sorted(glob.glob(osp.join(CFG_DIR, '*.py'))):
        cfg = Config.fromfile(path)
        evaluator = {k: v for k, v in cfg.test_evaluator.items()
                     if k != 'out_file'}
        key = repr([cfg.get(k) for k in (
            'train_dataloader', 'val_dataloader', 'test_dataloader',
            'submit_evaluator')] + [evaluator])
        if key not in seen:
            seen.add(key)
            paths.append(path)
    return paths


@pytest.mark.parametrize('path', _distinct_data_configs())
def test_config_datasets_build_on_toy_data(path, toy_davis_root,
                                           toy_ytvos_root, toy_long_roots,
                                           toy_data):
    """Each dataloader's dataset builds with the real readers and yields
    what FRTM reads: train clips of 1 reference + 2 frames with the
    reference's objects, test videos with the first given masks."""
    from mmengine.registry import DefaultScope
    from vostoolkit.registry import METRICS
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
