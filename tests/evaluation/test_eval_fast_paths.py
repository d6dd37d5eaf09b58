"""The fast paths of the J / F computation give the plain computation's
numbers: boundary matches counted without a disk dilation, uint8 boundary
maps, and masks decoded into recycled buffers."""
import cv2
import numpy as np
import pytest
from PIL import Image

from vostoolkit.evaluation import decode_index_png, encode_index_png
from vostoolkit.evaluation.boundary_match import matched_count
from vostoolkit.evaluation.mask_crops import MaskImage
from vostoolkit.evaluation.vos_measures import (boundary_u8, disk,
                                                pair_counts_fs, seg2bmap)


def _reference(src, at, kernel):
    return int(np.count_nonzero(at & cv2.dilate(src, kernel)))


@pytest.mark.parametrize('radius', [0, 1, 2, 5.5, 7.3, 8, 12])
def test_matched_count_equals_dilation(radius):
    # sparse maps take the one-by-one check, dense ones the fallback
    # dilation; fractional radii give MOSE v2's off-centre disks
    rng = np.random.default_rng(int(radius * 10))
    kernel = disk(radius)
    for _ in range(150):
        h, w = rng.integers(1, 70, 2)
        src = (rng.random((h, w)) < rng.choice([.002, .02, .3])).astype(
            np.uint8)
        at = (rng.random((h, w)) < rng.choice([.002, .02, .3])).astype(
            np.uint8)
        assert matched_count(src, at, kernel) == _reference(src, at, kernel)


def test_matched_count_any_footprint():
    rng = np.random.default_rng(1)
    for _ in range(100):
        kernel = (rng.random(tuple(rng.integers(1, 8, 2))) < .6).astype(
            np.uint8)  # centre may be 0: plain dilation then
        src = (rng.random((30, 40)) < .05).astype(np.uint8)
        at = (rng.random((30, 40)) < .05).astype(np.uint8)
        assert matched_count(src, at, kernel) == _reference(src, at, kernel)


def test_boundary_u8_equals_seg2bmap_on_views():
    rng = np.random.default_rng(2)
    for _ in range(300):
        h, w = rng.integers(1, 14, 2)
        m = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        big = np.zeros((h + 2, w + 3), np.uint8)
        big[1:h + 1, 2:w + 2] = m
        ref = seg2bmap(m).view(np.uint8)
        assert np.array_equal(boundary_u8(m), ref)
        assert np.array_equal(boundary_u8(big[1:h + 1, 2:w + 2]), ref)


def test_pair_counts_bool_and_uint8_agree():
    rng = np.random.default_rng(3)
    for _ in range(50):
        g = rng.random((40, 50)) < .3
        p = rng.random((40, 50)) < .3
        a = pair_counts_fs(g, p, (disk(3), disk(2.5)))
        b = pair_counts_fs(g.astype(np.uint8), p.astype(np.uint8),
                           (disk(3), disk(2.5)))
        assert a == b


def test_decoded_masks_never_share_memory(tmp_path):
    """A mask (or a crop of it) that is still referenced keeps its pixels
    while later PNGs are decoded into recycled buffers."""
    rng = np.random.default_rng(4)
    arrays = [rng.integers(0, 4, (24, 32)).astype(np.uint8)
              for _ in range(30)]
    paths = []
    for i, a in enumerate(arrays):
        paths.append(str(tmp_path / f'{i}.png'))
        with open(paths[-1], 'wb') as f:
            f.write(encode_index_png(a))
    kept = MaskImage(paths[0], 'a')
    crop = MaskImage(paths[1], 'b').crop((0, 0, 32, 24))
    for i, path in enumerate(paths[2:], start=2):
        m = MaskImage(path, path)
        assert np.array_equal(m.full(), arrays[i])
        assert m.bbox == Image.open(path).getbbox()
    assert np.array_equal(kept.full(), arrays[0])
    assert np.array_equal(crop, arrays[1])
    alive = [MaskImage(p, p) for p in paths]  # more than the pool holds
    for m, a in zip(alive, arrays):
        assert np.array_equal(m.full(), a)
    ids = [decode_index_png(p) for p in paths]  # the same for id maps
    for got, a in zip(ids, arrays):
        assert np.array_equal(got, a)
