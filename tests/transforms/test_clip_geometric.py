"""Geometric clip transforms: masks follow the frames, parameters recorded."""
import numpy as np
import pytest

from vostoolkit.datasets.transforms import (ClipRandomCrop, ClipRandomFlip,
                                            ClipRandomResize,
                                            ClipRandomRotate, ClipResize)
from vostoolkit.registry import TRANSFORMS
from vostoolkit.utils import DataError


@pytest.mark.parametrize('transform', [
    dict(type='ClipResize', scale=(30, 20), interpolation='nearest'),
    dict(type='ClipResize', scale=(30, 25), keep_ratio=False,
         interpolation='nearest'),
    dict(type='ClipResize', shortest_edge=(28, 56), interpolation='nearest'),
    dict(type='ClipRandomResize', ratio_range=(0.75, 1.25),
         interpolation='nearest'),
    dict(type='ClipRandomCrop', crop_size=(24, 30)),
    dict(type='ClipRandomCrop', crop_size=(50, 30), void_outside=False),
    dict(type='ClipRandomFlip', prob=1.0),
    dict(type='ClipRandomFlip', prob=1.0, direction='vertical'),
    dict(type='ClipRandomRotate', max_angle=30, prob=1.0,
         interpolation='nearest', void_outside=False),
])
def test_masks_follow_frames(make_clip, aligned, transform):
    np.random.seed(3)
    res = make_clip()
    aligned(res)
    before = [m.copy() for m in res['gt_obj_masks']]
    out = TRANSFORMS.build(transform)(res)
    aligned(out)
    changed = any(a.shape != b.shape or not np.array_equal(a, b)
                  for a, b in zip(before, out['gt_obj_masks']))
    assert changed, 'the transform left the clip as it was'
    assert out['gt_void'][0].dtype == bool
    assert out['gt_masks'][0].dtype == np.uint8


def test_resize_keep_ratio_and_scale_factor(make_clip):
    out = ClipResize(scale=(30, 20))(make_clip(h=40, w=48))
    # long edge 48 -> <= 30 and short edge 40 -> <= 20: factor 0.5
    assert out['img_shape'] == (20, 24)
    assert out['scale_factor'] == pytest.approx((0.5, 0.5))
    out = ClipResize(scale=(30, 25), keep_ratio=False)(make_clip(h=40, w=48))
    assert out['img_shape'] == (25, 30)
    assert out['scale_factor'] == pytest.approx((30 / 48, 25 / 40))


def test_shortest_edge_range_choices_and_max_size(make_clip):
    np.random.seed(0)
    t = ClipResize(shortest_edge=(20, 30))
    shorts = {min(t(make_clip(h=40, w=48))['img_shape']) for _ in range(30)}
    assert shorts <= set(range(20, 31)) and len(shorts) > 3
    t = ClipResize(shortest_edge=[16, 32])
    shorts = {min(t(make_clip(h=40, w=48))['img_shape']) for _ in range(20)}
    assert shorts == {16, 32}
    out = ClipResize(shortest_edge=36)(make_clip(h=40, w=48))
    assert out['img_shape'] == (36, 43)  # 48 * 0.9 = 43.2
    out = ClipResize(shortest_edge=36, max_size=40)(make_clip(h=40, w=48))
    assert out['img_shape'] == (33, 40)
    # composed with a later random resize
    out = ClipRandomResize(ratio_range=(0.5, 0.5))(out)
    assert out['img_shape'] == (17, 20)
    assert out['scale_factor'] == pytest.approx((20 / 48, 17 / 40))
    assert out['resize_ratio'] == 0.5


def test_crop_pads_when_smaller_and_marks_void(make_clip, colours):
    np.random.seed(0)
    res = make_clip(h=20, w=24)
    out = ClipRandomCrop(crop_size=(32, 30))(res)
    assert out['img_shape'] == (32, 30)
    assert out['crop_bbox'] == (0, 0, 30, 32)
    for img, ids, void in zip(out['imgs'], out['gt_obj_masks'],
                              out['gt_void']):
        assert (img[20:] == 0).all() and (img[:, 24:] == 0).all()
        assert (ids[20:] == 0).all() and (ids[:, 24:] == 0).all()
        assert void[20:].all() and void[:, 24:].all()
        np.testing.assert_array_equal(void[:20, :24],
                                      colours['mask'](img[:20, :24],
                                                      colours['green']))
    out = ClipRandomCrop(crop_size=(32, 30), pad_if_smaller=False)(
        make_clip(h=20, w=24))
    assert out['img_shape'] == (20, 24)


