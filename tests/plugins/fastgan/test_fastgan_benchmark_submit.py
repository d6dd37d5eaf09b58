"""The FaSTGAN test configs of the VOS benchmarks (MOSE, MOSE v2, VOST,
LVOS v1 / v2, SA-V) run ``tools/test.py --submit`` into zips their
validators accept: tiny toy data in each layout under one ``data_root``,
the benchmark config's data and submission writer, the toy stage-1
regressor (randomly initialised) instead of the ResNet-50 one."""
import os.path as osp

import pytest
from mmengine.config import Config

import plugins.fastgan  # noqa: F401  (registers the plugin)
from vostoolkit.testing import (BENCHMARKS, make_benchmark_data,
                                submit_and_check)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'fastgan', 'fastgan-stage1_r18_toy-davis.py')
PIPELINE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations'),
            dict(type='ClipResize', scale=(64, 32), keep_ratio=False),
            dict(type='PackVideoInputs')]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_benchmark_data(str(tmp_path_factory.mktemp('fastgan_data')),
                               seed=6)


@pytest.mark.parametrize('suffix', sorted(BENCHMARKS))
def test_benchmark_config_submits_a_valid_zip(suffix, data_root, tmp_path):
    config = osp.join(ROOT, 'configs', 'fastgan',
                      f'fastgan_r50_ytvos18-davis17_{suffix}.py')
    submit_and_check(config, suffix, Config.fromfile(TOY).model, PIPELINE,
                     data_root, str(tmp_path))
