"""YouTube-VIS / OVIS video AP and AR, as youtubevos/cocoapi's ytvoseval.

Masks are handled only through pycocotools (``frPyObjects``, ``merge``,
``area``, ``iou``); nothing here parses RLE. The evaluation runs video by
video and keeps only the small per-(video, category, area range) matching
records, so memory beyond the inputs does not grow with the number of videos.
The rules (confirmed against ytvoseval, see ``docs/evaluation.md``):

* video IoU of a prediction and a ground-truth track is the sum over frames
  of the intersections divided by the sum over frames of the unions; a frame
  null on one side adds the other side's area to the union;
* area ranges (all / small / medium / large, bounds 128**2 and 256**2, both
  ends inclusive) use each track's average area over its non-null, non-zero
  frames (``areas`` of the ground-truth file);
* at most 100 predictions per (video, category), after a stable sort by
  score; AR1/AR10 keep the first 1/10;
* categories without ground truth are left out of the means; predictions of
  categories absent from the ground truth are ignored;
* results must be compressed RLE (or null); ground truth may be polygons or
  either RLE. Every RLE is checked before pycocotools sees it
  (:func:`vostoolkit.utils.rle_problem`: pycocotools loops forever on runs
  that do not add up to H x W), and scores must be finite numbers.
"""
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
from pycocotools import mask as mask_utils

from vostoolkit.utils import (DataError, is_finite_number, rle_problem,
                              rle_problems)
from .vis_accumulate import (AREA_RANGES, MAX_DETS, accumulate,
                             evaluate_video_category, summarize)

JsonLike = Union[str, dict, list]


def load_json(src: JsonLike, name: str) -> Tuple[object, Optional[str]]:
    """Load ``src`` (a path, or an already loaded object) and its path."""
    if not isinstance(src, str):
        return src, None
    if not osp.isfile(src):
        raise DataError(src, f'{name} not found')
    try:
        with open(src) as f:
            return json.load(f), src
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(src, f'not valid JSON ({err})') from None


def gt_to_rle(segm, h: int, w: int, checked: bool = False):
    """One ground-truth frame (polygons, uncompressed or compressed RLE, or
    null) as a compressed RLE, or None; ``checked``: a compressed RLE that
    :func:`~vostoolkit.utils.rle_problems` already passed.

    Raises:
        ValueError: with the cause, when the frame is none of these or its
            RLE does not cover ``h`` x ``w`` pixels.
    """
    if not segm:
        return None
    if isinstance(segm, list):
        if not all(isinstance(p, list) and all(
                is_finite_number(v) for v in p) for p in segm):
            raise ValueError('polygons must be lists of numbers')
        polys = [p for p in segm if len(p) >= 6]
        if not polys:
            return None
        return mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
    if not isinstance(segm, dict):
        raise ValueError(f'a segmentation is a list of polygons, an RLE or '
                         f'null, not {type(segm).__name__}')
    counts = segm.get('counts')
    if isinstance(counts, list):
        if list(segm.get('size') or []) != [h, w]:
            raise ValueError(f'mask size {segm.get("size")} != video size '
                             f'{[h, w]}')
        if not all(isinstance(c, int) and c >= 0 for c in counts) or \
                sum(counts) != h * w:
            raise ValueError(f'uncompressed RLE counts do not add up to '
                             f'{h}x{w}')
        return mask_utils.frPyObjects(segm, h, w)
    cause = None if checked else rle_problem(segm, h, w)
    if cause is not None:
        raise ValueError(cause)
    return segm


