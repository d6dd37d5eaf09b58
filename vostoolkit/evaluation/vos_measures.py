"""Per-frame region (J) and boundary (F) measures and their statistics.

The rules are those of the DAVIS 2017 evaluation (davis2017-evaluation,
``davis2017/metrics.py`` and ``davis2017/utils.py``), re-implemented:

* J is the mask IoU; an empty union gives 1.
* F matches boundary maps (:func:`seg2bmap`) within a disk of radius
  ``ceil(0.008 * image diagonal)`` (:func:`boundary_radius`, :func:`disk`);
  precision and recall are the matched fractions; both boundaries empty
  gives 1, exactly one empty gives 0.
* Mean, recall (fraction strictly above 0.5) and decay (4 overlapping bins,
  first minus last) per object: :func:`db_statistics`.

:func:`pair_jf` computes J and F of one mask pair on the bounding box of
the two masks (plus a one-pixel margin), which gives the same numbers as the
whole-frame computation (see ``docs/evaluation.md``) at a fraction of the
cost. :func:`jaccard` and :func:`f_measure` are the plain whole-frame
versions used as references in the tests.
"""
import math
import warnings
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .boundary_match import matched_count

BOUND_TH = 0.008


def boundary_radius(shape: Sequence[int], bound_th: float = BOUND_TH) -> int:
    """Radius of the boundary-matching disk for frames of ``shape``.

    ``ceil(bound_th * ||(H, W)||)`` for ``bound_th < 1``, else ``bound_th``
    pixels: 8 for 480x854, 18 for 1080x1920.
    """
    if bound_th >= 1:
        if bound_th != int(bound_th):
            raise ValueError(f'a radius in pixels must be whole: {bound_th}')
        return int(bound_th)
    return int(np.ceil(bound_th * np.linalg.norm(tuple(shape[:2]))))


@lru_cache(maxsize=32)
def disk(radius: float) -> np.ndarray:
    """Disk structuring element of ``skimage.morphology.disk(radius)``.

    Coordinates ``L = arange(-r, r + 1)`` on both axes, 1 where
    ``x**2 + y**2 <= r**2``: ``(2r+1, 2r+1)`` uint8 and centred for a whole
    ``r``. A fractional ``r`` (MOSE v2 passes one) gives skimage's
    off-centre footprint: ``L`` starts at ``-r`` and has ``ceil(2r + 1)``
    entries, so for ``r = 7.3`` the grid is ``-7.3, ..., 7.7`` (16 x 16).
    """
    r = float(radius)
    if r == int(r):
        r = int(r)
    grid = np.arange(-r, r + 1)
    sq = grid[None, :] ** 2 + grid[:, None] ** 2
    out = (sq <= r ** 2).astype(np.uint8)
    out.setflags(write=False)
    return out


