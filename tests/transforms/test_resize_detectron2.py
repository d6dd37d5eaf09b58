"""ClipResize(backend='pil'): detectron2's ResizeShortestEdge on uint8
frames (its output size, PIL bilinear that antialiases when shrinking)."""
import numpy as np
import pytest
from PIL import Image

from vostoolkit.registry import TRANSFORMS


@pytest.mark.parametrize('hw, short, max_size, want', [
    ((480, 640), 360, 1333, (360, 480)),
    ((720, 1280), 360, 1333, (360, 640)),
    ((333, 500), 360, 1333, (360, 541)),  # 540.54 rounds up
    ((500, 333), 360, 1333, (541, 360)),  # portrait: the width is short
    ((100, 1000), 360, 1333, (133, 1333)),  # the long side capped
])
def test_output_size_follows_detectron2(hw, short, max_size, want):
    # detectron2: the short side becomes `short`, the long one scale * side,
    # both scaled down if the long one exceeds max_size, rounded half up
    resize = TRANSFORMS.build(dict(type='ClipResize', shortest_edge=short,
                                   max_size=max_size, backend='pil'))
    res = resize(dict(imgs=[np.zeros((*hw, 3), np.uint8)],
                      img_shape=hw))
    assert res['imgs'][0].shape[:2] == want == res['img_shape']


def test_frames_are_pil_bilinear_and_antialiased():
    rng = np.random.RandomState(0)
    frames = [rng.randint(0, 256, (96, 128, 3)).astype(np.uint8)
              for _ in range(2)]
    res = TRANSFORMS.build(dict(type='ClipResize', shortest_edge=36,
                                backend='pil'))(
        dict(imgs=[f.copy() for f in frames], img_shape=(96, 128)))
    for src, out in zip(frames, res['imgs']):
        want = np.asarray(Image.fromarray(src).resize((48, 36),
                                                      Image.BILINEAR))
        np.testing.assert_array_equal(out, want)
    # cv2's INTER_LINEAR samples 4 pixels: on noise it keeps far more of
    # the contrast than the antialiased resize
    cv = TRANSFORMS.build(dict(type='ClipResize', shortest_edge=36))(
        dict(imgs=[f.copy() for f in frames], img_shape=(96, 128)))
    assert cv['imgs'][0].std() > 1.5 * res['imgs'][0].std()


def test_masks_use_nearest_and_default_stays_cv2():
    mask = np.zeros((40, 48), np.uint8)
    mask[10:30, 12:36] = 3
    res = TRANSFORMS.build(dict(type='ClipResize', shortest_edge=20,
                                backend='pil'))(
        dict(imgs=[np.zeros((40, 48, 3), np.uint8)], gt_obj_masks=[mask],
             img_shape=(40, 48)))
    out = res['gt_obj_masks'][0]
    assert out.shape == (20, 24) and set(np.unique(out)) == {0, 3}
    np.testing.assert_array_equal(
        out, np.asarray(Image.fromarray(mask).resize((24, 20),
                                                     Image.NEAREST)))
    with pytest.raises(ValueError, match='backend'):
        TRANSFORMS.build(dict(type='ClipResize', shortest_edge=20,
                              backend='torch'))
