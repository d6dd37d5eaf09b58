"""NOVIS model on tiny synthetic clips: losses, streaming near-online
inference that does not depend on how a video is chunked, and how a video's
tracks are scored (the auxiliary head's class vote, the mask score's
exponent) against hand-computed values."""

import pytest
import torch
from mmengine.structures import InstanceData

import plugins.novis  # noqa: F401
from plugins.novis.inference import VideoTrackResults
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample

C = 32


def _model(**kwargs):
    cfg = dict(
        type='NOVIS',
        data_preprocessor=dict(type='VideoDataPreprocessor',
                               pad_size_divisor=32),
        backbone=dict(type='ResNet', depth=18, base_channels=8),
        pixel_decoder=dict(type='MSDeformAttnPixelDecoder',
                           in_channels=(8, 16, 32, 64), feat_channels=C,
                           out_channels=C, num_encoder_layers=1, num_heads=4,
                           ffn_channels=64, num_groups=8),
        decoder=dict(type='NOVISVideoDecoder', num_classes=2, in_channels=C,
                     mask_channels=C, embed_dims=C, num_queries=4,
                     num_heads=4, num_layers=3, ffn_channels=64,
                     num_points=32, max_frames=4),
        clip_len=4, stride=2, test_cfg=dict(top_k=3))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _train_sample(t=2, h=64, w=64):
    sample = VideoDataSample(metainfo=dict(frame_ids=list(range(t)),
                                           img_shape=(h, w)))
    masks = torch.zeros(3, t, h, w, dtype=torch.bool)
    masks[0, :, 5:20, 5:30] = True
    masks[1, 0, 30:, 30:] = True  # occluded on frame 1
    sample.gt_instances = InstanceData(
        labels=torch.tensor([0, 1, 1]), instance_ids=torch.tensor([1, 2, 3]),
        masks=masks, frame_valid=masks.flatten(2).any(-1))  # tube 2 absent
    return sample


def test_loss_and_backward():
    torch.manual_seed(0)
    model = _model()
    data = model.data_preprocessor(dict(
        inputs=[torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8)
                for _ in range(2)],
        data_samples=[_train_sample(), _train_sample()]), True)
    target = model._targets(data['data_samples'][0], 2, (64, 64))
    assert target['labels'].tolist() == [0, 1]  # absent tube dropped
    losses = model(**data, mode='loss')
    assert {'loss_cls', 'loss_mask', 'loss_dice', 'd0.loss_dice'} <= set(
        losses)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.conv1.weight.grad is not None


def test_auxiliary_semantic_head_trains_the_backbone_only():
    torch.manual_seed(0)
    aux = dict(type='SemanticFPNHead', in_channels=(16, 32, 64),
               num_classes=2, channels=16, num_groups=4,
               upsample_logits=False)
    model = _model(auxiliary_head=aux)
    data = model.data_preprocessor(dict(
        inputs=[torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8)
                for _ in range(2)],
        data_samples=[_train_sample(), _train_sample()]), True)
    losses = model(**data, mode='loss')
    assert {'aux.loss_sem', 'aux.acc_fg', 'loss_cls'} <= set(losses)
    # the head sees every frame's backbone levels 1-3 (strides 8-32) and
    # the category map of its instances
    logits = model.auxiliary_head(
        [f for f in model.backbone(data['inputs'].flatten(0, 1))[1:]])
    from vostoolkit.models.segmentors import FrameSemanticPretrainer
    labels = torch.cat([FrameSemanticPretrainer.frame_labels(s, 2, (64, 64))
                        for s in data['data_samples']])
    want = model.auxiliary_head.loss(logits, labels)['loss_sem']
    assert torch.allclose(losses['aux.loss_sem'], want, atol=1e-5)
    model.zero_grad()
    losses['aux.loss_sem'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.decoder.parameters())
    # inference does not use it: same predictions with or without it
    plain = _model()
    plain.load_state_dict(model.state_dict(), strict=False)
    model.eval(), plain.eval()
    video = _video(6)
    a, b = _stream(model, video, 6), _stream(plain, video, 6)
    assert torch.equal(a.scores, b.scores)


def _video(length, h=48, w=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 255, (length, 3, h, w), generator=g,
                         dtype=torch.uint8)


def _stream(model, video, chunk, ori=(48, 64)):
    model.eval()
    model.reset_video_state()
    length = video.shape[0]
    outputs = []
    for s in range(0, length, chunk):
        ids = list(range(s, min(s + chunk, length)))
        sample = VideoDataSample(metainfo=dict(
            video_id=1, frame_ids=ids, video_length=length,
            is_first=s == 0, is_last=ids[-1] == length - 1,
            img_shape=tuple(video.shape[-2:]), ori_shape=ori))
        data = model.data_preprocessor(
            dict(inputs=[video[ids]], data_samples=[sample]), False)
        out = model(**data, mode='predict')
        if ids[-1] < length - 1:
            assert out == []
        outputs += out
    assert len(outputs) == 1
    return outputs[0].pred_instances


@pytest.mark.parametrize('tracker', [
    dict(type='CosineClipTracker'),
    dict(type='IoUClassClipTracker')])
