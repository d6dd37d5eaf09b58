"""The FaSTGAN test configs for MOSE, MOSE v2 and VOST run ``tools/test.py
--submit`` into zips their validators accept: tiny toy data in each layout
(2 test videos of 4 frames, 32 x 48 px) under one ``data_root``, the
benchmark config's data and submission writer, the toy stage-1 regressor
(randomly initialised) instead of the ResNet-50 one."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import plugins.fastgan  # noqa: F401  (registers the plugin)
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.evaluation import validate_mose_zip, validate_vost_zip
from vostoolkit.registry import MODELS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'fastgan', 'fastgan-stage1_r18_toy-davis.py')
PIPELINE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations'),
            dict(type='ClipResize', scale=(64, 32), keep_ratio=False),
            dict(type='PackVideoInputs')]
BENCHMARKS = {
    'mose': ('mose', 'mose',
             lambda z, r: validate_mose_zip(z, r, 'valid', version=1)),
    'mose-v2': ('mose', 'mose_v2',
                lambda z, r: validate_mose_zip(z, r, 'valid', version=2)),
    'vost': ('vost', 'vost', lambda z, r: validate_vost_zip(z, r, 'val')),
}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('fastgan_bench_data')
    for fmt, folder, _ in BENCHMARKS.values():
        generate_toy_dataset(str(root / folder), fmt, videos=1, val_videos=2,
                             frames=4, size=(32, 48), seed=6, max_objects=2)
    return str(root)


@pytest.mark.parametrize('bench', sorted(BENCHMARKS))
def test_benchmark_config_submits_a_valid_zip(bench, data_root, tmp_path):
    _, folder, validate = BENCHMARKS[bench]
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'fastgan', f'fastgan_r50_ytvos18-davis17_{bench}.py'))
    model = Config.fromfile(TOY).model
    cfg.model = model
    cfg.load_from = None
    cfg.test_dataloader.dataset.pipeline = PIPELINE
    cfg.test_dataloader.num_workers = 0
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'train_pipeline', 'clip_sampler',
                'val_dataloader', 'val_evaluator', 'val_cfg'):
        cfg.pop(key, None)  # testing only (and a shorter config to log)
    merged = str(tmp_path / f'fastgan_{folder}.py')
    cfg.dump(merged)
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'iter_1.pth')
    torch.save(dict(state_dict=MODELS.build(model).state_dict(),
                    meta=dict(iter=1)), ckpt)
    out_zip = str(tmp_path / f'{folder}.zip')
    code = load_tool('tools/test.py').main([
        merged, ckpt, '--submit', out_zip, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', f'data_root={data_root}'])
    assert code == 0
    assert validate(out_zip, osp.join(data_root, folder)) == []
