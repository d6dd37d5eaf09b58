"""No plugin imports another plugin: plugins meet only through the roles of
the core (a config mixes them; the code of one never names another's)."""
import ast
import glob
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PLUGINS = sorted(
    osp.basename(osp.dirname(p))
    for p in glob.glob(osp.join(ROOT, 'plugins', '*', '__init__.py')))


def _imported_modules(path):
    """Absolute module names imported by a file (relative imports inside
    the plugin are its own)."""
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [f'{node.module}.{a.name}' for a in node.names]
            yield node.lineno, node.module if node.module != 'plugins' \
                else names[0]
            if node.module == 'plugins':
                for name in names[1:]:
                    yield node.lineno, name


def _foreign(plugin, module):
    parts = module.split('.')
    return parts[0] == 'plugins' and len(parts) > 1 and parts[1] != plugin


def test_plugins_are_found():
    assert {'novis', 'frtm', 'fastgan', 'minvis'} <= set(PLUGINS)


@pytest.mark.parametrize('plugin', PLUGINS)
def test_plugin_imports_no_other_plugin(plugin):
    bad = []
    for path in sorted(glob.glob(osp.join(ROOT, 'plugins', plugin, '**',
                                          '*.py'), recursive=True)):
        for line, module in _imported_modules(path):
            if _foreign(plugin, module):
                bad.append(f'{osp.relpath(path, ROOT)}:{line} imports '
                           f'{module}')
    assert not bad, ('a plugin reaches another plugin only through the '
                     'core roles (registries, base classes): ' + '; '.join(
                         bad))


def test_the_check_sees_foreign_imports(tmp_path):
    src = tmp_path / 'mod.py'
    src.write_text('import plugins.frtm.frtm\n'
                   'from plugins import fastgan\n'
                   'from plugins.novis.overlap import NOVISVideoDecoder\n'
                   'from .inference import x\n'
                   'from vostoolkit.models import base\n')
    found = [m for _, m in _imported_modules(str(src))
             if _foreign('minvis', m)]
    assert found == ['plugins.frtm.frtm', 'plugins.fastgan',
                     'plugins.novis.overlap']
    assert not [m for _, m in _imported_modules(str(src))
                if _foreign('frtm', m) and m.startswith('plugins.frtm')]
