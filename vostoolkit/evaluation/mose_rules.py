"""The MOSE v2 per-frame and per-object rules (henghuiding/MOSE-api,
``MOSEv2/sam2_rcms/tools/metricsv2.py`` and ``score.py``), shared by
:func:`~vostoolkit.evaluation.evaluate_mose_v2` and ``MOSEv2Metric``."""
import math
import warnings
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .vos_measures import BOUND_TH, disk, pair_counts_fs

#: Global keys, in the order the official script prints them.
MOSEV2_KEYS = ('J&F_new', 'J', 'F_new', 'disappear_J&F_new',
               'reappear_J&F_new', 'F', 'J&F')
#: Per-object values, in the official ``merge_chunk_results`` order.
OBJECT_KEYS = ('J', 'F_new', 'F', 'disappear_J', 'disappear_F_new',
               'reappear_J', 'reappear_F_new')
ADAPTIVE_TH = 0.1


def smoothed_jaccard(inter: int, union: int) -> float:
    """MOSE v2's J: ``(inter + 1) / (union + 1)``, 1 for an empty union."""
    if union == 0:
        return 1.0
    return min(max((inter + 1) / (union + 1), 0.0), 1.0)


def adaptive_radius(area: int, shape: Sequence[int]) -> Tuple[float, float]:
    """(adaptive radius, DAVIS cap) of an object of ``area`` pixels.

    ``min(0.008 * ||(H, W)||, ceil(0.1 * sqrt(area)))``; an empty object
    gets the cap. The cap is the unrounded ``0.008 * diagonal``.
    """
    cap = BOUND_TH * np.linalg.norm(tuple(shape[:2]))
    if area > 0:
        bound = np.ceil(ADAPTIVE_TH * np.sqrt(area))
    else:
        bound = np.ceil(ADAPTIVE_TH * np.linalg.norm(tuple(shape[:2])))
    return min(cap, bound), cap


def boundary_kernels(area: int, shape: Sequence[int]) -> List[np.ndarray]:
    """Disks for (classic F, adaptive F), as ``f_measure_adaptive`` picks
    them: below the cap, the DAVIS disk ``ceil(cap)`` and the adaptive
    disk; at the cap, the disk of the unrounded cap for both (one kernel
    returned)."""
    bound, cap = adaptive_radius(area, shape)
    if bound < cap:
        return [disk(float(np.ceil(cap))), disk(float(bound))]
    return [disk(float(cap))]


def frame_values_v2(gt: np.ndarray, pred: np.ndarray, ids: Sequence[int]
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray,
                               np.ndarray]:
    """J, adaptive F, classic F and ground-truth emptiness of each object
    on one frame.

    Args:
        gt (np.ndarray): (H, W) uint8 ground-truth ids.
        pred (np.ndarray): (H, W) uint8 predicted ids.
        ids (Sequence[int]): The O object ids.

    Returns:
        tuple: four (O,) arrays: J (+1 smoothed), F_new, F (float64) and
        empty (bool).
    """
    n = len(ids)
    j, f_new, f_old = np.zeros(n), np.zeros(n), np.zeros(n)
    empty = np.zeros(n, bool)
    for o, k in enumerate(ids):
        g, p = gt == k, pred == k
        area = int(np.count_nonzero(g))
        kernels = boundary_kernels(area, gt.shape)
        inter, union, fs = pair_counts_fs(g, p, kernels)
        j[o] = smoothed_jaccard(inter, union)
        f_old[o], f_new[o] = fs[0], fs[-1]
        empty[o] = area == 0
    return j, f_new, f_old, empty


