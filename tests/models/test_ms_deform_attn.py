"""Multi-scale deformable attention: the plain implementation against a loop,
the gather implementation against the plain one."""
import math

import pytest
import torch

from vostoolkit.models.layers import (MultiScaleDeformableAttention,
                                      deformable_attention,
                                      gather_deformable_attention,
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


# ---------------------------------------------------------------- gather
# Level shapes: square, wide, tall, a single row / column, a 1x1 map.
GATHER_CASES = [
    [(3, 4), (2, 2), (5, 3)],
    [(6, 10), (3, 5), (2, 3)],
    [(1, 7), (9, 1), (1, 1)],
    [(12, 20)],
]


def _random_inputs(shapes, b, nq, m, d, p, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    s = sum(h * w for h, w in shapes)
    value = torch.randn(b, s, m, d, generator=gen, dtype=dtype)
    # [-0.5, 1.5): about half the points outside the map, some far outside
    locs = torch.rand(b, nq, m, len(shapes), p, 2, generator=gen,
                      dtype=dtype) * 2 - 0.5
    weights = torch.rand(b, nq, m, len(shapes), p, generator=gen,
                         dtype=dtype)
    return value, torch.tensor(shapes), locs, weights


@pytest.mark.parametrize('shapes', GATHER_CASES)
def test_gather_matches_plain_forward_and_gradients(shapes):
    value, spatial, locs, weights = _random_inputs(
        shapes, b=2, nq=7, m=3, d=5, p=4, dtype=torch.float32, seed=len(
            shapes))
    grads = {}
    for name, fn in (('plain', multi_scale_deformable_attention),
                     ('gather', gather_deformable_attention)):
        inputs = [x.clone().requires_grad_() for x in (value, locs, weights)]
        out = fn(inputs[0], spatial, inputs[1], inputs[2])
        # a fixed random upstream gradient, so every output element counts
        out.backward(torch.randn(out.shape,
                                 generator=torch.Generator().manual_seed(1)))
        grads[name] = [out.detach()] + [x.grad for x in inputs]
    for what, ref, got in zip(('output', 'value', 'locations', 'weights'),
                              grads['plain'], grads['gather']):
        # location gradients scale with the map size: compare relatively
        scale = max(1.0, ref.abs().max().item())
        torch.testing.assert_close(got / scale, ref / scale, rtol=0,
                                   atol=1e-5, msg=f'{what} differs')


def test_gather_matches_plain_float64_and_far_outside_points():
    shapes = [(5, 8), (3, 4)]
    value, spatial, locs, weights = _random_inputs(
        shapes, b=1, nq=6, m=2, d=3, p=3, dtype=torch.float64, seed=3)
    locs[0, 0] = -3.0  # far left/above: every tap outside
    locs[0, 1] = 4.0  # far right/below
    locs[0, 2, :, :, :, 0] = 0.0  # on the left edge (half a pixel out)
    locs[0, 3, :, :, :, 1] = 1.0  # on the bottom edge
    ours = gather_deformable_attention(value, spatial, locs, weights)
    ref = multi_scale_deformable_attention(value, spatial, locs, weights)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    assert ours[0, :2].abs().max() == 0
    inputs = [x.clone().requires_grad_() for x in (value, locs, weights)]
    assert torch.autograd.gradcheck(
        lambda v, lo, w: gather_deformable_attention(v, spatial, lo, w),
        inputs)


def test_gather_handles_no_queries():
    value, spatial, locs, weights = _random_inputs(
        [(2, 3)], b=2, nq=0, m=2, d=4, p=2, dtype=torch.float32, seed=0)
    out = gather_deformable_attention(value, spatial, locs, weights)
    assert out.shape == (2, 0, 8)


def test_module_impls_agree_and_unknown_impl_fails():
    torch.manual_seed(2)
    attn = MultiScaleDeformableAttention(64, num_heads=4, num_levels=3,
                                         num_points=4)
    shapes = torch.tensor([[4, 6], [2, 3], [8, 12]])
    s = int(shapes.prod(1).sum())
    query, value = torch.randn(2, s, 64), torch.randn(2, s, 64)
    ref = torch.rand(2, s, 3, 2)
    outs, grads = {}, {}
    for impl in ('plain', 'gather', 'auto'):
        attn.impl = impl
        attn.zero_grad()
        outs[impl] = attn(query, ref, value, shapes)
        outs[impl].square().sum().backward()
        grads[impl] = attn.sampling_offsets.weight.grad.clone()
    for impl in ('gather', 'auto'):
        torch.testing.assert_close(outs[impl], outs['plain'], rtol=0,
                                   atol=1e-5)
        torch.testing.assert_close(grads[impl], grads['plain'], rtol=1e-4,
                                   atol=1e-4)
    attn.impl = 'grid'
    with pytest.raises(ValueError, match="impl must be one of"):
        attn(query, ref, value, shapes)
    with pytest.raises(RuntimeError, match='CUDA'):
        deformable_attention(value.view(2, s, 4, 16), shapes,
                             torch.rand(2, s, 4, 3, 4, 2),
                             torch.rand(2, s, 4, 3, 4), impl='fused')


def test_unfused_formulation_matches_plain():
    # the plain-indexing form that torch.compile turns into the fused kernel
    from vostoolkit.models.layers.ms_deform_attn_gather import \
        _gather_attention
    shapes = [(6, 10), (3, 5), (1, 3)]
    value, spatial, locs, weights = _random_inputs(
        shapes, b=2, nq=9, m=2, d=4, p=3, dtype=torch.float64, seed=4)
    inputs = [x.clone().requires_grad_() for x in (value, locs, weights)]
    out = _gather_attention(inputs[0], shapes, inputs[1], inputs[2],
                            fused_sum=False)
    out.sum().backward()
    ref_inputs = [x.clone().requires_grad_() for x in (value, locs, weights)]
    ref = multi_scale_deformable_attention(ref_inputs[0], spatial,
                                           ref_inputs[1], ref_inputs[2])
    ref.sum().backward()
    torch.testing.assert_close(out, ref)
    for got, want in zip(inputs, ref_inputs):
        torch.testing.assert_close(got.grad, want.grad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_fused_matches_plain_on_cuda():
    value, spatial, locs, weights = _random_inputs(
        [(6, 10), (3, 5), (2, 3)], b=2, nq=40, m=4, d=8, p=4,
        dtype=torch.float32, seed=5)
    args = [x.cuda() for x in (value, spatial, locs, weights)]
    ref = multi_scale_deformable_attention(*args)
    out = deformable_attention(*args, impl='auto')
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)
