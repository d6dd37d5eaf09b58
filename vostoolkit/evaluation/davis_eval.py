"""DAVIS J&F: the semi-supervised and unsupervised protocols.

Re-implements the rules of davis2017-evaluation (see ``docs/evaluation.md``
for each rule and where we deliberately differ). Sequences are evaluated one
at a time, frame by frame (memory bounded by one frame pair), in a pool of
worker processes.
"""
import math
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from vostoolkit.utils import DataError
from .mask_io import (MaskSource, PathLike, decode_index_png,
                      keep_freed_memory, list_pngs,
                      read_lines)
from .vos_measures import boundary_radius, db_statistics, disk, pair_jf

VOID = 255
MAX_PROPOSALS = 20
TASKS = ('semi-supervised', 'unsupervised')
STAT_KEYS = ('J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay')
GLOBAL_KEYS = ('J&F-Mean', ) + STAT_KEYS


def first_frame_objects(gt: np.ndarray, year: str = '2017') -> int:
    """Number of objects of a sequence: the largest id of its first frame
    (void 255 excluded); 1 (or 0 if empty) for DAVIS 2016."""
    ids = gt[gt != VOID]
    if year == '2016':
        return int(bool(np.count_nonzero(ids)))
    return int(ids.max()) if ids.size else 0


def semi_frame_values(gt: np.ndarray, pred: np.ndarray, num_objects: int,
                      kernel: np.ndarray, year: str = '2017'
                      ) -> Tuple[List[float], List[float]]:
    """J and F of every object on one frame (semi-supervised protocol).

    Prediction id ``k`` is compared with ground-truth id ``k``; void (255)
    counts as background; ground-truth ids above ``num_objects`` are
    ignored. DAVIS 2016 is binary: ground truth ids 1..254 form the object,
    any non-zero prediction is the object.

    Args:
        gt (np.ndarray): (H, W) uint8 ground-truth ids.
        pred (np.ndarray): (H, W) uint8 predicted ids, checked by the caller.
        num_objects (int): From :func:`first_frame_objects`.
        kernel (np.ndarray): Boundary disk for this frame size.
        year (str): '2016' or '2017'.

    Returns:
        tuple[list, list]: J and F, one value per object.
    """
    js, fs = [], []
    if year == '2016':
        pairs = [((gt != 0) & (gt != VOID), pred != 0)] if num_objects else []
    else:
        pairs = ((gt == k, pred == k) for k in range(1, num_objects + 1))
    for g, p in pairs:
        j, f = pair_jf(g, p, kernel)
        js.append(j)
        fs.append(f)
    return js, fs


def check_prediction(pred: np.ndarray, gt_shape: Tuple[int, int],
                     max_id: int, where: str, what: str = 'objects') -> None:
    """Raise a :class:`DataError` naming ``where`` for a wrong size or an id
    above ``max_id``."""
    if pred.shape != tuple(gt_shape):
        raise DataError(
            where, f'size {pred.shape[1]}x{pred.shape[0]} differs from the '
            f'ground truth {gt_shape[1]}x{gt_shape[0]} (W x H)')
    top = int(pred.max()) if pred.size else 0
    if top > max_id:
        raise DataError(
            where, f'predicted id {top} is above the {max_id} {what} of the '
            'sequence')


@dataclass
class SequenceJob:
    """One sequence to evaluate (picklable, sent to a worker)."""
    name: str
    gt_dir: str
    frames: List[str]
    pred: MaskSource
    task: str = 'semi-supervised'
    year: str = '2017'


@dataclass
class SequenceResult:
    """Per-object per-frame values of one sequence, in the official order.

    ``objects`` holds ``(k, J values, F values)`` with ``k`` the 1-based
    ground-truth object index.
    """
    name: str
    objects: List[Tuple[int, np.ndarray, np.ndarray]] = field(
        default_factory=list)


def _read_gt(job: SequenceJob, t: int) -> np.ndarray:
    return decode_index_png(osp.join(job.gt_dir, job.frames[t] + '.png'))


