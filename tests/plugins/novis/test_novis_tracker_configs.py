"""The configs with the paper's ablation trackers (heuristic IoU + class,
online track buffer) train and test through tools/train.py and
tools/test.py: each variant's own model settings (read from its file) are
put on the toy config with tiny data, trained 2 iterations and tested, and
the variant's tracker is the one that tracks."""
import os.path as osp
import re

import pytest

from vostoolkit.apis.config import load_config
from vostoolkit.models.base import BaseTracker
from vostoolkit.registry import TRACKERS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'novis', 'novis_r18_toy-ytvis.py')
# what a tracker variant changes in the model and in the training clips
CARRIED = ('model.tracker', 'model.clip_len', 'model.stride',
           'model.overlap_embeddings', 'model.decoder.max_frames',
           'train_dataloader.dataset.clip_sampler.num_frames')
VARIANTS = {
    'novis-iou-tracker_r50_ytvis19.py': 'IoUClassClipTracker',
    'novis-iou-tracker_r50_ovis.py': 'IoUClassClipTracker',
    'novis-online_r50_ovis.py': 'EmbeddingBufferTracker',
}


def _get(cfg, key):
    for part in key.split('.'):
        cfg = cfg[part]
    return cfg


def variant_options(name):
    """``--cfg-options`` putting the variant's tracking settings on the toy
    config."""
    cfg = load_config(osp.join(ROOT, 'configs', 'novis', name))
    options = [f'model.tracker.{k}={v}'
               for k, v in cfg.model.tracker.items()]
    for key in CARRIED[1:]:
        options.append(f'{key}={_get(cfg, key)}')
    return options


def test_variants_differ_from_the_primitive_in_tracking_only():
    base = load_config(osp.join(ROOT, 'configs', 'novis',
                                'novis_r50_ytvis19.py'))
    assert base.model.tracker.type == 'CosineClipTracker'
    for name, tracker in VARIANTS.items():
        cfg = load_config(osp.join(ROOT, 'configs', 'novis', name))
        assert cfg.model.tracker.type == tracker
        assert cfg.model.overlap_embeddings is False
        assert cfg.model.backbone == base.model.backbone
    online = load_config(osp.join(ROOT, 'configs', 'novis',
                                  'novis-online_r50_ovis.py'))
    # section 5.5: frames one at a time, a buffer of 4 embeddings (OVIS)
    assert (online.model.clip_len, online.model.stride) == (1, 1)
    assert online.model.tracker.buffer_len == 4
    assert online.train_dataloader.dataset.clip_sampler.num_frames == 1
    assert online.model.decoder.num_classes == 25
    # the two heuristic variants track alike: one toy run serves both
    assert variant_options('novis-iou-tracker_r50_ovis.py') == \
        variant_options('novis-iou-tracker_r50_ytvis19.py')


@pytest.mark.parametrize('name', ['novis-iou-tracker_r50_ytvis19.py',
                                  'novis-online_r50_ovis.py'])
def test_variant_trains_and_tests_through_the_tools(name, tmp_path, capsys,
                                                    monkeypatch):
    tracker_cls = TRACKERS.get(VARIANTS[name])
    calls = []
    assign = tracker_cls.assign

    def counting(self, clip):
        calls.append(clip.num_queries)
        return assign(self, clip)

    monkeypatch.setattr(tracker_cls, 'assign', counting)
    assert issubclass(tracker_cls, BaseTracker)
    options = [
        f'data_root={tmp_path / "toy_vis"}', 'toy_spec.videos=2',
        'toy_spec.val_videos=1', 'toy_spec.frames=5', 'toy_spec.size=(48,64)',
        'model.backbone.init_cfg=None', 'train_dataloader.batch_size=1',
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
        'log_level=WARNING'
    ] + variant_options(name)
    work = tmp_path / 'work'
    train = load_tool('tools/train.py')
    assert train.main([TOY, '--work-dir', str(work), '--cfg-options',
                       *options]) == 0
    ckpt = work / 'iter_2.pth'
    assert ckpt.is_file()
    calls.clear()
    test = load_tool('tools/test.py')
    capsys.readouterr()
    assert test.main([TOY, str(ckpt), '--work-dir', str(work),
                      '--cfg-options', *options]) == 0
    found = re.search(r'vis/AP: ([0-9.]+)', capsys.readouterr().out)
    assert found and 0.0 <= float(found[1]) <= 1.0
    # every clip of the 5-frame video went through the variant's tracker
    clips = 5 if 'online' in name else 2  # T=1 / S=1, or T=4 / S=2
    assert calls == [10] * clips
