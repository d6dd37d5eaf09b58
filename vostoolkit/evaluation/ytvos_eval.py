"""YouTube-VOS overall score G on a split with labels.

Which frames count (see ``docs/evaluation.md``): the frames of a video are
those listed in ``meta.json`` (the union of its objects' ``frames``, i.e. the
annotated frames); object ``k`` is scored on every listed frame after the
one where its mask is first given, up to and including the last listed frame
(``exclude_last=True`` also drops the last one, as the FRTM authors' own
evaluation does). A frame where the object is absent from both the ground
truth and the prediction scores J = F = 1.

G = mean(J_seen, J_unseen, F_seen, F_unseen), each the mean over objects of
the per-object mean over its frames; an object is *seen* when its category
appears in the training ``meta.json``. When a split has no unseen objects (a
held-out part of train) G averages the terms that exist.
"""
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from vostoolkit.utils import DataError
from .davis_eval import run_jobs
from .mask_io import MaskSource, PathLike, decode_index_png, read_lines
from .vos_measures import boundary_radius, disk, pair_jf

G_KEYS = ('G', 'J_seen', 'F_seen', 'J_unseen', 'F_unseen')


def load_meta(path: PathLike) -> Dict[str, dict]:
    """``videos`` of a YouTube-VOS ``meta.json``, checked for its layout.

    Returns:
        dict: video name -> ``{'objects': {id: {'category', 'frames'}}}``.
    """
    path = str(path)
    if not osp.isfile(path):
        raise DataError(path, 'meta.json not found')
    try:
        with open(path) as f:
            meta = json.load(f)
        videos = meta['videos']
        for name, video in videos.items():
            for oid, obj in video['objects'].items():
                int(oid)
                if not isinstance(obj['frames'], list):
                    raise TypeError(f'video {name} object {oid}: frames')
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise DataError(path, f'not a YouTube-VOS meta.json ({err!r})') \
            from None
    return videos


def video_frames(video: dict) -> List[str]:
    """Sorted union of the frames listed for the video's objects."""
    frames: Set[str] = set()
    for obj in video['objects'].values():
        frames.update(obj['frames'])
    return sorted(frames)


def object_first_frames(video: dict) -> Dict[int, str]:
    """Object id -> the frame where its mask is first given."""
    return {int(oid): min(obj['frames'])
            for oid, obj in video['objects'].items() if obj['frames']}


def scored_frames(video: dict, exclude_last: bool = False
                  ) -> Dict[int, List[str]]:
    """Object id -> the frames it is scored on (see the module docstring)."""
    frames = video_frames(video)
    if exclude_last:
        frames = frames[:-1]
    return {k: [f for f in frames if f > first]
            for k, first in object_first_frames(video).items()}


@dataclass
class VideoJob:
    """One YouTube-VOS video to evaluate (picklable)."""
    name: str
    gt_dir: str
    scored: Dict[int, List[str]]
    pred: MaskSource


@dataclass
class VideoResult:
    """Per-object per-frame J and F of one video."""
    name: str
    values: Dict[int, Tuple[List[float], List[float]]] = field(
        default_factory=dict)


def check_ytvos_prediction(pred: np.ndarray, shape: Tuple[int, int],
                           object_ids: Iterable[int], where: str) -> None:
    """Raise a :class:`DataError` for a wrong size or an unknown id."""
    if pred.shape != tuple(shape):
        raise DataError(
            where, f'size {pred.shape[1]}x{pred.shape[0]} differs from the '
            f'ground truth {shape[1]}x{shape[0]} (W x H)')
    allowed = set(object_ids) | {0}
    extra = sorted(set(np.unique(pred).tolist()) - allowed)
    if extra:
        raise DataError(where, f'ids {extra} are not objects of this video '
                        f'(objects: {sorted(allowed - {0})})')


def evaluate_video(job: VideoJob) -> VideoResult:
    """J and F of every object of one video on its scored frames."""
    result = VideoResult(job.name, {k: ([], []) for k in job.scored})
    frames = sorted({f for fs in job.scored.values() for f in fs})
    kernel = None
    for frame in frames:
        gt_path = osp.join(job.gt_dir, frame + '.png')
        gt = decode_index_png(gt_path)
        if kernel is None:
            kernel = disk(boundary_radius(gt.shape))
        pred = job.pred.read(job.name, frame)
        check_ytvos_prediction(pred, gt.shape, job.scored,
                               job.pred.describe(job.name, frame))
        for k, obj_frames in job.scored.items():
            if frame in obj_frames:
                j, f = pair_jf(gt == k, pred == k, kernel)
                result.values[k][0].append(j)
                result.values[k][1].append(f)
    return result


