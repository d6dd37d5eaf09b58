"""mmengine metrics for DAVIS J&F and YouTube-VOS G.

Both read the ground truth from disk at its original size, compute the
per-frame J and F of every chunk as it arrives (predictions are resized to
``ori_shape`` with nearest neighbour if needed) and keep only those values,
so memory does not grow with the predictions. Chunks of one video may
arrive in any number of calls and on any rank; ``compute_metrics`` groups
them by video.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric

from vostoolkit.registry import METRICS
from vostoolkit.utils import DataError
from ..davis_eval import (GLOBAL_KEYS, SequenceResult, check_prediction,
                          davis_sequences, first_frame_objects,
                          semi_frame_values, summarize_davis)
from ..mask_io import decode_index_png, list_pngs
from ..vos_measures import boundary_radius, disk, pair_jf
from ..ytvos_eval import (G_KEYS, VideoResult, check_ytvos_prediction,
                          load_meta, scored_frames, seen_category_set,
                          summarize_ytvos)
from .sample_utils import vos_prediction


@METRICS.register_module()
class DAVISMetric(BaseMetric):
    """DAVIS semi-supervised J&F (the davis2017-evaluation protocol).

    Args:
        gt_root (str): DAVIS root (``Annotations/<resolution>/<seq>``).
        year (str): '2017' or '2016' (binary).
        split (str): ImageSets list, used to order the sequences.
        resolution (str): '480p' or 'Full-Resolution'.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'davis').
    """
    default_prefix = 'davis'

    def __init__(self, gt_root: str, year: str = '2017', split: str = 'val',
                 resolution: str = '480p', collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.gt_root, self.year, self.split = gt_root, year, split
        self.resolution = resolution
        self._videos: Dict[str, dict] = {}

    def _video(self, name: str) -> dict:
        info = self._videos.get(name)
        if info is None:
            gt_dir = self._gt_dir(name)
            frames = list_pngs(gt_dir)
            if not frames:
                raise DataError(gt_dir, 'no ground-truth PNGs')
            first = decode_index_png(osp.join(gt_dir, frames[0] + '.png'))
            info = dict(gt_dir=gt_dir, frames=frames,
                        index={f: i for i, f in enumerate(frames)},
                        n_obj=first_frame_objects(first, self.year),
                        kernel=disk(boundary_radius(first.shape)))
            self._videos[name] = info
        return info

    def _gt_dir(self, name: str) -> str:
        """Ground-truth folder of a video (layouts other than DAVIS's
        override it)."""
        return osp.join(self.gt_root, 'Annotations', self.resolution, name)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Compute per-frame J and F of every evaluated frame of a chunk."""
        for sample in data_samples:
            name, _, names, masks = vos_prediction(sample)
            info = self._video(name)
            n = len(info['frames'])
            rec = dict(video=name, num_frames=n, num_objects=info['n_obj'],
                       frames=[], j=[], f=[])
            for frame, pred in zip(names, masks):
                t = info['index'].get(frame)
                if t is None:
                    raise DataError(osp.join(info['gt_dir'], frame + '.png'),
                                    'predicted frame has no ground truth')
                if t == 0 or t == n - 1:
                    continue
                gt = decode_index_png(osp.join(info['gt_dir'],
                                               frame + '.png'))
                check_prediction(pred, gt.shape,
                                 255 if self.year == '2016' else
                                 info['n_obj'], f'prediction {name}/{frame}')
                js, fs = semi_frame_values(gt, pred, info['n_obj'],
                                           info['kernel'], self.year)
                rec['frames'].append(t)
                rec['j'].append(js)
                rec['f'].append(fs)
            self.results.append(rec)
            if sample.get('is_last'):
                self._videos.pop(name, None)

    def _order(self, names) -> List[str]:
        try:
            listed = davis_sequences(self.gt_root, self.year, self.split)
        except DataError:
            listed = []
        rank = {n: i for i, n in enumerate(listed)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Global J&F statistics over the videos received."""
        by_video: Dict[str, dict] = {}
        for rec in results:
            v = by_video.setdefault(rec['video'], dict(
                n=rec['num_frames'], n_obj=rec['num_objects'], values={}))
            for t, js, fs in zip(rec['frames'], rec['j'], rec['f']):
                v['values'][t] = (js, fs)
        seqs = []
        for name in self._order(by_video):
            v = by_video[name]
            wanted = list(range(1, v['n'] - 1))
            missing = [t for t in wanted if t not in v['values']]
            if missing:
                raise DataError(name, f'no prediction for frames {missing[:8]}'
                                f'{" ..." if len(missing) > 8 else ""}')
            j = np.array([v['values'][t][0] for t in wanted]).reshape(
                len(wanted), v['n_obj']).T  # (T, O) -> (O, T)
            f = np.array([v['values'][t][1] for t in wanted]).reshape(
                len(wanted), v['n_obj']).T
            seqs.append(SequenceResult(name, [(k + 1, j[k], f[k])
                                              for k in range(v['n_obj'])]))
        summary = summarize_davis(seqs)
        return {k: summary[k] for k in GLOBAL_KEYS}


@METRICS.register_module()
class YouTubeVOSMetric(BaseMetric):
    """YouTube-VOS G on a split with labels (see
    :mod:`vostoolkit.evaluation.ytvos_eval` for the frames that count).

    Args:
        data_root (str): Dataset root with ``<split>/meta.json`` and
            ``<split>/Annotations``.
        split (str): Split folder.
        seen_categories (str | list[str], optional): Seen categories or a
            meta.json listing them (default: ``<data_root>/train/meta.json``).
        exclude_last (bool): Do not score the last listed frame.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'youtube_vos').
    """
    default_prefix = 'youtube_vos'

    def __init__(self, data_root: str, split: str = 'valid',
                 seen_categories: Union[None, str, Sequence[str]] = None,
                 exclude_last: bool = False, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.data_root, self.split = data_root, split
        self.seen_categories = seen_categories
        self.exclude_last = exclude_last
        self._meta = None

    @property
    def meta(self) -> Dict[str, dict]:
        """The split's ``meta.json`` videos (loaded once)."""
        if self._meta is None:
            self._meta = load_meta(osp.join(self.data_root, self.split,
                                            'meta.json'))
        return self._meta

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Compute J and F of the objects scored on each frame of a chunk."""
        for sample in data_samples:
            name, _, names, masks = vos_prediction(sample)
            if name not in self.meta:
                raise DataError(osp.join(self.data_root, self.split,
                                         'meta.json'),
                                f'video {name} is not listed')
            scored = scored_frames(self.meta[name], self.exclude_last)
            gt_dir = osp.join(self.data_root, self.split, 'Annotations', name)
            rec = dict(video=name, values=[])
            for frame, pred in zip(names, masks):
                objs = [k for k, fs in scored.items() if frame in fs]
                if not objs:
                    continue
                gt = decode_index_png(osp.join(gt_dir, frame + '.png'))
                check_ytvos_prediction(pred, gt.shape, scored,
                                       f'prediction {name}/{frame}')
                kernel = disk(boundary_radius(gt.shape))
                rec['values'].append((frame, {
                    k: pair_jf(gt == k, pred == k, kernel) for k in objs}))
            self.results.append(rec)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """G, J_seen, F_seen, J_unseen, F_unseen over the videos received."""
        got: Dict[str, Dict[str, dict]] = {}
        for rec in results:
            frames = got.setdefault(rec['video'], {})
            for frame, values in rec['values']:
                frames[frame] = values
        videos = []
        for name in sorted(got):
            res = VideoResult(name)
            for k, frames in scored_frames(self.meta[name],
                                           self.exclude_last).items():
                missing = [f for f in frames if k not in got[name].get(f, {})]
                if missing:
                    raise DataError(name, f'object {k}: no prediction for '
                                    f'frames {missing[:8]}')
                vals = [got[name][f][k] for f in frames]
                res.values[k] = ([v[0] for v in vals], [v[1] for v in vals])
            videos.append(res)
        categories = {v: {int(k): o.get('category') for k, o in
                          self.meta[v]['objects'].items()} for v in got}
        seen = seen_category_set(self.seen_categories, self.data_root,
                                 self.split)
        summary = summarize_ytvos(videos, categories, seen)
        return {k: summary[k] for k in G_KEYS}
