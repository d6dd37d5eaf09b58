"""LVOS v1 / v2 semi-supervised J&F, seen / unseen, and the J&F spread V.

Re-implements the rules of the official evaluator (LingyiHongfd/
lvos-evaluation, ``lvos/evaluation.py`` and ``lvos/utils.py``; see
``docs/evaluation.md``):

* The objects and frames come from ``<split>_meta.json``: object ``k`` of a
  video is scored on the frames ``range(start, end, 5)`` of its
  ``frame_range`` (``end`` excluded), named ``%08d``, without the first of
  them (its given mask) and without the ``frame_nums - 1``-th; its value
  array has ``frame_nums - 2`` slots and a slot no frame reaches counts 0.
* J and F are the DAVIS measures on ``gt == k`` and ``pred == k`` (no void).
* Per object: J-Mean, F-Mean and V: the root of the mean squared deviation
  of the per-frame (J + F) / 2 from its mean, the mean square rounded to 4
  decimals before the root.
* Globally: seen and unseen objects (``unseen_videos.txt``) are averaged
  apart; each printed mean is the average of its seen and unseen means, and
  J&F-Mean is (J_seen + F_seen + J_unseen + F_unseen) / 4.

Frames are read one at a time (every object scored on a frame shares its
decode), so memory is bounded by one frame pair however long the video;
each pair is compared only on the box around the foreground of both masks
(:mod:`.mask_crops`).
"""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from vostoolkit.utils import DataError
from .davis_eval import run_jobs
from .mask_crops import MaskImage, pair_box
from .mask_io import MaskSource, PathLike, read_lines
from .vos_measures import boundary_radius, disk, pair_jf

FRAME_STEP = 5
LVOS_KEYS = ('J&F-Mean', 'J-Mean', 'J-seen-Mean', 'J-unseen-Mean', 'F-Mean',
             'F-seen-Mean', 'F-unseen-Mean', 'V-Mean', 'V-seen-Mean',
             'V-unseen-Mean')


def lvos_frame_name(number: int) -> str:
    """File stem of LVOS frame ``number`` (eight digits)."""
    return f'{int(number):08d}'


def meta_path(gt_root: PathLike, split: str = 'valid') -> str:
    """``<split>_meta.json`` of a split folder, or of ``<root>/<split>``
    (``meta.json`` is accepted as well)."""
    gt_root = os.fspath(gt_root)
    for folder in (gt_root, osp.join(gt_root, split)):
        for name in (f'{split}_meta.json', 'meta.json'):
            if osp.isfile(osp.join(folder, name)):
                return osp.join(folder, name)
    return osp.join(gt_root, f'{split}_meta.json')


