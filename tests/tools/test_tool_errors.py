"""Every tools/*.py entry point reports a user error the one way: one line
on stderr naming the file, exit status 2 (``vostoolkit.utils.cli``); Ctrl-C
is exit 130; ``--debug`` / ``VOSTOOLKIT_DEBUG=1`` show the traceback."""
import logging
import os
import os.path as osp
import signal

import cv2
import numpy as np
import pytest
import torch

from vostoolkit.testing import load_tool
from vostoolkit.utils.cli import (EXIT_INTERRUPTED, EXIT_USER_ERROR,
                                  error_line)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')
VOS_CFG = osp.join(ROOT, 'configs', 'maskprop', 'maskprop_r18_toy-davis.py')


@pytest.fixture(autouse=True)
def no_stale_log_streams():
    """mmengine keeps its loggers for the whole process; drop the handlers
    an earlier test bound to a captured stream that pytest has closed."""
    from mmengine.logging import MMLogger
    for logger in list(MMLogger._instance_dict.values()):
        for handler in list(logger.handlers):
            stream = getattr(handler, 'stream', None)
            if isinstance(handler, logging.StreamHandler) and getattr(
                    stream, 'closed', False):
                logger.removeHandler(handler)
    yield


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A good checkpoint of CONFIG, a truncated one, a text one, frames."""
    from vostoolkit.apis import init_model
    root = tmp_path_factory.mktemp('tool_errors')
    good = root / 'good.pth'
    torch.save(dict(state_dict=init_model(CONFIG).state_dict(),
                    meta=dict(iter=0)), good)
    vos = root / 'vos.pth'
    torch.save(dict(state_dict=init_model(VOS_CFG).state_dict()), vos)
    data = good.read_bytes()
    (root / 'truncated.pth').write_bytes(data[:len(data) // 2])
    (root / 'text.pth').write_text('this is not a checkpoint\n')
    frames = root / 'frames'
    frames.mkdir()
    for t in range(2):
        cv2.imwrite(str(frames / f'{t:05d}.jpg'),
                    np.full((32, 48, 3), 60 * t, np.uint8))
    mask = root / 'mask.png'
    from PIL import Image
    Image.fromarray(np.ones((32, 48), np.uint8), 'L').save(mask)
    return {k: str(v) for k, v in dict(
        root=root, good=good, vos=vos, truncated=root / 'truncated.pth',
        text=root / 'text.pth', frames=frames, mask=mask).items()}


def _one_line(tool, capsys, argv, code=EXIT_USER_ERROR):
    got = tool.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert got == code and len(err) == 1, (got, err)
    assert 'Traceback' not in err[0]
    return err[0]


def _name(name):
    """A name of its own for each Runner built in this process (mmengine
    keeps loggers by name, bound to a captured stream pytest then closes).
    """
    return ['--cfg-options', f'experiment_name={name}']


def _cases(files, tmp):
    """(tool, argv, text the line must hold) for every entry point: a
    missing config (or input), a corrupt checkpoint where it takes one and
    a bad option."""
    missing = str(tmp / 'missing.py')
    out = str(tmp / 'out')
    demo_in = ['--input', files['frames'], '--mask', files['mask'],
               '--out', out]
    return [
        ('tools/train.py', [missing], 'missing.py: config file not found'),
        ('tools/train.py', [CONFIG, '--resume', files['truncated'],
                            '--work-dir', out] + _name('t1'),
         files['truncated']),
        ('tools/train.py', [CONFIG, '--nope'], '--nope'),
        ('tools/test.py', [missing, files['good']], 'missing.py'),
        ('tools/test.py', [CONFIG, files['truncated'], '--work-dir', out]
         + _name('t2'),
         'truncated.pth: not a readable torch checkpoint'),
        ('tools/test.py', [CONFIG, files['text'], '--work-dir', out]
         + _name('t3'),
         'text.pth: not a readable torch checkpoint'),
        ('tools/test.py', [CONFIG, files['good'], '--launcher', 'x'],
         "invalid choice: 'x'"),
        ('tools/demo.py', [missing, files['good']] + demo_in, 'missing.py'),
        ('tools/demo.py', [VOS_CFG, files['text']] + demo_in,
         'text.pth: not a readable torch checkpoint'),
        ('tools/demo.py', [VOS_CFG, files['good'], '--device', 'tpu'],
         "invalid choice: 'tpu'"),
        ('tools/eval.py', ['youtube-vis', '--gt', missing, '--pred',
                           missing], 'missing.py'),
        ('tools/eval.py', ['davis', '--gt-root', '.', '--pred', '.',
                           '--year', '1999'], "invalid choice: '1999'"),
        ('tools/validate_submission.py', ['davis', missing, '--gt', '.'],
         'missing.py: submission zip not found'),
        ('tools/validate_submission.py', ['kitti', missing, '--gt', '.'],
         "invalid choice: 'kitti'"),
        ('tools/make_toy_data.py', ['--format', 'kitti', '--out', out],
         "invalid choice: 'kitti'"),
        ('tools/make_toy_data.py', ['--format', 'davis'], '--out'),
        ('tools/quickstart.py', ['--config', missing], 'missing.py'),
        ('tools/quickstart.py', ['--nope'], '--nope'),
        ('tools/misc/browse_dataset.py', [missing], 'missing.py'),
        ('tools/misc/browse_dataset.py', [CONFIG, '--split', 'x'],
         "invalid choice: 'x'"),
        ('tools/misc/print_config.py', [missing], 'missing.py'),
        ('tools/misc/print_config.py', [CONFIG, '--cfg-options', 'x'],
         'key=value'),
        ('tools/misc/print_registry.py', ['--only', 'NOPE'], 'NOPE'),
        ('tools/misc/new_plugin.py', ['Bad-Name', '--root', str(tmp)],
         'Bad-Name'),
        ('tools/misc/new_plugin.py', ['ok', '--nope'], '--nope'),
    ]


def test_every_tool_gives_one_line_and_exit_2(files, tmp_path, capsys):
    tools = {}
    for rel, argv, text in _cases(files, tmp_path):
        tool = tools.setdefault(rel, load_tool(rel))
        line = _one_line(tool, capsys, argv)
        assert text in line, (rel, argv, line)
        assert line.startswith(f'{osp.basename(rel)}: error: '), line
    shipped = {osp.relpath(osp.join(d, f), ROOT)
               for d in (osp.join(ROOT, 'tools'),
                         osp.join(ROOT, 'tools', 'misc'))
               for f in os.listdir(d) if f.endswith('.py')}
    assert shipped == set(tools), 'a tool is missing from this test'


def test_debug_shows_the_traceback(tmp_path, capsys, monkeypatch):
    tool = load_tool('tools/misc/print_config.py')
    missing = str(tmp_path / 'missing.py')
    assert tool.main([missing, '--debug']) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert 'Traceback' in err and err.strip().splitlines()[-1] == \
        f'print_config.py: error: {missing}: config file not found'
    monkeypatch.setenv('VOSTOOLKIT_DEBUG', '1')
    assert tool.main([missing]) == EXIT_USER_ERROR
    assert 'Traceback' in capsys.readouterr().err


def test_config_and_option_mistakes(files, tmp_path, capsys):
    train = load_tool('tools/train.py')
    work = ['--work-dir', str(tmp_path / 'w')]
    line = _one_line(train, capsys, [CONFIG, '--cfg-options', 'data_rot=x']
                     + work)
    assert 'data_rot' in line and 'did you mean data_root?' in line
    line = _one_line(train, capsys, [CONFIG, '--cfg-options',
                                     'tset_cfg.x=1'] + work)
    assert CONFIG in line and 'did you mean test_cfg?' in line
    # an unknown keyword of the model: mmengine's TypeError at build time
    line = _one_line(train, capsys, [CONFIG, '--cfg-options',
                                     'model.head.colour=1',
                                     'experiment_name=colour'] + work)
    assert CONFIG in line and 'colour' in line
    # the checkpoint of another model (other head width): refused before
    # the resumed run loads it
    line = _one_line(train, capsys, [CONFIG, '--resume', files['good'],
                                     '--cfg-options', 'model.head.channels=6',
                                     'experiment_name=resume'] + work)
    assert files['good'] in line and 'do not fit' in line
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(type=\n')
    browse = load_tool('tools/misc/browse_dataset.py')
    line = _one_line(browse, capsys, [str(broken)])
    assert 'broken.py: cannot load config' in line


def test_out_that_is_a_file(files, tmp_path, capsys):
    taken = tmp_path / 'taken'
    taken.write_text('keep me')
    demo = load_tool('tools/demo.py')
    line = _one_line(demo, capsys, [VOS_CFG, files['vos'], '--input',
                                    files['frames'], '--mask', files['mask'],
                                    '--out', str(taken)])
    assert str(taken) in line
    browse = load_tool('tools/misc/browse_dataset.py')
    line = _one_line(browse, capsys, [CONFIG, '--out', str(taken)])
    assert str(taken) in line
    toy = load_tool('tools/make_toy_data.py')
    line = _one_line(toy, capsys, ['--format', 'davis', '--out', str(taken),
                                   '--force'])
    assert str(taken) in line and 'not a folder' in line
    assert taken.read_text() == 'keep me'


def test_ctrl_c_during_training_is_exit_130(tmp_path, capsys, monkeypatch):
    """A real SIGINT while the Runner trains: one line, status 130."""
    from mmengine.runner import Runner

    def interrupted(self):
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(Runner, 'train', interrupted)
    train = load_tool('tools/train.py')
    line = _one_line(train, capsys, [CONFIG, '--work-dir',
                                     str(tmp_path / 'w')] + _name('sigint'),
                     code=EXIT_INTERRUPTED)
    assert line == 'train.py: interrupted'


def test_error_from_a_dataloader_worker_stays_one_line():
    """PyTorch re-raises a worker's DataError with the worker's traceback
    in the message: the reported line is the worker's own error line."""
    from torch.utils.data import DataLoader, Dataset

    from vostoolkit.utils import DataError

    class Broken(Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            raise DataError('/data/x/00001.jpg', 'frame file is corrupt')

    with pytest.raises(DataError) as info:
        next(iter(DataLoader(Broken(), num_workers=1)))
    assert error_line(info.value) == '/data/x/00001.jpg: frame file is corrupt'
