"""Sine positional encodings against hand-computed values: Mask2Former's 2-D
encoding (no offset), Deformable DETR's (offset -0.5) and Mask2Former-VIS's
temporal term for clips of 1 to 4 frames."""
import math

import pytest
import torch

from vostoolkit.models.layers import (LearnedTemporalEncoding,
                                      SinePositionalEncoding,
                                      SineTemporalEncoding)
from vostoolkit.registry import HEADS

TAU = 2 * math.pi


def test_sine_2d_without_offset_hand_computed():
    # a 1 x 2 map, 4 channels per axis: frequencies 1, 1, 1/100, 1/100
    pos = SinePositionalEncoding(num_feats=4)(torch.zeros(1, 1, 1, 2))
    assert pos.shape == (1, 8, 1, 2)

    def enc(p):  # p: normalised position
        return [math.sin(p), math.cos(p), math.sin(p / 100),
                math.cos(p / 100)]

    # row 1 of 1 -> 2*pi; columns 1, 2 of 2 -> pi, 2*pi
    want = torch.tensor([enc(TAU) + enc(math.pi), enc(TAU) + enc(TAU)])
    torch.testing.assert_close(pos[0, :, 0].T, want, atol=1e-5, rtol=0)
    # the values a reader can check: sin/cos(pi) = 0/-1, sin/cos(2pi) = 0/1
    torch.testing.assert_close(pos[0, 4:6, 0, 0], torch.tensor([0.0, -1.0]),
                               atol=1e-5, rtol=0)


def test_sine_2d_deformable_detr_offset_hand_computed():
    pos = SinePositionalEncoding(num_feats=2, offset=-0.5)(
        torch.zeros(1, 1, 1, 2))
    # row 0.5 / 1 -> pi; columns 0.5 / 2, 1.5 / 2 -> pi / 2, 3 pi / 2
    want = torch.tensor([[0.0, -1.0, 1.0, 0.0], [0.0, -1.0, -1.0, 0.0]])
    torch.testing.assert_close(pos[0, :, 0].T, want, atol=1e-5, rtol=0)


def test_sine_2d_padding_normalises_over_the_valid_extent():
    enc = SinePositionalEncoding(num_feats=4)
    pad = torch.zeros(1, 3, 4, dtype=torch.bool)
    pad[:, :, 2:] = True  # 2 valid columns of 4
    padded = enc(torch.zeros(1, 1, 3, 4), pad)
    plain = enc(torch.zeros(1, 1, 3, 2))
    torch.testing.assert_close(padded[..., :2], plain)


@pytest.mark.parametrize('t', [1, 2, 3, 4])
def test_sine_temporal_hand_computed(t):
    # 4 channels: frequencies 1, 1, 1/100, 1/100 of z = frame / T * 2 pi
    got = SineTemporalEncoding(4)(t)
    assert got.shape == (t, 4) and got.dtype == torch.float32
    hand = {
        1: [[0.0, 1.0, 0.0627905, 0.9980267]],
        2: [[0.0, -1.0, 0.0314108, 0.9995066],
            [0.0, 1.0, 0.0627905, 0.9980267]],
        3: [[0.8660254, -0.5, 0.0209424, 0.9997807],
            [-0.8660254, -0.5, 0.0418757, 0.9991228],
            [0.0, 1.0, 0.0627905, 0.9980267]],
        4: [[1.0, 0.0, 0.0157073, 0.9998766],
            [0.0, -1.0, 0.0314108, 0.9995066],
            [-1.0, 0.0, 0.0471065, 0.9988899],
            [0.0, 1.0, 0.0627905, 0.9980267]],
    }[t]
    torch.testing.assert_close(got, torch.tensor(hand), atol=2e-5, rtol=0)


def _reference_3d(b, t, c, h, w):
    """Mask2Former-VIS's 3-D sine encoding, (B, T, C, h, w), written from
    its definition: y and x (C / 2 channels each) normalised by the map
    size, plus over all C channels z normalised by the clip length."""
    eps, f = 1e-6, c // 2
    out = torch.zeros(b, t, c, h, w, dtype=torch.float64)
    for ti in range(t):
        z = (ti + 1) / (t + eps) * TAU
        for yi in range(h):
            y = (yi + 1) / (h + eps) * TAU
            for xi in range(w):
                x = (xi + 1) / (w + eps) * TAU
                for i in range(c):
                    fz = z / 10000**(2 * (i // 2) / c)
                    v = math.sin(fz) if i % 2 == 0 else math.cos(fz)
                    p = y if i < f else x
                    j = i % f
                    fp = p / 10000**(2 * (j // 2) / f)
                    v += math.sin(fp) if j % 2 == 0 else math.cos(fp)
                    out[:, ti, i, yi, xi] = v
    return out.float()


@pytest.mark.parametrize('t', [1, 2, 3, 4])
def test_head_sine_encoding_is_mask2former_vis_3d(t):
    c, h, w = 8, 3, 5
    head = HEADS.build(dict(
        type='Mask2FormerVideoHead', num_classes=2, in_channels=c,
        mask_channels=c, embed_dims=c, num_queries=2, num_heads=2,
        num_layers=1, num_levels=1, ffn_channels=8, num_points=8,
        temporal_encoding='sine'))
    mem = head.prepare_memory([torch.randn(2, t, c, h, w)])[0]
    want = _reference_3d(2, t, c, h, w)
    # (B, T, C, h, w) -> (B, T*h*w, C), the memory's order
    want = want.permute(0, 1, 3, 4, 2).reshape(2, t * h * w, c)
    torch.testing.assert_close(mem.pos, want, atol=2e-5, rtol=0)


def test_learned_temporal_zero_init():
    enc = LearnedTemporalEncoding(4, 8, init='zeros')
    assert torch.equal(enc(3), torch.zeros(3, 8))
    assert enc.embed.weight.requires_grad
    assert LearnedTemporalEncoding(4, 8)(2).abs().sum() > 0
    with pytest.raises(ValueError, match='init'):
        LearnedTemporalEncoding(4, 8, init='uniform')