def test_streaming_is_independent_of_chunking(tracker):
    torch.manual_seed(0)
    model = _model(tracker=tracker)
    video = _video(7)
    whole = _stream(model, video, chunk=7)
    assert len(whole) == 3
    assert all(len(r) == 7 for r in whole.rles)
    assert whole.rles[0][0]['size'] == [48, 64]
    assert isinstance(whole.rles[0][0]['counts'], str)
    assert (whole.scores[:-1] >= whole.scores[1:]).all()
    for chunk in (1, 3):
        other = _stream(model, video, chunk)
        torch.testing.assert_close(other.scores, whole.scores)
        assert other.rles == whole.rles


def test_prediction_at_original_size_and_short_video():
    torch.manual_seed(0)
    model = _model(overlap_embeddings=False)
    pred = _stream(model, _video(2), chunk=1, ori=(96, 128))
    assert pred.rles[0][0]['size'] == [96, 128] and len(pred.rles[0]) == 2


def test_overlap_embeddings_need_the_novis_decoder():
    with pytest.raises(TypeError, match='NOVISVideoDecoder'):
        _model(decoder=dict(type='Mask2FormerVideoHead', num_classes=2,
                            in_channels=C, mask_channels=C, embed_dims=C,
                            num_queries=4, num_heads=4, num_layers=3,
                            ffn_channels=64))


def test_clip_without_objects_and_missing_video_length():
    torch.manual_seed(0)
    model = _model()
    empty = VideoDataSample(metainfo=dict(frame_ids=[0, 1]))
    data = model.data_preprocessor(dict(
        inputs=[torch.zeros(2, 3, 64, 64, dtype=torch.uint8)],
        data_samples=[empty]), True)
    losses = model(**data, mode='loss')
    assert losses['loss_mask'].item() == 0.0
    assert losses['loss_cls'].item() > 0  # every query learns "no object"
    sample = VideoDataSample(metainfo=dict(frame_ids=[0], is_first=True))
    data = model.data_preprocessor(dict(
        inputs=[torch.zeros(1, 3, 64, 64, dtype=torch.uint8)],
        data_samples=[sample]), False)
    with pytest.raises(ValueError, match='video_length'):
        model(**data, mode='predict')


def _masks(pred):
    """(k, T, H, W) bool masks of a prediction's RLEs."""
    import numpy as np
    import pycocotools.mask as mask_utils
    return torch.from_numpy(np.stack([
        np.stack([mask_utils.decode(r) for r in rles]) for rles in pred.rles
    ])).bool()


def test_flip_test_augmentation_makes_predictions_mirror_symmetric():
    # With the flipped views averaged in, a video and its mirror image are
    # two orderings of the same views: the predictions must mirror each
    # other (one clip, so tracking cannot break the symmetry). Without them
    # a (random) model has no reason to be symmetric.
    torch.manual_seed(0)
    video = _video(4)
    ori = tuple(video.shape[-2:])
    plain = _model()
    a = _stream(plain, video, 4, ori)
    b = _stream(plain, video.flip(-1), 4, ori)
    assert not torch.allclose(a.scores, b.scores)
    tta = _model(test_cfg=dict(top_k=3, tta=dict(flip=True)))
    tta.load_state_dict(plain.state_dict())
    assert tta.test_views == [(1.0, False), (1.0, True)]
    a = _stream(tta, video, 4, ori)
    b = _stream(tta, video.flip(-1), 4, ori)
    torch.testing.assert_close(a.scores, b.scores)
    assert torch.equal(a.labels, b.labels)
    assert torch.equal(_masks(a), _masks(b).flip(-1))
    assert _masks(a).any()


def test_rescaled_views_stream_like_the_plain_model():
    torch.manual_seed(0)
    model = _model(test_cfg=dict(top_k=3, tta=dict(scales=(1.0, 1.25, 0.75),
                                                  flip=True)))
    assert len(model.test_views) == 6
    video = _video(7)
    whole = _stream(model, video, chunk=7)
    assert all(len(r) == 7 for r in whole.rles)
    assert whole.rles[0][0]['size'] == [48, 64]
    # the views are cached with the frames, so chunking changes nothing
    other = _stream(model, video, chunk=3)
    torch.testing.assert_close(other.scores, whole.scores)
    assert other.rles == whole.rles
    plain = _model()
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(_stream(plain, video, 7).scores, whole.scores)


def test_mask_score_and_class_probability_rank_the_predictions():
    """Two tracks, 2 classes, one 4 x 4 frame: track 0 covers the left
    half; a prediction's score is its mean class probability over clips
    times its mask score (Mask2Former's)."""
    res = VideoTrackResults(2)
    res.add_class_probs(torch.tensor([[0.6, 0.2], [0.1, 0.1]]))
    res.add_class_probs(torch.tensor([[0.4, 0.2], [0.1, 0.1]]))
    logits = torch.full((2, 4, 4), -5.0)
    logits[0, :, :2] = 5.0
    res.add_frame(0, logits, (4, 4), (4, 4), (4, 4))
    torch.testing.assert_close(res.class_probs(),
                               torch.tensor([[0.5, 0.2], [0.1, 0.1]]))
    top = res.top_k(1, 1)
    mask_score = torch.sigmoid(torch.tensor(5.0)).item()
    assert top.labels.tolist() == [0] and top.track_ids.tolist() == [0]
    torch.testing.assert_close(top.scores, torch.tensor([0.5 * mask_score]))


def test_unknown_test_options_are_refused():
    with pytest.raises(TypeError, match='class_vote'):
        _model(test_cfg=dict(class_vote=0.5))
