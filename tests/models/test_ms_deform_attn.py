"""Multi-scale deformable attention against a plain loop implementation."""
import math

import pytest
import torch

from vostoolkit.models.layers import (MultiScaleDeformableAttention,
                                      multi_scale_deformable_attention)


def _bilinear(img, x, y):
    """Deformable DETR's sampling of img (H, W, D) at normalised (x, y):
    pixel coordinates x * W - 0.5, zero outside the map."""
    h, w, d = img.shape
    px, py = x * w - 0.5, y * h - 0.5
    out = torch.zeros(d, dtype=img.dtype)
    x0, y0 = math.floor(px), math.floor(py)
    for yy in (y0, y0 + 1):
        for xx in (x0, x0 + 1):
            if 0 <= yy < h and 0 <= xx < w:
                wgt = (1 - abs(px - xx)) * (1 - abs(py - yy))
                out += wgt * img[yy, xx]
    return out


def _loop_reference(value, shapes, locs, weights):
    b, _, m, d = value.shape
    _, nq, _, num_levels, num_points, _ = locs.shape
    starts = [0]
    for h, w in shapes[:-1]:
        starts.append(starts[-1] + h * w)
    out = torch.zeros(b, nq, m, d, dtype=value.dtype)
    for bi in range(b):
        for q in range(nq):
            for head in range(m):
                for lvl, (h, w) in enumerate(shapes):
                    img = value[bi, starts[lvl]:starts[lvl] + h * w,
                                head].reshape(h, w, d)
                    for p in range(num_points):
                        x, y = locs[bi, q, head, lvl, p].tolist()
                        out[bi, q, head] += (weights[bi, q, head, lvl, p]
                                             * _bilinear(img, x, y))
    return out.reshape(b, nq, m * d)


def test_function_matches_loop():
    torch.manual_seed(0)
    shapes = [(3, 4), (2, 2), (5, 3)]
    b, nq, m, d, p = 2, 3, 2, 3, 4
    s = sum(h * w for h, w in shapes)
    value = torch.randn(b, s, m, d, dtype=torch.float64)
    # locations include points outside [0, 1] to exercise zero padding
    locs = torch.rand(b, nq, m, len(shapes), p, 2, dtype=torch.float64)
    locs = locs * 1.4 - 0.2
    weights = torch.rand(b, nq, m, len(shapes), p, dtype=torch.float64)
    spatial = torch.tensor(shapes, dtype=torch.long)
    ours = multi_scale_deformable_attention(value, spatial, locs, weights)
    ref = _loop_reference(value, shapes, locs, weights)
    assert ours.shape == (b, nq, m * d)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)


def test_pixel_centre_returns_pixel_value():
    value = torch.arange(12.).view(1, 12, 1, 1)  # one 3x4 level, 1 head
    loc = torch.tensor([(2 + 0.5) / 4, (1 + 0.5) / 3]).view(1, 1, 1, 1, 1, 2)
    out = multi_scale_deformable_attention(
        value, torch.tensor([[3, 4]]), loc, torch.ones(1, 1, 1, 1, 1))
    assert out.item() == pytest.approx(1 * 4 + 2)


def test_module_offsets_and_gradients():
    torch.manual_seed(0)
    attn = MultiScaleDeformableAttention(16, num_heads=2, num_levels=2,
                                         num_points=3)
    shapes = torch.tensor([[4, 4], [2, 2]])
    value = torch.randn(1, 20, 16, requires_grad=True)
    query = torch.randn(1, 5, 16)
    ref = torch.rand(1, 5, 2, 2)
    out = attn(query, ref, value, shapes)
    assert out.shape == (1, 5, 16)
    out.sum().backward()
    assert value.grad is not None and value.grad.abs().sum() > 0
    # initial offsets: head h, point k lies k steps along the head's ray
    bias = attn.sampling_offsets.bias.view(2, 2, 3, 2)
    torch.testing.assert_close(bias[0, 0, 2], torch.tensor([3., 0.]))
    with pytest.raises(ValueError, match='levels'):
        attn(query, ref, value[:, :16], shapes[:1])


def test_padding_mask_zeroes_values():
    torch.manual_seed(1)
    attn = MultiScaleDeformableAttention(8, num_heads=2, num_levels=1,
                                         num_points=2)
    shapes = torch.tensor([[2, 2]])
    value = torch.randn(1, 4, 8)
    query, ref = torch.randn(1, 3, 8), torch.rand(1, 3, 1, 2)
    all_pad = torch.ones(1, 4, dtype=torch.bool)
    out = attn(query, ref, value, shapes, all_pad)
    torch.testing.assert_close(out, attn.output_proj.bias.expand(1, 3, 8))
