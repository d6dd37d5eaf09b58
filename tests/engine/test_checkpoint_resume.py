"""Checkpoint save, load_from and resume under torch >= 2.6 (in process)."""
import os
import os.path as osp
import uuid

import mmengine.runner.runner as mm_runner
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import CheckpointLoader, Runner

import vostoolkit.testing  # noqa: F401  (synthetic dataset, dump hook)
from vostoolkit.engine import load_from_local_trusted, save_checkpoint_atomic

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')


def _runner(work_dir, max_iters, **overrides) -> Runner:
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.experiment_name = f'ckpt_test_{uuid.uuid4().hex[:8]}'
    cfg.default_hooks.logger.interval = 100
    cfg.merge_from_dict(overrides)
    return Runner.from_cfg(cfg)


def _equal(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('ckpt')
    runner = _runner(work_dir, 2)
    runner.train()
    return work_dir, osp.join(work_dir, 'iter_2.pth')


def test_plain_torch_load_refuses_mmengine_checkpoint(trained):
    _, ckpt = trained
    # The reason for vostoolkit.engine.checkpoint: torch's default refuses.
    with pytest.raises(Exception):
        torch.load(ckpt, weights_only=True)
    loaded = CheckpointLoader.load_checkpoint(ckpt, map_location='cpu')
    assert loaded['meta']['iter'] == 2
    assert 'HistoryBuffer' in repr(type(next(iter(
        loaded['message_hub']['log_scalars'].values()))))


def test_resume_restores_iteration_and_optimizer(trained, tmp_path):
    work_dir, ckpt = trained
    saved = load_from_local_trusted(ckpt)
    # max_iters == saved iteration: resume, then no step changes anything.
    runner = _runner(tmp_path, 2, resume=True, load_from=ckpt)
    runner.train()
    assert runner.iter == 2
    assert saved['optimizer']['state']
    assert _equal(runner.optim_wrapper.state_dict(), saved['optimizer'])
    assert _equal([s.state_dict() for s in runner.param_schedulers],
                  saved['param_schedulers'])


def test_load_from_loads_weights_only(trained, tmp_path):
    _, ckpt = trained
    saved = load_from_local_trusted(ckpt)
    fresh = _runner(tmp_path / 'fresh', 2, randomness=dict(seed=1))
    assert not _equal(fresh.model.state_dict(), saved['state_dict'])
    runner = _runner(tmp_path / 'load', 2, load_from=ckpt)
    runner.load_or_resume()
    assert runner.iter == 0
    assert _equal(runner.model.state_dict(), saved['state_dict'])


def test_missing_and_corrupt_checkpoint_messages(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(missing)
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='bad.pth'):
        load_from_local_trusted(str(bad))


def test_save_is_atomic(tmp_path, monkeypatch):
    assert mm_runner.save_checkpoint is save_checkpoint_atomic
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint_atomic({'a': torch.ones(2)}, path)
    assert torch.equal(load_from_local_trusted(path)['a'], torch.ones(2))

    def broken_save(obj, f, *args, **kwargs):
        f.write(b'partial')
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, 'save', broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint_atomic({'a': torch.zeros(2)}, path)
    monkeypatch.undo()
    assert torch.equal(load_from_local_trusted(path)['a'], torch.ones(2))
    assert os.listdir(tmp_path) == ['ckpt.pth']
