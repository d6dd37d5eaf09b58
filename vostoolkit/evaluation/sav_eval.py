"""SA-V semi-supervised J&F (and the DAVIS layout it also reads).

Re-implements the rules of the official evaluator (facebookresearch/sam2,
``sav_dataset/sav_evaluator.py`` and ``sav_dataset/utils/sav_benchmark.py``;
each rule with its source in ``docs/evaluation.md``):

* Layout, per video folder of the ground truth: if every entry ends in
  ``.png`` it is the DAVIS layout (``<video>/<frame>.png`` id maps),
  otherwise every entry is an object folder (``<video>/<obj>/<frame>.png``,
  one binary mask per object, so masks may overlap). The prediction has
  the same layout and names.
* Frames: the sorted file names of the folder, without the first and the
  last (``skip_first_and_last``).
* SA-V layout: a mask may hold at most two distinct values; any non-zero
  pixel is the object.
* An object is scored from the first evaluated frame where its ground truth
  or its prediction shows it; earlier frames do not count. An object is
  reported only if its ground truth shows it on an evaluated frame (an SA-V
  object that never does is an error there and here).
* J and F are the DAVIS measures without void; per object the means of its
  frames, times 100. Globally J and F are the means over all objects of all
  videos, J&F their average.
* Videos: the folders of the ground truth and of the prediction; without
  ``strict`` only those in both are scored.

Every mask is decoded once and compared only around the foreground of the
pair (:mod:`.mask_crops`), and videos run in worker processes: memory is
bounded by one frame pair.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from vostoolkit.utils import DataError
from .davis_eval import run_jobs
from .mask_crops import MaskImage, covers, pair_box
from .mask_io import MaskSource, PathLike
from .vos_measures import boundary_radius, disk, pair_jf

SAV_KEYS = ('J&F', 'J', 'F')


def annotations_root(gt_root: PathLike, split: str = 'val') -> str:
    """The folder of video folders: ``gt_root`` itself, or its
    ``Annotations_6fps`` (an SA-V split folder), ``sav_<split>/
    Annotations_6fps`` (the SA-V root) or ``Annotations`` folder."""
    gt_root = os.fspath(gt_root)
    for sub in ('Annotations_6fps', osp.join(f'sav_{split}',
                                             'Annotations_6fps'),
                'Annotations'):
        if osp.isdir(osp.join(gt_root, sub)):
            return osp.join(gt_root, sub)
    if not osp.isdir(gt_root):
        raise DataError(gt_root, 'ground-truth folder not found')
    return gt_root


def sav_object_id(name: str, where: str = '') -> int:
    """Object id of an SA-V object folder: ``'000'`` -> 1 (ids start at 1
    so that 0 stays the background of an id map)."""
    if not name.isdigit() or int(name) > 253:
        raise DataError(osp.join(where, name), 'SA-V object folders are '
                        'numbers 000..253')
    return int(name) + 1


def sav_object_name(obj_id: int) -> str:
    """The object folder of id ``obj_id`` (1 -> ``'000'``)."""
    return f'{int(obj_id) - 1:03d}'


def scan_video(gt_dir: str) -> Tuple[bool, List[Tuple[str, List[str]]]]:
    """Layout and frames of one ground-truth video folder.

    Returns:
        tuple: ``is_sav`` and ``[(object folder, sorted frame files)]``
        (SA-V layout) or ``[('', sorted frame files)]`` (DAVIS layout).
    """
    names = sorted(os.listdir(gt_dir))
    if all(n.endswith('.png') for n in names):
        return False, [('', names)]
    out = []
    for obj in names:
        folder = osp.join(gt_dir, obj)
        if not osp.isdir(folder):
            raise DataError(folder, 'SA-V layout: every entry of a video '
                            'folder must be an object folder (or every '
                            'entry a .png for the DAVIS layout)')
        out.append((obj, sorted(os.listdir(folder))))
    return True, out


@dataclass
class SAVJob:
    """One video, or some objects of an SA-V-layout video, to evaluate
    (picklable). ``scan`` is the video's :func:`scan_video` (listed again
    when None); with ``objects``, only those object folders are scored, so
    that a video's objects can run in different workers."""
    name: str
    gt_dir: str
    pred: MaskSource
    skip_first_and_last: bool = True
    scan: Optional[Tuple[bool, List[Tuple[str, List[str]]]]] = None
    objects: Optional[List[str]] = None


@dataclass
class SAVVideoResult:
    """Per-object values of one video: ``(object, J values, F values)``,
    object the folder name (SA-V layout) or the id (DAVIS layout)."""
    name: str
    objects: List[Tuple[str, List[float], List[float]]] = field(
        default_factory=list)


