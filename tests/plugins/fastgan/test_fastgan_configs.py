"""The FaSTGAN configs parse, build, and name an optimizer per built
critic."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import plugins.fastgan  # noqa: F401
from vostoolkit.engine import MultiOptimWrapperConstructor
from vostoolkit.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'fastgan', '*.py')))

EXPECTED_CRITICS = {
    'fastgan-stage1_r50_ytvos18.py': set(),
    'fastgan_r50_ytvos18-davis17.py': {'critic_spatial', 'critic_temporal'},
    'fastgan-ce-only_r50_ytvos18-davis17.py': set(),
    'fastgan-spatial_r50_ytvos18-davis17.py': {'critic_spatial'},
    'fastgan-temporal_r50_ytvos18-davis17.py': {'critic_temporal'},
    'fastgan-stage1_r18_toy-davis.py': set(),
    'fastgan_r18_toy-davis.py': {'critic_spatial', 'critic_temporal'},
}
# test-set children of the final model: the same model
EXPECTED_CRITICS.update({
    f'fastgan_r50_ytvos18-davis17_{name}.py': {'critic_spatial',
                                               'critic_temporal'}
    for name in ('lvos-v1', 'lvos-v2', 'sav', 'mose', 'mose-v2', 'vost')})


def test_every_config_is_listed():
    assert {osp.basename(c) for c in CONFIGS} == set(EXPECTED_CRITICS)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_with_matching_optimizers(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model.to_dict()
    model_cfg['generator']['backbone'].pop('init_cfg', None)  # no download
    model = MODELS.build(model_cfg)
    assert set(model.critics()) == EXPECTED_CRITICS[osp.basename(path)]
    optim = {k: v for k, v in cfg.optim_wrapper.to_dict().items()
             if k != 'constructor'}
    assert set(optim) == {'generator'} | set(model.critics())
    assert set(cfg.param_scheduler) == set(optim)
    wrappers = MultiOptimWrapperConstructor(optim)(model)
    assert set(wrappers.keys()) == set(optim)
    if 'critic_temporal' in model.critics():
        sampler = cfg.train_dataloader.dataset.clip_sampler
        assert sampler.num_frames == model.critic_temporal.num_frames + 1
    # what a test run builds: no critics
    test_cfg = dict(model_cfg, **cfg.test_model)
    assert MODELS.build(test_cfg).critics() == {}


def _paper_defaults(path):
    """(class-balanced eq. 2, ground-truth-trick noise) of a config."""
    cfg = Config.fromfile(path)
    model = MODELS.build(dict(cfg.model.to_dict(), critic_spatial=None,
                              critic_temporal=None, generator=dict(
                                  type='FaSTGANRegressor',
                                  backbone=dict(type='ResNet', depth=18,
                                                in_channels=4,
                                                base_channels=4),
                                  decoder_channels=8)))
    return model.loss_ce.balanced, model.gt_noise


@pytest.mark.parametrize('name', [n for n in EXPECTED_CRITICS
                                  if '_r50_' in n])
def test_full_size_configs_keep_the_papers_losses(name):
    balanced, noise = _paper_defaults(osp.join(ROOT, 'configs', 'fastgan',
                                               name))
    assert balanced
    assert noise == 'prediction'


def test_toy_configs_state_their_deviations():
    for name in ('fastgan-stage1_r18_toy-davis.py',
                 'fastgan_r18_toy-davis.py'):
        path = osp.join(ROOT, 'configs', 'fastgan', name)
        balanced, noise = _paper_defaults(path)
        assert not balanced  # plain BCE (plugin README: why)
        if 'stage1' not in name:
            assert noise is None  # no ground-truth-trick noise
