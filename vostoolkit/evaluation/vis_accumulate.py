"""Greedy matching, precision/recall accumulation and the 12 summary stats
of the COCO-style video evaluation (ytvoseval's ``evaluateVid``,
``accumulate`` and ``summarize`` rules, re-implemented)."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1,
                       endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1,
                       endpoint=True)
MAX_DETS = (1, 10, 100)
AREA_RANGES = ((0 ** 2, 1e5 ** 2), (0 ** 2, 128 ** 2), (128 ** 2, 256 ** 2),
               (256 ** 2, 1e5 ** 2))
AREA_LABELS = ('all', 'small', 'medium', 'large')
STAT_NAMES = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10',
              'AR100', 'ARs', 'ARm', 'ARl')


def _outside(area: float, rng: Tuple[float, float]) -> bool:
    """Both bounds are inclusive: only strictly outside is out."""
    return area < rng[0] or area > rng[1]


def evaluate_video_category(dts: Sequence[dict], gts: Sequence[dict],
                            ious: np.ndarray, area_rng: Tuple[float, float]
                            ) -> dict:
    """Match one (video, category) at every IoU threshold.

    Args:
        dts (list[dict]): Predictions sorted by score (stable), at most
            ``MAX_DETS[-1]``; each with ``id``, ``score``, ``avg_area``.
        gts (list[dict]): Ground-truth tracks with ``id``, ``avg_area``,
            ``iscrowd``.
        ious (np.ndarray): (D, G) video IoU in the order of ``dts``, ``gts``.
        area_rng (tuple): (min, max) average area, inclusive.

    Returns:
        dict: ``scores`` (D,), ``matched`` (T, D) the matched ground-truth
        id (0: none), ``dt_ignore`` (T, D) bool, ``gt_ignore`` (G,) bool.
    """
    g_ignore = [bool(g['iscrowd']) or _outside(g['avg_area'], area_rng)
                for g in gts]
    gt_order = np.argsort(np.array(g_ignore, dtype=np.int64),
                          kind='mergesort')
    gts = [gts[i] for i in gt_order]
    gt_ig = np.array([g_ignore[i] for i in gt_order], dtype=bool)
    crowd = [g['iscrowd'] for g in gts]
    n_t, n_d, n_g = len(IOU_THRS), len(dts), len(gts)
    ious = ious[:, gt_order] if n_d and n_g else ious
    gt_taken = np.zeros((n_t, n_g))
    matched = np.zeros((n_t, n_d))
    dt_ig = np.zeros((n_t, n_d), dtype=bool)
    if n_d and n_g:
        for t, thr in enumerate(IOU_THRS):
            for d in range(n_d):
                best, m = min([thr, 1 - 1e-10]), -1
                for g in range(n_g):
                    if gt_taken[t, g] > 0 and not crowd[g]:
                        continue
                    if m > -1 and not gt_ig[m] and gt_ig[g]:
                        break  # ignored ground truth sorts last
                    if ious[d, g] < best:
                        continue
                    best, m = ious[d, g], g
                if m == -1:
                    continue
                dt_ig[t, d] = gt_ig[m]
                matched[t, d] = gts[m]['id']
                gt_taken[t, m] = dts[d]['id']
    out_area = np.array([_outside(d['avg_area'], area_rng) for d in dts],
                        dtype=bool).reshape(1, n_d)
    dt_ig = dt_ig | ((matched == 0) & out_area)
    return dict(scores=np.array([d['score'] for d in dts], np.float64),
                matched=matched, dt_ignore=dt_ig, gt_ignore=gt_ig)


def _precision_recall(recs: List[dict], max_det: int
                      ) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """(T, R) interpolated precision and (T,) recall over ``recs``, or None
    when they hold no ground truth that counts."""
    scores = np.concatenate([r['scores'][:max_det] for r in recs])
    order = np.argsort(-scores, kind='mergesort')
    matched = np.concatenate([r['matched'][:, :max_det] for r in recs],
                             axis=1)[:, order]
    dt_ig = np.concatenate([r['dt_ignore'][:, :max_det] for r in recs],
                           axis=1)[:, order]
    gt_ig = np.concatenate([r['gt_ignore'] for r in recs])
    n_pos = np.count_nonzero(gt_ig == 0)
    if n_pos == 0:
        return None
    tps = np.logical_and(matched, np.logical_not(dt_ig))
    fps = np.logical_and(np.logical_not(matched), np.logical_not(dt_ig))
    tp_sum = np.cumsum(tps, axis=1).astype(dtype=np.float64)
    fp_sum = np.cumsum(fps, axis=1).astype(dtype=np.float64)
    precision = np.zeros((len(IOU_THRS), len(REC_THRS)))
    recall = np.zeros(len(IOU_THRS))
    for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
        n = len(tp)
        rc = tp / n_pos
        pr = (tp / (fp + tp + np.spacing(1))).tolist()
        recall[t] = rc[-1] if n else 0
        for i in range(n - 1, 0, -1):  # precision envelope
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        idx = np.searchsorted(rc, REC_THRS, side='left')
        q = np.zeros(len(REC_THRS))
        for r, pi in enumerate(idx):
            if pi >= n:
                break
            q[r] = pr[pi]
        precision[t] = q
    return precision, recall


def accumulate(records: List[List[List[dict]]]
               ) -> Tuple[np.ndarray, np.ndarray]:
    """Precision (T, R, K, A, M) and recall (T, K, A, M); -1 where a
    category has no ground truth that counts in that area range.

    Args:
        records: ``records[k][a]`` lists the non-empty (video, category)
            records of category ``k`` and area range ``a`` in video order.
    """
    n_k = len(records)
    shape = (len(IOU_THRS), len(REC_THRS), n_k, len(AREA_RANGES),
             len(MAX_DETS))
    precision = -np.ones(shape)
    recall = -np.ones((shape[0], n_k, shape[3], shape[4]))
    for k in range(n_k):
        for a in range(len(AREA_RANGES)):
            recs = records[k][a]
            if not recs:
                continue
            for m, max_det in enumerate(MAX_DETS):
                pr = _precision_recall(recs, max_det)
                if pr is not None:
                    precision[:, :, k, a, m] = pr[0]
                    recall[:, k, a, m] = pr[1]
    return precision, recall


def summarize(pr: Tuple[np.ndarray, np.ndarray]) -> Dict[str, float]:
    """The 12 stats: means of the defined entries, -1 if none is."""
    precision, recall = pr

    def stat(ap: bool, iou: Optional[float] = None, area: str = 'all',
             max_det: int = 100) -> float:
        a, m = AREA_LABELS.index(area), MAX_DETS.index(max_det)
        s = precision[..., a, m] if ap else recall[..., a, m]
        if iou is not None:
            s = s[np.where(iou == IOU_THRS)[0]]
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    values = [
        stat(True), stat(True, iou=.5), stat(True, iou=.75),
        stat(True, area='small'), stat(True, area='medium'),
        stat(True, area='large'),
        stat(False, max_det=1), stat(False, max_det=10), stat(False),
        stat(False, area='small'), stat(False, area='medium'),
        stat(False, area='large')
    ]
    return dict(zip(STAT_NAMES, values))
