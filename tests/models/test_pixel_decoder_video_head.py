"""Shapes and behaviour of the pixel decoder and the video mask head on CPU
(T=2 frames of 64x64, tiny widths)."""
import pytest
import torch

from vostoolkit.registry import BACKBONES, HEADS, NECKS

B, T, SIZE, C = 1, 2, 64, 32


def _pixel_decoder():
    return NECKS.build(dict(
        type='MSDeformAttnPixelDecoder', in_channels=(8, 16, 32, 64),
        feat_channels=C, out_channels=C, num_encoder_layers=2, num_heads=4,
        ffn_channels=64, num_groups=8))


def _head(**kwargs):
    cfg = dict(type='Mask2FormerVideoHead', num_classes=3, in_channels=C,
               mask_channels=C, embed_dims=C, num_queries=6, num_heads=4,
               num_layers=3, ffn_channels=64, num_points=32, max_frames=4)
    cfg.update(kwargs)
    return HEADS.build(cfg)


def test_pixel_decoder_shapes():
    torch.manual_seed(0)
    backbone = BACKBONES.build(dict(type='ResNet', depth=18,
                                    base_channels=8))
    decoder = _pixel_decoder()
    frames = torch.randn(B * T, 3, SIZE, SIZE)
    mask_feats, multi_scale = decoder(backbone(frames))
    assert mask_feats.shape == (B * T, C, 16, 16)
    assert [tuple(f.shape) for f in multi_scale] == [
        (B * T, C, 2, 2), (B * T, C, 4, 4), (B * T, C, 8, 8)]
    (mask_feats.sum() + sum(f.sum() for f in multi_scale)).backward()
    assert decoder.encoder[0].attn.sampling_offsets.weight.grad is not None
    with pytest.raises(ValueError, match='expects 4 maps'):
        decoder(backbone(frames)[1:])


def test_pixel_decoder_is_frame_independent():
    torch.manual_seed(0)
    decoder = _pixel_decoder().eval()
    feats = [torch.randn(2, c, SIZE // s, SIZE // s)
             for c, s in zip((8, 16, 32, 64), (4, 8, 16, 32))]
    both = decoder(feats)[0]
    first = decoder([f[:1] for f in feats])[0]
    torch.testing.assert_close(both[:1], first, rtol=1e-4, atol=1e-5)


def _clip_inputs():
    ms = [torch.randn(B, T, C, s, s) for s in (2, 4, 8)]
    return ms, torch.randn(B, T, C, 16, 16)


def test_video_head_shapes_and_loss():
    torch.manual_seed(0)
    head = _head()
    ms, mask_feats = _clip_inputs()
    out = head(ms, mask_feats)
    assert len(out['cls_logits']) == len(out['mask_logits']) == 4  # L + 1
    assert out['cls_logits'][-1].shape == (B, 6, 4)
    assert out['mask_logits'][-1].shape == (B, 6, T, 16, 16)
    assert out['embeds'].shape == out['queries'].shape == (B, 6, C)
    assert [m.shape for m in out['memory']] and out['memory'][2].shape == (
        T, 8, 8)
    gt = torch.zeros(2, T, SIZE, SIZE, dtype=torch.bool)
    gt[0, 0, :20, :20] = True  # object 0 occluded on frame 1
    gt[1, :, 30:, 30:] = True
    losses = head.loss(out, [dict(labels=torch.tensor([0, 2]), masks=gt)])
    assert set(losses) == {f'{p}loss_{k}' for p in ('', 'd0.', 'd1.', 'd2.')
                           for k in ('cls', 'mask', 'dice')}
    sum(losses.values()).backward()
    assert head.temporal_encoding.embed.weight.grad.abs().sum() > 0
    assert head.query_feat.weight.grad.abs().sum() > 0


def test_inference_masks_at_level_size_give_the_same_outputs():
    # all_masks=False predicts the intermediate tubes at the next layer's
    # level size (for its attention mask) from resized mask features
    torch.manual_seed(3)
    head = _head(num_layers=4).eval()
    ms = [torch.randn(2, T, C, h, w) for h, w in ((2, 3), (4, 6), (8, 12))]
    mask_feats = torch.randn(2, T, C, 16, 24)
    full = head(ms, mask_feats)
    fast = head(ms, mask_feats, all_masks=False)
    assert len(fast['cls_logits']) == 5 and len(fast['mask_logits']) == 1
    assert fast['mask_logits'][0].shape == (2, 6, T, 16, 24)
    for key in ('embeds', 'queries'):
        torch.testing.assert_close(fast[key], full[key], rtol=0, atol=1e-5)
    torch.testing.assert_close(fast['mask_logits'][-1],
                               full['mask_logits'][-1], rtol=0, atol=1e-5)
    torch.testing.assert_close(fast['cls_logits'][-1],
                               full['cls_logits'][-1], rtol=0, atol=1e-5)
    pred = head.predict(ms, mask_feats)
    torch.testing.assert_close(pred['mask_logits'], full['mask_logits'][-1],
                               rtol=0, atol=1e-5)


def test_temporal_encoding_distinguishes_frames():
    torch.manual_seed(0)
    feats = torch.randn(B, 1, C, 4, 4).expand(-1, T, -1, -1, -1)
    learned = _head().prepare_memory([feats] * 3)[0]
    plain = _head(temporal_encoding='none').prepare_memory([feats] * 3)[0]
    assert not torch.equal(learned.pos[:, :16], learned.pos[:, 16:])
    assert torch.equal(plain.pos[:, :16], plain.pos[:, 16:])
    with pytest.raises(ValueError, match='max_frames'):
        _head().prepare_memory([torch.randn(B, 5, C, 2, 2)] * 3)


def test_attention_mask_rules():
    head = _head()
    logits = torch.full((1, 2, T, 4, 4), -5.0)
    logits[0, 0, 1, :2, :2] = 5.0  # query 0: foreground on frame 1 only
    mask = head.attention_mask(logits, (4, 4))
    assert mask.shape == (1 * 4, 2, T * 16)
    allowed = ~mask[0, 0].view(T, 4, 4)
    assert allowed[1, :2, :2].all() and allowed.sum() == 4
    assert not mask[:, 1].any()  # empty tube: attends everywhere
    logits[0, 0, 0, 3, 3] = 5.0  # query 0 now also on frame 0
    keep = torch.tensor([True, False])
    frame0 = head.attention_mask(logits, (4, 4), frame_keep=keep)
    allowed0 = ~frame0[0, 0].view(T, 4, 4)
    assert allowed0[0, 3, 3] and allowed0.sum() == 1
    logits[0, 0, 0, 3, 3] = -5.0  # tube only outside the kept frames
    frame0 = head.attention_mask(logits, (4, 4), frame_keep=keep)
    assert not frame0[:, 0].any()  # blocked everywhere -> unblocked


def test_pixel_decoder_runs_in_float32_under_autocast():
    torch.manual_seed(0)
    decoder = _pixel_decoder().eval()
    feats = [torch.randn(1, c, SIZE // s, SIZE // s)
             for c, s in zip((8, 16, 32, 64), (4, 8, 16, 32))]
    plain = decoder(feats)[0]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        inside = decoder([f.bfloat16() for f in feats])[0]
    assert inside.dtype == torch.float32
    # only the bfloat16 rounding of the inputs differs
    torch.testing.assert_close(inside, plain, rtol=0.05, atol=0.05)
    decoder.fp32 = False
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert decoder(feats)[0].dtype == torch.bfloat16