class VISGroundTruth:
    """The videos, categories and tracks of a YouTube-VIS style JSON.

    Args:
        ann (str | dict): The annotation file or its loaded content.
    """

    def __init__(self, ann: JsonLike) -> None:
        data, self.path = load_json(ann, 'annotation file')
        try:
            self.videos = {int(v['id']): (int(v['height']), int(v['width']),
                                          int(v.get('length') or
                                              len(v['file_names'])))
                           for v in data['videos']}
            bad = [k for k, (h, w, n) in self.videos.items()
                   if min(h, w, n) <= 0]
            if bad:
                raise ValueError(f'video {bad[0]} has a non-positive '
                                 'height, width or length')
            self.categories = sorted({int(c['id'])
                                      for c in data['categories']})
            self.anns: Dict[int, List[dict]] = defaultdict(list)
            for a in data.get('annotations') or []:
                int(a['category_id']), int(a.get('iscrowd', 0) or 0)
                self.anns[int(a['video_id'])].append(a)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise DataError(self.path, 'not a YouTube-VIS annotation file '
                            f'({err!r})') from None

    @property
    def video_ids(self) -> List[int]:
        """Sorted video ids."""
        return sorted(self.videos)

    def tracks(self, video_id: int) -> Dict[int, List[dict]]:
        """Ground-truth tracks of one video grouped by category, in file
        order, each ``{id, rles, areas, avg_area, iscrowd}``."""
        h, w, _ = self.videos[video_id]
        out: Dict[int, List[dict]] = defaultdict(list)
        for a in self.anns.get(video_id, []):
            try:
                if not isinstance(a.get('segmentations'), list):
                    raise ValueError('segmentations must be a list')
                segs = a['segmentations']
                # the compressed RLEs' runs checked in one pass
                packed = [x if isinstance(x, dict) and isinstance(
                    x.get('counts'), (str, bytes)) else None for x in segs]
                problems = rle_problems(packed, h, w)
                if problems:
                    raise ValueError(problems[0][1])
                rles = [gt_to_rle(x, h, w, checked=c is not None)
                        for x, c in zip(segs, packed)]
            except (TypeError, ValueError, AttributeError, KeyError) as err:
                raise DataError(self.path, f'annotation {a.get("id")}: a '
                                f'segmentation does not decode ({err})') \
                    from None
            areas = _frame_areas(rles)
            stored = a.get('areas')
            if stored is None:
                stored = areas.tolist()
            if not isinstance(stored, list) or not all(
                    x is None or is_finite_number(x) for x in stored):
                raise DataError(self.path, f'annotation {a.get("id")}: '
                                'areas must be a list of numbers or null')
            nonzero = [x for x in stored if x]
            out[int(a['category_id'])].append(dict(
                id=a['id'], rles=rles, areas=areas,
                avg_area=np.array(nonzero).mean() if nonzero else 0,
                iscrowd=int(a.get('iscrowd', 0) or 0)))
        return out


def _frame_areas(rles: Sequence) -> np.ndarray:
    """(T,) areas, 0 on null frames."""
    areas = np.zeros(len(rles), np.uint32)
    idx = [i for i, r in enumerate(rles) if r is not None]
    if idx:
        areas[idx] = mask_utils.area([rles[i] for i in idx])
    return areas


