"""Shapes, training signal and the authors' structure of the FRTM
refinement network."""
import pytest
import torch
import torch.nn.functional as F

from plugins.frtm import FRTMRefinementHead
from vostoolkit.registry import BACKBONES, HEADS

# ResNet-18 with base_channels=8: layer1..4 (conv2_x..conv5_x): 8, 16, 32, 64
CHANNELS = (8, 16, 32, 64)
STRIDES = (4, 8, 16, 32)


def _feats(batch=1, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, size // s, size // s, generator=g)
            for c, s in zip(CHANNELS, STRIDES)]


def test_refinement_head_shapes():
    head = HEADS.build(dict(type='FRTMRefinementHead', in_channels=CHANNELS,
                            channels=16))
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
    head.eval()  # BatchNorm on running statistics: rows independent
    out = head(scores4, feats2, (64, 64))
    single = head(scores4[2:3], [f[1:2] for f in feats2], (64, 64))
    assert torch.allclose(out[2:3], single, atol=1e-5)
    probs = head.predict(scores, feats, (64, 64))
    assert probs.min() >= 0 and probs.max() <= 1
    with pytest.raises(ValueError):
        head(scores, feats[:3], (64, 64))
    with pytest.raises(ValueError):
        head(torch.randn(3, 1, 4, 4), feats2, (64, 64))


def test_refinement_head_depends_on_scores_and_trains():
    torch.manual_seed(0)
    head = FRTMRefinementHead(CHANNELS, channels=16)
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
                                    out_indices=('layer1', 'layer2',
                                                 'layer3', 'layer4')))
    assert tuple(backbone.out_channels) == CHANNELS
    assert tuple(backbone.out_strides) == STRIDES


def test_structure_matches_the_authors_segnetwork():
    """140 tensors for the ResNet-101 widths (the official checkpoints'
    count), BatchNorm inside every residual block, no maxpool level."""
    head = FRTMRefinementHead()
    state = head.state_dict()
    assert len(state) == 140
    assert len(head.encoders) == 4 and head.in_channels[0] == 256
    bns = [m for m in head.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(bns) == 8  # two residual blocks per level
    assert state['upsampler.conv1.weight'].shape == (32, 64, 3, 3)
    assert state['upsampler.conv2.weight'].shape == (1, 32, 3, 3)


def _keys_cubic(t, a=-0.75):
    """Keys' cubic convolution kernel at distance t."""
    t = abs(t)
    if t < 1:
        return (a + 2) * t**3 - (a + 3) * t**2 + 1
    if t < 2:
        return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return 0.0


def test_final_block_upsamples_bicubically_by_two():
    """The final block's x2 steps are Keys bicubic (a = -0.75) at the
    phases 1/4 and 3/4 with replicated borders, what the authors' pyramid
    up-sampler computes: checked on a 1-D signal against taps derived here.
    """
    up = FRTMRefinementHead(CHANNELS, channels=2).upsampler
    with torch.no_grad():
        for conv in (up.conv1, up.conv2):
            conv.weight.zero_()
            conv.bias.zero_()
        up.conv1.weight[0, 0, 1, 1] = 1.0  # identity on channel 0
        up.conv2.weight[0, 0, 1, 1] = 1.0
    x = torch.tensor([0.5, 2.0, 1.0, 3.0, 0.25, 4.0])
    signal = x.view(1, 1, 1, -1).expand(1, 2, 1, 6)  # constant in y
    out = up(signal, (4, 24))[0, 0, 0]
    # output 2k samples k - 1/4 (inputs k-2..k+1), 2k+1 samples k + 1/4
    # (inputs k-1..k+2)
    taps = {0.25: [_keys_cubic(d) for d in (1.75, 0.75, 0.25, 1.25)],
            0.75: [_keys_cubic(d) for d in (1.25, 0.25, 0.75, 1.75)]}

    def at(i):
        return x[min(max(i, 0), len(x) - 1)]

    def double(v):
        res = []
        for k in range(len(v)):
            for phase, first in ((0.25, k - 2), (0.75, k - 1)):
                res.append(sum(w * v[min(max(first + j, 0), len(v) - 1)]
                               for j, w in enumerate(taps[phase])))
        return torch.stack(res)

    expected = double(torch.relu(double(torch.stack(
        [at(i) for i in range(len(x))]))))
    assert torch.allclose(out, expected, atol=1e-5)
    assert out.shape == (24, )


def test_objects_share_the_features_projection():
    """Projecting once per image gives what each object computes alone."""
    torch.manual_seed(0)
    head = FRTMRefinementHead(CHANNELS, channels=16).eval()
    feats = _feats()
    scores = torch.randn(3, 1, 4, 4)
    together = head(scores, feats, (37, 41))
    alone = torch.cat([head(scores[i:i + 1], feats, (37, 41))
                       for i in range(3)])
    assert torch.allclose(together, alone, atol=1e-6)
    assert F.mse_loss(together[0], together[1]) > 0
