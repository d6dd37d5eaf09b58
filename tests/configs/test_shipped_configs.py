"""Every shipped config: one naming scheme, at most 3 files deep, and one
``data_root`` that ``--cfg-options data_root=DIR`` moves everywhere."""
import ast
import glob
import os.path as osp
import re

import pytest

from vostoolkit.apis.config import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
    if osp.basename(osp.dirname(p)) != '_base_')
# {algorithm}[-{variant}]_{backbone}_{dataset}[_{test dataset}].py
NAME = re.compile(r'^(?P<algo>[a-z0-9]+)(-[a-z0-9-]+)?_(?P<backbone>r\d+)'
                  r'_[a-z0-9]+(-[a-z0-9]+)*(_[a-z0-9]+(-[a-z0-9]+)*)?\.py$')


def _bases(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            value = ast.literal_eval(node.value)
            value = [value] if isinstance(value, str) else value
            return [osp.normpath(osp.join(osp.dirname(path), v))
                    for v in value]
    return []


def _depth(path):
    return 1 + max((_depth(b) for b in _bases(path)), default=0)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _rel(path):
    return osp.relpath(path, ROOT)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_name_follows_the_scheme(path):
    name = osp.basename(path)
    match = NAME.match(name)
    assert match, f'{_rel(path)}: not {{algorithm}}[-{{variant}}]_' \
        '{backbone}_{dataset}.py'
    assert match['algo'] == osp.basename(osp.dirname(path)), \
        f'{_rel(path)}: the algorithm should be its folder name'


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_at_most_three_files_deep(path):
    assert _depth(path) <= 3, f'{_rel(path)} is {_depth(path)} files deep'


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_data_root_moves_every_data_path(path):
    cfg = load_config(path)
    old = cfg.get('data_root')
    readers = [k for k in cfg.keys()
               if k.endswith('_dataloader') and cfg.get(k)]
    if not readers:
        pytest.skip('no dataset')
    assert isinstance(old, str), f'{_rel(path)}: no data_root'
    moved = load_config(path, ['data_root=/elsewhere'])
    left = sorted({s for s in _strings(moved.to_dict())
                   if s == old or s.startswith('data/')})
    assert not left, f'{_rel(path)}: still under data/: {left}'
    for key in readers:
        roots = [s for s in _strings(moved[key]) if s.startswith('/elsewhere')]
        assert roots, f'{_rel(path)}: {key} reads nothing under data_root'
