"""tools/train.py options every mmengine user expects: TensorBoard logging,
``num_workers=0`` overrides, and a clear line for a missing pretrained
weight file."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

from vostoolkit.apis import ToolError, load_config, prepare_train_cfg

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'tools', 'configs',
                'tiny_baseline_synthetic.py')


def _train(tmp_path, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), TINY,
         '--work-dir', str(tmp_path / 'work'), *args], cwd=str(tmp_path),
        env=env, capture_output=True, text=True, timeout=300)


def test_tensorboard_switch_writes_event_files(tmp_path):
    pytest.importorskip('tensorboard')
    proc = _train(tmp_path, '--tensorboard', '--cfg-options',
                  'train_cfg.max_iters=2', 'default_hooks.logger.interval=1')
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = glob.glob(str(tmp_path / 'work' / '*' / 'vis_data' /
                           'events.out.tfevents.*'))
    assert events and os.path.getsize(events[0]) > 0


def test_tensorboard_switch_without_the_package_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, 'tensorboard', None)  # not importable
    cfg = load_config(TINY)
    with pytest.raises(ToolError, match='pip install'):
        prepare_train_cfg(cfg, TINY, tensorboard=True)


def test_num_workers_zero_override_switches_persistent_workers_off():
    path = osp.join(ROOT, 'configs', 'novis', 'novis_r50_ytvis19.py')
    assert load_config(path).train_dataloader.persistent_workers
    cfg = load_config(path, ['train_dataloader.num_workers=0'])
    assert cfg.train_dataloader.persistent_workers is False


def test_missing_pretrained_weights_are_named(tmp_path):
    proc = _train(tmp_path, '--cfg-options',
                  'model.backbone.init_cfg.type=Pretrained',
                  'model.backbone.init_cfg.checkpoint=missing/backbone.pth')
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'model.backbone.init_cfg' in last and 'missing/backbone.pth' in last


def test_unparsable_option_value_is_one_line():
    """A value mmengine's parser cannot read (a dict literal) is refused
    with one line saying how to give a dict, not a RecursionError."""
    with pytest.raises(ToolError, match='key by key'):
        load_config(TINY, ["model.test_cfg={'a':(1,2}"])
