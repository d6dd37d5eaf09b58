"""mmengine metrics for MOSE v1 (DAVIS J&F), MOSE v2 and VOST.

Like :class:`DAVISMetric`, they read the ground truth at its original size,
keep only per-frame values of each chunk as it arrives (memory does not
grow with the predictions) and group chunks by video in
``compute_metrics``.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from vostoolkit.registry import METRICS
from vostoolkit.utils import DataError
from ..mask_io import decode_index_png, list_pngs
from ..davis_eval import first_frame_objects
from ..mose_eval import (VideoResultV2, _frame_key, load_mose_v2_meta,
                         mose_annotation_root)
from ..mose_rules import (MOSEV2_KEYS, frame_values_v2, object_summary_v2,
                          summarize_mose_v2)
from ..vost_eval import (VOST_KEYS, VOSTResult, gt_frames, object_ious,
                        summarize_vost)
from .sample_utils import vos_prediction
from .vos_metrics import DAVISMetric


@METRICS.register_module()
class MOSEMetric(DAVISMetric):
    """MOSE v1 J&F (the DAVIS semi-supervised rules) on a labelled split.

    Args:
        gt_root (str): MOSE root, split folder or ``Annotations`` folder.
        split (str): Split folder under a root.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'mose').
    """
    default_prefix = 'mose'

    def __init__(self, gt_root: str, split: str = 'valid',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(gt_root, year='2017', split=split,
                         collect_device=collect_device, prefix=prefix)

    def _gt_dir(self, name: str) -> str:
        return osp.join(mose_annotation_root(self.gt_root, self.split), name)

    def _order(self, names) -> List[str]:
        return sorted(names)


class _FrameMetric(BaseMetric):
    """Per-frame values of the evaluated frames (first and last skipped),
    grouped by video at the end."""

    def _info(self, name: str) -> dict:
        raise NotImplementedError

    def _values(self, info: dict, gt: np.ndarray, pred: np.ndarray,
                where: str):
        raise NotImplementedError

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Compute the values of every evaluated frame of a chunk."""
        for sample in data_samples:
            name, _, names, masks = vos_prediction(sample)
            info = self._info(name)
            n = len(info['frames'])
            rec = dict(video=name, values={})
            for frame, pred in zip(names, masks):
                t = info['index'].get(frame)
                if t is None:
                    raise DataError(osp.join(info['gt_dir'], frame + '.png'),
                                    'predicted frame has no ground truth')
                if t == 0 or t == n - 1:
                    continue
                gt = decode_index_png(osp.join(info['gt_dir'],
                                               frame + '.png'))
                if pred.shape != gt.shape:
                    raise DataError(f'prediction {name}/{frame}',
                                    f'size {pred.shape} differs from the '
                                    f'ground truth {gt.shape}')
                rec['values'][t] = self._values(info, gt, pred,
                                                f'{name}/{frame}')
            self.results.append(rec)

    def _gather(self, results: List[dict]) -> Dict[str, list]:
        """Video -> values of its evaluated frames, in frame order."""
        got: Dict[str, dict] = {}
        for rec in results:
            got.setdefault(rec['video'], {}).update(rec['values'])
        out = {}
        for name in sorted(got):
            n = len(self._info(name)['frames'])
            missing = [t for t in range(1, n - 1) if t not in got[name]]
            if missing:
                raise DataError(name, f'no prediction for frames '
                                f'{missing[:8]}')
            out[name] = [got[name][t] for t in range(1, n - 1)]
        return out


@METRICS.register_module()
class MOSEv2Metric(_FrameMetric):
    """MOSE v2: J&F_new, J, F_new, disappear / reappear J&F_new, F, J&F
    (the rules of the official ``score.py``, see
    :func:`~vostoolkit.evaluation.evaluate_mose_v2`).

    Args:
        gt_root (str): MOSE v2 root, split folder or ``Annotations`` folder.
        split (str): Split folder under a root.
        meta_file (str, optional): The scorer's ``meta.json``.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'mose_v2').
    """
    default_prefix = 'mose_v2'

    def __init__(self, gt_root: str, split: str = 'valid',
                 meta_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.gt_root, self.split, self.meta_file = gt_root, split, meta_file
        self._cache: Dict[str, dict] = {}
        self._meta = None

    def _info(self, name: str) -> dict:
        if name not in self._cache:
            gt_dir = osp.join(mose_annotation_root(self.gt_root, self.split),
                              name)
            frames = sorted(list_pngs(gt_dir), key=_frame_key)
            if not frames:
                raise DataError(gt_dir, 'no ground-truth PNGs')
            if self.meta_file is not None:
                if self._meta is None:
                    self._meta = load_mose_v2_meta(self.meta_file)
                if name not in self._meta:
                    raise DataError(self.meta_file, f'video {name} is not '
                                    'listed')
                objects = [str(k) for k in self._meta[name]['objects']]
            else:
                first = decode_index_png(osp.join(gt_dir, frames[0] + '.png'))
                objects = [str(k) for k in np.unique(first).tolist()
                           if 0 < k < 255]
            self._cache[name] = dict(
                gt_dir=gt_dir, frames=frames, objects=objects,
                index={f: i for i, f in enumerate(frames)})
        return self._cache[name]

    def _values(self, info, gt, pred, where):
        return frame_values_v2(gt, pred, [int(k) for k in info['objects']])

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The seven global values (fractions)."""
        videos = []
        for name, values in self._gather(results).items():
            objects = self._info(name)['objects']
            res = VideoResultV2(name)
            if values:
                j, f_new, f_old, empty = (np.stack(v, axis=1)
                                          for v in zip(*values))
            for o, k in enumerate(objects):
                res.objects[k] = object_summary_v2(
                    j[o], f_new[o], f_old[o], empty[o]) if values else \
                    [0, 0, 0, None, None, None, None]
            videos.append(res)
        summary = summarize_mose_v2(videos)
        return {k: summary[k] for k in MOSEV2_KEYS}


@METRICS.register_module()
class VOSTMetric(_FrameMetric):
    """VOST J and J_last (see :func:`~vostoolkit.evaluation.evaluate_vost`).

    Args:
        gt_root (str): VOST root (``Annotations/<seq>``).
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'vost').
    """
    default_prefix = 'vost'

    def __init__(self, gt_root: str, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.gt_root = gt_root
        self._cache: Dict[str, dict] = {}

    def _info(self, name: str) -> dict:
        if name not in self._cache:
            gt_dir = osp.join(self.gt_root, 'Annotations', name)
            frames = gt_frames(gt_dir)
            if len(frames) < 3:
                raise DataError(gt_dir, f'{len(frames)} annotated frames; '
                                'VOST needs at least 3')
            first = decode_index_png(osp.join(gt_dir, frames[0] + '.png'))
            self._cache[name] = dict(
                gt_dir=gt_dir, frames=frames, n_obj=first_frame_objects(first),
                index={f: i for i, f in enumerate(frames)})
        return self._cache[name]

    def _values(self, info, gt, pred, where):
        return object_ious(gt, pred, info['n_obj'])

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """J and J_last mean, recall and decay over objects."""
        seqs = []
        for name, values in self._gather(results).items():
            j = np.stack(values, axis=1)  # (T, O) -> (O, T)
            seqs.append(VOSTResult(name, list(j)))
        summary = summarize_vost(seqs)
        return {k: summary[k] for k in VOST_KEYS}
