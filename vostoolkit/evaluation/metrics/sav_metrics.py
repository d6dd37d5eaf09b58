"""mmengine metric and submission writer for SA-V (val / test).

:class:`SAVMetric` computes J and F of every (object, evaluated frame) pair
of each chunk as it arrives, against the object's binary ground-truth PNG,
and keeps only those values; ``compute_metrics`` applies the official
first-appearance rule per object and :func:`~..sav_eval.summarize_sav`.
Both read per-object predictions (``pred_instances.instance_ids`` /
``masks``) when the model gives them and fall back to ``pred_obj_masks ==
id`` (overlaps lost) otherwise.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from vostoolkit.registry import METRICS
from vostoolkit.utils import DataError
from ..mask_crops import MaskImage
from ..mask_io import encode_index_png
from ..sav_eval import (SAV_KEYS, SAVVideoResult, annotations_root,
                        binary_frame, sav_object_id, scan_video,
                        summarize_sav)
from ..vos_measures import boundary_radius, disk
from .sample_utils import ori_shape, vos_object_predictions
from .submission_metrics import _PNGSubmission


class _SAVObjects:
    """Object folders and frames of the ground-truth videos (cached)."""

    def __init__(self, data_root: str, split: str,
                 skip_first_and_last: bool) -> None:
        self.data_root, self.split = data_root, split
        self.skip = skip_first_and_last
        self._cache: Dict[str, Dict[str, List[str]]] = {}

    @property
    def ann_dir(self) -> str:
        return annotations_root(self.data_root, self.split)

    def objects(self, video: str, scored: bool = True
                ) -> Dict[str, List[str]]:
        """Object folder -> its frame files (the evaluated ones when
        ``scored``, else all)."""
        if video not in self._cache:
            gt_dir = osp.join(self.ann_dir, video)
            if not osp.isdir(gt_dir):
                raise DataError(gt_dir, 'no ground truth for this video')
            is_sav, entries = scan_video(gt_dir)
            if not is_sav:
                raise DataError(gt_dir, 'not the SA-V layout (<video>/<obj>/'
                                '<frame>.png); score DAVIS-layout folders '
                                'with tools/eval.py sav')
            for name, _ in entries:
                sav_object_id(name, gt_dir)
            self._cache[video] = dict(entries)
        out = self._cache[video]
        if scored and self.skip:
            return {k: v[1:-1] for k, v in out.items()}
        return out


@METRICS.register_module()
class SAVMetric(BaseMetric):
    """SA-V J&F, J and F (x100, the sam2 ``sav_evaluator.py`` protocol).

    Args:
        data_root (str): The SA-V root (``sav_<split>/``), a split folder or
            its ``Annotations_6fps``.
        split (str): 'val' or 'test'.
        skip_first_and_last (bool): Skip each object's first and last
            annotated frames (the official default).
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'sav').
    """
    default_prefix = 'sav'

    def __init__(self, data_root: str, split: str = 'val',
                 skip_first_and_last: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.gt = _SAVObjects(data_root, split, skip_first_and_last)
        self._kernels: dict = {}

    def _kernel(self, shape) -> np.ndarray:
        if shape not in self._kernels:
            self._kernels[shape] = disk(boundary_radius(shape))
        return self._kernels[shape]

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """J and F of each evaluated (object, frame) pair of a chunk."""
        for sample in data_samples:
            video, _, names, per_obj, _ = vos_object_predictions(sample)
            gt_dir = osp.join(self.gt.ann_dir, video)
            rec = dict(video=video, values=[])
            for obj, frames in self.gt.objects(video).items():
                wanted = set(frames)
                masks = per_obj.get(sav_object_id(obj))
                for t, stem in enumerate(names):
                    name = stem + '.png'
                    if name not in wanted:
                        continue
                    path = osp.join(gt_dir, obj, name)
                    gt = MaskImage(path, path)
                    pred = (masks[t] if masks is not None else
                            np.zeros(gt.shape, bool))
                    pred = MaskImage.from_array(
                        pred, f'prediction {video}/{obj}/{name}')
                    if pred.shape != gt.shape:
                        raise DataError(pred.where, 'size differs from the '
                                        'ground truth')
                    j, f = binary_frame(gt, pred, self._kernel(gt.shape))
                    rec['values'].append((obj, name, not gt.empty,
                                          not pred.empty, j, f))
            self.results.append(rec)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The official numbers over the videos received."""
        got: Dict[str, dict] = {}
        for rec in results:
            got.setdefault(rec['video'], {}).update(
                {(o, n): v for o, n, *v in rec['values']})
        videos = []
        for video in sorted(got):
            res = SAVVideoResult(video)
            for obj, frames in sorted(self.gt.objects(video).items()):
                js, fs, started, shown = [], [], False, False
                for name in frames:
                    if (obj, name) not in got[video]:
                        raise DataError(f'{video}/{obj}/{name}', 'no '
                                        'prediction for an evaluated frame')
                    g_any, p_any, j, f = got[video][(obj, name)]
                    started = started or g_any or p_any
                    if started:
                        shown = shown or g_any
                        js.append(j)
                        fs.append(f)
                if not shown:
                    raise DataError(osp.join(self.gt.ann_dir, video, obj),
                                    'the object is empty on every evaluated'
                                    ' frame')
                res.objects.append((obj, js, fs))
            videos.append(res)
        summary = summarize_sav(videos)
        return {k: summary[k] for k in SAV_KEYS}


@METRICS.register_module()
class SAVSubmission(_PNGSubmission):
    """Write SA-V predictions as the official evaluator reads them:
    ``<video>/<obj:03d>/<frame>.png``, one binary PNG (0 / 1, DAVIS
    palette) per object and frame at the original size.

    Args:
        out_file (str): The zip to write.
        data_root (str, optional): The SA-V root, split folder or
            ``Annotations_6fps``; when given, every object folder of the
            ground truth is written on its annotated frames (6 fps) only;
            otherwise every object of the prediction on every frame.
        split (str): 'val' or 'test'.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """

    def __init__(self, out_file: str, data_root: Optional[str] = None,
                 split: str = 'val', collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(out_file, collect_device=collect_device,
                         prefix=prefix)
        self.gt = None if data_root is None else _SAVObjects(
            data_root, split, False)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Write one binary PNG per object and kept frame of the chunk."""
        for sample in data_samples:
            video, _, names, per_obj, _ = vos_object_predictions(sample)
            if self.gt is not None:
                objects = {o: set(fr) for o, fr in
                           self.gt.objects(video, scored=False).items()}
            else:
                objects = {f'{i - 1:03d}': None for i in sorted(per_obj)}
            shape = (next(iter(per_obj.values())).shape[1:] if per_obj
                     else ori_shape(sample))
            written = []
            for obj, frames in objects.items():
                masks = per_obj.get(sav_object_id(obj))
                folder = osp.join(self.parts_dir, video, obj)
                os.makedirs(folder, exist_ok=True)
                for t, stem in enumerate(names):
                    name = stem + '.png'
                    if frames is not None and name not in frames:
                        continue
                    if masks is None and shape is None:
                        raise DataError(f'{video}/{obj}', 'no prediction to '
                                        'take the frame size from')
                    m = masks[t] if masks is not None else np.zeros(shape,
                                                                    bool)
                    path = osp.join(folder, name)
                    tmp = f'{path}.tmp-{os.getpid()}'
                    with open(tmp, 'wb') as f:
                        f.write(encode_index_png(m.astype(np.uint8)))
                    os.replace(tmp, path)
                    written.append(f'{video}/{obj}/{name}')
            self.results.append(dict(video=video, files=written))
