"""VOST: J and J_last (TRI-ML/VOST ``evaluation/``).

Re-implements the rules of ``evaluation/source/evaluation.py``,
``dataset.py``, ``results.py``, ``metrics.py`` (``db_eval_iou``) and
``utils.py`` (``db_statistics``); see ``docs/evaluation.md``. Sequences are
evaluated one at a time, frame by frame, in worker processes.
"""
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from vostoolkit.utils import DataError
from .davis_eval import first_frame_objects, run_jobs
from .mask_io import MaskSource, PathLike, decode_index_png, read_lines
from .vos_measures import db_statistics

VOST_KEYS = ('J-Mean', 'J-Recall', 'J-Decay', 'J_last-Mean',
             'J_last-Recall', 'J_last-Decay')
LAST_FRACTION = 0.75
# up to this many objects a frame is scored object by object (three OpenCV
# counts each), above it by one confusion count
_PER_OBJECT_MAX = 8


def object_ious(gt: np.ndarray, pred: np.ndarray, num_objects: int
                ) -> np.ndarray:
    """J of objects ``1..num_objects`` on one frame, from one confusion
    count (void 255 and ids above ``num_objects`` count as background).

    Args:
        gt (np.ndarray): (H, W) uint8 ground-truth ids.
        pred (np.ndarray): (H, W) uint8 predicted ids.
        num_objects (int): O.

    Returns:
        np.ndarray: (O,) IoU, 1 where the union is empty.
    """
    if 0 < num_objects <= _PER_OBJECT_MAX and gt.dtype == np.uint8 and \
            pred.dtype == np.uint8:
        # a few objects: three counts each, in OpenCV (void 255 and other
        # ids never equal an object's id, so they count as background)
        j = np.ones(num_objects)
        g8, p8 = np.ascontiguousarray(gt), np.ascontiguousarray(pred)
        for k in range(1, num_objects + 1):
            g = cv2.compare(g8, k, cv2.CMP_EQ)
            p = cv2.compare(p8, k, cv2.CMP_EQ)
            n_g, n_p = cv2.countNonZero(g), cv2.countNonZero(p)
            if n_g or n_p:
                inter = cv2.countNonZero(cv2.bitwise_and(g, p))
                j[k - 1] = inter / (n_g + n_p - inter)
        return j
    n = num_objects + 1
    # pixels that are background in both only add to the unused (0, 0) cell
    fg = np.flatnonzero((gt | pred).ravel())
    g, p = gt.ravel()[fg], pred.ravel()[fg]
    g = np.where(g < n, g, 0).astype(np.intp)
    p = np.where(p < n, p, 0).astype(np.intp)
    conf = np.bincount((g * n + p).ravel(), minlength=n * n).reshape(n, n)
    inter = np.diagonal(conf)[1:]
    union = conf.sum(1)[1:] + conf.sum(0)[1:] - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        j = inter / union
    j[union == 0] = 1
    return j


def last_window(num_eval_frames: int) -> int:
    """First evaluated-frame index of J_last: ``floor(0.75 * n)``."""
    return int(math.floor(num_eval_frames * LAST_FRACTION))


def gt_frames(gt_dir: str) -> List[str]:
    """Stems of the annotation PNGs in file-name order (as ``glob``)."""
    if not osp.isdir(gt_dir):
        raise DataError(gt_dir, 'annotations of the sequence not found')
    return [f[:-4] for f in sorted(os.listdir(gt_dir)) if f.endswith('.png')]


@dataclass
class VOSTJob:
    """One sequence to evaluate (picklable)."""
    name: str
    gt_dir: str
    frames: List[str]
    pred: MaskSource


@dataclass
class VOSTResult:
    """Per-object J over the evaluated frames of one sequence."""
    name: str
    j: List[np.ndarray] = field(default_factory=list)


def _eval_sequence(job: VOSTJob) -> VOSTResult:
    if len(job.frames) < 3:
        raise DataError(job.gt_dir, f'{len(job.frames)} annotated frames; '
                        'VOST needs at least 3 (the first and the last are '
                        'not evaluated)')
    first = decode_index_png(osp.join(job.gt_dir, job.frames[0] + '.png'))
    n_obj = first_frame_objects(first)
    n_eval = len(job.frames) - 2
    j = np.zeros((n_obj, n_eval))
    for i, t in enumerate(range(1, len(job.frames) - 1)):
        gt = decode_index_png(osp.join(job.gt_dir, job.frames[t] + '.png'))
        pred = job.pred.read(job.name, job.frames[t])
        if pred.shape != gt.shape:
            raise DataError(job.pred.describe(job.name, job.frames[t]),
                            f'size {pred.shape[1]}x{pred.shape[0]} differs '
                            f'from the ground truth {gt.shape[1]}x'
                            f'{gt.shape[0]} (W x H)')
        j[:, i] = object_ious(gt, pred, n_obj)
    return VOSTResult(job.name, list(j))


def _worker(job: VOSTJob):
    try:
        return _eval_sequence(job)
    except DataError as err:
        return ('DataError', err.path, err.cause)


def summarize_vost(results: Sequence[VOSTResult]) -> dict:
    """J and J_last statistics per object and their means over objects.

    J_last is taken over the evaluated frames from ``floor(0.75 * n)`` on;
    the decay bins keep the official uint8 edges.
    """
    cols: Dict[str, List[float]] = {k: [] for k in VOST_KEYS}
    per_object = {}
    for res in results:
        for k, j in enumerate(res.j):
            row = dict(zip(VOST_KEYS[:3], db_statistics(j, wrap_uint8=True)))
            last = j[last_window(len(j)):]
            row.update(zip(VOST_KEYS[3:],
                           db_statistics(last, wrap_uint8=True)))
            per_object[f'{res.name}_{k + 1}'] = row
            for key in VOST_KEYS:
                cols[key].append(row[key])
    out = {k: float(np.mean(v)) if v else math.nan for k, v in cols.items()}
    out['per_object'] = per_object
    return out


def evaluate_vost(root: PathLike, pred: PathLike, split: str = 'val',
                  sequences: Optional[Sequence[str]] = None,
                  num_workers: int = 2) -> dict:
    """Evaluate a VOST result folder (or zip) against the ground truth.

    Args:
        root (str): VOST root with ``ImageSets/<split>.txt`` and
            ``Annotations/<seq>/``.
        pred (str): Folder or zip of ``<seq>/<frame>.png``.
        split (str): ImageSets list name ('val', 'train').
        sequences (list[str], optional): Evaluate these instead.
        num_workers (int): Worker processes.

    Returns:
        dict: ``J-Mean, J-Recall, J-Decay, J_last-Mean, J_last-Recall,
        J_last-Decay`` (fractions) and ``per_object`` (``<seq>_<k>`` -> the
        six values).

    Raises:
        DataError: one line naming the offending file.
    """
    root = os.fspath(root)
    if not osp.isdir(root):
        raise DataError(root, 'VOST root not found')
    names = list(sequences) if sequences is not None else read_lines(
        osp.join(root, 'ImageSets', f'{split}.txt'))
    source = MaskSource(pred)
    jobs = []
    for name in dict.fromkeys(names):
        gt_dir = osp.join(root, 'Annotations', name)
        frames = gt_frames(gt_dir)
        if not frames:
            raise DataError(gt_dir, 'no ground-truth PNGs')
        jobs.append(VOSTJob(name, gt_dir, frames, source))
    return summarize_vost(run_jobs(jobs, _worker, num_workers))


__all__ = ['evaluate_vost', 'summarize_vost', 'object_ious', 'last_window',
           'gt_frames', 'VOST_KEYS']
