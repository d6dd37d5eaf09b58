"""BaseVideoSegmentor dispatch and the MaskPropagationBaseline model:
soft aggregation, per-video state, late objects, output size."""
import pytest
import torch

from vostoolkit.models.segmentors import (BaseVideoSegmentor,
                                          MaskPropagationBaseline,
                                          soft_aggregate)
from vostoolkit.structures import VideoDataSample

H, W = 24, 32


def _model() -> MaskPropagationBaseline:
    torch.manual_seed(0)
    return MaskPropagationBaseline(
        backbone=dict(type='ResNet', depth=18, in_channels=8, base_channels=4,
                      out_indices=('layer1', 'layer2')),
        head=dict(type='MaskPropagationHead', channels=4))


def _chunk(frame_ids, masks, obj_ids=None, first=None, **meta):
    meta = dict(dict(img_shape=(H, W), ori_shape=(H, W)), **meta)
    sample = VideoDataSample(metainfo=dict(frame_ids=frame_ids, **meta))
    sample.gt_obj_masks = masks
    if obj_ids is not None:
        sample.obj_ids = obj_ids
        sample.obj_first_frames = first
    frames = torch.randint(0, 255, (len(frame_ids), 3, H, W),
                           dtype=torch.uint8)
    return dict(inputs=[frames], data_samples=[sample])


def test_soft_aggregate_is_a_distribution_that_follows_confidence():
    probs = torch.tensor([[[0.9, 0.1]], [[0.2, 0.05]]])  # (O=2, 1, 2)
    dist = soft_aggregate(probs).softmax(0)  # (3, 1, 2)
    assert torch.allclose(dist.sum(0), torch.ones(1, 2))
    assert dist[:, 0, 0].argmax() == 1  # object 1 wins where it is sure
    assert dist[:, 0, 1].argmax() == 0  # background where nobody is


def test_forward_modes_and_abstractness():
    model = _model()
    with pytest.raises(ValueError, match="mode must be 'loss'"):
        model(torch.zeros(1, 2, 3, H, W), [], mode='bogus')
    with pytest.raises(TypeError):
        BaseVideoSegmentor()  # abstract


def test_loss_is_finite_and_trains_every_parameter():
    model = _model().train()
    masks = torch.zeros(3, H, W, dtype=torch.uint8)
    masks[:, 2:10, 3:12] = 1
    masks[:, 12:20, 15:30] = 2
    data = model.data_preprocessor(_chunk([0, 1, 2], masks), True)
    losses = model(**data, mode='loss')
    losses['loss_ce'].backward()
    assert torch.isfinite(losses['loss_ce']) and losses['loss_ce'] > 0
    assert all(p.grad is not None for p in model.parameters()
               if p.requires_grad)
    # a clip without objects on its reference frame still gives a loss
    empty = model.data_preprocessor(
        _chunk([0, 1], torch.zeros(2, H, W, dtype=torch.uint8)), True)
    assert model(**empty, mode='loss')['loss_ce'] == 0


def test_predict_keeps_state_per_video_and_adds_late_objects():
    model = _model().eval()
    masks = torch.zeros(4, H, W, dtype=torch.uint8)
    masks[:, 2:10, 3:12] = 1
    masks[2:, 14:22, 18:30] = 3  # object 3 is given on frame 2
    ids, first = torch.tensor([1, 3]), torch.tensor([0, 2])
    model.reset_video_state()
    with torch.no_grad():
        out1 = model.test_step(_chunk([0, 1], masks[:2], ids, first))
        assert model.state.obj_ids == [1]
        out2 = model.test_step(_chunk([2, 3], masks[2:], ids, first,
                                      ori_shape=(48, 64)))
    assert model.state.obj_ids == [1, 3]
    assert out1[0].pred_obj_masks.shape == (2, H, W)
    assert out2[0].pred_obj_masks.shape == (2, 48, 64)  # at ori_shape
    given = out1[0].pred_obj_masks[0]
    assert torch.equal(given == 1, masks[0] == 1)  # the given first mask
    # the late object's given mask overrides object 1 on frame 2
    late = torch.nn.functional.interpolate(
        (masks[2:3] == 3).float()[None], size=(48, 64))[0, 0] > 0.5
    assert (out2[0].pred_obj_masks[0][late] == 3).float().mean() > 0.95
    model.reset_video_state()
    assert model.state.obj_ids == [] and model.state.prev_probs is None
