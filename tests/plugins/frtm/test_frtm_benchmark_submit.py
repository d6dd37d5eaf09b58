"""The FRTM test configs for MOSE, MOSE v2 and VOST run ``tools/test.py
--submit`` into zips their validators accept: tiny toy data in each layout
(2 test videos of 4 frames, 32 x 48 px) under one ``data_root``, the
benchmark config's data and submission writer, the toy config's narrowed
model (randomly initialised)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import plugins.frtm  # noqa: F401  (registers the plugin)
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.evaluation import validate_mose_zip, validate_vost_zip
from vostoolkit.registry import MODELS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'frtm', 'frtm_r18_toy-davis.py')
SMALL = {'model.backbone.base_channels': 8,
         'model.target_model.num_filters': 8,
         'model.target_model.num_gn_steps': 2,
         'model.head.channels': 8, 'model.head.final_channels': 8,
         'model.augmenter.num_samples': 3}
# benchmark -> (config suffix, toy format, folder under data_root, check)
BENCHMARKS = {
    'mose': ('mose', 'mose', 'mose',
             lambda z, r: validate_mose_zip(z, r, 'valid', version=1)),
    'mose-v2': ('mose-v2', 'mose', 'mose_v2',
                lambda z, r: validate_mose_zip(z, r, 'valid', version=2)),
    'vost': ('vost', 'vost', 'vost',
             lambda z, r: validate_vost_zip(z, r, 'val')),
}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('frtm_bench_data')
    for _, fmt, folder, _ in BENCHMARKS.values():
        generate_toy_dataset(str(root / folder), fmt, videos=1, val_videos=2,
                             frames=4, size=(32, 48), seed=5, max_objects=2)
    return str(root)


@pytest.mark.parametrize('bench', sorted(BENCHMARKS))
def test_benchmark_config_submits_a_valid_zip(bench, data_root, tmp_path):
    suffix, _, folder, validate = BENCHMARKS[bench]
    path = osp.join(ROOT, 'configs', 'frtm',
                    f'frtm_r101_ytvos18-davis17_{suffix}.py')
    cfg = Config.fromfile(path)
    toy = Config.fromfile(TOY)
    toy.merge_from_dict(SMALL)
    cfg.model = toy.model  # the benchmark's data, a tiny model
    cfg.test_dataloader.dataset.pipeline = toy.test_pipeline
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'train_pipeline', 'davis_train',
                'ytvos_train', 'clip_sampler', 'val_dataloader',
                'val_evaluator', 'val_cfg'):
        cfg.pop(key, None)  # testing only (and a shorter config to log)
    merged = str(tmp_path / f'frtm_{folder}.py')
    cfg.dump(merged)
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'iter_1.pth')
    torch.save(dict(state_dict=MODELS.build(toy.model).state_dict(),
                    meta=dict(iter=1)), ckpt)
    out_zip = str(tmp_path / f'{folder}.zip')
    code = load_tool('tools/test.py').main([
        merged, ckpt, '--submit', out_zip, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', f'data_root={data_root}'])
    assert code == 0
    assert validate(out_zip, osp.join(data_root, folder)) == []
