"""Class CE, per-frame mask BCE and volumetric dice against hand values."""
import math

import pytest
import torch

from vostoolkit.registry import LOSSES

LN3 = math.log(3.0)


def test_per_frame_bce_hand_computed():
    loss = LOSSES.build(dict(type='MaskBCELoss', loss_weight=1.0))
    # tube 0: frame 0 logits 0 -> ln 2 per point; frame 1 sigmoid 3/4 and
    # 1/4 against label 1 -> ln(4/3) and ln 4.
    logits = torch.tensor([[[0.0, 0.0], [LN3, -LN3]]])
    labels = torch.tensor([[[1.0, 0.0], [1.0, 1.0]]])
    frame0 = math.log(2)
    frame1 = (math.log(4 / 3) + math.log(4)) / 2
    expected = (frame0 + frame1) / 2
    assert loss(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    # two tubes, the second all-occluded (empty target) with logit 0:
    # each frame ln 2; summed over tubes, divided by avg_factor and weighted
    loss5 = LOSSES.build(dict(type='MaskBCELoss', loss_weight=5.0))
    logits2 = torch.cat([logits, torch.zeros(1, 2, 2)])
    labels2 = torch.cat([labels, torch.zeros(1, 2, 2)])
    value = loss5(logits2, labels2, avg_factor=4)
    assert value.item() == pytest.approx(5 * (expected + math.log(2)) / 4,
                                         rel=1e-6)


def test_per_frame_bce_weighs_frames_equally():
    """Frames are averaged, not pixels: a frame's share does not depend on
    how many of its points are foreground."""
    loss = LOSSES.build(dict(type='MaskBCELoss'))
    logits = torch.zeros(1, 2, 4)
    labels = torch.zeros(1, 2, 4)
    labels[0, 0] = 1
    assert loss(logits, labels).item() == pytest.approx(math.log(2))
    assert loss(logits[:, 0], labels[:, 0]).item() == pytest.approx(
        math.log(2))  # (M, P) input is one frame


def test_volumetric_and_per_frame_dice_hand_computed():
    logits = torch.tensor([[[LN3, -LN3], [0.0, 0.0]]])  # s = .75 .25 | .5 .5
    labels = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    vol = LOSSES.build(dict(type='DiceLoss', volumetric=True))
    # inter .75, sum s 2, sum y 1: 1 - (1.5 + 1) / (2 + 1 + 1)
    assert vol(logits, labels).item() == pytest.approx(0.375, rel=1e-6)
    per = LOSSES.build(dict(type='DiceLoss', volumetric=False))
    # frame 0: 1 - 2.5 / 3; frame 1 (target empty): 1 - 1 / 2
    assert per(logits, labels).item() == pytest.approx(
        (1 / 6 + 0.5) / 2, rel=1e-6)
    weighted = LOSSES.build(dict(type='DiceLoss', loss_weight=5.0))
    assert weighted(logits, labels, avg_factor=2).item() == pytest.approx(
        5 * 0.375 / 2, rel=1e-6)


def test_cross_entropy_no_object_weight():
    loss = LOSSES.build(dict(type='CrossEntropyLoss', loss_weight=2.0,
                             no_object_weight=0.1))
    logits = torch.tensor([[math.log(2), 0.0, 0.0], [0.0, 0.0, 0.0]])
    labels = torch.tensor([0, 2])
    # CE: ln 2 (p = 1/2) and ln 3 (no object, weight 0.1); weighted mean
    expected = 2.0 * (math.log(2) + 0.1 * LN3) / 1.1
    assert loss(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    same = LOSSES.build(dict(type='CrossEntropyLoss', loss_weight=2.0,
                             class_weight=[1.0, 1.0, 0.1]))
    assert same(logits, labels).item() == pytest.approx(expected, rel=1e-6)


def test_bad_shapes_raise():
    loss = LOSSES.build(dict(type='DiceLoss'))
    with pytest.raises(ValueError, match='differ in shape'):
        loss(torch.zeros(1, 2, 3), torch.zeros(1, 2, 4))
    ce = LOSSES.build(dict(type='CrossEntropyLoss', class_weight=[1.0]))
    with pytest.raises(ValueError, match='class_weight'):
        ce(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
