"""One augmented clip gets the same flip, scale, crop, rotation and colour
jitter on every frame, and the recorded parameters are the ones applied."""
import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from vostoolkit.datasets.transforms import ClipColorJitter
from vostoolkit.datasets.transforms.photometric import jitter_image
from vostoolkit.registry import TRANSFORMS

PIPELINE = [
    dict(type='ClipResize', shortest_edge=(36, 48)),
    dict(type='ClipRandomResize', ratio_range=(0.8, 1.2)),
    dict(type='ClipRandomCrop', crop_size=(32, 32)),
    dict(type='ClipRandomFlip', prob=1.0),
    dict(type='ClipRandomRotate', max_angle=30, prob=1.0),
    dict(type='ClipColorJitter', brightness=0.3, contrast=0.3,
         saturation=0.3, hue=0.05),
]
PER_FRAME = ('imgs', 'gt_obj_masks', 'gt_void', 'gt_masks')


def run_pipeline(results, pipeline=PIPELINE):
    for cfg in pipeline:
        results = TRANSFORMS.build(cfg)(results)
    return results


def replay(arr, hw0, res, interp, border, flip=None, angle=None):
    """Apply the recorded parameters of ``res`` to one original frame."""
    flip = res['flip'] if flip is None else flip
    angle = res['rotate_angle'] if angle is None else angle
    arr = cv2.resize(arr, tuple(res['scale']), interpolation=interp)
    w2 = int(round(res['scale_factor'][0] * hw0[1]))
    h2 = int(round(res['scale_factor'][1] * hw0[0]))
    arr = cv2.resize(arr, (w2, h2), interpolation=interp)
    x1, y1, x2, y2 = res['crop_bbox']
    canvas = np.full((max(h2, y2), max(w2, x2)) + arr.shape[2:], border,
                     arr.dtype)
    canvas[:h2, :w2] = arr
    arr = canvas[y1:y2, x1:x2]
    if flip:
        arr = arr[:, ::-1]
    h, w = arr.shape[:2]
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1)
    return cv2.warpAffine(np.ascontiguousarray(arr), matrix, (w, h),
                          flags=interp, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(border, ) * 4)


def replay_frame(img, ids, void, res, **kwargs):
    hw0 = img.shape[:2]
    out_img = replay(img, hw0, res, cv2.INTER_LINEAR, 0, **kwargs)
    out_img = jitter_image(out_img, res['color_jitter'])
    out_ids = replay(ids, hw0, res, cv2.INTER_NEAREST, 0, **kwargs)
    out_void = replay(void.astype(np.uint8), hw0, res, cv2.INTER_NEAREST, 1,
                      **kwargs).astype(bool)
    return out_img, out_ids, out_void


@pytest.mark.parametrize('seed', range(4))
def test_identical_frames_stay_identical(make_clip, seed):
    np.random.seed(seed)
    res = make_clip(num_frames=3, identical=True)
    orig = (res['imgs'][0].copy(), res['gt_obj_masks'][0].copy(),
            res['gt_void'][0].copy())
    out = run_pipeline(res)
    # the same random draw reached every frame of every key
    for key in PER_FRAME:
        for t in range(1, 3):
            np.testing.assert_array_equal(out[key][t], out[key][0])
    # recorded parameters: one of each, of the expected kind
    assert out['img_shape'] == (32, 32)
    assert out['flip'] is True and 0 < abs(out['rotate_angle']) <= 30
    assert out['scale_factor'] != pytest.approx((1.0, 1.0))
    x1, y1, x2, y2 = out['crop_bbox']
    assert (x2 - x1, y2 - y1) == (32, 32)
    assert isinstance(out['color_jitter'], dict)
    # ... and they are what was applied: replaying them on the original
    # frame gives the output, while leaving out flip or rotation does not
    expected = replay_frame(*orig, out)
    for got, want in zip((out['imgs'][0], out['gt_obj_masks'][0],
                          out['gt_void'][0]), expected):
        np.testing.assert_array_equal(got, want)
    no_flip = replay_frame(*orig, out, flip=False)[1]
    no_rotation = replay_frame(*orig, out, angle=0.0)[1]
    assert not np.array_equal(no_flip, out['gt_obj_masks'][0])
    assert not np.array_equal(no_rotation, out['gt_obj_masks'][0])


def test_every_frame_replays_with_the_clip_params(make_clip):
    np.random.seed(11)
    res = make_clip(num_frames=3)
    originals = [(img.copy(), ids.copy(), void.copy()) for img, ids, void in
                 zip(res['imgs'], res['gt_obj_masks'], res['gt_void'])]
    out = run_pipeline(res)
    assert not np.array_equal(out['imgs'][0], out['imgs'][1])
    for t, orig in enumerate(originals):
        want_img, want_ids, want_void = replay_frame(*orig, out)
        np.testing.assert_array_equal(out['imgs'][t], want_img)
        np.testing.assert_array_equal(out['gt_obj_masks'][t], want_ids)
        np.testing.assert_array_equal(out['gt_void'][t], want_void)
        for k in range(2):  # instance masks follow the object masks
            np.testing.assert_array_equal(out['gt_masks'][t][k],
                                          want_ids == k + 1)


def test_mmengine_compose_builds_the_pipeline(make_clip):
    np.random.seed(0)
    with DefaultScope.overwrite_default_scope('vostoolkit'):
        pipeline = Compose(PIPELINE + [dict(type='PackVideoInputs')])
    packed = pipeline(make_clip(identical=True))
    inputs = packed['inputs']
    assert tuple(inputs.shape) == (3, 3, 32, 32)
    assert (inputs == inputs[:1]).all()
    masks = packed['data_samples'].gt_obj_masks
    assert (masks == masks[:1]).all()


def test_color_jitter_per_clip_or_per_frame(make_clip):
    np.random.seed(0)
    cfg = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    res = make_clip(identical=True)
    masks = [m.copy() for m in res['gt_obj_masks']]
    out = ClipColorJitter(**cfg)(res)
    assert all(np.array_equal(i, out['imgs'][0]) for i in out['imgs'])
    assert not np.array_equal(out['imgs'][0], make_clip(identical=True)[
        'imgs'][0])
    for a, b in zip(masks, out['gt_obj_masks']):
        np.testing.assert_array_equal(a, b)
    out = ClipColorJitter(same_on_clip=False, **cfg)(
        make_clip(identical=True))
    assert isinstance(out['color_jitter'], list)
    assert not np.array_equal(out['imgs'][0], out['imgs'][1])


def test_jitter_factors():
    img = np.full((2, 2, 3), 100, np.uint8)
    img[0, 0] = (200, 50, 20)
    same = dict(order=['brightness', 'contrast', 'saturation', 'hue'],
                brightness=1.0, contrast=1.0, saturation=1.0, hue=0.0)
    np.testing.assert_array_equal(jitter_image(img, same), img)
    half = dict(order=['brightness'], brightness=0.5)
    np.testing.assert_array_equal(jitter_image(img, half),
                                  np.round(img * 0.5).astype(np.uint8))
    grey = dict(order=['saturation'], saturation=0.0)
    out = jitter_image(img, grey)
    assert (out[0, 0] == out[0, 0, 0]).all()  # B = G = R
    with pytest.raises(ValueError, match='hue'):
        ClipColorJitter(hue=0.7)
    with pytest.raises(ValueError, match='brightness'):
        ClipColorJitter(brightness=-1)