def _eval_semi(job: SequenceJob) -> SequenceResult:
    if len(job.frames) < 3:
        raise DataError(job.gt_dir, f'{len(job.frames)} annotated frames; '
                        'the semi-supervised protocol needs at least 3 (the '
                        'first and the last are not evaluated)')
    first = _read_gt(job, 0)
    n_obj = first_frame_objects(first, job.year)
    kernel = disk(boundary_radius(first.shape))
    n_eval = len(job.frames) - 2
    j_all = np.zeros((n_obj, n_eval))
    f_all = np.zeros((n_obj, n_eval))
    max_id = 255 if job.year == '2016' else n_obj
    for i, t in enumerate(range(1, len(job.frames) - 1)):
        gt = _read_gt(job, t)
        if gt.shape != first.shape:
            raise DataError(osp.join(job.gt_dir, job.frames[t] + '.png'),
                            'ground-truth size differs from the first frame')
        pred = job.pred.read(job.name, job.frames[t])
        check_prediction(pred, gt.shape, max_id,
                         job.pred.describe(job.name, job.frames[t]))
        js, fs = semi_frame_values(gt, pred, n_obj, kernel, job.year)
        j_all[:, i] = js
        f_all[:, i] = fs
    return SequenceResult(job.name, [(k + 1, j_all[k], f_all[k])
                                     for k in range(n_obj)])


def _eval_unsupervised(job: SequenceJob) -> SequenceResult:
    """All frames, void excluded, proposals matched to objects."""
    first = _read_gt(job, 0)
    n_gt = first_frame_objects(first)
    kernel = disk(boundary_radius(first.shape))
    n_t = len(job.frames)
    # values for proposals found in a frame, and for an empty proposal
    found: Dict[int, Dict[int, Tuple[List[float], List[float]]]] = {}
    empty_j = np.zeros((n_gt, n_t))
    empty_f = np.zeros((n_gt, n_t))
    top = 0
    for t in range(n_t):
        gt = first if t == 0 else _read_gt(job, t)
        keep = gt != VOID
        pred = job.pred.read(job.name, job.frames[t])
        check_prediction(pred, gt.shape, MAX_PROPOSALS,
                         job.pred.describe(job.name, job.frames[t]),
                         what='proposals allowed for')
        gts = [(gt == k) for k in range(1, n_gt + 1)]
        nothing = np.zeros_like(keep)
        for i, g in enumerate(gts):
            empty_j[i, t], empty_f[i, t] = pair_jf(g, nothing, kernel)
        for pid in np.unique(pred).tolist():
            if pid == 0:
                continue
            top = max(top, pid)  # a proposal counts even if all void
            p = (pred == pid) & keep
            pairs = [pair_jf(g, p, kernel) for g in gts]
            found.setdefault(pid, {})[t] = ([v[0] for v in pairs],
                                            [v[1] for v in pairs])
    n_res = max(top, n_gt)
    j = np.repeat(empty_j[None], n_res, axis=0)  # (n_res, n_gt, T)
    f = np.repeat(empty_f[None], n_res, axis=0)
    for pid, frames in found.items():
        for t, (js, fs) in frames.items():
            j[pid - 1, :, t] = js
            f[pid - 1, :, t] = fs
    score = (np.mean(j, axis=2) + np.mean(f, axis=2)) / 2
    rows, cols = linear_sum_assignment(-score)
    return SequenceResult(job.name, [(int(c) + 1, j[r, c], f[r, c])
                                     for r, c in zip(rows, cols)])


def evaluate_sequence(job: SequenceJob) -> SequenceResult:
    """Evaluate one sequence with ``job.task``'s protocol."""
    if job.task == 'unsupervised':
        return _eval_unsupervised(job)
    return _eval_semi(job)


def _worker(job: SequenceJob):
    # DataError does not survive pickling with its two arguments; send the
    # parts back and raise again in the parent.
    try:
        return evaluate_sequence(job)
    except DataError as err:
        return ('DataError', err.path, err.cause)


def run_jobs(jobs: Sequence, worker, num_workers: int = 2) -> List:
    """Run ``worker`` over ``jobs`` in order, in ``num_workers`` processes
    (inline when ``num_workers <= 1``), re-raising worker DataErrors.

    On an error the jobs not yet started are cancelled and the running ones
    finish; workers are never killed mid-task (killing a worker that holds
    a queue lock can hang a ``multiprocessing.Pool``).
    """
    if num_workers <= 1 or len(jobs) <= 1:
        return [_unwrap(worker(job)) for job in jobs]
    methods = mp.get_all_start_methods()
    ctx = mp.get_context('fork' if 'fork' in methods else 'spawn')
    executor = ProcessPoolExecutor(min(num_workers, len(jobs)),
                                   mp_context=ctx,
                                   initializer=keep_freed_memory)
    try:
        futures = [executor.submit(worker, job) for job in jobs]
        return [_unwrap(f.result()) for f in futures]
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _unwrap(res):
    if isinstance(res, tuple) and res and res[0] == 'DataError':
        raise DataError(res[1], res[2])
    return res


