"""The demo config end to end through tools/test.py on tiny toy DAVIS data:
official J&F with DAVISMetric, and --submit writing a valid DAVIS zip."""
import os
import os.path as osp
import re
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config

from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'maskprop', 'maskprop_r18_toy-davis.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    from vostoolkit.apis import init_model
    from vostoolkit.datasets.toy import generate_toy_dataset
    tmp = tmp_path_factory.mktemp('demo')
    data = str(tmp / 'toy_davis')
    generate_toy_dataset(data, 'davis', videos=1, val_videos=2, frames=4,
                         size=(32, 48), seed=3)
    ckpt = str(tmp / 'demo.pth')
    model = init_model(CONFIG)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=0)), ckpt)
    options = ['--cfg-options', f'test_dataloader.dataset.data_root={data}',
               f'test_evaluator.gt_root={data}',
               'test_dataloader.dataset.test_chunk_len=3']
    return tmp, data, ckpt, options


def _test_tool(tmp, ckpt, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'test.py'), CONFIG, ckpt,
         '--work-dir', str(tmp / 'work'), *args], cwd=str(tmp), env=env,
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def test_demo_config_scores_with_official_jf(setup):
    tmp, _, ckpt, options = setup
    last = _test_tool(tmp, ckpt, *options)
    match = re.search(r'davis/J&F-Mean: ([0-9.]+)', last)
    assert match, last
    assert 0.0 <= float(match.group(1)) <= 1.0


def test_demo_config_submit_writes_a_valid_davis_zip(setup):
    from vostoolkit.evaluation import validate_davis_zip
    tmp, data, ckpt, options = setup
    out = tmp / 'sub' / 'davis.zip'
    out.parent.mkdir()
    last = _test_tool(tmp, ckpt, '--submit', str(out), *options)
    assert last == f'submission written to {out}'
    assert validate_davis_zip(str(out), data, year='2017', split='val') == []


def _quickstart_module():
    return load_tool('tools/quickstart.py')


@pytest.mark.parametrize('procs', ['1', '2'])
def test_quickstart_wiring_on_tiny_data(tmp_path, capfd, procs):
    """``make quickstart`` (NOVIS on toy YouTube-VIS) on 2 tiny videos and
    3 iterations of each stage: data generated, the backbone's pretraining
    stage run, AP printed, a valid results.json zip and an overlay GIF
    written; trained in this process or (``--procs 2``) in 2 data-parallel
    processes launched by torchrun, each with half the batch."""
    import zipfile

    from PIL import Image

    from vostoolkit.evaluation import validate_vis_zip
    quickstart = _quickstart_module()
    data = str(tmp_path / 'toy_vis')
    stage = str(tmp_path / 'stage' / 'backbone.pth')
    options = [f'data_root={data}', 'train_cfg.max_iters=3',
               f'pretrain_stage.checkpoint={stage}',
               *[f'{key}.dataset.toy_spec.{item}' for key in LOADERS
                 for item in ('videos=2', 'val_videos=1', 'frames=6')]]
    work = tmp_path / 'work'
    code = quickstart.main(['--work-dir', str(work), '--gif-score', '0',
                            '--procs', procs, '--cfg-options', *options])
    out = capfd.readouterr().out
    assert code == 0, out[-3000:]
    assert osp.isfile(osp.join(data, 'valid.json'))
    assert osp.isfile(stage)  # the backbone's pretraining stage ran first
    assert re.search(r'quickstart: novis_r18_toy-ytvis.py: 3 iterations in '
                     r'[0-9.]+ min \(pretraining stage [0-9.]+ min '
                     r'included\), ' + ('2 data-parallel processes x 1 '
                     r'thread\(s\)' if procs == '2' else '1 process') +
                     r'; toy val: AP [0-9.]+', out), out[-3000:]
    zip_path = str(work / 'results.zip')
    assert validate_vis_zip(zip_path, osp.join(data, 'valid.json')) == []
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ['results.json']
    gif = Image.open(str(work / 'overlay.gif'))
    assert gif.n_frames == 6
    if procs == '2':
        assert 'Distributed training: True' in out, out[-3000:]
        trained = Config.fromfile(str(work / 'quickstart_train.py'))
        assert trained.train_dataloader.batch_size == 1  # 2 split in two
        budget = [h for h in trained.custom_hooks
                  if h['type'] == 'TrainTimeBudgetHook']
        assert budget and budget[0]['launched_at'] <= time.time()


def test_quickstart_process_count(monkeypatch):
    """``--procs N`` shares the cores out evenly (at least one thread a
    process) and must divide the config's batch."""
    from vostoolkit.apis import ToolError
    quickstart = _quickstart_module()
    cfg = Config(dict(train_dataloader=dict(batch_size=2)))
    monkeypatch.setattr(quickstart, '_cores', lambda: 2)
    assert quickstart.training_processes('1', cfg) == (1, 2)
    assert quickstart.training_processes('2', cfg) == (2, 1)
    monkeypatch.setattr(quickstart, '_cores', lambda: 16)
    assert quickstart.training_processes('2', cfg) == (2, 8)
    monkeypatch.setattr(quickstart, '_cores', lambda: 1)
    assert quickstart.training_processes('2', cfg) == (2, 1)
    with pytest.raises(ToolError, match='does not divide'):
        quickstart.training_processes('3', cfg)
    for bad in ('0', 'auto'):
        with pytest.raises(ToolError, match='positive number'):
            quickstart.training_processes(bad, cfg)


def test_quickstart_minutes_keep_the_budget_hooks_other_arguments():
    """``--minutes M`` changes the budget of the config's own hook (the toy
    NOVIS one fits its schedule to the budget), or adds a hook."""
    quickstart = _quickstart_module()
    cfg = Config(dict(custom_hooks=[
        dict(type='TrainTimeBudgetHook', max_minutes=15, fit_schedule=True),
        dict(type='AttributeScheduleHook', attr='a', points=[[1, 0.0]])]))
    quickstart.set_budget(cfg, None)
    assert cfg.custom_hooks[0]['max_minutes'] == 15
    quickstart.set_budget(cfg, 5)
    assert [h['type'] for h in cfg.custom_hooks] == [
        'TrainTimeBudgetHook', 'AttributeScheduleHook']
    assert cfg.custom_hooks[0]['max_minutes'] == 5
    assert cfg.custom_hooks[0]['fit_schedule'] is True
    bare = Config(dict(custom_hooks=[]))
    quickstart.set_budget(bare, 2)
    assert bare.custom_hooks == [dict(type='TrainTimeBudgetHook',
                                      max_minutes=2)]
