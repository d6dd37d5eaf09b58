"""mmengine metric and submission writer for LVOS v1 / v2.

:class:`LVOSMetric` computes J and F of the scored (object, frame) pairs of
each chunk as it arrives (the ground truth read at its original size) and
keeps only those values; ``compute_metrics`` rebuilds each object's slots
and applies :func:`~vostoolkit.evaluation.lvos_eval.summarize_lvos`.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric

from vostoolkit.registry import METRICS
from vostoolkit.utils import DataError
from ..lvos_eval import (LVOS_KEYS, LVOSVideoResult, frame_plan,
                         load_lvos_meta, meta_path, summarize_lvos,
                         unseen_list)
from ..mask_io import decode_index_png
from ..vos_measures import boundary_radius, disk, pair_jf
from .sample_utils import vos_prediction
from .submission_metrics import YouTubeVOSSubmission


def _frame_number(stem: str) -> Optional[int]:
    return int(stem) if stem.isdigit() else None


@METRICS.register_module()
class LVOSMetric(BaseMetric):
    """LVOS J&F, seen / unseen and V (the lvos-evaluation protocol).

    Args:
        data_root (str): The LVOS root or the split folder.
        split (str): Split ('valid').
        unseen (str | list[str], optional): Unseen videos or a file listing
            them (default: ``unseen_videos.txt`` of the split).
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'lvos').
    """
    default_prefix = 'lvos'

    def __init__(self, data_root: str, split: str = 'valid',
                 unseen: Union[None, str, Sequence[str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.data_root, self.split, self.unseen = data_root, split, unseen
        self._meta = None
        self._plans: Dict[str, dict] = {}

    @property
    def meta_file(self) -> str:
        return meta_path(self.data_root, self.split)

    @property
    def meta(self) -> Dict[str, Dict[str, dict]]:
        """The split's meta (loaded once)."""
        if self._meta is None:
            self._meta = load_lvos_meta(self.meta_file)
        return self._meta

    def _plan(self, video: str) -> dict:
        if video not in self._plans:
            if video not in self.meta:
                raise DataError(self.meta_file, f'video {video} is not '
                                'listed')
            gt_dir = osp.join(osp.dirname(self.meta_file), 'Annotations',
                              video)
            self._plans[video] = frame_plan(self.meta[video], gt_dir)
        return self._plans[video]

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """J and F of every object scored on each frame of a chunk."""
        for sample in data_samples:
            name, _, names, masks = vos_prediction(sample)
            plan = self._plan(name)
            ids = [int(k) for k in self.meta[name]]
            gt_dir = osp.join(osp.dirname(self.meta_file), 'Annotations',
                              name)
            rec = dict(video=name, values=[])
            for stem, pred in zip(names, masks):
                scored = plan.get(_frame_number(stem), ())
                if not scored:
                    continue
                gt = decode_index_png(osp.join(gt_dir, stem + '.png'))
                if pred.shape != gt.shape:
                    raise DataError(f'prediction {name}/{stem}',
                                    'size differs from the ground truth')
                kernel = disk(boundary_radius(gt.shape))
                for oi, slot in scored:
                    rec['values'].append((oi, slot, *pair_jf(
                        gt == ids[oi], pred == ids[oi], kernel)))
            self.results.append(rec)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The official global numbers over the videos received."""
        got: Dict[str, dict] = {}
        for rec in results:
            got.setdefault(rec['video'], {}).update(
                {(oi, slot): (j, f) for oi, slot, j, f in rec['values']})
        videos = []
        for name in sorted(got):
            objects = self.meta[name]
            res = LVOSVideoResult(name)
            wanted = {k for ks in self._plan(name).values() for k in ks}
            missing = sorted(wanted - set(got[name]))
            if missing:
                raise DataError(name, f'no prediction for {len(missing)} '
                                'scored (object, slot) pairs')
            arrays = [(np.zeros(r['frame_nums'] - 2),
                       np.zeros(r['frame_nums'] - 2))
                      for r in objects.values()]
            for (oi, slot), (jv, fv) in got[name].items():
                arrays[oi][0][slot], arrays[oi][1][slot] = jv, fv
            res.objects = [(key, j, f)
                           for key, (j, f) in zip(objects, arrays)]
            videos.append(res)
        split_dir = osp.dirname(self.meta_file)
        summary = summarize_lvos(videos, unseen_list(self.data_root,
                                                     split_dir, self.unseen))
        return {k: summary[k] for k in LVOS_KEYS}


def lvos_submission_frames(meta_file: str) -> Dict[str, set]:
    """Video -> the frame stems the LVOS server reads (every 5th frame of
    each object's ``frame_range``, both ends included)."""
    out: Dict[str, set] = {}
    for video, objects in load_lvos_meta(meta_file).items():
        keep = out.setdefault(video, set())
        for rng in objects.values():
            keep.update(f'{n:08d}' for n in range(rng['start'],
                                                  rng['end'] + 1, 5))
    return out


@METRICS.register_module()
class LVOSSubmission(YouTubeVOSSubmission):
    """Write an LVOS submission zip (the Codalab layout):
    ``Annotations/<video>/<frame>.png``, DAVIS palette, original size.

    Args:
        out_file (str): The zip to write.
        meta_file (str, optional): The split's ``<split>_meta.json``; when
            given, only the frames the server reads are written (every 5th
            frame of each object's range) instead of every frame.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """

    @staticmethod
    def frames_to_keep(meta_file: str) -> Dict[str, set]:
        return lvos_submission_frames(meta_file)
