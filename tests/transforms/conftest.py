"""Tiny synthetic clips for the transform tests.

Frames are a texture with channel values in [30, 200]; object 1 is painted
pure red, object 2 pure blue and void pure green (BGR), colours the texture
never takes, so a mask can be recovered from its frame's colours after any
nearest-neighbour warp.
"""
import numpy as np
import pytest

RED = np.array([0, 0, 255], np.uint8)
BLUE = np.array([255, 0, 0], np.uint8)
GREEN = np.array([0, 255, 0], np.uint8)


def colour_mask(img: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels of ``img`` equal to ``colour``."""
    return (img == colour).all(axis=-1)


def build_clip(num_frames: int = 3, h: int = 40, w: int = 48,
               identical: bool = False, seed: int = 0) -> dict:
    """A results dict with VOS and VIS keys; objects move unless
    ``identical``. Object 2 is absent from frame 0 (enters late)."""
    rng = np.random.RandomState(seed)
    base = rng.randint(30, 201, (h, w, 3)).astype(np.uint8)
    res = dict(video_id=7, video_name='toy', task='vos',
               frame_ids=[2, 3, 4][:num_frames] if num_frames <= 3 else
               list(range(2, 2 + num_frames)),
               video_length=2 + num_frames + 1, ori_shape=(h, w),
               img_shape=(h, w), imgs=[], gt_obj_masks=[], gt_void=[],
               gt_masks=[], gt_frame_valid=[True] * num_frames,
               obj_ids=[1, 2], obj_first_frames=[2, 3],
               gt_instance_ids=np.array([11, 12]), gt_labels=np.array([0, 2]))
    valid = np.ones((2, num_frames), bool)
    for t in range(num_frames):
        shift = 0 if identical else 3 * t
        img = base.copy() if identical else np.roll(base, t, axis=1)
        ids = np.zeros((h, w), np.uint8)
        ids[6 + shift:18 + shift, 5:17] = 1
        if identical or t > 0:
            ids[20:30, 25 + shift // 2:40] = 2
        else:
            valid[1, t] = False
        void = np.zeros((h, w), bool)
        void[h - 4:, :8] = True
        img[ids == 1] = RED
        img[ids == 2] = BLUE
        img[void] = GREEN
        res['imgs'].append(img)
        res['gt_obj_masks'].append(ids)
        res['gt_void'].append(void)
        res['gt_masks'].append(np.stack([ids == 1, ids == 2]).astype(
            np.uint8))
    res['gt_instance_valid'] = valid
    return res


def assert_aligned(res: dict) -> None:
    """Masks, void and instance masks equal the colours of their frames."""
    for img, ids, void, inst in zip(res['imgs'], res['gt_obj_masks'],
                                    res['gt_void'], res['gt_masks']):
        assert img.shape[:2] == ids.shape == void.shape == inst.shape[1:]
        np.testing.assert_array_equal(ids == 1, colour_mask(img, RED))
        np.testing.assert_array_equal(ids == 2, colour_mask(img, BLUE))
        np.testing.assert_array_equal(void, colour_mask(img, GREEN))
        np.testing.assert_array_equal(inst[0].astype(bool), ids == 1)
        np.testing.assert_array_equal(inst[1].astype(bool), ids == 2)
    assert tuple(res['img_shape']) == res['imgs'][0].shape[:2]


@pytest.fixture
def make_clip():
    return build_clip


@pytest.fixture
def aligned():
    return assert_aligned


@pytest.fixture
def colours():
    return dict(red=RED, blue=BLUE, green=GREEN, mask=colour_mask)
