"""FRTM on a Mask2Former pixel decoder's features (the mixed config
frtm-m2f): the neck between backbone and D / R, the maps each reads, the
pretrained start from a MinVIS / NOVIS checkpoint read by prefix, and the
toy config through tools/train.py and tools/test.py."""
import copy
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from torch import nn

from plugins.frtm.frtm import flatten_maps
from vostoolkit.registry import BACKBONES, MODELS, NECKS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'frtm', 'frtm-m2f_r18_toy-davis.py')
REAL = osp.join(ROOT, 'configs', 'frtm', 'frtm-m2f_r50_ytvos18-davis17.py')

BACKBONE = dict(type='ResNet', depth=18, base_channels=8,
                out_indices=('layer1', 'layer2', 'layer3', 'layer4'))
NECK = dict(type='MSDeformAttnPixelDecoder', in_channels=(8, 16, 32, 64),
            feat_channels=16, out_channels=16, num_encoder_layers=1,
            num_heads=2, ffn_channels=32, num_groups=4)
MODEL = dict(
    type='FRTM', backbone=BACKBONE, neck=NECK,
    target_model=dict(type='FRTMTargetModel', num_filters=8,
                      num_gn_steps=2, update_interval=2, memory_size=8,
                      in_channels=16),
    head=dict(type='FRTMRefinementHead', channels=16,
              in_channels=(16, 16, 16, 16)),
    augmenter=dict(type='FRTMFirstFrameAugmenter', num_samples=3),
    target_level=4, head_levels=(4, 7, 6, 5), train_num_samples=3)


def test_maps_are_the_backbones_then_the_necks():
    model = MODELS.build(copy.deepcopy(MODEL)).eval()
    images = torch.randn(2, 3, 32, 64)
    maps = model.extract_feats(images)
    assert [m.shape[1] for m in maps] == [8, 16, 32, 64, 16, 16, 16, 16]
    # layer1..layer4, mask features (stride 4), encoder strides 32, 16, 8
    assert [m.shape[-1] for m in maps] == [16, 8, 4, 2, 16, 2, 4, 8]
    backbone_maps = model.backbone(images)
    for ours, theirs in zip(maps, backbone_maps):
        assert torch.equal(ours, theirs)
    mask_feats, multi = model.neck(backbone_maps)
    assert torch.equal(maps[4], mask_feats) and torch.equal(maps[6], multi[1])
    assert torch.equal(model.extract_target_feats(images), mask_feats)
    # R reads head_levels in their order
    seen = []
    model.head.forward = lambda scores, feats, size: seen.append(
        [f.shape[-1] for f in feats]) or scores
    model.refine(torch.zeros(1, 1, 16, 16), maps, (32, 64))
    assert seen == [[16, 8, 4, 2]]


def test_neck_frozen_by_default_and_trainable_on_request():
    model = MODELS.build(copy.deepcopy(MODEL)).train()
    assert not any(p.requires_grad for p in model.neck.parameters())
    assert not model.neck.training and model.head.training
    cfg = copy.deepcopy(MODEL)
    cfg['freeze_neck'] = False
    model = MODELS.build(cfg).train()
    maps = model.extract_feats(torch.randn(1, 3, 32, 32))
    assert maps[4].requires_grad and not maps[0].requires_grad


def test_without_a_neck_nothing_changes():
    cfg = copy.deepcopy(MODEL)
    for key in ('neck', 'head_levels'):
        cfg.pop(key)
    cfg['target_level'] = 0
    cfg['target_model'].pop('in_channels')
    cfg['head'].pop('in_channels')
    model = MODELS.build(cfg)
    assert model.neck is None and model.inference.refine is model.head
    assert model.head.in_channels == (8, 16, 32, 64)
    assert not any(k.startswith('neck.') for k in model.state_dict())


