"""Hand-computed expectations for each J / F / statistics rule."""
import numpy as np
import pytest

from vostoolkit.evaluation.vos_measures import (boundary_radius,
                                                db_statistics,
                                                decay_bin_edges, disk,
                                                f_measure, jaccard, pair_jf,
                                                seg2bmap)


def test_empty_union_gives_one():
    empty = np.zeros((6, 8), bool)
    assert jaccard(empty, empty) == 1.0
    assert f_measure(empty, empty) == 1.0
    assert pair_jf(empty, empty, disk(1)) == (1.0, 1.0)


def test_full_frame_masks():
    full = np.ones((6, 8), bool)
    empty = np.zeros((6, 8), bool)
    half = np.zeros((6, 8), bool)
    half[:, :4] = True
    # a full-frame mask has no boundary pixel at all (edges never count)
    assert not seg2bmap(full).any()
    assert jaccard(full, full) == 1.0 and f_measure(full, full) == 1.0
    # J sees the miss; F compares two empty boundary maps
    assert jaccard(full, empty) == 0.0 and f_measure(full, empty) == 1.0
    # boundary on one side only: F = 0; J = 24 / 48
    assert jaccard(full, half) == 0.5 and f_measure(full, half) == 0.0
    assert pair_jf(full, half, disk(1)) == (0.5, 0.0)


def test_seg2bmap_offset_towards_origin():
    m = np.zeros((6, 6), bool)
    m[2:4, 2:4] = True
    expect = np.zeros((6, 6), bool)
    expect[1:4, 1:4] = True
    expect[2, 2] = False  # interior pixel: all three neighbours equal
    assert np.array_equal(seg2bmap(m), expect)


def test_seg2bmap_image_edges():
    m = np.zeros((4, 5), bool)
    m[:, 3:] = True  # touches the right and bottom edges
    b = seg2bmap(m)
    # only column 2 (left of the step) is boundary; column 4 and row 3 are
    # not boundaries just for lying on the edge
    expect = np.zeros((4, 5), bool)
    expect[:, 2] = True
    assert np.array_equal(b, expect)


def test_disk_radius_for_davis_sizes():
    assert boundary_radius((480, 854)) == 8  # 0.008 * 979.65 = 7.84
    assert boundary_radius((1080, 1920)) == 18  # 0.008 * 2202.9 = 17.6
    assert boundary_radius((480, 854), bound_th=3) == 3


@pytest.mark.parametrize('r', [0, 1, 2, 3, 8, 18])
def test_disk_matches_skimage_definition(r):
    d = disk(r)
    assert d.shape == (2 * r + 1, 2 * r + 1) and d.dtype == np.uint8
    for y in range(-r, r + 1):
        for x in range(-r, r + 1):
            assert d[y + r, x + r] == int(x * x + y * y <= r * r)
    if r == 2:
        assert d.tolist() == [[0, 0, 1, 0, 0], [0, 1, 1, 1, 0],
                              [1, 1, 1, 1, 1], [0, 1, 1, 1, 0],
                              [0, 0, 1, 0, 0]]


def test_boundary_matching_within_disk():
    gt = np.zeros((8, 12), bool)
    gt[2:4, 2:4] = True  # boundary: rows 1..3, cols 1..3 minus (2, 2)
    pred = np.zeros((8, 12), bool)
    pred[2:4, 6:8] = True  # boundary: rows 1..3, cols 5..7 minus (2, 6)
    # radius 1: the nearest boundary pixels are 2 apart
    assert f_measure(gt, pred, bound_th=1) == 0.0
    # radius 2: column 3 of gt meets column 5 of pred: 3 of 8 each way
    assert f_measure(gt, pred, bound_th=2) == pytest.approx(3 / 8, abs=0)
    # radius 4 reaches every pixel: (1, 1) -> (1, 5)
    assert f_measure(gt, pred, bound_th=4) == 1.0


def test_void_is_removed_before_both_measures():
    gt = np.zeros((4, 6), bool)
    gt[1:3, 1:3] = True  # 4 px
    pred = np.zeros((4, 6), bool)
    pred[1:3, 2:4] = True  # 4 px, overlap 2
    void = np.zeros((4, 6), bool)
    void[1:3, 3] = True  # 2 px of the prediction
    assert jaccard(gt, pred) == 2 / 6
    assert jaccard(gt, pred, void) == 2 / 4


def test_pair_jf_equals_whole_frame():
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = rng.integers(3, 40, 2)
        gt = np.zeros((h, w), bool)
        pred = np.zeros((h, w), bool)
        for m in (gt, pred):
            y, x = rng.integers(0, h), rng.integers(0, w)
            m[y:y + rng.integers(0, 15), x:x + rng.integers(0, 15)] = True
        pred ^= rng.random((h, w)) < 0.03
        radius = int(rng.choice([0, 1, 2, 3, 8]))
        j, f = pair_jf(gt, pred, disk(radius))
        assert j == jaccard(gt, pred)
        assert f == f_measure(gt, pred, bound_th=radius)


def test_decay_bins_for_four_frames():
    assert decay_bin_edges(4).tolist() == [0, 1, 2, 2, 3]
    mean, recall, decay = db_statistics(np.array([1.0, 0.5, 0.25, 0.0]))
    assert mean == 0.4375
    assert recall == 0.25  # 0.5 is not above 0.5
    assert decay == (1.0 + 0.5) / 2 - (0.25 + 0.0) / 2


def test_recall_counts_strictly_above_half():
    assert db_statistics(np.array([0.5, 0.5, 0.5000001]))[1] == 1 / 3
    assert db_statistics(np.array([0.5]))[1] == 0.0


def test_decay_bins_past_256_frames_do_not_wrap():
    edges = decay_bin_edges(300)
    assert edges.tolist() == [0, 75, 150, 224, 299]
    # the official uint8 cast would give 299 % 256 = 43 for the last edge
    assert int(np.array(edges).astype(np.uint8)[-1]) == 43
    values = np.linspace(1, 0, 300)
    mean, _, decay = db_statistics(values)
    assert decay == pytest.approx(values[:76].mean() - values[224:].mean())
    # up to 256 frames the integer edges equal the uint8 ones
    for n in (1, 2, 3, 5, 81, 256):
        e = decay_bin_edges(n)
        assert np.array_equal(e, e.astype(np.uint8))
