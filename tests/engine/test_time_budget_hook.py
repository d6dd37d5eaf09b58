"""TrainTimeBudgetHook stops training at a check with a resumable checkpoint.
"""
import os.path as osp
import time
import uuid
from collections import Counter

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import vostoolkit.testing  # noqa: F401
from vostoolkit.apis import start_budget_clock
from vostoolkit.engine import (AttributeScheduleHook, TrainTimeBudgetHook,
                               load_from_local_trusted)
from vostoolkit.engine import hooks as hooks_module
from vostoolkit.engine.hooks import ScheduleFitter

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


def test_budget_counted_from_a_launching_tool_start(tmp_path):
    """quickstart's data-parallel processes are launched after its
    pretraining stage: the config's ``launched_at`` (a wall-clock reading)
    counts the budget from the launcher's start, also when the process's
    own tool started the clock later."""
    runner = _runner(tmp_path / 'launched', max_minutes=1,
                     launched_at=time.time() - 120)
    start_budget_clock(runner, time.monotonic())
    runner.train()
    assert runner.iter == 2
    recent = _runner(tmp_path / 'recent', max_minutes=1,
                     launched_at=time.time() - 5)
    start_budget_clock(recent, time.monotonic())
    recent.train()
    assert recent.iter == 7


class _Clock:
    """Stands in for the hooks' ``time``: one second per iteration."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


class _Tick(Hook):
    def __init__(self, clock):
        self.clock = clock

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.clock.now += 1.0


def _slow_runner(work_dir, clock, fit):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = 40
    cfg.default_hooks.checkpoint.interval = 100
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
             end=4),
        dict(type='MultiStepLR', by_epoch=False, begin=0, end=40,
             milestones=[30, 36], gamma=0.5)]
    cfg.custom_hooks = [
        dict(type='TrainTimeBudgetHook', max_minutes=0.5, check_interval=2,
             fit_schedule=fit, fit_interval=10),
        dict(type='AttributeScheduleHook', attr='fade',
             points=[[8, 2.0], [32, 0.0]])]
    cfg.experiment_name = f'fit_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.model.fade = 2.0
    runner.register_hook(_Tick(clock), priority='HIGHEST')
    return runner


def test_fit_schedule_compresses_a_slow_run_to_the_budget(tmp_path,
                                                          monkeypatch):
    """40 iterations of 1 s in a 30 s budget (5 s kept as a margin): at
    iteration 10 the run can afford 25, so its learning-rate drops (30,
    36), the fade's end (32) and the end move to 19, 22, 20 and 25 and the
    run ends there with both drops taken. Without fitting, the budget
    stops it at 32 with one drop taken."""
    clock = _Clock()
    monkeypatch.setattr(hooks_module, 'time', clock)
    runner = _slow_runner(tmp_path / 'fit', clock, fit=True)
    runner.train()
    hook = [h for h in runner.hooks if isinstance(h, TrainTimeBudgetHook)][0]
    assert runner.iter == 25 and hook.fitted_max_iters == 25
    assert hook.stopped_at is None
    sched = runner.param_schedulers[1]
    assert sorted(sched.milestones) == [19, 22] and sched.end == 25
    assert runner.param_schedulers[0].end == 4  # passed: unchanged
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(2.5e-4)
    fade = [h for h in runner.hooks if isinstance(h, AttributeScheduleHook)]
    assert fade[0].points == [(8, 2.0), (20, 0.0)]
    assert runner.model.fade == 0.0
    assert osp.isfile(osp.join(tmp_path, 'fit', 'iter_25.pth'))

    clock.now = 1000.0
    plain = _slow_runner(tmp_path / 'plain', clock, fit=False)
    plain.train()
    assert plain.iter == 32
    assert plain.optim_wrapper.get_lr()['lr'][0] == pytest.approx(5e-4)


def test_fit_schedule_never_moves_a_passed_drop():
    """A second, shorter fit after a drop was taken leaves that drop where
    it was (it must not be taken twice) and moves only what is ahead."""
    class Loop:
        _max_iters, val_interval = 40, 40

        @property
        def max_iters(self):
            return self._max_iters

    class Sched:
        by_epoch, begin, end = False, 0, 40
        milestones = Counter([30, 36])

    sched = Sched()

    class Runner_:
        train_loop, param_schedulers, hooks = Loop(), [sched], []

    runner = Runner_()
    fitter = ScheduleFitter(runner)
    fitter.apply(runner, 30, done=10)  # 30 -> 22 (22.5), 36 -> 27
    assert sorted(sched.milestones) == [22, 27]
    assert runner.train_loop.val_interval == 30
    # 22 passed; 27 -> max(25, round(36 * 0.65)); the end 30 -> 26
    fitter.apply(runner, 26, done=24)
    assert sorted(sched.milestones) == [22, 25] and sched.end == 26
    assert runner.train_loop.max_iters == 26
