"""NOVIS test-time augmentation: views, mapping a view's logits back onto
the plain grid, query matching between views, and the model with it."""
import pytest
import torch

from plugins.novis.tta import (logits_to_reference, match_queries,
                               tta_views, view_input)


def test_views_put_the_plain_view_first():
    assert tta_views() == [(1.0, False)]
    assert tta_views((1.25, 1.0), flip=True) == [
        (1.0, False), (1.0, True), (1.25, False), (1.25, True)]
    with pytest.raises(ValueError, match='> 0'):
        tta_views((0.0, ))


def test_flipped_view_maps_back_exactly():
    frames = torch.rand(2, 3, 64, 96)
    view = view_input(frames, (1.0, True))
    assert torch.equal(view[..., 0], frames[..., -1])
    logits = torch.rand(5, 2, 16, 24)
    assert torch.equal(logits_to_reference(
        logits.flip(-1), (1.0, True), (16, 24)), logits)


def test_every_view_maps_a_stride_4_map_of_its_input_back():
    # a smooth image: a stride-4 "logit" map computed on any view, mapped
    # back, matches the one computed on the plain input
    ys, xs = torch.meshgrid(torch.linspace(0, 1, 64),
                            torch.linspace(0, 1, 96), indexing='ij')
    frames = torch.stack([ys + 2 * xs] * 3)[None]  # (1, 3, 64, 96)

    def logits(x):
        return torch.nn.functional.avg_pool2d(x[:, :1], 4)  # (1, 1, h, w)

    plain = logits(frames)
    for view in tta_views((1.0, 1.25), flip=True):
        back = logits_to_reference(
            logits(view_input(frames, view, size_divisor=32)), view,
            (16, 24))
        inner = (slice(None), slice(None), slice(2, -2), slice(2, -2))
        torch.testing.assert_close(back[inner], plain[inner], atol=0.03,
                                   rtol=0, msg=str(view))


def test_rescaled_view_is_padded_and_maps_back():
    frames = torch.rand(2, 3, 64, 96)
    view = view_input(frames, (1.25, False), size_divisor=32)
    # 16 x 24 cells of stride 4 -> 20 x 30 cells, padded to 96 x 128
    assert view.shape[-2:] == (96, 128)
    assert view[..., 80:, :].abs().sum() == 0
    assert view[..., :, 120:].abs().sum() == 0
    # a logit map that is a smooth ramp over the rescaled frame (and junk in
    # the padding) comes back as the same ramp on the plain grid
    ys = (torch.arange(24).float() + 0.5) / 24
    ramp = ys[:, None].expand(24, 32).clone()
    ramp[20:] = 100.0
    ramp[:, 30:] = -100.0
    back = logits_to_reference(ramp[None, None], (1.25, False),
                               (16, 24))
    assert back.shape == (1, 1, 16, 24)
    expect = (torch.arange(16).float() + 0.5) / 16
    torch.testing.assert_close(back[0, 0, 2:-2, 0], expect[2:-2] * 20 / 24,
                               atol=0.02, rtol=0)


def test_queries_are_matched_through_a_permutation():
    torch.manual_seed(0)
    ref = torch.randn(6, 2, 8, 8) * 4
    embeds = torch.randn(6, 16)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    # the view lists the same queries in another order, slightly perturbed
    view = torch.empty_like(ref)
    view_embeds = torch.empty_like(embeds)
    view[perm] = ref + 0.3 * torch.randn_like(ref)
    view_embeds[perm] = embeds + 0.1 * torch.randn_like(embeds)
    found = match_queries(ref, embeds, view, view_embeds)
    assert torch.equal(found, perm)
    torch.testing.assert_close(view[found], ref, atol=2.0, rtol=0)