def _pair(job: SAVJob, rel: str) -> Tuple[MaskImage, MaskImage]:
    gt_path = osp.join(job.gt_dir, *rel.split('/'))
    gt = MaskImage(gt_path, gt_path)
    src = job.pred
    where = (f'{src.root}:{src.prefix}{job.name}/{rel}' if src.is_zip else
             osp.join(src.root, src.prefix, job.name, *rel.split('/')))
    pred = MaskImage(src.raw(f'{job.name}/{rel}'), where)
    if pred.shape != gt.shape:
        raise DataError(pred.where, f'size {pred.shape[1]}x{pred.shape[0]} '
                        f'differs from the ground truth {gt.shape[1]}x'
                        f'{gt.shape[0]} (W x H)')
    return gt, pred


def _check_binary(mask: MaskImage, values: List[int], box) -> None:
    distinct = set(values) | ({0} if not covers(box, mask.shape) else set())
    if len(distinct) > 2:
        raise DataError(mask.where, f'{len(distinct)} distinct values '
                        f'{sorted(distinct)[:5]}: an SA-V mask holds one '
                        'object (at most two values, any non-zero pixel is '
                        'the object)')


def binary_crop(mask: MaskImage, box) -> np.ndarray:
    """The object (non-zero pixels) of an SA-V mask inside ``box``, as a
    0/1 uint8 or bool (h, w) array; checks the mask holds at most two
    values.

    Raises:
        DataError: naming the mask when it holds more than two values.
    """
    arr = mask.crop(box)
    if arr.dtype == bool:  # a 1-bit PNG
        return arr
    top = int(cv2.minMaxLoc(arr)[1])
    if top <= 1:  # 0/1 values: binary already
        return arr
    n_top = cv2.countNonZero(cv2.compare(arr, top, cv2.CMP_EQ))
    if n_top != cv2.countNonZero(arr):  # two or more non-zero values
        _check_binary(mask, np.unique(arr).tolist(), box)
    return arr if top == 1 else np.not_equal(arr, 0)


def binary_frame(gt: MaskImage, pred: MaskImage, kernel: np.ndarray
                 ) -> Tuple[float, float]:
    """J and F of one SA-V (binary) mask pair; checks both are binary."""
    box = pair_box(gt, pred)
    if box is None:
        return 1.0, 1.0
    return pair_jf(binary_crop(gt, box), binary_crop(pred, box), kernel)


def _eval_object(job: SAVJob, obj: str, frames: List[str],
                 kernels: dict) -> Tuple[List[float], List[float], bool]:
    js, fs, started, shown = [], [], False, False
    for frame in frames:
        gt, pred = _pair(job, f'{obj}/{frame}')
        if not started:
            if gt.empty and pred.empty:
                continue
            started = True
        shown = shown or not gt.empty
        kernel = kernels.get(gt.shape)
        if kernel is None:
            kernel = kernels[gt.shape] = disk(boundary_radius(gt.shape))
        j, f = binary_frame(gt, pred, kernel)
        js.append(j)
        fs.append(f)
    return js, fs, shown


def _eval_davis_layout(job: SAVJob, frames: List[str],
                       kernels: dict) -> List[Tuple[str, List[float],
                                                    List[float]]]:
    values: Dict[int, Tuple[List[float], List[float]]] = {}
    in_gt = set()
    for frame in frames:
        gt, pred = _pair(job, frame)
        box = pair_box(gt, pred)
        g = p = None
        if box is not None:
            g, gv = gt.region(box)
            p, pv = pred.region(box)
            in_gt.update(v for v in gv if v)
            for k in set(gv) | set(pv):
                if k:
                    values.setdefault(k, ([], []))
        kernel = kernels.get(gt.shape)
        if kernel is None:
            kernel = kernels[gt.shape] = disk(boundary_radius(gt.shape))
        for k, (js, fs) in values.items():
            j, f = (1.0, 1.0) if box is None else pair_jf(g == k, p == k,
                                                          kernel)
            js.append(j)
            fs.append(f)
    return [(f'{k:03d}', *values[k]) for k in sorted(in_gt)]


def evaluate_sav_video(job: SAVJob) -> SAVVideoResult:
    """J and F per frame of every reported object of one video (of the
    job's ``objects``, when given)."""
    is_sav, entries = job.scan or scan_video(job.gt_dir)
    if job.objects is not None:
        entries = [e for e in entries if e[0] in set(job.objects)]
    kernels: dict = {}
    res = SAVVideoResult(job.name)
    for obj, frames in entries:
        if job.skip_first_and_last:
            frames = frames[1:-1]
        if not is_sav:
            res.objects = _eval_davis_layout(job, frames, kernels)
            continue
        js, fs, shown = _eval_object(job, obj, frames, kernels)
        if not shown:
            raise DataError(osp.join(job.gt_dir, obj), 'the object is empty '
                            'on every evaluated frame (the first and last '
                            'annotated frames are not evaluated); the '
                            'official evaluator fails on it too')
        res.objects.append((obj, js, fs))
    return res