def seg2bmap(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary map of a binary mask (DAVIS ``_seg2bmap`` rule).

    A pixel is a boundary pixel when it differs from its right, lower or
    lower-right neighbour; a neighbour outside the image is never compared,
    so the image edges are not boundaries by themselves. Boundaries thus sit
    half a pixel towards the origin from the true contour: a foreground
    square at rows/cols 2..4 gives boundary pixels on rows 1..4 and
    cols 1..4.

    Args:
        mask (np.ndarray): (H, W) binary mask.

    Returns:
        np.ndarray: (H, W) bool boundary map.
    """
    m = np.asarray(mask, dtype=bool)
    b = np.zeros_like(m)
    np.not_equal(m[:, :-1], m[:, 1:], out=b[:, :-1])
    b[:-1] |= m[:-1] != m[1:]
    b[:-1, :-1] |= m[:-1, :-1] != m[1:, 1:]
    return b


def _f_from_counts(n_pred: int, n_gt: int, pred_match: int,
                   gt_match: int) -> float:
    """F from boundary pixel counts, with the DAVIS special cases."""
    if n_pred == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_pred > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_pred == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision = pred_match / float(n_pred)
        recall = gt_match / float(n_gt)
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def _boundary_f(pred: np.ndarray, gt: np.ndarray, kernel: np.ndarray) -> float:
    """F of two equally shaped binary masks (no void), given the disk."""
    pb = seg2bmap(pred)
    gb = seg2bmap(gt)
    n_pred = int(np.count_nonzero(pb))
    n_gt = int(np.count_nonzero(gb))
    if n_pred == 0 or n_gt == 0:
        return _f_from_counts(n_pred, n_gt, 0, 0)
    if n_pred == n_gt and np.array_equal(pb, gb):
        return _f_from_counts(n_pred, n_gt, n_pred, n_gt)  # all matched
    gt_dil = cv2.dilate(gb.view(np.uint8), kernel).view(bool)
    pred_dil = cv2.dilate(pb.view(np.uint8), kernel).view(bool)
    pred_match = int(np.count_nonzero(pb & gt_dil))
    gt_match = int(np.count_nonzero(gb & pred_dil))
    return _f_from_counts(n_pred, n_gt, pred_match, gt_match)


def jaccard(gt: np.ndarray, pred: np.ndarray,
            void: Optional[np.ndarray] = None) -> float:
    """Whole-frame region similarity J of two binary masks.

    Args:
        gt (np.ndarray): (H, W) ground-truth mask.
        pred (np.ndarray): (H, W) predicted mask.
        void (np.ndarray, optional): (H, W) pixels left out of both.

    Returns:
        float: IoU, 1.0 when the union is empty.
    """
    g, p = np.asarray(gt, bool), np.asarray(pred, bool)
    keep = np.ones_like(g) if void is None else ~np.asarray(void, bool)
    inter = int(np.count_nonzero(g & p & keep))
    union = int(np.count_nonzero((g | p) & keep))
    return 1.0 if union == 0 else inter / union


def f_measure(gt: np.ndarray, pred: np.ndarray,
              void: Optional[np.ndarray] = None,
              bound_th: float = BOUND_TH) -> float:
    """Whole-frame boundary measure F of two binary masks.

    Args:
        gt (np.ndarray): (H, W) ground-truth mask.
        pred (np.ndarray): (H, W) predicted mask.
        void (np.ndarray, optional): (H, W) pixels removed from both masks
            before the boundaries are taken.
        bound_th (float): Disk radius as a fraction of the diagonal (< 1)
            or in pixels.
    """
    g, p = np.asarray(gt, bool), np.asarray(pred, bool)
    if void is not None:
        keep = ~np.asarray(void, bool)
        g, p = g & keep, p & keep
    return _boundary_f(p, g, disk(boundary_radius(g.shape, bound_th)))


def _as_u8(mask: np.ndarray) -> np.ndarray:
    """A 0/1 uint8 view (no copy) of a bool or 0/1 uint8 (H, W) mask that
    OpenCV can read (rows contiguous)."""
    m = np.asarray(mask)
    if m.dtype == bool:
        m = m.view(np.uint8)
    elif m.dtype != np.uint8:
        m = (m != 0).view(np.uint8)
    if m.ndim == 2 and m.strides[1] != 1:
        m = np.ascontiguousarray(m)
    return m


def boundary_u8(mask: np.ndarray) -> np.ndarray:
    """:func:`seg2bmap` of a 0/1 uint8 mask, as a 0/1 uint8 map.

    With ``H`` the right-neighbour XOR and ``V`` the lower-neighbour XOR,
    the 2x2 window a pixel starts is uniform exactly when its top row, its
    bottom row and its left column are, so ``b = H | H_below | V`` (which
    also covers the lower-right neighbour). The last row compares only to
    the right and the last column only downwards, which is the edge rule.
    """
    h, w = mask.shape
    b = np.empty_like(mask)
    if h == 1 or w == 1:
        b[...] = 0
        if w > 1:
            cv2.bitwise_xor(mask[:, :-1], mask[:, 1:], dst=b[:, :-1])
        elif h > 1:
            cv2.bitwise_xor(mask[:-1], mask[1:], dst=b[:-1])
        return b
    right = cv2.bitwise_xor(mask[:, :-1], mask[:, 1:])  # (h, w - 1)
    down = cv2.bitwise_xor(mask[:-1], mask[1:])  # (h - 1, w)
    inner = b[:-1, :-1]
    cv2.bitwise_or(right[:-1], right[1:], dst=inner)
    cv2.bitwise_or(inner, down[:, :-1], dst=inner)
    b[:-1, -1] = down[:, -1]
    b[-1, :-1] = right[-1]
    b[-1, -1] = 0
    return b


def pair_jf(gt: np.ndarray, pred: np.ndarray,
            kernel: np.ndarray) -> Tuple[float, float]:
    """J and F of one mask pair, computed on the pair's bounding box.

    Every boundary pixel of either mask lies in the box grown by one pixel
    (a background pixel just above or left of the object can be a boundary
    pixel), and the dilated maps are only read at boundary pixels, so the
    cropped computation equals the whole-frame one. The matched boundary
    pixels are counted by :func:`.boundary_match.matched_count` (the count
    a disk dilation gives, mostly through cheaper rectangle dilations).

    Args:
        gt (np.ndarray): (H, W) bool (or 0/1 uint8) ground truth (void
            already removed).
        pred (np.ndarray): (H, W) bool (or 0/1 uint8) prediction (void
            already removed).
        kernel (np.ndarray): The disk from :func:`disk` for the full frame.

    Returns:
        tuple[float, float]: (J, F).
    """
    inter, union, (f, ) = pair_counts_fs(gt, pred, (kernel, ))
    if union == 0:
        return 1.0, 1.0
    return inter / union, f


def pair_counts_fs(gt: np.ndarray, pred: np.ndarray,
                   kernels: Sequence[np.ndarray]
                   ) -> Tuple[int, int, List[float]]:
    """Intersection, union and F at several boundary tolerances of one pair.

    The general form of :func:`pair_jf` for rules that smooth J or match
    boundaries with more than one disk (MOSE v2's adaptive F): the
    boundaries are found once, on the pair's bounding box, and matched
    with each kernel (any footprint, centred by OpenCV's default anchor).
    Both masks are read as 0/1 uint8 views, without copies.

    Args:
        gt (np.ndarray): (H, W) bool (or 0/1 uint8) ground truth.
        pred (np.ndarray): (H, W) bool (or 0/1 uint8) prediction.
        kernels (Sequence[np.ndarray]): K uint8 footprints.

    Returns:
        tuple[int, int, list[float]]: intersection and union pixel counts,
        and the K F values (all 1.0 when both masks are empty).
    """
    g8, p8 = _as_u8(gt), _as_u8(pred)
    union = cv2.bitwise_or(g8, p8)
    x, y, w, h = cv2.boundingRect(union)
    if w == 0:
        return 0, 0, [1.0] * len(kernels)
    rows, cols = union.shape
    y0, y1 = max(y - 1, 0), min(y + h + 1, rows)
    x0, x1 = max(x - 1, 0), min(x + w + 1, cols)
    g = g8[y0:y1, x0:x1]
    p = p8[y0:y1, x0:x1]
    inter = cv2.countNonZero(cv2.bitwise_and(g, p))
    n_union = cv2.countNonZero(union[y0:y1, x0:x1])
    gb, pb = boundary_u8(g), boundary_u8(p)
    n_gt, n_pred = cv2.countNonZero(gb), cv2.countNonZero(pb)
    same = None
    fs = []
    for kernel in kernels:
        if n_pred == 0 or n_gt == 0:
            f = _f_from_counts(n_pred, n_gt, 0, 0)
        else:
            if same is None:
                same = n_pred == n_gt and \
                    cv2.countNonZero(cv2.bitwise_xor(gb, pb)) == 0
            if same:
                f = _f_from_counts(n_pred, n_gt, n_pred, n_gt)  # all matched
            else:
                f = _f_from_counts(n_pred, n_gt,
                                   matched_count(gb, pb, kernel, n_pred),
                                   matched_count(pb, gb, kernel, n_gt))
        fs.append(f)
    return inter, n_union, fs


def decay_bin_edges(n: int, wrap_uint8: bool = False) -> np.ndarray:
    """Inclusive index edges of the 4 decay bins over ``n`` frames.

    ``round(linspace(1, n, 5) + 1e-10) - 1``; bin ``i`` spans
    ``edges[i] .. edges[i + 1]`` (inclusive, so neighbouring bins share an
    edge frame). For ``n = 4``: ``[0, 1, 2, 2, 3]``. The official DAVIS
    code casts them to uint8, which wraps past 256 frames (see
    ``docs/evaluation.md``); ``wrap_uint8=True`` reproduces that (VOST's
    evaluator keeps the cast), the default keeps integer edges.
    """
    edges = (np.round(np.linspace(1, n, 5) + 1e-10) - 1).astype(np.int64)
    return edges % 256 if wrap_uint8 else edges


def db_statistics(values: np.ndarray, wrap_uint8: bool = False
                  ) -> Tuple[float, float, float]:
    """Mean, recall and decay of one object's per-frame values.

    Args:
        values (np.ndarray): (N,) per-frame J or F (NaN ignored).
        wrap_uint8 (bool): uint8 bin edges as the official code has them:
            edges wrap past 256 frames, and the slice end ``edge + 1`` is
            computed in uint8 too (255 + 1 = 0, an empty bin, NaN decay).

    Returns:
        tuple[float, float, float]: mean, recall (fraction of values
        strictly above 0.5) and decay (mean of the first bin minus mean of
        the last).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        nan = math.nan
        return nan, nan, nan
    edges = decay_bin_edges(len(values), wrap_uint8)
    stop = (edges + 1) % 256 if wrap_uint8 else edges + 1
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)
        mean = np.nanmean(values)
        recall = np.nanmean(values > 0.5)
        first = np.nanmean(values[edges[0]:stop[1]])
        last = np.nanmean(values[edges[3]:stop[4]])
    return float(mean), float(recall), float(first - last)
