"""The demo config end to end through tools/test.py on tiny toy DAVIS data:
official J&F with DAVISMetric, and --submit writing a valid DAVIS zip."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

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


def test_quickstart_chains_the_tools_on_tiny_data(tmp_path):
    """``make quickstart`` on 2 tiny videos and 3 iterations of each stage:
    the two training stages (the second starting from the first's
    backbone), a validated results.json zip, the official AP printed, and a
    demo overlay of one val video."""
    import zipfile

    from vostoolkit.evaluation import validate_vis_zip
    data = str(tmp_path / 'toy_vis')
    work = tmp_path / 'work'
    options = [f'data_root={data}', 'train_cfg.max_iters=3',
               'toy_spec.videos=2', 'toy_spec.val_videos=1',
               'toy_spec.frames=6']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'quickstart.py'),
         '--work-dir', str(work), '--cfg-options', *options],
        env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, (out + proc.stderr)[-3000:]
    for step in ('tools/train.py configs/pretrain/pretrain_r18_toy-ytvis',
                 'tools/train.py configs/novis/novis_r18_toy-ytvis',
                 'tools/test.py', 'tools/validate_submission.py',
                 'tools/eval.py youtube-vis', 'tools/demo.py'):
        assert f'$ python {step}' in out, step
    assert osp.isfile(work / 'pretrain' / 'backbone.pth')
    assert re.search(r'quickstart: [0-9.]+ min; toy val AP [0-9.]+ '
                     r'\(AP50 [0-9.]+, AP75 [0-9.]+\)', out), out[-3000:]
    zip_path = str(work / 'results.zip')
    assert validate_vis_zip(zip_path, osp.join(data, 'valid.json')) == []
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ['results.json']
    assert (work / 'demo' / 'overlay.mp4').stat().st_size > 0


def test_quickstart_stops_at_a_failing_step(tmp_path):
    """A step that fails stops the quickstart with its exit status and one
    line naming the step."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'quickstart.py'),
         '--work-dir', str(tmp_path), '--cfg-options',
         f'data_root={tmp_path / "data"}', 'model.backbone.depth=7'],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert 'quickstart: error: step failed' in proc.stderr.splitlines()[-1]
