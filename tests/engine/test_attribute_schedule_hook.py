"""AttributeScheduleHook sets a model attribute from the iteration before
every training step (piecewise-linear schedule)."""
import os.path as osp
import uuid

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import vostoolkit.testing  # noqa: F401
from vostoolkit.engine import AttributeScheduleHook

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')


class _Record(Hook):
    """Reads the scheduled attribute as the training step sees it."""
    priority = 'LOWEST'

    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.seen.append((runner.iter, runner.model.head.aux_weight))


def _runner(work_dir, attr, points, max_iters=5):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.default_hooks.checkpoint.interval = 100
    cfg.custom_hooks = [dict(type='AttributeScheduleHook', attr=attr,
                             points=points)]
    cfg.experiment_name = f'sched_{uuid.uuid4().hex[:8]}'
    return Runner.from_cfg(cfg)


def test_schedule_reaches_the_training_step(tmp_path):
    runner = _runner(tmp_path, 'head.aux_weight', [[1, 2.0], [3, 0.0]])
    runner.model.head.aux_weight = -1.0  # overwritten before step 0
    record = _Record()
    runner.register_hook(record)
    runner.train()
    assert record.seen == [(0, 2.0), (1, 2.0), (2, 1.0), (3, 0.0), (4, 0.0)]


def test_value_is_piecewise_linear():
    hook = AttributeScheduleHook('a.b', [[0, 1.0], [10, 2.0], [20, 2.0],
                                         [30, 0.0]])
    assert [hook.value(i) for i in (-5, 0, 5, 10, 15, 25, 30, 99)] == [
        1.0, 1.0, 1.5, 2.0, 2.0, 1.0, 0.0, 0.0]


def test_missing_attribute_fails_before_training(tmp_path):
    runner = _runner(tmp_path, 'head.no_such_weight', [[0, 1.0]])
    with pytest.raises(AttributeError, match='head.no_such_weight'):
        runner.train()
    assert runner.iter == 0


@pytest.mark.parametrize('points', [[], [[5, 1.0], [5, 2.0]],
                                    [[5, 1.0], [2, 2.0]]])
def test_bad_points(points):
    with pytest.raises(ValueError, match='increasing'):
        AttributeScheduleHook('head.w', points)
