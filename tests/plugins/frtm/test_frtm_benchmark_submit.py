"""The FRTM test configs of the VOS benchmarks (MOSE, MOSE v2, VOST,
LVOS v1 / v2, SA-V) run ``tools/test.py --submit`` into zips their
validators accept: tiny toy data in each layout under one ``data_root``,
the benchmark config's data and submission writer, the toy config's
narrowed model (randomly initialised)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import plugins.frtm  # noqa: F401  (registers the plugin)
from vostoolkit.testing import (BENCHMARKS, make_benchmark_data,
                                submit_and_check)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'frtm', 'frtm_r18_toy-davis.py')
SMALL = {'model.backbone.base_channels': 8,
         'model.target_model.num_filters': 8,
         'model.target_model.num_gn_steps': 2,
         'model.head.channels': 8, 'model.augmenter.num_samples': 3}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_benchmark_data(str(tmp_path_factory.mktemp('frtm_data')),
                               seed=5)


@pytest.mark.parametrize('suffix', sorted(BENCHMARKS))
def test_benchmark_config_submits_a_valid_zip(suffix, data_root, tmp_path):
    torch.set_num_threads(1)
    toy = Config.fromfile(TOY)
    toy.merge_from_dict(SMALL)
    config = osp.join(ROOT, 'configs', 'frtm',
                      f'frtm_r101_ytvos18-davis17_{suffix}.py')
    submit_and_check(config, suffix, toy.model, toy.test_pipeline,
                     data_root, str(tmp_path))