def _worker(job: VideoJob):
    try:
        return evaluate_video(job)
    except DataError as err:
        return ('DataError', err.path, err.cause)


def summarize_ytvos(results: Sequence[VideoResult],
                    categories: Dict[str, Dict[int, str]],
                    seen: Optional[Set[str]]) -> dict:
    """G and its four terms from per-object values.

    Args:
        results (list[VideoResult]): Per-video values.
        categories (dict): video -> object id -> category name.
        seen (set[str] | None): Seen categories; None: every object is seen.
    """
    groups: Dict[Tuple[str, bool], List[float]] = {
        (m, s): [] for m in 'JF' for s in (True, False)}
    per_object = {}
    for res in results:
        for k, (js, fs) in res.values.items():
            cat = categories[res.name].get(k)
            is_seen = seen is None or cat in seen
            row = {'J': _nanmean(js), 'F': _nanmean(fs), 'category': cat,
                   'seen': is_seen, 'frames': len(js)}
            per_object[f'{res.name}_{k}'] = row
            if js:
                groups[('J', is_seen)].append(row['J'])
                groups[('F', is_seen)].append(row['F'])
    out = {
        'J_seen': _nanmean(groups[('J', True)]),
        'F_seen': _nanmean(groups[('F', True)]),
        'J_unseen': _nanmean(groups[('J', False)]),
        'F_unseen': _nanmean(groups[('F', False)]),
    }
    terms = [v for v in out.values() if not math.isnan(v)]
    out['G'] = float(np.mean(terms)) if terms else math.nan
    out = {k: out[k] for k in G_KEYS}
    out['num_objects'] = {'seen': len(groups[('J', True)]),
                          'unseen': len(groups[('J', False)])}
    out['per_object'] = per_object
    return out


def _nanmean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def seen_category_set(seen: Union[None, str, Iterable[str]], data_root: str,
                      split: str) -> Optional[Set[str]]:
    """Resolve ``seen``: a meta.json path, a list of names, or None for the
    categories of ``<data_root>/train/meta.json`` when evaluating another
    split (None again, i.e. all seen, when there is no such file)."""
    if seen is None:
        train_meta = osp.join(data_root, 'train', 'meta.json')
        if split == 'train' or not osp.isfile(train_meta):
            return None
        seen = train_meta
    if isinstance(seen, str):
        return {obj.get('category') for video in load_meta(seen).values()
                for obj in video['objects'].values()}
    return set(seen)


def evaluate_youtube_vos(data_root: PathLike, pred: PathLike,
                         split: str = 'valid',
                         videos: Union[None, str, Sequence[str]] = None,
                         seen_categories: Union[None, str,
                                                Iterable[str]] = None,
                         exclude_last: bool = False,
                         num_workers: int = 2) -> dict:
    """Evaluate YouTube-VOS predictions on a split whose labels you have.

    Args:
        data_root (str): Dataset root with ``<split>/meta.json`` and
            ``<split>/Annotations/<video>/<frame>.png``.
        pred (str): Folder or zip with ``[Annotations/]<video>/<frame>.png``.
        split (str): Split folder name.
        videos (str | list[str], optional): Only these videos (a list, or a
            text file with one name a line), e.g. a held-out part of train.
        seen_categories (str | list[str], optional): Categories counted as
            seen, or a meta.json whose categories are; default: those of
            ``<data_root>/train/meta.json``.
        exclude_last (bool): Do not score the last listed frame.
        num_workers (int): Worker processes.

    Returns:
        dict: ``G``, ``J_seen``, ``F_seen``, ``J_unseen``, ``F_unseen``,
        ``num_objects`` and ``per_object``.
    """
    data_root = str(data_root)
    meta = load_meta(osp.join(data_root, split, 'meta.json'))
    if isinstance(videos, str):
        videos = read_lines(videos)
    names = sorted(meta) if videos is None else list(videos)
    missing = [v for v in names if v not in meta]
    if missing:
        raise DataError(osp.join(data_root, split, 'meta.json'),
                        f'videos not listed: {missing[:5]}')
    source = MaskSource(pred, prefix='Annotations')
    jobs = [VideoJob(v, osp.join(data_root, split, 'Annotations', v),
                     scored_frames(meta[v], exclude_last), source)
            for v in names]
    categories = {v: {int(k): o.get('category')
                      for k, o in meta[v]['objects'].items()} for v in names}
    seen = seen_category_set(seen_categories, data_root, split)
    results = run_jobs(jobs, _worker, num_workers)
    return summarize_ytvos(results, categories, seen)
