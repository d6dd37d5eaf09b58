"""Every registered member of every role honours its role's contract.

All plugins are imported, then each member of BACKBONES, NECKS, HEADS,
CRITICS, TARGET_MODELS, TRACKERS, LOSSES and MATCHERS is built from the
small arguments below and called through its role's base class only. A
member without an entry here fails ``test_every_member_has_small_args``:
a plugin author who registers a new member adds its entry (the config and,
where the role's inputs differ between members, how to feed it).
"""
import importlib
import inspect
import os.path as osp
import pkgutil

import pytest
import torch
from torch import nn

import plugins
import vostoolkit.all_modules  # noqa: F401
from vostoolkit.models.base import (BaseMaskRefinementHead, BasePixelDecoder,
                                    BasePropagationHead, BaseSemanticHead,
                                    BaseVISQueryHead, ClipQueries)
from vostoolkit.registry import ROLE_REGISTRIES

for _info in pkgutil.iter_modules(plugins.__path__):
    importlib.import_module(f'plugins.{_info.name}')

_HERE = osp.relpath(__file__, osp.dirname(osp.dirname(osp.dirname(
    __file__))))

_VIS_HEAD = dict(num_classes=3, in_channels=16, mask_channels=16,
                 embed_dims=16, num_queries=5, num_heads=2, num_layers=3,
                 ffn_channels=32, max_frames=2, num_points=16,
                 matcher=dict(type='HungarianMatcher', num_points=16))


def _critic_input(shape):
    return lambda: torch.rand(*shape)


def _loss_inputs_masks():
    torch.manual_seed(0)
    return (torch.randn(3, 2, 16), (torch.rand(3, 2, 16) > 0.5).float())


def _loss_inputs_ce():
    torch.manual_seed(0)
    return torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 1, 0])


def _loss_inputs_bce():
    torch.manual_seed(0)
    return torch.randn(2, 2, 8, 8), (torch.rand(2, 2, 8, 8) > 0.5).float()


def _loss_inputs_critic():
    torch.manual_seed(0)
    critic = nn.Conv2d(2, 1, 3, padding=1)
    return critic, torch.rand(2, 2, 8, 8), torch.rand(2, 2, 8, 8)


def _loss_inputs_scores():
    torch.manual_seed(0)
    return (torch.randn(2, 1, 4, 4), )


# role -> member -> dict(cfg=small constructor args, [input=...]).
MINIMAL = {
    'BACKBONES': {
        'ResNet': dict(cfg=dict(depth=18, base_channels=8)),
    },
    'NECKS': {
        'MSDeformAttnPixelDecoder': dict(cfg=dict(
            in_channels=(8, 16, 32, 64), feat_channels=16, out_channels=16,
            num_encoder_layers=1, num_heads=2, ffn_channels=32,
            num_groups=4)),
    },
    'HEADS': {
        'MaskPropagationHead': dict(cfg=dict(in_channels=(8, 16),
                                             raw_channels=8, channels=8)),
        'SemanticFPNHead': dict(cfg=dict(in_channels=(8, 16), num_classes=3,
                                         channels=8, num_groups=4)),
        'Mask2FormerVideoHead': dict(cfg=_VIS_HEAD),
        'NOVISVideoDecoder': dict(cfg=_VIS_HEAD),
        'FRTMRefinementHead': dict(cfg=dict(in_channels=(8, 16),
                                            channels=8)),
        'FRTMScoreHead': dict(cfg=dict()),
    },
    'CRITICS': {
        'FaSTGANSpatialCritic': dict(
            cfg=dict(in_channels=3, base_channels=4, max_channels=8,
                     num_downsamples=2),
            input=_critic_input((2, 3, 16, 16))),
        'FaSTGANTemporalCritic': dict(
            cfg=dict(num_frames=2, base_channels=4, max_channels=8,
                     num_downsamples=2),
            input=_critic_input((2, 3, 2, 16, 16))),
    },
    'TARGET_MODELS': {
        'FRTMTargetModel': dict(cfg=dict(
            in_channels=8, num_filters=4, num_gn_steps=2, cg_iters_first=2,
            cg_iters=2, update_cg_iters=2, update_interval=1,
            memory_size=4, min_sample_pixels=0)),
    },
    'TRACKERS': {
        'CosineClipTracker': dict(cfg=dict()),
        'IoUClassClipTracker': dict(cfg=dict(class_weight=0.5)),
        'EmbeddingBufferTracker': dict(cfg=dict(buffer_len=2)),
    },
    'LOSSES': {
        'CrossEntropyLoss': dict(cfg=dict(), input=_loss_inputs_ce),
        'MaskBCELoss': dict(cfg=dict(), input=_loss_inputs_masks),
        'DiceLoss': dict(cfg=dict(), input=_loss_inputs_masks),
        'FaSTGANBalancedBCELoss': dict(cfg=dict(), input=_loss_inputs_bce),
        'FaSTGANCriticLoss': dict(cfg=dict(), input=_loss_inputs_critic),
        'FaSTGANAdversarialLoss': dict(cfg=dict(),
                                       input=_loss_inputs_scores),
        'WGANGPCriticLoss': dict(cfg=dict(), input=_loss_inputs_critic),
        'WGANGeneratorLoss': dict(cfg=dict(), input=_loss_inputs_scores),
    },
    'MATCHERS': {
        'HungarianMatcher': dict(cfg=dict(num_points=16)),
    },
}

