"""The boundaries between plugins hold: each shipped config, loaded in a
fresh interpreter that imports only what its own ``custom_imports`` names,
builds its model, and no other plugin gets imported along the way.

Configs are grouped by the plugins their ``custom_imports`` name (a mixed
config names two); each group runs in one fresh interpreter (all at once),
which builds
every distinct model of the group on the meta device (no weights are
allocated, initialised, read or downloaded) and then lists the plugins in
``sys.modules``: they must be exactly the group's.
"""
import ast
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from collections import defaultdict

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PLUGINS = sorted(
    osp.basename(osp.dirname(p))
    for p in glob.glob(osp.join(ROOT, 'plugins', '*', '__init__.py')))
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
                 if osp.basename(osp.dirname(p)) != '_base_')

_CHILD = r'''
import json, sys
import torch
paths, expected = json.loads(sys.argv[1])
from vostoolkit.apis.config import load_config
from vostoolkit.registry import MODELS


def strip(value):
    """No init_cfg anywhere: nothing is loaded when the model is built."""
    if isinstance(value, dict):
        return {k: None if k == 'init_cfg' else strip(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


seen = set()
for path in paths:
    cfg = load_config(path)
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    assert sorted(imports) == sorted(expected), (path, imports)
    model = strip(cfg.model.to_dict())
    key = json.dumps(model, sort_keys=True, default=str)
    if key in seen:
        continue
    seen.add(key)
    with torch.device('meta'):
        MODELS.build(model)
loaded = sorted({m.split('.')[0] + '.' + m.split('.')[1]
                 for m in sys.modules
                 if m.startswith('plugins.') and m.count('.') >= 1})
print(json.dumps(dict(loaded=loaded, built=len(seen))))
'''


def _assigned(path, name):
    """The literal value of a top-level assignment ``name = ...`` of a
    config file, and the file's ``_base_`` paths."""
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    value, bases = None, []
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        targets = [getattr(t, 'id', None) for t in node.targets]
        if '_base_' in targets:
            found = ast.literal_eval(node.value)
            found = [found] if isinstance(found, str) else found
            bases = [osp.normpath(osp.join(osp.dirname(path), b))
                     for b in found]
        if name in targets and isinstance(node.value, ast.Call):
            value = {kw.arg: ast.literal_eval(kw.value)
                     for kw in node.value.keywords}
    return value, bases


def custom_imports(path):
    """Plugin modules named by the ``custom_imports`` a config declares or
    inherits (the nearest file that sets it wins)."""
    value, bases = _assigned(path, 'custom_imports')
    if value is not None:
        return tuple(sorted(value.get('imports', [])))
    for base in bases:
        found = custom_imports(base)
        if found:
            return found
    return ()


def _groups():
    groups = defaultdict(list)
    for path in CONFIGS:
        groups[custom_imports(path)].append(path)
    return dict(groups)


GROUPS = _groups()


def test_each_plugin_has_configs_importing_it_alone():
    alone = {imports[0] for imports in GROUPS if len(imports) == 1}
    assert alone >= {f'plugins.{p}' for p in PLUGINS}
    for imports in GROUPS:
        unknown = [m for m in imports
                   if m.split('.')[0] != 'plugins' or m.count('.') != 1 or
                   m.split('.')[1] not in PLUGINS]
        assert not unknown, f'custom_imports names {unknown}: not plugins'


@pytest.fixture(scope='module')
def group_runs():
    """One fresh interpreter per group, all started at once (they spend
    most of their time importing torch); the outputs by group."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        [ROOT, os.environ.get('PYTHONPATH', '')]))
    procs = {
        imports: subprocess.Popen(
            [sys.executable, '-c', _CHILD,
             json.dumps([paths, list(imports)])],
            cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        for imports, paths in GROUPS.items()
    }
    runs = {}
    try:
        for imports, proc in procs.items():
            out, err = proc.communicate(timeout=240)
            runs[imports] = (proc.returncode, out, err)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return runs


@pytest.mark.parametrize('imports', sorted(GROUPS),
                         ids=lambda i: '+'.join(i) or 'core')
def test_configs_build_with_only_their_plugins(imports, group_runs):
    paths = GROUPS[imports]
    code, out, err = group_runs[imports]
    assert code == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result['built'] >= 1
    assert result['loaded'] == sorted(imports), (
        f'configs {[osp.relpath(p, ROOT) for p in paths]} declare '
        f'custom_imports {list(imports)} but building them imported '
        f'{result["loaded"]}')
