"""Every shipped test config of the plugins feeds long videos in chunks:
without ``test_chunk_len`` a whole video (LVOS and OVIS run to thousands of
frames) is loaded as one float tensor before the model sees a frame."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for plugin in ('frtm', 'fastgan', 'novis')
                 for p in glob.glob(osp.join(ROOT, 'configs', plugin,
                                             '*.py')))


def _datasets(dataset):
    """The leaf datasets of a (possibly wrapped or concatenated) config."""
    if dataset is None:
        return []
    if 'datasets' in dataset:
        return [d for sub in dataset['datasets'] for d in _datasets(sub)]
    if 'dataset' in dataset:
        return _datasets(dataset['dataset'])
    return [dataset]


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.basename(p) for p in CONFIGS])
def test_test_datasets_are_chunked(path):
    cfg = Config.fromfile(path)
    checked = 0
    for key in ('val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        for dataset in _datasets(loader.get('dataset') if loader else None):
            chunk = dataset.get('test_chunk_len')
            assert isinstance(chunk, int) and 1 <= chunk <= 64, \
                f'{osp.basename(path)}: {key} has test_chunk_len={chunk!r}'
            checked += 1
    if 'stage1_r50' not in path and 'pretrain' not in path:
        assert checked, f'{path}: no test dataset'
