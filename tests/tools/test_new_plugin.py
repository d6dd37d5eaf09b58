"""tools/misc/new_plugin.py: a plugin scaffolded outside the package trains
and tests through tools/train.py and tools/test.py as written (tiny toy
data, 2 iterations), and its own smoke test passes; bad or taken names are
refused with one line."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import uuid

import pytest

from vostoolkit.registry import HEADS, MODELS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = ['toy_spec.videos=2', 'toy_spec.val_videos=1', 'toy_spec.frames=4',
        'toy_spec.size=(48,64)']


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/misc/new_plugin.py')


def _run(args, plugin_root, cwd):
    # the plugin's folder on PYTHONPATH, then this checkout (as installed)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        [str(plugin_root), ROOT, os.environ.get('PYTHONPATH', '')]))
    return subprocess.run([sys.executable] + args, cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.fixture
def plugin_on_path(monkeypatch, tmp_path):
    """A fresh plugin name and its root on sys.path; afterwards its modules
    and registered classes are removed (no registry state left behind)."""
    name = f'scaffolded{uuid.uuid4().hex[:8]}'
    root = tmp_path / 'my_project'
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield name, root
    camel = name[:1].upper() + name[1:]
    for registry in (MODELS, HEADS):
        for key in [k for k in registry._module_dict if k.startswith(camel)]:
            registry._module_dict.pop(key)
    assert MODELS.get(camel) is None
    for mod in [m for m in sys.modules if m.split('.')[0] == name]:
        del sys.modules[mod]


def test_scaffold_outside_the_package_trains_and_tests(tool, tmp_path,
                                                       plugin_on_path):
    name, root = plugin_on_path
    assert tool.main([name, '--root', str(root), '--max-iters', '2']) == 0
    files = sorted(str(p.relative_to(root)) for p in root.rglob('*')
                   if p.is_file())
    assert files == [f'configs/{name}/{name}_r18_toy-davis.py',
                     f'{name}/README.md', f'{name}/__init__.py',
                     f'{name}/model.py', f'tests/{name}/test_{name}_smoke.py']
    # nothing written into this checkout
    assert not osp.exists(osp.join(ROOT, 'plugins', name))
    assert not osp.exists(osp.join(ROOT, 'configs', name))

    # tools/train.py in a fresh interpreter, the plugin found on PYTHONPATH
    config = str(root / 'configs' / name / f'{name}_r18_toy-davis.py')
    data = ['data_root=' + str(tmp_path / 'toy_davis')] + TINY
    work = tmp_path / 'work'
    proc = _run([osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir',
                 str(work), '--cfg-options', 'train_dataloader.batch_size=2',
                 *data], root, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ckpt = work / 'iter_2.pth'
    assert ckpt.is_file()

    # tools/test.py (here in-process: the plugin's root is on sys.path)
    test_tool = load_tool('tools/test.py')
    assert test_tool.main([config, str(ckpt), '--work-dir', str(work),
                           '--cfg-options', *data]) == 0

    # the plugin's own tests pass as written
    smoke = root / 'tests' / name / f'test_{name}_smoke.py'
    spec = importlib.util.spec_from_file_location(f'{name}_smoke', smoke)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / 'smoke').mkdir()
    module.test_trains_and_validates(tmp_path / 'smoke')
    module.test_reset_forgets_the_video()


def test_inside_the_repository_the_plugin_goes_to_plugins(tool):
    values, files = tool.plan('anothervos', ROOT)
    assert values['package'] == 'plugins.anothervos'
    assert values['Camel'] == 'Anothervos'
    dests = [d for _, d in files]
    assert osp.join('plugins', 'anothervos', 'model.py') in dests
    assert 'configs/anothervos/anothervos_r18_toy-davis.py' in dests
    assert osp.join('tests', 'plugins', 'anothervos',
                    'test_anothervos_smoke.py') in dests


@pytest.mark.parametrize('name, root, message', [
    ('novis', None, 'exists'),
    ('My-Plugin', None, 'not a valid plugin name'),
    ('my_vos', None, 'not a valid plugin name'),
    ('class', None, 'not a valid plugin name'),
    ('json', 'tmp', 'already an importable module'),
])
def test_bad_or_taken_names_are_refused(tool, tmp_path, capsys, name, root,
                                        message):
    args = [name] + (['--root', str(tmp_path)] if root else [])
    assert tool.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not any(tmp_path.iterdir())  # nothing written


def test_a_failed_write_leaves_nothing(tool, tmp_path, capsys):
    (tmp_path / 'configs').write_text('a file where a folder must go')
    assert tool.main(['zzqplugin', '--root', str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'cannot write' in err, err
    assert sorted(p.name for p in tmp_path.rglob('*')) == ['configs']