def load_results(results: JsonLike, gt: VISGroundTruth,
                 name: Optional[str] = None
                 ) -> Dict[int, Dict[int, List[dict]]]:
    """Check results and group them by video and category (file order).

    Each kept result becomes ``{id, score, rles, areas, avg_area}`` with
    ``id`` its 1-based position in the file. Results of categories absent
    from the ground truth are dropped.

    Raises:
        DataError: a result names an unknown video, lacks a field, or holds
            a segmentation that is not compressed RLE or null.
    """
    data, path = load_json(results, 'results file')
    where = path or name or 'results'
    if not isinstance(data, list):
        raise DataError(where, 'results must be a JSON list of objects')
    cats = set(gt.categories)
    grouped: Dict[int, Dict[int, List[dict]]] = defaultdict(
        lambda: defaultdict(list))
    for i, res in enumerate(data):
        try:
            vid, cat = res['video_id'], res['category_id']
            score, segs = res['score'], res['segmentations']
        except (KeyError, TypeError) as err:
            raise DataError(where, f'result {i}: missing or bad field '
                            f'({err!r})') from None
        for key, value in (('video_id', vid), ('category_id', cat)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise DataError(where, f'result {i}: {key} {value!r} is not '
                                'an integer')
        if not is_finite_number(score):
            raise DataError(where, f'result {i}: score {score!r} is not a '
                            'finite number')
        score = float(score)
        if vid not in gt.videos:
            raise DataError(where, f'result {i}: video_id {vid} is not in '
                            'the ground truth')
        if not isinstance(segs, list) or any(
                s is not None and not (isinstance(s, dict) and isinstance(
                    s.get('counts'), (str, bytes)) and 'size' in s)
                for s in segs):
            raise DataError(where, f'result {i}: segmentations must be a '
                            'list of compressed RLE (counts as a string) or '
                            'null')
        h, w, _ = gt.videos[vid]
        problems = rle_problems(segs, h, w)  # all frames in one pass
        if problems:
            t, cause = problems[0]
            raise DataError(where, f'result {i}, frame {t}: {cause}')
        if cat not in cats:  # checked, then ignored (as ytvoseval)
            continue
        try:
            areas = _frame_areas(segs)
        except (TypeError, ValueError) as err:
            raise DataError(where, f'result {i}: bad RLE ({err})') from None
        nonzero = areas[areas > 0]
        grouped[vid][cat].append(dict(
            id=i + 1, score=score, rles=segs, areas=areas,
            avg_area=nonzero.mean() if nonzero.size else 0))
    return grouped


def video_iou(dts: Sequence[dict], gts: Sequence[dict]) -> np.ndarray:
    """(D, G) video IoU: summed intersections over summed unions.

    Frames are paired up to the shorter of the two sequences; a frame that
    is null on one side adds the other side's area to the union, so the
    union of a pair is the sum of both areas over the paired frames minus
    the intersection. The intersection of a frame pair is recovered exactly
    from pycocotools' IoU: ``I = IoU * (a + b) / (1 + IoU)`` rounded (I and
    the union are integers far below 2**52).
    """
    n_d, n_g = len(dts), len(gts)
    if not n_d or not n_g:
        return np.zeros((n_d, n_g))
    len_d = np.array([len(d['rles']) for d in dts])
    len_g = np.array([len(g['rles']) for g in gts])
    n_t = int(max(len_d.max(), len_g.max()))
    area_d, idx_d, rle_d = _per_frame(dts, n_t)
    area_g, idx_g, rle_g = _per_frame(gts, n_t)
    inter = np.zeros((n_d, n_g))
    for t in range(n_t):
        di, gi = idx_d[t], idx_g[t]
        if not di or not gi:
            continue
        iou = np.asarray(mask_utils.iou(rle_d[t], rle_g[t], [0] * len(gi)),
                         np.float64).reshape(len(di), len(gi))
        total = area_d[di, t][:, None] + area_g[gi, t][None, :]
        inter[np.ix_(di, gi)] += np.round(iou * total / (1.0 + iou))
    # summed areas over the first L frames, L = the shorter length
    cum_d = np.concatenate([np.zeros((n_d, 1)), area_d.cumsum(1)], 1)
    cum_g = np.concatenate([np.zeros((n_g, 1)), area_g.cumsum(1)], 1)
    common = np.minimum(len_d[:, None], len_g[None, :])  # (D, G)
    union = (np.take_along_axis(cum_d, common, 1) +
             np.take_along_axis(cum_g, common.T, 1).T - inter)
    out = np.zeros((n_d, n_g))
    pos = union > 0
    out[pos] = inter[pos] / union[pos]
    return out


def _per_frame(tracks: Sequence[dict], n_t: int):
    """(N, T) float areas (0 when null or past the end), and per frame the
    indices and RLEs of the tracks that are non-null there."""
    areas = np.zeros((len(tracks), n_t))
    idx: List[List[int]] = [[] for _ in range(n_t)]
    rles: List[List[dict]] = [[] for _ in range(n_t)]
    for i, tr in enumerate(tracks):
        areas[i, :len(tr['areas'])] = tr['areas']
        for t, r in enumerate(tr['rles']):
            if r:
                idx[t].append(i)
                rles[t].append(r)
    return areas, idx, rles


def evaluate_vis(gt: JsonLike, results: JsonLike,
                 video_ids: Optional[Iterable[int]] = None,
                 results_name: Optional[str] = None) -> dict:
    """Video AP/AR of ``results`` against ``gt`` (ytvoseval's 12 stats).

    Args:
        gt (str | dict): YouTube-VIS / OVIS annotation file (or content).
        results (str | list): Results file (or content): a list of
            ``{video_id, category_id, score, segmentations}``.
        video_ids (Iterable[int], optional): Evaluate these videos only
            (default: every video of the ground truth).
        results_name (str, optional): Name of loaded ``results`` for error
            messages (e.g. the zip they came from).

    Returns:
        dict: ``AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm,
        ARl`` (-1 where undefined, as ytvoseval).
    """
    gt = gt if isinstance(gt, VISGroundTruth) else VISGroundTruth(gt)
    dts = load_results(results, gt, results_name)
    vids = gt.video_ids if video_ids is None else sorted(set(video_ids))
    n_areas = len(AREA_RANGES)
    # records[k][a] lists the per-video matching records in video order
    records = [[[] for _ in range(n_areas)] for _ in gt.categories]
    for vid in vids:
        gt_tracks = gt.tracks(vid)
        vid_dts = dts.get(vid, {})
        pairs = []  # (k, sorted predictions, ground truth) per category
        for k, cat in enumerate(gt.categories):
            g_list, d_list = gt_tracks.get(cat, []), vid_dts.get(cat, [])
            if not g_list and not d_list:
                continue
            order = np.argsort([-d['score'] for d in d_list],
                               kind='mergesort')
            pairs.append((k, [d_list[i] for i in order[:MAX_DETS[-1]]],
                          g_list))
        # one IoU matrix for the whole video (fewer pycocotools calls); each
        # category reads its own block
        all_ious = video_iou([d for _, ds, _ in pairs for d in ds],
                             [g for _, _, gs in pairs for g in gs])
        row = col = 0
        for k, d_list, g_list in pairs:
            ious = all_ious[row:row + len(d_list), col:col + len(g_list)]
            row, col = row + len(d_list), col + len(g_list)
            for a, area in enumerate(AREA_RANGES):
                records[k][a].append(evaluate_video_category(
                    d_list, g_list, ious, area))
    return summarize(accumulate(records))
