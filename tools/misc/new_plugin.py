"""Write a minimal working plugin skeleton (see docs/writing_a_plugin.md).

    python tools/misc/new_plugin.py NAME [--root DIR] [--max-iters N]

NAME is the plugin's folder, import name and the algorithm of its config
names (``configs/NAME/NAME_r18_toy-davis.py``, the naming scheme of every
config): lower case letters and digits, starting with a letter (``myvos``).
Its classes are named after it (``Myvos``, ``MyvosHead``, ``MyvosState``);
rename them as you like.

Inside the vostoolkit repository (the default ``--root``, this checkout)
the plugin gets the folders a plugin owns:

    plugins/NAME/{__init__.py, model.py, README.md}
    configs/NAME/NAME_r18_toy-davis.py
    tests/plugins/NAME/test_NAME_smoke.py

and is imported by its config as ``plugins.NAME``. Any other ``--root DIR``
(your own repository) gets a top-level package instead, imported as
``NAME`` with DIR on ``PYTHONPATH``:

    DIR/NAME/{__init__.py, model.py, README.md}
    DIR/configs/NAME/NAME_r18_toy-davis.py
    DIR/tests/NAME/test_NAME_smoke.py

    PYTHONPATH=DIR python tools/train.py DIR/configs/NAME/NAME_r18_toy-davis.py

The skeleton is a small VOS model that trains and tests through
``tools/train.py`` and ``tools/test.py`` as written. A NAME that is not a
valid name, or that is taken (its folders exist, or it is already an
importable module), is refused with one line and exit status 2; nothing is
written then.
"""
import argparse
import importlib.util
import keyword
import os
import os.path as osp
import re
import sys
from string import Template
from typing import Dict, List, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from vostoolkit.utils.cli import run_tool  # noqa: E402
from vostoolkit.utils.errors import ToolError  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEMPLATES = osp.join(osp.dirname(osp.abspath(__file__)), 'plugin_template')
NAME_RE = re.compile(r'[a-z][a-z0-9]*\Z')


class PluginError(ToolError):
    """A bad name or a name that is taken."""


def class_prefix(name: str) -> str:
    """``myvos`` -> ``Myvos``."""
    return name[:1].upper() + name[1:]


def is_vostoolkit_repo(root: str) -> bool:
    """Whether ``root`` is a vostoolkit checkout (plugins go to plugins/)."""
    return (osp.isfile(osp.join(root, 'vostoolkit', 'registry.py'))
            and osp.isfile(osp.join(root, 'plugins', '__init__.py')))


def plan(name: str, root: str, max_iters: int = 1500
         ) -> Tuple[Dict[str, str], List[Tuple[str, str]]]:
    """The substitutions and the ``(template, destination)`` pairs.

    Raises:
        PluginError: A bad or taken name.
    """
    if not NAME_RE.match(name) or keyword.iskeyword(name):
        raise PluginError(
            f'{name!r} is not a valid plugin name: use lower case letters '
            'and digits, starting with a letter (e.g. myvos)')
    in_repo = is_vostoolkit_repo(root)
    package = f'plugins.{name}' if in_repo else name
    pkg_dir = osp.join('plugins', name) if in_repo else name
    test_dir = osp.join('tests', 'plugins', name) if in_repo else osp.join(
        'tests', name)
    config = f'configs/{name}/{name}_r18_toy-davis.py'
    values = dict(name=name, Camel=class_prefix(name), package=package,
                  config_path=config, config_stem=f'{name}_r18_toy-davis',
                  test_dir=test_dir, root_up=str(test_dir.count(os.sep) + 1),
                  max_iters=str(max_iters))
    files = [('__init__.py.tmpl', osp.join(pkg_dir, '__init__.py')),
             ('model.py.tmpl', osp.join(pkg_dir, 'model.py')),
             ('README.md.tmpl', osp.join(pkg_dir, 'README.md')),
             ('config.py.tmpl', config),
             ('test_smoke.py.tmpl',
              osp.join(test_dir, f'test_{name}_smoke.py'))]
    taken = [d for d in (pkg_dir, osp.join('configs', name), test_dir)
             if osp.exists(osp.join(root, d))]
    if taken:
        raise PluginError(f'plugin {name!r} exists: {osp.join(root, taken[0])}'
                          ' is already there')
    try:
        found = importlib.util.find_spec(package) is not None
    except ImportError:
        found = False
    if found:
        raise PluginError(f'{package!r} is already an importable module; '
                          'choose another plugin name')
    return values, files


def write_plugin(name: str, root: str, max_iters: int = 1500) -> List[str]:
    """Write the skeleton of plugin ``name`` under ``root``.

    Every file is written under a temporary name and renamed when all are
    complete, so an interrupted call leaves no half-written plugin.

    Returns:
        list[str]: The paths written.

    Raises:
        PluginError: A bad or taken name (nothing is written).
    """
    values, files = plan(name, root, max_iters)
    texts = []
    for template, dest in files:  # render everything before writing
        with open(osp.join(TEMPLATES, template)) as f:
            texts.append((osp.join(root, dest),
                          Template(f.read()).substitute(values)))
    parts: List[str] = []
    made: List[str] = []  # folders this call creates
    try:
        for path, text in texts:
            parts.append(path)
            folder = osp.dirname(path)
            while folder and not osp.exists(folder):
                made.append(folder)
                folder = osp.dirname(folder)
            os.makedirs(osp.dirname(path), exist_ok=True)
            with open(path + '.part', 'w') as f:
                f.write(text)
    except OSError as err:
        for path in parts:
            if osp.exists(path + '.part'):
                os.remove(path + '.part')
        for folder in sorted(set(made), key=len, reverse=True):
            if osp.isdir(folder) and not os.listdir(folder):
                os.rmdir(folder)
        raise PluginError(f'cannot write {parts[-1]}: {err}') from err
    for path in parts:
        os.replace(path + '.part', path)
    return parts


def _main(argv) -> int:
    parser = argparse.ArgumentParser(
        description='Write a minimal working vostoolkit plugin skeleton.')
    parser.add_argument('name', help='plugin name (lower case letters and '
                        'digits)')
    parser.add_argument('--root', default=REPO,
                        help='where to write it (default: this vostoolkit '
                        'checkout; elsewhere it becomes a top-level package)')
    parser.add_argument('--max-iters', type=int, default=1500,
                        help='training iterations of the toy config')
    args = parser.parse_args(argv)
    root = osp.abspath(args.root)
    if not osp.isdir(root):
        raise PluginError(f'--root {args.root}: no such folder')
    written = write_plugin(args.name, root, args.max_iters)
    for path in written:
        print(osp.relpath(path, root))
    cfg = osp.join(root, 'configs', args.name,
                   f'{args.name}_r18_toy-davis.py')
    env = '' if is_vostoolkit_repo(root) else f'PYTHONPATH={root} '
    print(f'next: {env}python tools/train.py {cfg}')
    return 0


def main(argv=None) -> int:
    """Exit status 2 and one line for a bad or taken name (see
    :mod:`vostoolkit.utils.cli`)."""
    return run_tool(_main, argv, 'new_plugin.py')


if __name__ == '__main__':
    sys.exit(main())
