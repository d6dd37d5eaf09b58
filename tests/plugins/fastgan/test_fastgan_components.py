"""FaSTGAN networks and losses: shapes, eq. 2 by hand, WGAN-GP, GT trick."""
import math

import pytest
import torch

from plugins.fastgan import (FaSTGANAdversarialLoss, FaSTGANBalancedBCELoss,
                             FaSTGANCriticLoss, FaSTGANSpatialCritic,
                             TemporalSkip, critic_real_masks,
                             gradient_penalty)
from vostoolkit.registry import CRITICS, LOSSES, MODELS

from fastgan_helpers import tiny_generator


# --------------------------------------------------------------- critics
def test_spatial_critic_map_is_h64_w64():
    critic = CRITICS.build(dict(type='FaSTGANSpatialCritic', base_channels=4,
                                max_channels=16))
    out = critic(torch.randn(5, 3, 128, 192))
    assert out.shape == (5, 1, 2, 3)  # 128/64 x 192/64


def test_temporal_critic_takes_k_frames_and_gives_same_map():
    k = 3
    critic = CRITICS.build(dict(type='FaSTGANTemporalCritic', num_frames=k,
                                base_channels=4, max_channels=16))
    x = torch.randn(2, 3, k, 64, 128)
    assert critic(x).shape == (2, 1, 1, 2)
    assert critic.body[0].in_channels == 3 * k  # frames stacked as channels
    # the order of the frames matters (it is not a per-frame average)
    assert not torch.allclose(critic(x), critic(x.flip(2)))
    with pytest.raises(ValueError, match='K=3'):
        critic(torch.randn(2, 3, k + 1, 64, 64))


def test_critic_in_backbone_slot_is_refused():
    from vostoolkit.registry import BACKBONES
    with pytest.raises(TypeError, match='critic'):
        BACKBONES.build(dict(type='FaSTGANSpatialCritic'))


# -------------------------------------------------------------- regressor
def test_temporal_skip_reduces_previous_features_to_one_eighth():
    skip = TemporalSkip(32)
    assert skip.reduce.in_channels == 32 and skip.reduce.out_channels == 4
    assert skip.reduce.kernel_size == (3, 3)
    cur = torch.randn(2, 32, 8, 8)
    prev = torch.randn(2, 32, 8, 8, requires_grad=True)
    out = skip(cur, prev)
    assert out.shape == (2, 36, 8, 8)
    assert torch.equal(out[:, :32], cur)
    out.sum().backward()  # gradients flow to the previous frame
    assert prev.grad is not None and prev.grad.abs().sum() > 0
    # no previous frame == zero features
    assert torch.equal(skip(cur, None), skip(cur, torch.zeros_like(cur)))
    with pytest.raises(ValueError, match='multiple of 8'):
        TemporalSkip(12)


def test_regressor_shapes_and_input_check():
    gen = MODELS.build(tiny_generator())
    frames = torch.randn(2, 3, 3, 64, 96)
    ref, mask = torch.randn(2, 3, 64, 96), torch.rand(2, 1, 64, 96)
    assert gen(frames, ref, mask).shape == (2, 3, 64, 96)
    ref_feat = gen.encode_reference(ref, mask)
    assert ref_feat.shape == (2, 64, 2, 3)  # ResNet-18 width 8: 64 at /32
    logits, feat = gen.step(frames[:, 0], mask, ref_feat)
    assert logits.shape == (2, 1, 64, 96) and feat.shape == (2, 16, 16, 24)
    bad = tiny_generator()
    bad['backbone']['in_channels'] = 3
    with pytest.raises(ValueError, match='4 input channels'):
        MODELS.build(bad)


# ------------------------------------------------------------ balanced BCE
def _bce_frame(p, y, beta):
    return -sum(beta * yi * math.log(pi) + (1 - beta) * (1 - yi) *
                math.log(1 - pi) for pi, yi in zip(p, y))


def test_balanced_bce_matches_hand_computation():
    # frame 1: 1 object pixel of 4 (beta = 3/4); frame 2: 2 of 4 (1/2)
    p1, y1 = [0.8, 0.3, 0.1, 0.6], [1, 0, 0, 0]
    p2, y2 = [0.9, 0.7, 0.2, 0.4], [1, 1, 0, 0]
    logits = torch.logit(torch.tensor([p1, p2])).view(1, 2, 2, 2)
    target = torch.tensor([y1, y2], dtype=torch.float).view(1, 2, 2, 2)
    f1, f2 = _bce_frame(p1, y1, 0.75), _bce_frame(p2, y2, 0.5)
    loss = LOSSES.build(dict(type='FaSTGANBalancedBCELoss', loss_weight=1.,
                             pixel_reduction='sum'))
    assert loss(logits, target).item() == pytest.approx((f1 + f2) / 2,
                                                        rel=1e-5)
    mean = FaSTGANBalancedBCELoss(loss_weight=100.)  # default: pixel mean
    assert mean(logits, target).item() == pytest.approx(
        100 * (f1 / 4 + f2 / 4) / 2, rel=1e-5)
    plain = FaSTGANBalancedBCELoss(loss_weight=1., balanced=False)
    assert plain(logits, target).item() == pytest.approx(
        (_bce_frame(p1, y1, .5) + _bce_frame(p2, y2, .5)) / 8, rel=1e-5)


