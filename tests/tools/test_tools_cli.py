"""tools/train.py, tools/test.py, print_config.py: end to end and bad input.
"""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Weights of the tiny demo model, as a Runner checkpoint."""
    from vostoolkit.apis import init_model
    model = init_model(CONFIG)
    path = tmp_path_factory.mktemp('ckpt') / 'model.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=0)), path)
    return str(path)


def _one_error_line(capsys, code, expected_code=2):
    err = capsys.readouterr().err.strip()
    assert code == expected_code
    assert len(err.splitlines()) == 1, err
    return err


def test_test_tool_end_to_end(checkpoint, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'test.py'), CONFIG,
         checkpoint, '--work-dir', str(tmp_path)],
        cwd=str(tmp_path), env=env, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    # 3 videos x 4 frames after the first x 2 objects, chunks of 2 frames
    match = re.fullmatch(r'synthetic/J: ([0-9.]+) synthetic/num_results: 24',
                         last)
    assert match, last
    assert 0.0 <= float(match.group(1)) <= 1.0


def test_train_bad_inputs_give_one_line(tmp_path, capsys):
    train = load_tool('tools/train.py')
    code = train.main([str(tmp_path / 'missing.py')])
    assert 'missing.py: config file not found' in _one_error_line(capsys,
                                                                   code)
    code = train.main([CONFIG, '--cfg-options', 'train_cfg.max_iters'])
    assert 'key=value' in _one_error_line(capsys, code)
    code = train.main([CONFIG, '--resume', str(tmp_path / 'none.pth')])
    assert 'none.pth' in _one_error_line(capsys, code)
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(type=\n')
    code = train.main([str(broken)])
    assert 'broken.py: cannot load config' in _one_error_line(capsys, code)
    incomplete = tmp_path / 'incomplete.py'
    incomplete.write_text("model = dict(type='MaskPropagationBaseline')\n")
    code = train.main([str(incomplete)])
    assert 'train_dataloader' in _one_error_line(capsys, code)


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_without_cuda_is_one_clear_error(tmp_path, capsys):
    train = load_tool('tools/train.py')
    code = train.main([CONFIG, '--amp', '--work-dir', str(tmp_path)])
    assert '--amp needs a CUDA GPU' in _one_error_line(capsys, code)


def test_test_bad_inputs_give_one_line(checkpoint, tmp_path, capsys):
    test = load_tool('tools/test.py')
    code = test.main([CONFIG, str(tmp_path / 'nope.pth')])
    assert 'nope.pth: checkpoint not found' in _one_error_line(capsys, code)
    code = test.main([CONFIG, checkpoint, '--submit',
                      str(tmp_path / 'out.zip')])
    assert 'submit_evaluator' in _one_error_line(capsys, code)
    code = test.main([CONFIG, checkpoint, '--submit',
                      str(tmp_path / 'out.txt')])
    assert '.zip' in _one_error_line(capsys, code)


def test_print_config(capsys, tmp_path):
    tool = load_tool('tools/misc/print_config.py')
    assert tool.main([CONFIG, '--cfg-options', 'train_cfg.max_iters=7']) == 0
    out = capsys.readouterr().out
    assert 'max_iters=7' in out and "default_scope = 'vostoolkit'" in out
    code = tool.main([str(tmp_path / 'x.py')])
    assert 'x.py: config file not found' in _one_error_line(capsys, code)


def test_test_model_overrides_are_merged():
    from mmengine.config import Config

    from vostoolkit.apis import ToolError, apply_test_model
    cfg = Config(dict(
        model=dict(type='GAN', generator=dict(type='G', width=8),
                   critic_spatial=dict(type='C')),
        test_model=dict(critic_spatial=None, generator=dict(width=4))))
    model = apply_test_model(cfg).model
    assert model.critic_spatial is None
    assert model.generator == dict(type='G', width=4)
    with pytest.raises(ToolError, match='test_model'):
        apply_test_model(Config(dict(model=dict(type='M'), test_model=3)))


def test_checkpoint_of_another_config_is_refused(checkpoint, tmp_path):
    """A weight of another shape would be skipped with a warning and the
    model scored with its initial values: refused with one line instead;
    missing and extra keys (a test model without training parts) pass."""
    from vostoolkit.apis import ToolError, check_checkpoint_fits, init_model
    state = torch.load(checkpoint, weights_only=False)['state_dict']
    name = next(k for k, v in state.items() if v.dim() >= 2)
    model = init_model(CONFIG)

    partial = {f'module.{k}': v for k, v in list(state.items())[1:]}
    partial['critic.weight'] = torch.zeros(3)
    ok = tmp_path / 'partial.pth'
    torch.save(dict(state_dict=partial), ok)
    check_checkpoint_fits(model, str(ok))

    state[name] = torch.zeros(*state[name].shape[:-1],
                              state[name].shape[-1] + 1)
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state, meta=dict(iter=0)), other)
    with pytest.raises(ToolError, match=re.escape(name)):
        check_checkpoint_fits(model, str(other))
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'test.py'), CONFIG,
         str(other), '--work-dir', str(tmp_path / 'w')],
        cwd=str(tmp_path), env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-3000:]
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and 'other.pth: 1 weight(s) do not fit' in err[0] \
        and name in err[0], err
