"""Winograd F(4x4, 3x3) convolution at inference: the transforms are exact,
the convolution equals the direct one to float rounding, and conv_bn_act
takes it exactly for the convolutions it is meant for."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from vostoolkit.models.backbones import FrozenBatchNorm2d
from vostoolkit.models.layers import conv_bn_act, winograd_inference
from vostoolkit.models.layers import winograd as wg


def test_toom_cook_transforms_compute_the_correlation():
    bt, g, at = wg.toom_cook(wg._POINTS, 4, 3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        d = torch.randn(6, dtype=torch.float64, generator=gen)
        k = torch.randn(3, dtype=torch.float64, generator=gen)
        want = torch.stack([(d[i:i + 3] * k).sum() for i in range(4)])
        got = at @ ((g @ k) * (bt @ d))
        assert torch.allclose(got, want, atol=1e-12)
    with pytest.raises(ValueError):
        wg.toom_cook((0.0, 1.0, 1.0, 2.0, -2.0), 4, 3)


@pytest.mark.parametrize('shape', [(1, 5, 7, 9), (2, 3, 4, 4),
                                   (1, 4, 1, 1), (1, 6, 13, 2),
                                   (0, 3, 5, 5)])
def test_float64_is_exact(shape):
    """In float64 the only difference from the direct convolution is
    rounding at 1e-12: every tile, border and odd size is right."""
    n, c, h, w = shape
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(n, c, h, w, dtype=torch.float64, generator=gen)
    weight = torch.randn(7, c, 3, 3, dtype=torch.float64, generator=gen)
    bias = torch.randn(7, dtype=torch.float64, generator=gen)
    res = torch.randn(n, 7, h, w, dtype=torch.float64, generator=gen)
    got = wg.winograd_conv3x3(x, wg.winograd_weight(weight), bias, res,
                              relu=True)
    want = F.relu(F.conv2d(x, weight, bias, padding=1) + res)
    assert got.shape == want.shape
    assert got.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(got, want, atol=1e-11, rtol=0)


def test_float32_error_near_the_direct_convolution():
    """256 channels, non-negative input as after a ReLU: the error against
    float64 stays a few millionths of the output's scale (the direct
    convolution's: 2e-7 to 1.5e-6, by memory layout)."""
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 256, 30, 54, generator=gen).clamp(min=0)
    weight = torch.randn(256, 256, 3, 3, generator=gen) / 48
    ref = F.conv2d(x.double(), weight.double(), padding=1)
    scale = ref.abs().max()
    got = (wg.winograd_conv3x3(x, wg.winograd_weight(weight)) - ref).abs() \
        .max() / scale
    assert got < 5e-6


def test_chunks_of_tile_rows_give_the_same_result(monkeypatch):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 8, 23, 10, generator=gen)
    u = wg.winograd_weight(torch.randn(5, 8, 3, 3, generator=gen))
    whole = wg.winograd_conv3x3(x, u)
    monkeypatch.setattr(wg, '_CHUNK_ELEMS', 36 * 2 * 3 * 8)  # 1 row a chunk
    assert torch.allclose(wg.winograd_conv3x3(x, u), whole, atol=1e-5)


def _norm(c, seed):
    bn = FrozenBatchNorm2d(c)
    gen = torch.Generator().manual_seed(seed)
    bn.weight.copy_(1 + 0.3 * torch.randn(c, generator=gen))
    bn.bias.copy_(0.3 * torch.randn(c, generator=gen))
    bn.running_mean.copy_(0.5 * torch.randn(c, generator=gen))
    bn.running_var.copy_(0.5 + torch.rand(c, generator=gen))
    return bn


@pytest.mark.parametrize('channels,stride,expected', [
    (256, 1, True), (128, 1, False), (256, 2, False)])
def test_conv_bn_act_takes_it_where_it_pays(channels, stride, expected):
    torch.manual_seed(0)
    conv = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)
    bn = _norm(channels, 4)
    x = torch.randn(1, channels, 12, 17).clamp(min=0)
    res = torch.randn(1, channels, 12 // stride, 17 // stride + stride - 1)
    with torch.no_grad():
        want = F.relu(bn(conv(x)) + res)
        got = conv_bn_act(x, conv, bn, relu=True, residual=res)
        assert ('_folded_conv_bn_winograd' in conv.__dict__) is expected
        assert torch.allclose(got, want, atol=1e-5, rtol=1e-5)
        # switched off: the direct convolution, no transformed weights
        conv.__dict__.pop('_folded_conv_bn_winograd', None)
        with winograd_inference(False):
            off = conv_bn_act(x, conv, bn, relu=True, residual=res)
        assert '_folded_conv_bn_winograd' not in conv.__dict__
        assert torch.allclose(off, want, atol=1e-5, rtol=1e-5)
        # the cached transformed weights follow in-place weight changes
        conv.weight.mul_(-1)
        again = conv_bn_act(x, conv, bn, relu=True, residual=res)
    assert torch.allclose(again, F.relu(bn(conv(x)) + res), atol=1e-5,
                          rtol=1e-5)
    # training (a gradient is needed) runs the plain modules
    x.requires_grad_(True)
    out = conv_bn_act(x, conv, bn, relu=True, residual=res)
    out.sum().backward()
    assert x.grad is not None
