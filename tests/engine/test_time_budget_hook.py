"""TrainTimeBudgetHook stops training at a check with a resumable checkpoint.
"""
import os.path as osp
import uuid

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import vostoolkit.testing  # noqa: F401
from vostoolkit.engine import TrainTimeBudgetHook, load_from_local_trusted

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')


def _runner(work_dir, max_minutes, **hook_args):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = 7
    cfg.default_hooks.checkpoint.interval = 100
    cfg.custom_hooks = [dict(type='TrainTimeBudgetHook',
                             max_minutes=max_minutes, check_interval=2,
                             **hook_args)]
    cfg.experiment_name = f'budget_{uuid.uuid4().hex[:8]}'
    return Runner.from_cfg(cfg)


def test_stops_at_first_check_over_budget(tmp_path):
    runner = _runner(tmp_path, max_minutes=1e-9)
    runner.train()
    assert runner.iter == 2
    path = osp.join(tmp_path, 'iter_2.pth')
    assert load_from_local_trusted(path)['meta']['iter'] == 2
    with open(osp.join(tmp_path, 'last_checkpoint')) as f:
        assert f.read() == path


def test_within_budget_runs_the_schedule(tmp_path):
    runner = _runner(tmp_path, max_minutes=60)
    runner.train()
    assert runner.iter == 7
    hook = [h for h in runner.hooks if isinstance(h, TrainTimeBudgetHook)]
    assert hook and hook[0].stopped_at is None


def test_bad_arguments():
    with pytest.raises(ValueError, match='max_minutes'):
        TrainTimeBudgetHook(max_minutes=0)