def _segments(empty: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Starts of disappearance and reappearance segments (eval indices)."""
    disappear = np.where(~empty[:-1] & empty[1:])[0] + 1
    if len(empty) and empty[0]:
        disappear = np.insert(disappear, 0, 0)
    reappear = np.where(empty[:-1] & ~empty[1:])[0] + 1
    return disappear, reappear


def object_summary_v2(j: np.ndarray, f_new: np.ndarray, f_old: np.ndarray,
                      empty: np.ndarray) -> list:
    """The 7 per-object values of ``merge_chunk_results``.

    A disappearance segment runs from a frame where the object is gone
    (after being visible) to its next reappearance (or the end); one
    starting on the first evaluated frame is not counted. A reappearance
    segment runs from a frame where it is back to its next disappearance
    (or the end). Each segment averages J and adaptive F over its frames;
    the object's value averages its segments (None without any).

    Args:
        j, f_new, f_old (np.ndarray): (T,) values on the evaluated frames.
        empty (np.ndarray): (T,) bool, the object absent from the ground
            truth.

    Returns:
        list: ``[J, F_new, F, disappear_J, disappear_F_new, reappear_J,
        reappear_F_new]``.
    """
    if len(j) == 0:
        return [0, 0, 0, None, None, None, None]
    empty = np.asarray(empty, bool)
    disappear, reappear = _segments(empty)
    n = len(empty)
    dis = []
    for i, start in enumerate(disappear):
        end = reappear[i] if i < len(reappear) else n
        if start > 0:
            dis.append((j[start:end].mean(), f_new[start:end].mean()))
    rep = []
    for i, start in enumerate(reappear):
        end = disappear[i + 1] if i + 1 < len(disappear) else n
        rep.append((j[start:end].mean(), f_new[start:end].mean()))
    dj = np.mean([s[0] for s in dis]) if dis else None
    df = np.mean([s[1] for s in dis]) if dis else None
    rj = np.mean([s[0] for s in rep]) if rep else None
    rf = np.mean([s[1] for s in rep]) if rep else None
    return [j.mean(), f_new.mean(), f_old.mean(), dj, df, rj, rf]


def _mean(values: list) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)
        return float(np.mean(values)) if values else math.nan


def _printed(v: Optional[float]) -> Optional[float]:
    return None if v is None else float(round(np.float64(v) * 100, 2))


def summarize_mose_v2(results) -> dict:
    """Global values over all objects of all videos, in the official way.

    ``J``, ``F_new``, ``F``: means over objects; the segment values: means
    over the objects that have a segment of that kind;
    ``J&F_new = (J + F_new) / 2``, ``J&F = (J + F) / 2``, the segment J&F
    likewise.

    Args:
        results (Iterable): objects with ``name`` and ``objects`` (object
            id -> the 7 values of :func:`object_summary_v2`).

    Returns:
        dict: see :func:`~vostoolkit.evaluation.evaluate_mose_v2`.
    """
    per_object = {}
    cols = [[] for _ in OBJECT_KEYS]
    for res in results:
        for k, vals in res.objects.items():
            per_object[f'{res.name}_{k}'] = {
                key: (None if v is None else float(v))
                for key, v in zip(OBJECT_KEYS, vals)}
            for c, v in zip(cols, vals):
                if v is not None:
                    c.append(v)
    j, f_new, f_old, dj, df, rj, rf = (_mean(c) for c in cols)
    out = {'J&F_new': (j + f_new) / 2, 'J': j, 'F_new': f_new,
           'disappear_J&F_new': (dj + df) / 2,
           'reappear_J&F_new': (rj + rf) / 2, 'F': f_old,
           'J&F': (j + f_old) / 2}
    printed = {key: _printed(v) for key, v in out.items()}
    printed['per_object'] = {
        name: {'J&F_new': _printed((v['J'] + v['F_new']) / 2),
               'J': _printed(v['J']), 'F_new': _printed(v['F_new']),
               'disappear_J&F_new': None if v['disappear_J'] is None else
               _printed((v['disappear_J'] + v['disappear_F_new']) / 2),
               'reappear_J&F_new': None if v['reappear_J'] is None else
               _printed((v['reappear_J'] + v['reappear_F_new']) / 2),
               'F': _printed(v['F']),
               'J&F': _printed((v['J'] + v['F']) / 2)}
        for name, v in per_object.items()}
    out['per_object'] = per_object
    out['printed'] = printed
    return out
