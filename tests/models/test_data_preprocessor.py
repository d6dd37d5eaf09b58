"""VideoDataPreprocessor: BGR -> RGB, normalisation, padding of clips and
their ground truth."""
import pytest
import torch
from mmengine.structures import InstanceData

from vostoolkit.models import VideoDataPreprocessor
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample

MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


def make_sample(t, h, w, name='v'):
    sample = VideoDataSample(metainfo=dict(video_name=name, img_shape=(h, w)))
    sample.gt_obj_masks = torch.ones(t, h, w, dtype=torch.uint8)
    sample.gt_void = torch.zeros(t, h, w, dtype=torch.bool)
    inst = InstanceData()
    inst.masks = torch.ones(2, t, h, w, dtype=torch.bool)
    inst.labels = torch.tensor([0, 1])
    sample.gt_instances = inst
    return sample


def make_clip(t, h, w, bgr=(10, 20, 30)):
    clip = torch.empty(t, 3, h, w, dtype=torch.uint8)
    for c, v in enumerate(bgr):
        clip[:, c] = v
    return clip


def test_normalises_rgb_and_pads():
    pre = MODELS.build(dict(type='VideoDataPreprocessor', pad_size_divisor=4))
    assert isinstance(pre, VideoDataPreprocessor)
    data = dict(inputs=[make_clip(2, 5, 6), make_clip(2, 7, 4)],
                data_samples=[make_sample(2, 5, 6, 'a'),
                              make_sample(2, 7, 4, 'b')])
    out = pre(data)
    batch = out['inputs']
    assert batch.dtype == torch.float32
    assert tuple(batch.shape) == (2, 2, 3, 8, 8)
    rgb = (30, 20, 10)  # BGR (10, 20, 30) reversed
    for c in range(3):
        want = (rgb[c] - MEAN[c]) / STD[c]
        assert torch.allclose(batch[0, :, c, :5, :6],
                              torch.full((2, 5, 6), want), atol=1e-5)
        assert torch.allclose(batch[1, :, c, :7, :4],
                              torch.full((2, 7, 4), want), atol=1e-5)
    assert (batch[0, :, :, 5:] == 0).all() and (batch[0, :, :, :, 6:] == 0
                                                 ).all()
    assert (batch[1, :, :, 7:] == 0).all() and (batch[1, :, :, :, 4:] == 0
                                                 ).all()
    for sample, (h, w) in zip(out['data_samples'], [(5, 6), (7, 4)]):
        assert sample.pad_shape == (8, 8)
        assert sample.batch_input_shape == (8, 8)
        assert sample.img_shape == (h, w)
        masks, void = sample.gt_obj_masks, sample.gt_void
        assert masks.dtype == torch.uint8 and tuple(masks.shape) == (2, 8, 8)
        assert masks[:, :h, :w].all() and masks.sum() == 2 * h * w
        assert void.dtype == torch.bool
        assert not void[:, :h, :w].any() and void.sum() == 2 * (64 - h * w)
        inst = sample.gt_instances.masks
        assert inst.dtype == torch.bool and tuple(inst.shape) == (2, 2, 8, 8)
        assert inst.sum() == 4 * h * w


def test_options_and_stacked_input():
    pre = VideoDataPreprocessor(mean=None, std=None, bgr_to_rgb=False,
                                pad_value=-1.0, void_pad_value=False)
    clips = torch.stack([make_clip(3, 4, 4), make_clip(3, 4, 4)])
    out = pre(dict(inputs=clips, data_samples=None))
    assert out['data_samples'] is None
    assert out['inputs'][:, :, 0].eq(10).all()  # untouched BGR values
    pre = VideoDataPreprocessor(pad_value=-1.0, void_pad_value=False,
                                mask_pad_value=255)
    out = pre(dict(inputs=[make_clip(1, 2, 3), make_clip(1, 3, 2)],
                   data_samples=[make_sample(1, 2, 3), make_sample(1, 3, 2)]))
    assert (out['inputs'][0, :, :, 2:] == -1).all()
    sample = out['data_samples'][0]
    assert not sample.gt_void.any()
    assert (sample.gt_obj_masks[:, 2:] == 255).all()


def test_clips_of_different_length_fail_clearly():
    pre = VideoDataPreprocessor()
    data = dict(inputs=[make_clip(2, 4, 4), make_clip(3, 4, 4)],
                data_samples=[make_sample(2, 4, 4, 'bear'),
                              make_sample(3, 4, 4, 'dog')])
    with pytest.raises(ValueError, match='same number of frames.*bear: 2'):
        pre(data)
    with pytest.raises(ValueError, match=r'\(T, 3, H, W\)'):
        pre(dict(inputs=[torch.zeros(2, 1, 4, 4, dtype=torch.uint8)]))
    with pytest.raises(ValueError, match='together'):
        VideoDataPreprocessor(mean=(0, 0, 0), std=None)