def summarize_davis(results: Sequence[SequenceResult]) -> dict:
    """Global, per-object and per-sequence statistics.

    The global values average the per-object statistics over all objects of
    all sequences (``J&F-Mean`` is the mean of ``J-Mean`` and ``F-Mean``);
    ``per_sequence`` averages each statistic over the sequence's objects.
    """
    columns: Dict[str, List[float]] = {k: [] for k in STAT_KEYS}
    per_object: Dict[str, Dict[str, float]] = {}
    per_sequence: Dict[str, Dict[str, float]] = {}
    for res in results:
        seq_rows = []
        for k, js, fs in res.objects:
            row = dict(zip(STAT_KEYS, db_statistics(js) + db_statistics(fs)))
            for key in STAT_KEYS:
                columns[key].append(row[key])
            per_object[f'{res.name}_{k}'] = row
            seq_rows.append(row)
        seq = {key: _mean([r[key] for r in seq_rows]) for key in STAT_KEYS}
        seq['J&F-Mean'] = (seq['J-Mean'] + seq['F-Mean']) / 2
        per_sequence[res.name] = {key: seq[key] for key in GLOBAL_KEYS}
    out = {key: _mean(columns[key]) for key in STAT_KEYS}
    out['J&F-Mean'] = (out['J-Mean'] + out['F-Mean']) / 2.
    out = {key: out[key] for key in GLOBAL_KEYS}
    out['per_object'] = dict(sorted(per_object.items(),
                                    key=lambda kv: _object_key(kv[0])))
    out['per_sequence'] = per_sequence
    return out


def _object_key(name: str):
    seq, _, k = name.rpartition('_')
    return seq, int(k)


def _mean(values: List[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def davis_sequences(gt_root: PathLike, year: str = '2017',
                    split: str = 'val', imageset: Optional[str] = None
                    ) -> List[str]:
    """Sequence names of a split, from ``ImageSets/<year>/<split>.txt``."""
    path = imageset or osp.join(gt_root, 'ImageSets', year, f'{split}.txt')
    return read_lines(path)


def evaluate_davis(gt_root: PathLike, pred: PathLike, year: str = '2017',
                   split: str = 'val', resolution: str = '480p',
                   task: str = 'semi-supervised',
                   sequences: Optional[Sequence[str]] = None,
                   num_workers: int = 2) -> dict:
    """Evaluate a DAVIS result folder (or zip) against the ground truth.

    Args:
        gt_root (str): DAVIS root with ``ImageSets`` and ``Annotations``
            (``Annotations_unsupervised`` for the unsupervised task).
        pred (str): Folder or zip with ``<sequence>/<frame>.png``.
        year (str): '2016' or '2017' (the ImageSets folder, and 2016 is
            evaluated as one binary object).
        split (str): ImageSets list name ('val', 'train', ...).
        resolution (str): '480p' or 'Full-Resolution'.
        task (str): 'semi-supervised' or 'unsupervised'.
        sequences (list[str], optional): Evaluate these instead of the list.
        num_workers (int): Worker processes (sequences in parallel).

    Returns:
        dict: ``J&F-Mean``, ``J-Mean``, ``J-Recall``, ``J-Decay``, ``F-Mean``,
        ``F-Recall``, ``F-Decay`` (fractions), ``per_object`` and
        ``per_sequence``.

    Raises:
        DataError: one line naming the offending file.
    """
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS}, got {task!r}')
    if year not in ('2016', '2017'):
        raise ValueError(f"year must be '2016' or '2017', got {year!r}")
    gt_root = str(gt_root)
    if not osp.isdir(gt_root):
        raise DataError(gt_root, 'DAVIS root not found')
    names = list(sequences) if sequences is not None else davis_sequences(
        gt_root, year, split)
    ann = 'Annotations' if task == 'semi-supervised' else \
        'Annotations_unsupervised'
    source = MaskSource(pred)
    jobs = []
    for name in names:
        gt_dir = osp.join(gt_root, ann, resolution, name)
        frames = list_pngs(gt_dir)
        if not frames:
            raise DataError(gt_dir, 'no ground-truth PNGs')
        jobs.append(SequenceJob(name, gt_dir, frames, source, task, year))
    return summarize_davis(run_jobs(jobs, _worker, num_workers))
