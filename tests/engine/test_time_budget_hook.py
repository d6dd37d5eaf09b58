"""TrainTimeBudgetHook stops training at a check with a resumable checkpoint.
"""
import os.path as osp
import time
import uuid

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import vostoolkit.testing  # noqa: F401
from vostoolkit.apis import start_budget_clock
from vostoolkit.engine import TrainTimeBudgetHook, load_from_local_trusted

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')


def _runner(work_dir, max_minutes):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = 7
    cfg.default_hooks.checkpoint.interval = 100
    cfg.custom_hooks = [dict(type='TrainTimeBudgetHook',
                             max_minutes=max_minutes, check_interval=2)]
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


def test_budget_counted_from_a_tool_start_includes_what_came_before(tmp_path):
    """tools/train.py and quickstart start the clock before the pretraining
    stage and the runner's set-up: time spent there is spent from the
    budget. A minute's budget started two minutes ago stops at the first
    check; the same budget counted from the loop's start does not."""
    runner = _runner(tmp_path / 'late', max_minutes=1)
    start_budget_clock(runner, time.monotonic() - 120)
    runner.train()
    assert runner.iter == 2
    fresh = _runner(tmp_path / 'fresh', max_minutes=1)
    fresh.train()
    assert fresh.iter == 7