MEMBERS = sorted((key, name) for key, registry in ROLE_REGISTRIES.items()
                 for name in registry.module_dict)


def test_every_member_has_small_args():
    missing = [f'{key}: {name}' for key, name in MEMBERS
               if name not in MINIMAL.get(key, {})]
    assert not missing, (
        f'registered members without small constructor args in {_HERE} '
        f'(MINIMAL): {missing}; add an entry for each so that its role '
        f'contract is tested')


def _build(key, name, **overrides):
    entry = MINIMAL[key][name]
    cfg = dict(entry['cfg'], type=name, **overrides)
    obj = ROLE_REGISTRIES[key].build(cfg)
    assert isinstance(obj, ROLE_REGISTRIES[key].base_class)
    return obj, entry


def _members(key):
    return [name for k, name in MEMBERS if k == key and name in MINIMAL[k]]


# ------------------------------------------------------------------- roles
@pytest.mark.parametrize('name', _members('BACKBONES'))
def test_backbone_contract(name):
    backbone, _ = _build('BACKBONES', name)
    feats = backbone(torch.rand(2, 3, 64, 64))
    assert len(feats) == len(backbone.out_channels) == len(
        backbone.out_strides)
    for feat, c, s in zip(feats, backbone.out_channels, backbone.out_strides):
        assert tuple(feat.shape) == (2, c, 64 // s, 64 // s)


@pytest.mark.parametrize('name', _members('NECKS'))
def test_neck_contract(name):
    neck, entry = _build('NECKS', name)
    assert isinstance(neck, BasePixelDecoder), \
        f'{name}: a neck declares its contract (BasePixelDecoder)'
    chans = entry['cfg']['in_channels']
    feats = [torch.rand(2, c, 64 // 2**(i + 2), 64 // 2**(i + 2))
             for i, c in enumerate(chans)]
    mask_feats, levels = neck(feats)
    assert mask_feats.shape[0] == 2 and mask_feats.shape[-2:] == (16, 16)
    assert len(levels) == neck.num_encoder_levels
    sizes = [lvl.shape[-1] for lvl in levels]
    assert sizes == sorted(sizes), 'levels go coarse to fine'


def _check_refinement_head(head, entry):
    chans = entry['cfg'].get('in_channels', (8, 16))
    feats = [torch.rand(2, c, 16 // 2**i, 16 // 2**i)
             for i, c in enumerate(chans)]
    scores = torch.randn(4, 1, 8, 8)  # 2 images x 2 objects
    logits = head(scores, feats, (32, 32))
    assert logits.shape == (4, 1, 32, 32)
    probs = head.predict(scores, feats, (32, 32))
    assert probs.shape == (4, 1, 32, 32) and 0 <= probs.min() <= probs.max(
    ) <= 1
    gt = (torch.rand(4, 1, 32, 32) > 0.5).float()
    losses = head.loss(scores, feats, gt, torch.ones_like(gt, dtype=bool))
    total = sum(losses.values())
    assert total.dim() == 0 and torch.isfinite(total)
    total.backward()


def _check_propagation_head(head, entry):
    chans = entry['cfg']['in_channels']
    feats = [torch.rand(2, c, 16 // 2**i, 16 // 2**i)
             for i, c in enumerate(chans)]
    raw = torch.rand(2, entry['cfg']['raw_channels'], 32, 32)
    assert head(feats, raw).shape == (2, 1, 32, 32)


def _check_semantic_head(head, entry):
    chans = entry['cfg']['in_channels']
    feats = [torch.rand(2, c, 16 // 2**i, 16 // 2**i)
             for i, c in enumerate(chans)]
    logits = head(feats)
    assert logits.shape[:2] == (2, head.num_classes + 1)
    labels = torch.randint(-1, head.num_classes + 1, (2, 32, 32))
    losses = head.loss(logits, labels)
    assert all(v.dim() == 0 and torch.isfinite(v) for v in losses.values())
    pred = head.predict(feats, (32, 32))
    assert pred.shape == (2, 32, 32) and pred.dtype == torch.long
    assert 0 <= pred.min() and pred.max() <= head.num_classes


def _check_vis_head(head, entry):
    torch.manual_seed(0)
    b, t, c = 2, 2, entry['cfg']['in_channels']
    levels = [torch.rand(b, t, c, s, s) for s in (2, 4, 8)]
    mask_feats = torch.rand(b, t, entry['cfg']['mask_channels'], 16, 16)
    out = head(levels, mask_feats)
    n, k = head.num_queries, head.num_classes
    assert out['cls_logits'][-1].shape == (b, n, k + 1)
    assert out['mask_logits'][-1].shape == (b, n, t, 16, 16)
    assert out['embeds'].shape[:2] == (b, n)
    targets = [dict(labels=torch.tensor([0, 2]),
                    masks=torch.rand(2, t, 16, 16) > 0.5),
               dict(labels=torch.zeros(0, dtype=torch.long),
                    masks=torch.zeros(0, t, 16, 16, dtype=torch.bool))]
    losses = head.loss(out, targets)
    total = sum(losses.values())
    assert total.dim() == 0 and torch.isfinite(total)
    pred = head.predict(levels, mask_feats)
    assert pred['mask_logits'].shape == (b, n, t, 16, 16)
    assert pred['cls_logits'].shape == (b, n, k + 1)


_HEAD_TASKS = [(BaseMaskRefinementHead, _check_refinement_head),
               (BasePropagationHead, _check_propagation_head),
               (BaseSemanticHead, _check_semantic_head),
               (BaseVISQueryHead, _check_vis_head)]


@pytest.mark.parametrize('name', _members('HEADS'))
def test_head_contract(name):
    head, entry = _build('HEADS', name)
    tasks = [check for base, check in _HEAD_TASKS if isinstance(head, base)]
    assert len(tasks) == 1, (
        f'{name} derives from {len(tasks)} task bases; a head derives from '
        f'exactly one of {[b.__name__ for b, _ in _HEAD_TASKS]}')
    tasks[0](head, entry)


@pytest.mark.parametrize('name', _members('CRITICS'))
def test_critic_contract(name):
    critic, entry = _build('CRITICS', name)
    x = entry['input']()
    scores = critic(x)
    assert scores.dim() == 4 and scores.shape[:2] == (x.shape[0], 1)


@pytest.mark.parametrize('name', _members('TARGET_MODELS'))
def test_target_model_contract(name):
    model, entry = _build('TARGET_MODELS', name)
    c = entry['cfg']['in_channels']
    torch.manual_seed(0)
    feats = torch.randn(3, c, 8, 8)
    masks = torch.zeros(3, 1, 16, 16)
    masks[:, :, 4:12, 4:12] = 1.0
    states = [model.init_state(feats, masks, weights=torch.ones(3),
                               generator=torch.Generator().manual_seed(3))
              for _ in range(2)]
    scores = [model.predict(s, feats[:2]) for s in states]
    assert scores[0].shape == (2, 1, 8, 8)
    # a seeded generator makes the state reproducible
    torch.testing.assert_close(scores[0], scores[1])
    model.predict(states[0], feats[:1])
    assert model.update(states[0], feats[:1], masks[:1]) in (True, False)
    # the declared keywords are the base's
    params = inspect.signature(model.init_state).parameters
    assert {'weights', 'generator'} <= set(params)


def _full_clip(perm, tau=2):
    """A clip of 4 queries showing 4 distinct objects in order ``perm``."""
    embeds = torch.eye(4)[perm] * 3 + 0.1
    masks = torch.zeros(4, tau, 8, 8, dtype=torch.bool)
    for q, obj in enumerate(perm.tolist()):
        masks[q, :, 2 * obj:2 * obj + 2] = True
    probs = torch.full((4, 3), 1 / 3)
    return ClipQueries(embeds=embeds, match_embeds=embeds,
                       carry_embeds=embeds, front_masks=masks,
                       back_masks=masks, class_probs=probs)


@pytest.mark.parametrize('name', _members('TRACKERS'))
def test_tracker_contract(name):
    tracker, _ = _build('TRACKERS', name)
    first = tracker.update(_full_clip(torch.arange(4)))
    assert first.dtype == torch.long and first.tolist() == [0, 1, 2, 3]
    perm = torch.tensor([2, 0, 3, 1])
    # identities follow the objects through a swap of query order
    assert tracker.update(_full_clip(perm)).tolist() == perm.tolist()
    tracker.reset()  # a new video: new tracks in query order
    assert tracker.update(_full_clip(perm)).tolist() == [0, 1, 2, 3]
    # the declared fields are all a tracker reads: a clip with only its
    # required fields goes through, clip after clip
    tracker.reset()
    for order in (torch.arange(4), perm):
        clip = _full_clip(order)
        for field in set(clip.given()) - set(tracker.requires):
            setattr(clip, field, None)
        ids = tracker.update(clip)
        assert ids.dtype == torch.long and len(set(ids.tolist())) == 4
    for field in tracker.requires:
        assert tracker.wants(field)
        if field == 'embeds':
            continue
        clip = _full_clip(perm)
        setattr(clip, field, None)
        with pytest.raises(ValueError, match=f'{name} needs .*{field}'):
            tracker.update(clip)


@pytest.mark.parametrize('name', _members('LOSSES'))
def test_loss_contract(name):
    """A scalar, finite, and scaled by ``loss_weight``."""
    values = []
    for weight in (1.0, 2.5):
        loss, entry = _build('LOSSES', name, loss_weight=weight)
        values.append(loss(*entry['input']()))
    assert values[0].dim() == 0 and torch.isfinite(values[0])
    torch.testing.assert_close(values[1], 2.5 * values[0])


@pytest.mark.parametrize('name', _members('MATCHERS'))
def test_matcher_contract(name):
    matcher, _ = _build('MATCHERS', name)
    torch.manual_seed(0)
    q, g = 5, 3
    pred_idx, gt_idx = matcher.match(
        torch.randn(q, 4), torch.randn(q, 2, 8, 8),
        torch.tensor([0, 2, 1]), torch.rand(g, 2, 8, 8) > 0.5)
    assert pred_idx.dtype == gt_idx.dtype == torch.long
    assert len(pred_idx) == len(gt_idx) == min(q, g)
    assert len(set(pred_idx.tolist())) == len(pred_idx)
    assert sorted(gt_idx.tolist()) == list(range(g))
