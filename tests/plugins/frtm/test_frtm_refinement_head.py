"""Shapes and training signal of the FRTM refinement network."""
import pytest
import torch

from plugins.frtm import FRTMRefinementHead, FRTMScoreHead
from vostoolkit.registry import BACKBONES, HEADS

# ResNet-18 with base_channels=8: maxpool 8, layer1..4: 8, 16, 32, 64
CHANNELS = (8, 8, 16, 32, 64)
STRIDES = (4, 4, 8, 16, 32)


def _feats(batch=1, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, size // s, size // s, generator=g)
            for c, s in zip(CHANNELS, STRIDES)]


def test_refinement_head_shapes():
    head = HEADS.build(dict(type='FRTMRefinementHead', in_channels=CHANNELS,
                            channels=16, final_channels=8))
    feats = _feats()
    scores = torch.randn(1, 1, 4, 4)
    logits = head(scores, feats, (64, 64))
    assert logits.shape == (1, 1, 64, 64)
    # an odd output size (unpadded 480p-like frames)
    assert head(scores, feats, (61, 57)).shape == (1, 1, 61, 57)
    # three objects share the features of one image
    logits3 = head(torch.randn(3, 1, 4, 4), feats, (64, 64))
    assert logits3.shape == (3, 1, 64, 64)
    # two images with two objects each: rows b*O + o
    feats2 = _feats(batch=2)
    scores4 = torch.randn(4, 1, 4, 4)
    out = head(scores4, feats2, (64, 64))
    single = head(scores4[2:3], [f[1:2] for f in feats2], (64, 64))
    assert torch.allclose(out[2:3], single, atol=1e-5)
    probs = head.predict(scores, feats, (64, 64))
    assert probs.min() >= 0 and probs.max() <= 1
    with pytest.raises(ValueError):
        head(scores, feats[:4], (64, 64))
    with pytest.raises(ValueError):
        head(torch.randn(3, 1, 4, 4), feats2, (64, 64))


def test_refinement_head_depends_on_scores_and_trains():
    torch.manual_seed(0)
    head = FRTMRefinementHead(CHANNELS, channels=16, final_channels=8)
    feats = _feats()
    a = head(torch.zeros(1, 1, 4, 4), feats, (64, 64))
    b = head(torch.ones(1, 1, 4, 4), feats, (64, 64))
    assert not torch.allclose(a, b)
    gt = torch.zeros(1, 1, 64, 64)
    gt[..., 16:40, 20:44] = 1
    valid = torch.ones_like(gt, dtype=torch.bool)
    valid[..., :8, :] = False
    losses = head.loss(torch.randn(1, 1, 4, 4), feats, gt, valid)
    assert set(losses) == {'loss_mask'} and losses['loss_mask'].dim() == 0
    losses['loss_mask'].backward()
    grads = [p.grad for p in head.parameters()]
    assert all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


def test_score_head_d_only():
    head = HEADS.build(dict(type='FRTMScoreHead'))
    assert sum(p.numel() for p in head.parameters()) == 2
    scores = torch.randn(2, 1, 4, 4)
    logits = head(scores, None, (16, 16))
    assert logits.shape == (2, 1, 16, 16)
    gt = torch.ones(2, 1, 16, 16)
    head.loss(scores, None, gt)['loss_mask'].backward()
    assert head.scale.grad is not None and head.offset.grad is not None


def test_head_slot_refuses_other_roles():
    with pytest.raises(TypeError, match='head'):
        HEADS.build(dict(type='FRTMTargetModel', in_channels=4))
    backbone = BACKBONES.build(dict(type='ResNet', depth=18, base_channels=8,
                                    out_indices=('maxpool', 'layer1',
                                                 'layer2', 'layer3',
                                                 'layer4')))
    assert tuple(backbone.out_channels) == CHANNELS
    assert tuple(backbone.out_strides) == STRIDES
