"""MOSE v1 (DAVIS J&F) and MOSE v2 (J, adaptive F, disappearance and
reappearance J&F).

MOSE v1 is scored by its server with the DAVIS semi-supervised rules
(:mod:`vostoolkit.evaluation.davis_eval`) on the YouTube-VOS-style layout
``Annotations/<video>/<frame>.png``. MOSE v2 re-implements the rules of
henghuiding/MOSE-api ``MOSEv2/sam2_rcms/tools/score.py`` and
``metricsv2.py`` (see ``docs/evaluation.md``). Both evaluate videos one at a
time, frame by frame (memory bounded by one frame pair), in worker processes.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from vostoolkit.utils import DataError
from .davis_eval import SequenceJob, _worker, run_jobs, summarize_davis
from .mask_io import MaskSource, PathLike, decode_index_png, list_pngs
from .mose_rules import (MOSEV2_KEYS, frame_values_v2, object_summary_v2,
                         summarize_mose_v2)

__all__ = ['evaluate_mose', 'evaluate_mose_v2', 'mose_annotation_root',
           'load_mose_v2_meta', 'MOSEV2_KEYS', 'summarize_mose_v2']


def mose_annotation_root(gt: PathLike, split: str = 'valid') -> str:
    """The ``Annotations`` folder of a MOSE ground truth given as the
    folder itself, a split folder or the dataset root."""
    gt = os.fspath(gt)
    for cand in (gt, osp.join(gt, 'Annotations'),
                 osp.join(gt, split, 'Annotations')):
        if osp.isdir(cand) and osp.basename(osp.normpath(cand)) == \
                'Annotations':
            return cand
    if osp.isdir(gt) and not osp.isdir(osp.join(gt, split)) and \
            not osp.isdir(osp.join(gt, 'Annotations')):
        return gt  # a bare folder of <video>/<frame>.png
    raise DataError(osp.join(gt, split, 'Annotations'),
                    'MOSE ground-truth Annotations folder not found')


def _video_list(ann_root: str, videos: Union[None, PathLike, Sequence[str]]
                ) -> List[str]:
    if videos is None:
        return sorted(d for d in os.listdir(ann_root)
                      if osp.isdir(osp.join(ann_root, d)) and
                      not d.startswith('.'))
    if isinstance(videos, (str, os.PathLike)):
        from .mask_io import read_lines
        return read_lines(videos)
    return list(videos)


def evaluate_mose(gt: PathLike, pred: PathLike, split: str = 'valid',
                  videos: Union[None, PathLike, Sequence[str]] = None,
                  num_workers: int = 2) -> dict:
    """MOSE v1: DAVIS semi-supervised J&F on ``Annotations/<video>/``.

    Every annotated frame but the first and the last is scored; the objects
    are the ids of the first annotation; the statistics are DAVIS's
    (:func:`~vostoolkit.evaluation.summarize_davis`).

    Args:
        gt (str): MOSE root, split folder or its ``Annotations`` folder
            (with every frame annotated, e.g. a held-out part of train).
        pred (str): Folder or zip of ``[Annotations/]<video>/<frame>.png``.
        split (str): Split folder under a root.
        videos (str | list[str], optional): Evaluate these (or a text file
            listing them); default every video folder of the ground truth.
        num_workers (int): Worker processes.

    Returns:
        dict: as :func:`~vostoolkit.evaluation.evaluate_davis`.
    """
    ann_root = mose_annotation_root(gt, split)
    source = MaskSource(pred, prefix='Annotations')
    jobs = []
    for name in _video_list(ann_root, videos):
        gt_dir = osp.join(ann_root, name)
        frames = list_pngs(gt_dir)
        if not frames:
            raise DataError(gt_dir, 'no ground-truth PNGs')
        jobs.append(SequenceJob(name, gt_dir, frames, source))
    return summarize_davis(run_jobs(jobs, _worker, num_workers))


# ---------------------------------------------------------------- MOSE v2
def load_mose_v2_meta(path: PathLike) -> Dict[str, dict]:
    """``meta.json`` of the MOSE v2 scorer: ``{"videos": {video:
    {"length": n, "height": h, "width": w, "objects": [ids]}}}``."""
    import json
    path = os.fspath(path)
    try:
        with open(path) as f:
            videos = json.load(f)['videos']
    except FileNotFoundError:
        raise DataError(path, 'file not found') from None
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(path, f'not a MOSE meta.json with "videos" ({err})'
                        ) from None
    if not isinstance(videos, dict):
        raise DataError(path, '"videos" is not a mapping')
    return videos


def _frame_key(stem: str):
    try:
        return 0, int(stem), stem
    except ValueError:
        return 1, 0, stem


@dataclass
class VideoJobV2:
    """One MOSE v2 video to score (picklable)."""
    name: str
    gt_dir: str
    frames: List[str]
    objects: List[str]
    size: Optional[Tuple[int, int]]
    pred: MaskSource
    missing: bool = False


@dataclass
class VideoResultV2:
    """Per-object values of one video: name -> the 7 official values."""
    name: str
    objects: Dict[str, list] = field(default_factory=dict)


def _eval_video_v2(job: VideoJobV2) -> VideoResultV2:
    res = VideoResultV2(job.name)
    n = len(job.frames)
    if job.missing or n <= 2:  # the official scores these objects 0
        for k in job.objects:
            res.objects[k] = [0, 0, 0, None, None, None, None]
        return res
    ids = [int(k) for k in job.objects]
    n_eval = n - 2
    j = np.zeros((len(ids), n_eval))
    f_new = np.zeros((len(ids), n_eval))
    f_old = np.zeros((len(ids), n_eval))
    empty = np.zeros((len(ids), n_eval), bool)
    size = job.size
    for i, t in enumerate(range(1, n - 1)):
        gt = decode_index_png(osp.join(job.gt_dir, job.frames[t] + '.png'))
        if size is None:
            size = gt.shape
        pred = job.pred.read(job.name, job.frames[t])
        if pred.shape != tuple(size):
            raise DataError(job.pred.describe(job.name, job.frames[t]),
                            f'size {pred.shape[1]}x{pred.shape[0]} differs '
                            f'from the video size {size[1]}x{size[0]} (W x H)')
        if gt.shape != pred.shape:
            raise DataError(osp.join(job.gt_dir, job.frames[t] + '.png'),
                            'ground-truth size differs from the video size')
        j[:, i], f_new[:, i], f_old[:, i], empty[:, i] = frame_values_v2(
            gt, pred, ids)
    for o, k in enumerate(job.objects):
        res.objects[k] = object_summary_v2(j[o], f_new[o], f_old[o], empty[o])
    return res


def _worker_v2(job: VideoJobV2):
    try:
        return _eval_video_v2(job)
    except DataError as err:
        return ('DataError', err.path, err.cause)


def evaluate_mose_v2(gt: PathLike, pred: PathLike,
                     meta: Optional[PathLike] = None, split: str = 'valid',
                     videos: Union[None, PathLike, Sequence[str]] = None,
                     allow_missing_videos: bool = False,
                     num_workers: int = 2) -> dict:
    """MOSE v2: the numbers of the official ``score.py``.

    Args:
        gt (str): MOSE v2 root, split folder or ``Annotations`` folder
            (every frame annotated).
        pred (str): Folder or zip of ``[Annotations/]<video>/<frame>.png``.
        meta (str, optional): The scorer's ``meta.json`` (length, height,
            width and objects of each video); without it the length is the
            number of ground-truth PNGs, the size that of the first one and
            the objects the ids of the first frame.
        split (str): Split folder under a root.
        videos (str | list[str], optional): Score these videos; default
            every video folder of the ground truth.
        allow_missing_videos (bool): Score the objects of a video absent
            from the predictions 0, as the server does (default: raise).
        num_workers (int): Worker processes.

    Returns:
        dict: ``J&F_new, J, F_new, disappear_J&F_new, reappear_J&F_new, F,
        J&F`` (fractions, unrounded), ``per_object`` (``<video>_<id>`` ->
        ``J, F_new, F, disappear_J, disappear_F_new, reappear_J,
        reappear_F_new``, None where undefined) and ``printed`` (the
        values the official script prints: x100, rounded to 2 decimals).

    Raises:
        DataError: one line naming the offending file.
    """
    ann_root = mose_annotation_root(gt, split)
    meta_videos = load_mose_v2_meta(meta) if meta is not None else None
    names = _video_list(ann_root, videos)
    source = MaskSource(pred, prefix='Annotations')
    tops = source.videos()
    if len(tops) == 1 and tops[0] not in names:
        # score.py descends into a lone top folder (e.g. a zipped output dir)
        source = MaskSource(pred, prefix=tops[0])
    present = set(source.videos())
    jobs = []
    for name in names:
        gt_dir = osp.join(ann_root, name)
        frames = sorted(list_pngs(gt_dir), key=_frame_key)
        if meta_videos is not None:
            if name not in meta_videos:
                raise DataError(os.fspath(meta), f'video {name} is not listed')
            info = meta_videos[name]
            if int(info['length']) != len(frames):
                raise DataError(gt_dir, f'{len(frames)} PNGs but meta.json '
                                f'gives length {info["length"]}')
            objects = [str(k) for k in info['objects']]
            h, w = info.get('height'), info.get('width')
            size = None if h is None or w is None else (int(h), int(w))
        else:
            if not frames:
                raise DataError(gt_dir, 'no ground-truth PNGs')
            first = decode_index_png(osp.join(gt_dir, frames[0] + '.png'))
            objects = [str(k) for k in np.unique(first).tolist()
                       if 0 < k < 255]
            size = None
        missing = name not in present
        if missing and not allow_missing_videos:
            raise DataError(source.describe(name, '*')[:-6],
                            'prediction folder of the video is missing')
        jobs.append(VideoJobV2(name, gt_dir, frames, objects, size, source,
                               missing))
    return summarize_mose_v2(run_jobs(jobs, _worker_v2, num_workers))