def _worker(job: SAVJob):
    try:
        return evaluate_sav_video(job)
    except DataError as err:
        return ('DataError', err.path, err.cause)


def _merge_videos(results: Sequence[SAVVideoResult]
                  ) -> List[SAVVideoResult]:
    """One result per video from per-object results (in order)."""
    merged: Dict[str, SAVVideoResult] = {}
    for res in results:
        merged.setdefault(res.name, SAVVideoResult(res.name)).objects += \
            res.objects
    return list(merged.values())


def summarize_sav(results: Sequence[SAVVideoResult]) -> dict:
    """The official numbers (x100).

    Returns:
        dict: ``J&F``, ``J``, ``F`` (means over all objects) and
        ``per_object``: ``'<video>/<obj>'`` -> ``J&F``, ``J``, ``F``.
    """
    per_object, all_j, all_f = {}, [], []
    for res in results:
        for obj, js, fs in res.objects:
            j = float(np.mean(np.asarray(js, np.float64)) * 100)
            f = float(np.mean(np.asarray(fs, np.float64)) * 100)
            per_object[f'{res.name}/{obj}'] = {'J&F': (j + f) / 2, 'J': j,
                                               'F': f}
            all_j.append(j)
            all_f.append(f)
    if not all_j:
        raise DataError(None, 'no object to score (no video with an '
                        'object shown on an evaluated frame)')
    j = float(np.array(all_j).mean())
    f = float(np.array(all_f).mean())
    return {'J&F': (j + f) / 2, 'J': j, 'F': f, 'per_object': per_object}


def list_videos(folder: str) -> List[str]:
    """Video folders of a ground-truth folder."""
    return sorted(d for d in os.listdir(folder)
                  if osp.isdir(osp.join(folder, d)))


def evaluate_sav(gt_root: PathLike, pred: PathLike, split: str = 'val',
                 strict: bool = False,
                 videos: Optional[Sequence[str]] = None,
                 skip_first_and_last: bool = True,
                 num_workers: int = 2) -> dict:
    """Evaluate SA-V (or DAVIS-layout) predictions with the official rules.

    Args:
        gt_root (str): ``Annotations_6fps`` of a split, the split folder
            (``sav_val``), the SA-V root, or a DAVIS-layout folder.
        pred (str): Folder or zip with the same layout
            (``<video>/<obj>/<frame>.png``), optionally under
            ``Annotations_6fps/``.
        split (str): 'val' or 'test' (only to find ``sav_<split>`` under
            the SA-V root).
        strict (bool): Every ground-truth video must be predicted and no
            other (the official ``--strict``); otherwise the videos in both
            are scored (the official default).
        videos (list[str], optional): Score only these videos.
        skip_first_and_last (bool): Skip the first and last annotated
            frames (the official default; ``False`` is its
            ``--do_not_skip_first_and_last_frame``).
        num_workers (int): Worker processes (videos, and the objects of an
            SA-V-layout video, in parallel).

    Returns:
        dict: see :func:`summarize_sav`, plus ``unpredicted``: the
        ground-truth videos without a prediction folder (not scored).

    Raises:
        DataError: one line naming the offending file.
    """
    gt_dir = annotations_root(gt_root, split)
    source = MaskSource(pred, prefix='Annotations_6fps')
    gt_videos = list_videos(gt_dir)
    pred_videos = source.videos()
    missing = sorted(set(gt_videos) - set(pred_videos))
    if strict:
        extra = sorted(set(pred_videos) - set(gt_videos))
        if missing or extra:
            what = (f'{len(missing)} videos without a prediction (first: '
                    f'{missing[0]})' if missing else
                    f'{len(extra)} predicted videos not in the ground truth '
                    f'(first: {extra[0]})')
            raise DataError(source.root, f'strict: {what}')
    names = sorted(set(gt_videos) & set(pred_videos))
    if videos is not None:
        unknown = sorted(set(videos) - set(gt_videos))
        if unknown:
            raise DataError(gt_dir, f'video {unknown[0]} not found')
        names = [v for v in names if v in set(videos)]
        missing = [v for v in missing if v in set(videos)]
    jobs = []
    for n in names:
        scan = scan_video(osp.join(gt_dir, n))
        if num_workers <= 1 or not scan[0]:
            jobs.append(SAVJob(n, osp.join(gt_dir, n), source,
                               skip_first_and_last, scan))
            continue
        jobs += [SAVJob(n, osp.join(gt_dir, n), source, skip_first_and_last,
                        scan, [obj]) for obj, _ in scan[1]]
    out = summarize_sav(_merge_videos(run_jobs(jobs, _worker,
                                               num_workers)))
    out['unpredicted'] = missing
    return out