def test_balanced_bce_void_pixels_and_empty_frames():
    loss = FaSTGANBalancedBCELoss(loss_weight=1., pixel_reduction='sum')
    p, y = [0.8, 0.3, 0.1, 0.6], [1, 0, 0, 0]
    logits = torch.logit(torch.tensor(p)).view(1, 1, 2, 2)
    target = torch.tensor(y, dtype=torch.float).view(1, 1, 2, 2)
    weights = torch.tensor([1., 1., 1., 0.]).view(1, 1, 2, 2)  # last: void
    expected = _bce_frame(p[:3], y[:3], 2 / 3)
    assert loss(logits, target, weights).item() == pytest.approx(
        expected, rel=1e-5)
    # an empty ground-truth frame still penalises a false positive
    empty = torch.zeros(1, 1, 2, 2)
    assert loss(logits, empty).item() == pytest.approx(
        _bce_frame(p, [0] * 4, 0.5), rel=1e-5)
    # nothing valid: zero, with a graph
    none = loss(logits.requires_grad_(), target, torch.zeros_like(target))
    assert none.item() == 0 and none.requires_grad


# ------------------------------------------------------------------ WGAN-GP
def test_critic_and_adversarial_objectives():
    critic = FaSTGANSpatialCritic(base_channels=4, max_channels=8,
                                  num_downsamples=2)
    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    obj = FaSTGANCriticLoss(loss_weight=2., lambda_gp=10.)
    torch.manual_seed(3)
    terms = obj.terms(critic, real, fake)
    wdist = critic(real).mean() - critic(fake).mean()
    assert terms['wdist'].item() == pytest.approx(wdist.item(), abs=1e-6)
    torch.manual_seed(3)
    gp, _ = gradient_penalty(critic, real, fake)
    assert terms['gp'].item() == pytest.approx(gp.item(), rel=1e-5)
    torch.manual_seed(3)
    assert obj(critic, real, fake).item() == pytest.approx(
        2 * (10 * gp.item() - wdist.item()), rel=1e-5)
    scores = critic(fake)
    adv = FaSTGANAdversarialLoss(loss_weight=3.)(scores)
    assert adv.item() == pytest.approx(-3 * scores.mean().item(), rel=1e-6)


def _train_critic(lambda_gp: float, steps: int = 60):
    torch.manual_seed(0)
    critic = FaSTGANSpatialCritic(base_channels=4, max_channels=8,
                                  num_downsamples=2)
    with torch.no_grad():  # start far from 1-Lipschitz (norm ~ 1e-3)
        critic.body[-1].weight.mul_(0.05)
    img = torch.randn(8, 3, 8, 8)
    real_mask = torch.zeros(8, 1, 8, 8)
    real_mask[..., 2:6, 2:6] = 1
    fake_mask = torch.zeros(8, 1, 8, 8)
    fake_mask[..., 1:4, 3:8] = 1
    real, fake = img * real_mask, img * fake_mask
    objective = FaSTGANCriticLoss(lambda_gp=lambda_gp)
    opt = torch.optim.Adam(critic.parameters(), lr=2e-3, betas=(0.5, 0.999))

    def deviation():
        torch.manual_seed(1)
        _, norms = gradient_penalty(critic, real, fake)
        return (norms - 1).abs().mean().item()

    start = deviation()
    for _ in range(steps):
        opt.zero_grad()
        objective(critic, real, fake).backward()
        opt.step()
    return start, deviation()


def test_gradient_penalty_pulls_interpolate_gradient_norm_to_one():
    start, end = _train_critic(lambda_gp=10.)
    assert start > 0.9  # gradient norm ~ 0 at the start
    assert end < 0.3
    # without the penalty the critic's gradient norm runs away from 1
    _, end_no_gp = _train_critic(lambda_gp=0.)
    assert end_no_gp > 2.


# ------------------------------------------------------- ground-truth trick
def test_gt_trick_overwrites_confident_correct_pixels():
    gt = torch.tensor([1., 1., 0., 0., 1., 0.]).view(1, 1, 2, 3)
    pred = torch.tensor([.9, .6, .1, .3, .2, .8]).view(1, 1, 2, 3)
    out = critic_real_masks(gt, pred, noise=None)
    # |p - y| < 0.25 takes p (.9, .1); others keep the ground truth
    assert out.flatten().tolist() == pytest.approx([.9, 1., .1, 0., 1., 0.])
    ignore = torch.zeros_like(gt, dtype=torch.bool)
    ignore[..., 1, 2] = True
    assert critic_real_masks(gt, pred, ignore, noise=None)[
        0, 0, 1, 2].item() == pytest.approx(.8)


def test_gt_trick_noise_has_prediction_mean_and_variance():
    g = torch.Generator().manual_seed(0)
    gt = torch.zeros(1, 2, 64, 64)
    # predictions 0.3 / 0.7: never within 0.25 of the ground truth 0
    pred = torch.where(torch.rand(1, 2, 64, 64, generator=g) < .5,
                       torch.tensor(.3), torch.tensor(.7))
    out = critic_real_masks(gt, pred, noise='prediction', generator=g)
    assert out.mean().item() == pytest.approx(pred.mean().item(), abs=0.01)
    assert out.std().item() == pytest.approx(pred.std().item(), abs=0.01)
    # residual statistics: here the error is the prediction itself
    flat = critic_real_masks(gt, torch.full_like(gt, .4), noise='residual')
    assert torch.allclose(flat, torch.full_like(gt, .4))
    with pytest.raises(ValueError, match='noise'):
        critic_real_masks(gt, pred, noise='gauss')
