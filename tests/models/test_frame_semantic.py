"""Frame-level semantic pretraining: label maps from instance tubes, the
weighted per-pixel loss, learning on a tiny clip, and prediction."""
import pytest
import torch
from mmengine.structures import InstanceData

from vostoolkit.registry import HEADS, MODELS
from vostoolkit.structures import VideoDataSample


def _sample(t=2, h=32, w=48, img_shape=None):
    sample = VideoDataSample(metainfo=dict(
        frame_ids=list(range(t)), img_shape=img_shape or (h, w)))
    masks = torch.zeros(2, t, h, w, dtype=torch.bool)
    masks[0, :, 2:10, 3:12] = True
    masks[1, 1, 20:30, 30:40] = True  # only on frame 1
    sample.gt_instances = InstanceData(
        labels=torch.tensor([2, 0]), instance_ids=torch.tensor([5, 6]),
        masks=masks)
    return sample


def _model(num_classes=3):
    return MODELS.build(dict(
        type='FrameSemanticPretrainer',
        data_preprocessor=dict(type='VideoDataPreprocessor',
                               pad_size_divisor=32),
        backbone=dict(type='ResNet', depth=18, base_channels=8),
        head=dict(type='SemanticFPNHead', in_channels=(16, 32, 64),
                  num_classes=num_classes, channels=16, num_groups=4),
        in_levels=(1, 2, 3)))


def test_frame_labels_follow_masks_and_mark_padding():
    from vostoolkit.models.segmentors import FrameSemanticPretrainer
    labels = FrameSemanticPretrainer.frame_labels(
        _sample(img_shape=(30, 40)), 2, (32, 64))
    assert labels.shape == (2, 32, 64)
    assert (labels[:, 2:10, 3:12] == 3).all()  # category 2 -> 3
    assert (labels[1, 20:30, 30:40] == 1).all()  # category 0 -> 1
    assert (labels[0, 20:30, 30:40] == 0).all()  # absent on frame 0
    assert (labels[:, 30:] == -1).all() and (labels[:, :, 40:] == -1).all()
    fg = labels[:, :30, :40] > 0
    assert int(fg.sum()) == 2 * 8 * 9 + 10 * 10


def test_head_loss_weights_background_and_ignores_padding():
    head = HEADS.build(dict(type='SemanticFPNHead', in_channels=(4,),
                            num_classes=2, channels=8, num_groups=2,
                            background_weight=0.5))
    logits = torch.randn(1, 3, 2, 2)
    labels = torch.tensor([[[0, 1], [2, -1]]])
    got = head.loss(logits, labels)
    flat = logits.flatten(2)[0].T  # (4, 3): pixels x classes
    ce = -flat.log_softmax(1)[torch.arange(3), torch.tensor([0, 1, 2])]
    want = (0.5 * ce[0] + ce[1] + ce[2]) / 2.5  # weighted mean, -1 dropped
    assert torch.allclose(got['loss_sem'], want, atol=1e-6)
    hits = (flat[1].argmax() == 1).float() + (flat[2].argmax() == 2).float()
    assert torch.allclose(got['acc_fg'], hits / 2)
    out = head([torch.randn(2, 4, 5, 6)])
    assert out.shape == (2, 3, 5, 6)


def test_head_loss_at_the_logits_scale_reads_cell_centres():
    from vostoolkit.models.heads.semantic_fpn_head import sample_cell_centres
    labels = torch.arange(8 * 12).view(1, 8, 12)
    # 2 x 3 cells of 4 x 4 pixels: centres at rows 2, 6 and columns 2, 6, 10
    assert sample_cell_centres(labels, (2, 3)).tolist() == [
        [[26, 30, 34], [74, 78, 82]]]
    head = HEADS.build(dict(type='SemanticFPNHead', in_channels=(4,),
                            num_classes=2, channels=8, num_groups=2,
                            background_weight=0.5, upsample_logits=False))
    logits = torch.randn(1, 3, 2, 2)
    labels = torch.full((1, 8, 8), 7)  # 7 never read: only the centres are
    labels[0, 2, 2], labels[0, 2, 6], labels[0, 6, 2], labels[0, 6, 6] = (
        0, 1, 2, -1)
    got = head.loss(logits, labels)
    flat = logits.flatten(2)[0].T  # (4, 3): cells x classes
    ce = -flat.log_softmax(1)[torch.arange(3), torch.tensor([0, 1, 2])]
    want = (0.5 * ce[0] + ce[1] + ce[2]) / 2.5
    assert torch.allclose(got['loss_sem'], want, atol=1e-6)


def test_pretrainer_learns_a_tiny_clip_and_predicts():
    torch.manual_seed(0)
    model = _model()
    img = torch.full((2, 3, 32, 48), 60, dtype=torch.uint8)
    img[:, 0, 2:10, 3:12] = 250  # a red object ...
    img[1, 2, 20:30, 30:40] = 250  # ... and a blue one on frame 1
    data = model.data_preprocessor(
        dict(inputs=[img], data_samples=[_sample()]), True)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    first = None
    for _ in range(30):
        losses = model(**data, mode='loss')
        assert set(losses) == {'loss_sem', 'acc_fg'}
        opt.zero_grad()
        losses['loss_sem'].backward()
        opt.step()
        first = first if first is not None else losses['loss_sem'].item()
    assert losses['loss_sem'].item() < 0.3 * first
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(
            dict(inputs=[img], data_samples=[_sample()]), False),
            mode='predict')
    pred = out[0].pred_sem_seg
    assert pred.shape == (2, 32, 48)  # padding (to 64 wide) cropped
    assert (pred[:, 4:8, 5:10] == 3).all()
    assert (pred[1, 22:28, 32:38] == 1).all()


def test_head_needs_classes_and_levels():
    with pytest.raises(ValueError, match='num_classes'):
        HEADS.build(dict(type='SemanticFPNHead', in_channels=(),
                         num_classes=2))