def test_bad_map_choices():
    cfg = copy.deepcopy(MODEL)
    cfg['target_model'].pop('in_channels')
    with pytest.raises(ValueError, match='target_model.in_channels'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(MODEL)
    cfg['head'].pop('in_channels')
    with pytest.raises(ValueError, match='head.in_channels'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(MODEL)
    cfg['target_level'] = 9
    model = MODELS.build(cfg).eval()
    with pytest.raises(ValueError, match='there are 8 maps'):
        model.extract_feats(torch.randn(1, 3, 32, 32))
    cfg = copy.deepcopy(MODEL)
    cfg.pop('neck')
    cfg['target_level'] = 0
    with pytest.raises(ValueError, match='4 backbone maps'):
        MODELS.build(cfg)
    with pytest.raises(TypeError, match='neck output'):
        flatten_maps({'mask': torch.zeros(1)})


@pytest.mark.parametrize('frtm_cfg,vis_cfg', [
    (TOY, 'configs/minvis/minvis_r18_toy-ytvis.py'),
    (REAL, 'configs/minvis/minvis_r50_ytvis19.py'),
    (REAL, 'configs/novis/novis_r50_ytvis19.py')])
def test_configs_fit_the_checkpoints_they_start_from(frtm_cfg, vis_cfg):
    """The mixed configs' backbone and neck are the VIS model's, so every
    weight of its backbone.* and pixel_decoder.* loads."""
    frtm = Config.fromfile(frtm_cfg).model
    vis = Config.fromfile(osp.join(ROOT, vis_cfg),
                          import_custom_modules=False).model
    for ours, theirs, prefix, registry in (
            (frtm.backbone, vis.backbone, 'backbone.', BACKBONES),
            (frtm.neck, vis.pixel_decoder, 'pixel_decoder.', NECKS)):
        assert ours.init_cfg.prefix == prefix
        assert ours.init_cfg.checkpoint == frtm.backbone.init_cfg.checkpoint
        ours, theirs = dict(ours), dict(theirs)
        ours.pop('init_cfg'), theirs.pop('init_cfg', None)
        a, b = registry.build(ours).state_dict(), \
            registry.build(theirs).state_dict()
        assert {k: v.shape for k, v in a.items()} == \
            {k: v.shape for k, v in b.items()}


class _VISModelShape(nn.Module):
    """The parts of a MinVIS / NOVIS model the mix reads, under their
    names, and a decoder it does not read."""

    def __init__(self, backbone: dict, pixel_decoder: dict):
        super().__init__()
        self.backbone = BACKBONES.build(backbone)
        self.pixel_decoder = NECKS.build(pixel_decoder)
        self.decoder = nn.Linear(4, 4)


def _run_tool(tool, argv):
    hubs = set(MessageHub._instance_dict)
    try:
        return load_tool(tool).main(argv)
    finally:  # the Runner's MessageHub stays out of other tests
        for name in set(MessageHub._instance_dict) - hubs:
            MessageHub._instance_dict.pop(name)


def test_toy_mix_trains_from_a_vis_checkpoint_and_tests(tmp_path, capsys):
    cfg = Config.fromfile(TOY).model
    torch.manual_seed(123)
    vis = _VISModelShape(
        {**cfg.backbone, 'init_cfg': None}, {**cfg.neck, 'init_cfg': None})
    with torch.no_grad():
        for p in vis.parameters():
            p.add_(0.5)  # far from any fresh initialisation
    ckpt = str(tmp_path / 'minvis_toy.pth')
    torch.save(dict(state_dict=vis.state_dict(), meta=dict(iter=1500)),
               ckpt)
    work = tmp_path / 'work'
    spec = ['videos=2', 'val_videos=1', 'frames=4']
    options = [
        f'data_root={tmp_path}/toy', *(f'toy_spec.{s}' for s in spec),
        *(f'train_dataloader.dataset.toy_spec.{s}' for s in spec),
        f'model.backbone.init_cfg.checkpoint={ckpt}',
        f'model.neck.init_cfg.checkpoint={ckpt}',
        'train_dataloader.batch_size=2', 'model.train_num_samples=2',
        'model.augmenter.num_samples=2', 'model.target_model.num_gn_steps=1',
        'model.target_model.cg_iters_first=2',
        'model.target_model.update_cg_iters=2', 'custom_hooks=[]',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2', 'log_level=WARNING']
    assert _run_tool('tools/train.py', [TOY, '--work-dir', str(work),
                                        '--cfg-options', *options]) == 0
    trained = torch.load(work / 'iter_2.pth', map_location='cpu',
                         weights_only=False)['state_dict']
    theirs = vis.state_dict()
    neck = {k: v for k, v in trained.items() if k.startswith('neck.')}
    assert len(neck) == sum(k.startswith('pixel_decoder.') for k in theirs)
    for key, value in neck.items():  # loaded from the file, kept frozen
        assert torch.equal(value, theirs['pixel_decoder.' + key[5:]]), key
    for key, value in trained.items():
        if key.startswith('backbone.'):
            assert torch.equal(value, theirs[key]), key
    assert not any(k.startswith('decoder.') for k in trained)
    capsys.readouterr()
    assert _run_tool('tools/test.py', [TOY, str(work / 'iter_2.pth'),
                                       '--work-dir', str(work),
                                       '--cfg-options', *options]) == 0
    printed = capsys.readouterr().out
    scores = dict(re.findall(r'(\S+): (\S+)', printed))
    assert 0 <= float(scores['davis/J&F-Mean']) <= 1, printed


def test_toy_mix_refuses_a_missing_start_checkpoint(tmp_path, capsys):
    missing = str(tmp_path / 'none.pth')
    assert _run_tool('tools/train.py', [
        TOY, '--work-dir', str(tmp_path), '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={missing}']) == 2
    err = capsys.readouterr().err
    assert 'model.backbone.init_cfg' in err and missing in err
