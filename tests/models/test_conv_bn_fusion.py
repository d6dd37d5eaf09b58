"""Folded / fused convolution + norm at inference, and the fast x2 bicubic
up-sampling: same numbers as the plain modules, training untouched."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from vostoolkit.models.backbones import FrozenBatchNorm2d, ResNet
from vostoolkit.models.layers import (conv_bn_act, fold_conv_bn,
                                      inference_layout,
                                      sequential_conv_bn_act,
                                      upsample2x_bicubic)


def _randomise_norm(bn, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bn.weight.copy_(1 + 0.3 * torch.randn(bn.weight.shape, generator=g))
        bn.bias.copy_(0.3 * torch.randn(bn.bias.shape, generator=g))
        bn.running_mean.copy_(0.5 * torch.randn(bn.running_mean.shape,
                                                generator=g))
        bn.running_var.copy_(0.5 + torch.rand(bn.running_var.shape,
                                              generator=g))
    return bn


def _plain(x, conv, bn, relu, residual):
    out = conv(x)
    if bn is not None:
        out = bn(out)
    if residual is not None:
        out = out + residual
    return F.relu(out) if relu else out


@pytest.mark.parametrize('norm', ['frozen', 'eval', None])
@pytest.mark.parametrize('relu,with_residual', [(False, False),
                                                (True, False), (True, True)])
@pytest.mark.parametrize('channels_last', [False, True])
def test_fused_equals_conv_then_norm(norm, relu, with_residual,
                                     channels_last):
    torch.manual_seed(0)
    conv = nn.Conv2d(6, 8, 3, stride=2, padding=1, bias=norm is None)
    bn = {'frozen': FrozenBatchNorm2d(8), 'eval': nn.BatchNorm2d(8),
          None: None}[norm]
    if bn is not None:
        _randomise_norm(bn).eval()
    x = torch.randn(2, 6, 11, 14)
    residual = torch.randn(2, 8, 6, 7) if with_residual else None
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
        if residual is not None:
            residual = residual.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        want = _plain(x, conv, bn, relu, residual)
        got = conv_bn_act(x, conv, bn, relu=relu, residual=residual)
    assert got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-5, rtol=1e-5)


def test_fold_matches_and_cache_follows_weight_changes():
    conv = nn.Conv2d(3, 4, 1, bias=False)
    bn = _randomise_norm(FrozenBatchNorm2d(4))
    x = torch.randn(1, 3, 5, 5)
    w, b = fold_conv_bn(conv, bn)
    assert torch.allclose(F.conv2d(x, w, b), bn(conv(x)), atol=1e-6)
    with torch.no_grad():
        conv_bn_act(x, conv, bn)  # fills the cache
        conv.weight.mul_(2)  # in place, as load_state_dict does
        bn.running_mean.add_(1)
        got = conv_bn_act(x, conv, bn)
    assert torch.allclose(got, bn(conv(x)), atol=1e-5)
    # a norm in training mode (batch statistics) does not fold
    assert fold_conv_bn(conv, nn.BatchNorm2d(4).train()) is None


def test_resnet_state_dict_and_training_untouched():
    torch.manual_seed(0)
    model = ResNet(18, base_channels=8, frozen_bn=False)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            _randomise_norm(m)
    keys = list(model.state_dict())
    x = torch.randn(2, 3, 40, 56)
    model.eval()
    with torch.no_grad():
        fused = model(x)
    # the plain modules (a gradient is needed, so nothing is folded)
    plain = model(x.clone().requires_grad_(True))
    for a, b in zip(fused, plain):
        # at inference the maps keep the layout the fused convolutions use
        assert a.is_contiguous(memory_format=torch.channels_last)
        assert b.is_contiguous()
        assert torch.allclose(a, b.detach(), atol=1e-5, rtol=1e-4)
    assert list(model.state_dict()) == keys
    assert all(torch.is_tensor(v) for v in model.state_dict().values())
    # training mode: batch statistics are used and updated as before
    model.train()
    before = model.bn1.running_mean.clone()
    with torch.no_grad():
        out = model(x)[0]
    assert not torch.equal(model.bn1.running_mean, before)
    stem = model.bn1(model.conv1(x))  # batch statistics of this batch
    assert torch.allclose(stem.mean(dim=(0, 2, 3)),
                          model.bn1.bias, atol=1e-5)
    # gradients flow through the plain modules in training
    model.zero_grad()
    model(x)[-1].sum().backward()
    assert model.layer1[0].conv1.weight.grad is not None
    assert out.shape == (2, 8, 10, 14)


def test_sequential_and_layout():
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Conv2d(4, 5, 3, padding=1),
                        _randomise_norm(nn.BatchNorm2d(5)).eval(), nn.ReLU(),
                        nn.Conv2d(5, 5, 1), nn.ReLU(), nn.Conv2d(5, 2, 3))
    x = torch.randn(1, 4, 9, 12)
    with torch.no_grad():
        want = seq(x)
        got = sequential_conv_bn_act(seq, inference_layout(x, seq))
    assert torch.allclose(got, want, atol=1e-5)
    # no channels_last conversion when a gradient is needed
    assert inference_layout(x.requires_grad_(True), seq).is_contiguous()


@pytest.mark.parametrize('shape', [(1, 3, 7, 5), (2, 4, 1, 1), (1, 2, 12, 9)])
def test_upsample2x_bicubic_matches_interpolate(shape):
    x = torch.randn(*shape) * 10
    want = F.interpolate(x, scale_factor=2, mode='bicubic',
                         align_corners=False)
    with torch.no_grad():
        got = upsample2x_bicubic(x)
    assert got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-5, rtol=1e-5)
    # with a gradient: PyTorch's own operator, differentiable
    y = upsample2x_bicubic(x.requires_grad_(True))
    y.sum().backward()
    assert x.grad is not None