def load_lvos_meta(path: PathLike) -> Dict[str, Dict[str, dict]]:
    """Video -> object id (str, in file order) -> ``frame_range`` with int
    ``start``, ``end`` and ``frame_nums``.

    Raises:
        DataError: the file is missing, not JSON, or an entry is malformed.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise DataError(path, 'LVOS meta file not found (<split>_meta.json '
                        'of the split folder)')
    try:
        with open(path) as f:
            data = json.load(f)
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(path, f'not valid JSON ({err})') from None
    videos = data.get('videos') if isinstance(data, dict) else None
    if not isinstance(videos, dict):
        raise DataError(path, "has no 'videos' mapping")
    out = {}
    for video, entry in videos.items():
        objects = (entry or {}).get('objects')
        if not isinstance(objects, dict):
            raise DataError(path, f"video {video}: no 'objects' mapping")
        out[video] = {}
        for key, obj in objects.items():
            rng = (obj or {}).get('frame_range')
            try:
                int(key)
                out[video][key] = {k: int(rng[k]) for k in
                                   ('start', 'end', 'frame_nums')}
            except (TypeError, KeyError, ValueError):
                raise DataError(path, f'video {video} object {key}: needs an '
                                'integer id and frame_range {start, end, '
                                'frame_nums}') from None
    return out


def scored_slots(rng: dict) -> List[Tuple[int, int]]:
    """(slot, frame number) pairs an object is scored on.

    The official loop walks ``range(start, end, 5)`` with a counter ``i``
    from 0, skips ``i == 0`` and ``i == frame_nums - 1`` and writes slot
    ``i - 1`` of ``frame_nums - 2`` slots.

    Raises:
        ValueError: the range reaches past the slots (the official code
        fails there too).
    """
    n = rng['frame_nums']
    out = []
    for i, frame in enumerate(range(rng['start'], rng['end'], FRAME_STEP)):
        if i == 0 or i == n - 1:
            continue
        if i - 1 >= n - 2:
            raise ValueError(f'frame_range {rng} holds more than frame_nums '
                             'frames')
        out.append((i - 1, frame))
    return out


def spread_v(j: np.ndarray, f: np.ndarray) -> float:
    """V of one object: sqrt(round(mean((m - JF)^2), 4)), JF = (J + F) / 2
    per frame and m its mean (NaN for an object without slots)."""
    jf = (np.asarray(j, np.float64) + np.asarray(f, np.float64)) / 2
    if jf.size == 0:
        return math.nan
    v = np.sum((np.mean(jf) - jf) ** 2) / jf.size
    return math.sqrt(float(np.round(v, 4)))


FRAMES_PER_JOB = 40


@dataclass
class LVOSJob:
    """One video, or a run of its scored frames, to evaluate (picklable).

    ``part`` = (first, stop) picks the scored frames ``sorted(plan)[first:
    stop]`` (all of them when None): a long video is split into several
    jobs so that the workers stay evenly loaded.
    """
    name: str
    gt_dir: str
    objects: Dict[str, dict]
    pred: MaskSource
    part: Optional[Tuple[int, int]] = None


@dataclass
class LVOSVideoResult:
    """Per-object slot values of one video, objects in meta order."""
    name: str
    objects: List[Tuple[str, np.ndarray, np.ndarray]] = field(
        default_factory=list)


def frame_plan(objects: Dict[str, dict], where: str
               ) -> Dict[int, List[Tuple[int, int]]]:
    """Frame number -> [(object index, slot)] of one video."""
    plan: Dict[int, List[Tuple[int, int]]] = {}
    for oi, rng in enumerate(objects.values()):
        if rng['frame_nums'] < 2:
            raise DataError(where, f'object {list(objects)[oi]}: frame_nums '
                            f'{rng["frame_nums"]} is below 2')
        try:
            slots = scored_slots(rng)
        except ValueError as err:
            raise DataError(where, f'object {list(objects)[oi]}: {err}') \
                from None
        for slot, frame in slots:
            plan.setdefault(frame, []).append((oi, slot))
    return plan


def evaluate_lvos_video(job: LVOSJob) -> LVOSVideoResult:
    """J and F in every slot of every object of one video (of the slots
    its frames reach, for a job holding a ``part``; the others stay 0)."""
    keys = list(job.objects)
    ids = [int(k) for k in keys]
    plan = frame_plan(job.objects, job.gt_dir)
    j = [np.zeros(rng['frame_nums'] - 2) for rng in job.objects.values()]
    f = [a.copy() for a in j]
    kernels: Dict[Tuple[int, int], np.ndarray] = {}
    frames = sorted(plan)
    if job.part is not None:
        frames = frames[job.part[0]:job.part[1]]
    for frame in frames:
        stem = lvos_frame_name(frame)
        gt_path = osp.join(job.gt_dir, stem + '.png')
        gt = MaskImage.index_png(gt_path, gt_path)
        pred = MaskImage.index_png(job.pred.raw(f'{job.name}/{stem}.png'),
                                   job.pred.describe(job.name, stem))
        if pred.shape != gt.shape:
            raise DataError(pred.where, f'size {pred.shape[1]}x'
                            f'{pred.shape[0]} differs from the ground truth '
                            f'{gt.shape[1]}x{gt.shape[0]} (W x H)')
        box = pair_box(gt, pred)
        if box is None:  # both empty: every object scores J = F = 1
            for oi, slot in plan[frame]:
                j[oi][slot], f[oi][slot] = 1.0, 1.0
            continue
        g, p = gt.crop(box), pred.crop(box)
        kernel = kernels.get(gt.shape)
        if kernel is None:
            kernel = kernels[gt.shape] = disk(boundary_radius(gt.shape))
        for oi, slot in plan[frame]:
            j[oi][slot], f[oi][slot] = pair_jf(g == ids[oi], p == ids[oi],
                                               kernel)
    return LVOSVideoResult(job.name, list(zip(keys, j, f)))


def _worker(job: LVOSJob):
    try:
        return evaluate_lvos_video(job)
    except DataError as err:
        return ('DataError', err.path, err.cause)


def _mean(values: List[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def summarize_lvos(results: Sequence[LVOSVideoResult],
                   unseen: Sequence[str]) -> dict:
    """The official global table and per-object rows.

    Returns:
        dict: :data:`LVOS_KEYS` (fractions; V in J&F units) and
        ``per_object`` (``<video>_<i>`` with ``i`` the 1-based position of
        the object in the meta file -> ``J-Mean``, ``F-Mean``, ``V-Mean``).
    """
    unseen = set(unseen)
    cols = {g: {m: [] for m in 'JFV'} for g in ('seen', 'unseen')}
    per_object = {}
    for res in results:
        group = cols['unseen' if res.name in unseen else 'seen']
        for i, (_, j, f) in enumerate(res.objects):
            row = {'J-Mean': _mean(j.tolist()), 'F-Mean': _mean(f.tolist()),
                   'V-Mean': spread_v(j, f)}
            per_object[f'{res.name}_{i + 1}'] = row
            for m in 'JFV':
                group[m].append(row[f'{m}-Mean'])
    out = {}
    for m in 'JFV':
        seen, uns = _mean(cols['seen'][m]), _mean(cols['unseen'][m])
        out[f'{m}-Mean'] = (seen + uns) / 2
        out[f'{m}-seen-Mean'] = seen
        out[f'{m}-unseen-Mean'] = uns
    out['J&F-Mean'] = ((out['J-seen-Mean'] + out['F-seen-Mean']) +
                       (out['J-unseen-Mean'] + out['F-unseen-Mean'])) / 4.0
    out = {k: out[k] for k in LVOS_KEYS}
    out['per_object'] = per_object
    return out


def unseen_list(gt_root: PathLike, split_dir: str,
                unseen: Union[None, PathLike, Sequence[str]] = None
                ) -> List[str]:
    """Unseen video names: a list, a file, or ``unseen_videos.txt`` in the
    split folder or the dataset root."""
    if unseen is not None and not isinstance(unseen, (str, os.PathLike)):
        return [str(v) for v in unseen]
    if unseen is not None:
        return read_lines(unseen)
    for folder in (split_dir, os.fspath(gt_root)):
        path = osp.join(folder, 'unseen_videos.txt')
        if osp.isfile(path):
            return read_lines(path)
    raise DataError(osp.join(split_dir, 'unseen_videos.txt'),
                    'unseen video list not found; pass unseen= (the '
                    'unseen_videos.txt of lvos-evaluation for the split)')


def evaluate_lvos(gt_root: PathLike, pred: PathLike, split: str = 'valid',
                  unseen: Union[None, PathLike, Sequence[str]] = None,
                  videos: Optional[Sequence[str]] = None,
                  num_workers: int = 2) -> dict:
    """Evaluate LVOS predictions (folder or zip) with the official rules.

    Args:
        gt_root (str): The split folder (``Annotations/``,
            ``<split>_meta.json``) or the dataset root holding it.
        pred (str): Folder or zip of ``[Annotations/]<video>/<frame>.png``.
        split (str): Split name ('valid' or 'test').
        unseen (str | list[str], optional): Unseen videos, or a file listing
            them (default: ``unseen_videos.txt`` next to the meta file).
        videos (list[str], optional): Evaluate only these videos.
        num_workers (int): Worker processes (videos, and runs of
            :data:`FRAMES_PER_JOB` scored frames of a longer video, in
            parallel).

    Returns:
        dict: see :func:`summarize_lvos`.

    Raises:
        DataError: one line naming the offending file.
    """
    meta_file = meta_path(gt_root, split)
    meta = load_lvos_meta(meta_file)
    split_dir = osp.dirname(meta_file)
    names = sorted(meta) if videos is None else list(videos)
    for name in names:
        if name not in meta:
            raise DataError(meta_file, f'video {name} is not listed')
    source = MaskSource(pred, prefix='Annotations')
    hidden = unseen_list(gt_root, split_dir, unseen)
    jobs = []
    for n in names:
        gt_dir = osp.join(split_dir, 'Annotations', n)
        count = len(frame_plan(meta[n], gt_dir))
        parts = [None] if num_workers <= 1 or count <= FRAMES_PER_JOB else [
            (i, i + FRAMES_PER_JOB) for i in range(0, count, FRAMES_PER_JOB)]
        jobs += [LVOSJob(n, gt_dir, meta[n], source, part) for part in parts]
    return summarize_lvos(merge_parts(run_jobs(jobs, _worker, num_workers)),
                          hidden)


def merge_parts(results: Sequence[LVOSVideoResult]) -> List[LVOSVideoResult]:
    """One result per video from the results of its parts (in order); each
    slot is filled by exactly one part, so the parts' arrays add up."""
    merged: Dict[str, LVOSVideoResult] = {}
    for res in results:
        have = merged.get(res.name)
        if have is None:
            merged[res.name] = LVOSVideoResult(
                res.name, [(k, j.copy(), f.copy()) for k, j, f in
                           res.objects])
            continue
        for (_, j, f), (_, j2, f2) in zip(have.objects, res.objects):
            j += j2
            f += f2
    return list(merged.values())
