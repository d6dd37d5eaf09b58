"""Colours and drawing of vostoolkit.visualization on tiny frames."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from vostoolkit.visualization import (VOID_COLOUR, blend_mask, davis_palette,
                                      draw_id_map, draw_instances,
                                      draw_title, draw_vis_frame,
                                      instance_colour)

H, W = 40, 60


def _grey() -> np.ndarray:
    return np.full((H, W, 3), 100, np.uint8)


def test_instance_colours_are_the_davis_palette():
    palette = davis_palette()
    assert instance_colour(1) == (128, 0, 0)
    assert instance_colour(2) == (0, 128, 0)
    assert instance_colour(254) == tuple(palette[254])
    # larger ids cycle through 1..254: never black, never the void colour
    assert instance_colour(255) == instance_colour(1)
    assert instance_colour(509) == instance_colour(1)
    assert len({instance_colour(k) for k in range(1, 255)}) == 254


def test_blend_mask_tints_inside_and_outlines():
    frame = _grey()
    mask = np.zeros((H, W), bool)
    mask[10:20, 10:30] = True
    blend_mask(frame, mask, (200, 0, 0), alpha=0.5)
    assert tuple(frame[15, 20]) == (150, 50, 50)  # interior, half-way
    assert tuple(frame[10, 20]) == (200, 0, 0)  # boundary, full colour
    assert tuple(frame[5, 5]) == (100, 100, 100)  # outside untouched
    plain = _grey()
    blend_mask(plain, mask, (200, 0, 0), alpha=0.5, boundary=False)
    assert tuple(plain[10, 20]) == (150, 50, 50)


def test_draw_id_map_objects_void_and_ids():
    ids = np.zeros((H, W), np.uint8)
    ids[20:36, 2:20] = 1
    ids[20:36, 30:50] = 2
    ids[0:4, 56:60] = 255
    frame = draw_id_map(_grey(), ids, alpha=1.0)
    assert tuple(frame[28, 10]) == instance_colour(1)
    assert tuple(frame[28, 40]) == instance_colour(2)
    assert tuple(frame[1, 58]) == VOID_COLOUR
    assert tuple(frame[10, 25]) == (100, 100, 100)
    labelled = draw_id_map(_grey(), ids, alpha=1.0, show_ids=True)
    # the id label sits at the object's top-left corner: white ink on the
    # dark red box changes some pixels there, none far from the objects
    assert (labelled[20:32, 2:12] != frame[20:32, 2:12]).any()
    assert np.array_equal(labelled[:18], frame[:18])
    with pytest.raises(ValueError, match='does not match'):
        draw_id_map(_grey(), ids[:10])


def test_draw_instances_labels_and_vis_records():
    masks = np.zeros((2, H, W), bool)
    masks[0, 2:22, 2:28] = True
    masks[1, 24:39, 30:58] = True
    frame = draw_instances(_grey(), masks, [3, 7], alpha=1.0)
    assert tuple(frame[10, 15]) == instance_colour(3)
    assert tuple(frame[30, 45]) == instance_colour(7)
    # the same instances as results.json records (RLE per frame, None on
    # frames where an instance is absent)
    rles = [mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            for m in masks]
    for rle in rles:
        rle['counts'] = rle['counts'].decode()
    records = [dict(id=3, label=0, category='cat', score=0.9,
                    segmentations=[rles[0], None]),
               dict(id=7, label=4, category=None, score=0.4,
                    segmentations=[rles[1], rles[1]])]
    drawn = draw_vis_frame(_grey(), records, 0, alpha=1.0)
    # the labels cover the masks' top-left corners only
    assert tuple(drawn[20, 26]) == instance_colour(3)
    assert tuple(drawn[37, 56]) == instance_colour(7)
    assert (drawn[2:12, 2:20] != frame[2:12, 2:20]).any()  # "3 cat 0.90"
    second = draw_vis_frame(_grey(), records, 1, alpha=1.0)
    assert tuple(second[20, 26]) == (100, 100, 100)  # id 3 absent
    assert tuple(second[37, 56]) == instance_colour(7)
    untouched = draw_vis_frame(_grey(), [], 0)
    assert (untouched == 100).all()


def test_draw_title_stays_in_the_top_left_corner():
    frame = draw_title(_grey(), 'frame 3')
    changed = np.nonzero((frame != 100).any(-1))
    assert changed[0].max() < 14 and changed[1].min() <= 2
    assert (frame[20:] == 100).all()
