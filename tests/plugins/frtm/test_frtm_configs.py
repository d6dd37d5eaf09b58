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
    final = _load('frtm_r101_ytvos-davis17.py').model
    tm = final.target_model
    assert (tm.num_filters, tm.update_interval, tm.num_gn_steps,
            tm.cg_iters_first, tm.cg_iters, tm.update_cg_iters,
            tm.memory_size, tm.learning_rate, tm.kappa_min) == (
                96, 8, 5, 5, 10, 10, 80, 0.1, 0.1)
    assert final.augmenter.num_samples == 20 and final.freeze_backbone
    fast = _load('frtm-fast_r101_ytvos-davis17.py').model.target_model
    assert (fast.num_filters, fast.update_interval, fast.num_gn_steps,
            fast.cg_iters_first, fast.cg_iters, fast.update_cg_iters) == (
                32, 16, 4, 5, 10, 5)
    assert not _load('frtm-no-update_r101_ytvos-davis17.py'
                     ).model.target_model['update']
    d_only = _load('frtm-d-only_r101_ytvos-davis17.py').model
    assert d_only.head == dict(type='FRTMScoreHead')
    assert not d_only.target_model['update']
    dv17 = _load('frtm_r101_davis17.py').train_dataloader.dataset
    assert dv17.type == 'RepeatDataset' and dv17.times == 8
    assert dv17.dataset.type == 'DAVISDataset'
    full = _load('frtm_r101_ytvos-davis17.py')
    optim = full.optim_wrapper.optimizer
    assert (optim.type, optim.lr, optim.weight_decay) == ('Adam', 1e-3, 1e-5)
    assert full.param_scheduler[0].gamma == 0.1


def test_toy_model_builds_and_predicts():
    torch.manual_seed(0)
    model = MODELS.build(_load('frtm_r18_toy-davis.py').model)
    assert model.target_model.in_channels == 64  # layer2 of the narrow R18
    feats = model.extract_feats(torch.randn(1, 3, 64, 96))
    assert [f.shape[1] for f in feats] == [32, 32, 64, 128, 256]
    assert model.head.in_channels == (32, 32, 64, 128, 256)