def test_crop_window_is_recorded(make_clip):
    np.random.seed(1)
    res = make_clip()
    originals = [img.copy() for img in res['imgs']]
    out = ClipRandomCrop(crop_size=(16, 20))(res)
    x1, y1, x2, y2 = out['crop_bbox']
    assert (x2 - x1, y2 - y1) == (20, 16)
    for img, orig in zip(out['imgs'], originals):
        np.testing.assert_array_equal(img, orig[y1:y2, x1:x2])


def test_crop_keeps_foreground(make_clip):
    np.random.seed(0)

    def hits(**kwargs):
        count = 0
        for _ in range(10):
            res = make_clip(h=40, w=48)
            for m in res['gt_obj_masks']:
                m[:] = 0
            res['gt_obj_masks'][0][36:, 44:] = 1  # 4x4 object in a corner
            out = ClipRandomCrop(crop_size=(12, 12), **kwargs)(res)
            count += bool(out['gt_obj_masks'][0].any())
        return count

    assert hits() < 5  # a plain crop rarely meets the corner
    assert hits(min_fg_pixels=1, max_tries=1000) == 10
    with pytest.raises(ValueError, match='fg_frames'):
        ClipRandomCrop(crop_size=(8, 8), fg_frames='middle')


def test_flip_and_rotate_record_params(make_clip, colours):
    np.random.seed(0)
    res = make_clip()
    originals = [img.copy() for img in res['imgs']]
    out = ClipRandomFlip(prob=1.0)(res)
    assert out['flip'] is True and out['flip_direction'] == 'horizontal'
    for img, orig in zip(out['imgs'], originals):
        np.testing.assert_array_equal(img, orig[:, ::-1])
    out = ClipRandomFlip(prob=0.0)(make_clip())
    assert out['flip'] is False and out['flip_direction'] is None

    out = ClipRandomRotate(max_angle=30, prob=1.0,
                           interpolation='nearest')(make_clip())
    assert 0 < abs(out['rotate_angle']) <= 30
    # corners come from outside: black image, no object, void by default
    for img, ids, void in zip(out['imgs'], out['gt_obj_masks'],
                              out['gt_void']):
        assert void[0, 0] and void[-1, -1] or void[0, -1] and void[-1, 0]
        outside = void & ~colours['mask'](img, colours['green'])
        assert outside.any() and (img[outside] == 0).all()
        assert (ids[outside] == 0).all()
    out = ClipRandomRotate(prob=0.0)(make_clip())
    assert out['rotate_angle'] == 0.0


def test_vis_only_and_empty_instances(make_clip):
    res = make_clip()
    for key in ('gt_obj_masks', 'gt_void'):
        res.pop(key)
    res['gt_masks'] = [np.zeros((0, 40, 48), np.uint8) for _ in range(3)]
    out = ClipRandomRotate(prob=1.0)(ClipResize(scale=(24, 20))(res))
    assert [m.shape for m in out['gt_masks']] == [(0, 20, 24)] * 3
    assert 'gt_obj_masks' not in out and 'gt_void' not in out


def test_many_instances_are_warped_in_chunks(make_clip):
    res = make_clip()
    stacks = [np.stack([m[i % 2] for i in range(9)]) for m in res['gt_masks']]
    res['gt_masks'] = stacks
    out = ClipRandomFlip(prob=1.0)(ClipResize(scale=(30, 20))(res))
    for stack, ids in zip(out['gt_masks'], out['gt_obj_masks']):
        assert stack.shape == (9, 20, 24)
        for i in range(9):
            np.testing.assert_array_equal(stack[i].astype(bool),
                                          ids == 1 + i % 2)


def test_clip_with_frames_of_different_sizes_fails(make_clip):
    res = make_clip()
    res['imgs'][1] = res['imgs'][1][:30]
    with pytest.raises(DataError, match='toy.*differ in size'):
        ClipRandomFlip(prob=1.0)(res)


def test_bad_arguments():
    with pytest.raises(ValueError, match='exactly one'):
        ClipResize()
    with pytest.raises(ValueError, match='interpolation'):
        ClipResize(scale=(4, 4), interpolation='cubic-ish')
    with pytest.raises(ValueError, match='ratio_range'):
        ClipRandomResize(ratio_range=(1.2, 0.8))
    with pytest.raises(ValueError, match='direction'):
        ClipRandomFlip(direction='diagonal')
    with pytest.raises(ValueError, match='crop_size'):
        ClipRandomCrop(crop_size=(0, 4))
