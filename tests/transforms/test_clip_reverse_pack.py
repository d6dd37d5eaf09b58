"""Clip reversal and packing into VideoDataSample."""
import numpy as np
import pytest
import torch

from vostoolkit.datasets.transforms import (ClipRandomReverse,
                                            PackVideoInputs, masks_to_bboxes)
from vostoolkit.structures import VideoDataSample
from vostoolkit.utils import DataError


def test_reverse_reorders_every_per_frame_key(make_clip):
    res = make_clip(num_frames=3)
    res['gt_frame_valid'] = [True, False, True]
    res['frame_names'] = [f'{i:05d}' for i in range(6)]  # whole video
    res['img_paths'] = ['a.jpg', 'b.jpg', 'c.jpg']  # narrowed to the clip
    before = {k: list(res[k]) for k in
              ('imgs', 'gt_obj_masks', 'gt_void', 'gt_masks',
               'gt_frame_valid', 'frame_ids')}
    valid = res['gt_instance_valid'].copy()
    out = ClipRandomReverse(prob=1.0)(res)
    assert out['reversed'] is True
    assert out['frame_ids'] == [4, 3, 2]
    assert out['gt_frame_valid'] == [True, False, True][::-1]
    for key, values in before.items():
        for got, want in zip(out[key], values[::-1]):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(out['gt_instance_valid'], valid[:, ::-1])
    assert out['frame_names'] == [f'{i:05d}' for i in range(6)]
    assert out['img_paths'] == ['c.jpg', 'b.jpg', 'a.jpg']
    assert out['obj_first_frames'] == [2, 3]  # video indices, unchanged
    meta = PackVideoInputs()(out)['data_samples'].metainfo
    assert meta['frame_names'] == ['00004', '00003', '00002']
    assert meta['img_paths'] == ['c.jpg', 'b.jpg', 'a.jpg']
    assert meta['reversed'] is True

    out = ClipRandomReverse(prob=0.0)(make_clip())
    assert out['reversed'] is False and out['frame_ids'] == [2, 3, 4]


def test_reverse_rejects_ragged_keys(make_clip):
    res = make_clip()
    res['gt_void'] = res['gt_void'][:2]
    with pytest.raises(DataError, match='toy.*gt_void'):
        ClipRandomReverse(prob=1.0)(res)


def test_pack_vos_fields_and_dtypes(make_clip):
    res = make_clip()
    del res['gt_masks']
    res['obj_first_frames'] = {1: 2, 2: 3}  # dataset-item form
    res['frame_names'] = [f'{i:05d}' for i in range(6)]
    packed = PackVideoInputs()(res)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert isinstance(sample, VideoDataSample)
    assert inputs.dtype == torch.uint8 and tuple(inputs.shape) == (3, 3, 40,
                                                                   48)
    # BGR kept, channels first
    assert torch.equal(inputs[1].permute(1, 2, 0),
                       torch.from_numpy(res['imgs'][1]))
    assert sample.gt_obj_masks.dtype == torch.uint8
    assert tuple(sample.gt_obj_masks.shape) == (3, 40, 48)
    assert sample.gt_void.dtype == torch.bool
    assert torch.equal(sample.gt_void[2], torch.from_numpy(res['gt_void'][2]))
    assert sample.gt_frame_valid.tolist() == [True, True, True]
    assert sample.obj_ids.tolist() == [1, 2]
    assert sample.obj_first_frames.tolist() == [2, 3]
    assert 'gt_instances' not in sample
    meta = sample.metainfo
    assert meta['frame_names'] == ['00002', '00003', '00004']
    assert meta['img_shape'] == (40, 48) and meta['pad_shape'] == (40, 48)
    assert meta['video_name'] == 'toy' and meta['video_length'] == 6
    assert sample.num_frames == 3


def test_pack_vos_without_void_gives_false_void(make_clip):
    res = make_clip()
    del res['gt_void']
    sample = PackVideoInputs()(res)['data_samples']
    assert sample.gt_void.dtype == torch.bool and not sample.gt_void.any()


def test_pack_vis_instances_and_boxes(make_clip):
    res = make_clip()
    for key in ('gt_obj_masks', 'gt_void', 'obj_ids', 'obj_first_frames'):
        del res[key]
    res['task'] = 'vis'
    inst = PackVideoInputs()(res)['data_samples'].gt_instances
    assert inst.instance_ids.tolist() == [11, 12]
    assert inst.labels.tolist() == [0, 2]
    assert inst.masks.dtype == torch.bool
    assert tuple(inst.masks.shape) == (2, 3, 40, 48)
    assert inst.frame_valid.tolist() == [[True] * 3, [False, True, True]]
    assert inst.bboxes.dtype == torch.float32
    assert tuple(inst.bboxes.shape) == (2, 3, 4)
    # object 1 of frame t covers rows 6+3t..17+3t, columns 5..16
    for t in range(3):
        assert inst.bboxes[0, t].tolist() == [5, 6 + 3 * t, 17, 18 + 3 * t]
    assert inst.bboxes[1, 0].tolist() == [0, 0, 0, 0]  # absent
    assert inst.bboxes[1, 2].tolist() == [28, 20, 40, 30]  # 25 + 6 // 2


def test_pack_drops_empty_tubes_on_request(make_clip):
    res = make_clip()
    for m in res['gt_masks']:
        m[1] = 0
    inst = PackVideoInputs()(dict(res))['data_samples'].gt_instances
    assert len(inst) == 2
    inst = PackVideoInputs(drop_empty_instances=True)(res)[
        'data_samples'].gt_instances
    assert inst.instance_ids.tolist() == [11]
    assert tuple(inst.masks.shape) == (1, 3, 40, 48)


def test_masks_to_bboxes():
    masks = torch.zeros(2, 5, 6, dtype=torch.bool)
    masks[0, 1:3, 2:5] = True
    masks[0, 4, 0] = True
    boxes = masks_to_bboxes(masks)
    assert boxes.tolist() == [[0, 1, 5, 5], [0, 0, 0, 0]]


def test_pack_errors(make_clip):
    res = make_clip()
    res['imgs'] = []
    with pytest.raises(DataError, match='toy.*LoadVideoFrames'):
        PackVideoInputs()(res)
    res = make_clip()
    res['gt_masks'] = res['gt_masks'][:2]
    with pytest.raises(DataError, match='toy.*gt_masks'):
        PackVideoInputs()(res)
    res = make_clip()
    res['gt_labels'] = np.array([1])
    with pytest.raises(DataError, match='2 instance tubes'):
        PackVideoInputs()(res)


def test_reverse_then_pack_a_single_frame_clip(make_clip):
    """Image-level training samples clips of one frame: reversing must not
    leave a view that torch cannot take."""
    out = PackVideoInputs()(ClipRandomReverse(prob=1.0)(make_clip(
        num_frames=1)))
    gt = out['data_samples'].gt_instances
    assert gt.frame_valid.shape == (gt.masks.shape[0], 1)
    assert out['inputs'].shape[0] == 1
