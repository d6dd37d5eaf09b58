"""Write every test video with its predictions drawn (``test.py --show-dir``).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.hooks import Hook

from vostoolkit.registry import HOOKS


@HOOKS.register_module()
class VideoVisualizationHook(Hook):
    """Draw each test video's predictions and write ``out_dir/<video>.mp4``.

    The video test loop feeds a video chunk by chunk; after each chunk this
    hook takes the frames the chunk names (``img_paths`` in its metainfo,
    read again at their original size; else the chunk's input frames) and
    whatever predictions the model returned, and streams overlaid frames to
    one writer per video, closed at the video's last chunk (``is_last``):

    * VOS (``pred_obj_masks``): each frame's objects in their DAVIS palette
      colour, written as soon as the frames before it are;
    * VIS (``pred_instances``): the video's tracks, joined over its chunks,
      scoring at least ``score_thr``, each in its rank's colour labelled
      with rank, class and score; written when the video ends (tracks are
      final then), re-reading its frames from disk.

    Frames the model left without a prediction are written plain. Videos
    are written by the rank that tests them (see ``VideoShardSampler``).

    Args:
        out_dir (str): Output folder (created).
        score_thr (float): VIS: draw instances scoring at least this.
        fps (float): Frame rate of the written videos.
        alpha (float): Mask opacity.
        ext (str): ``'.mp4'`` or ``'.gif'``.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str, score_thr: float = 0.3,
                 fps: float = 10.0, alpha: float = 0.5,
                 ext: str = '.mp4') -> None:
        if ext not in ('.mp4', '.gif'):
            raise ValueError(f"ext must be '.mp4' or '.gif', got {ext!r}")
        self.out_dir = out_dir
        self.score_thr = score_thr
        self.fps = fps
        self.alpha = alpha
        self.ext = ext
        self.written: List[str] = []
        self._video: Optional[Dict] = None
        self._classes: Optional[Sequence[str]] = None

    # ------------------------------------------------------------ hooks
    def before_test(self, runner) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        self.written = []
        dataset = getattr(runner.test_dataloader, 'dataset', None)
        meta = getattr(dataset, 'metainfo', None) or {}
        self._classes = meta.get('classes')

    def after_test_iter(self, runner, batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        sample = data_batch['data_samples'][0]
        meta = sample.metainfo
        name = str(meta.get('video_name', meta.get('video_id', batch_idx)))
        if self._video is not None and self._video['name'] != name:
            self._finish()  # the previous video had no is_last chunk
        if self._video is None:
            self._start(name)
        self._add_frames(meta, data_batch['inputs'][0])
        self._add_predictions(outputs or [])
        if meta.get('is_last', True):
            self._finish()

    def after_test(self, runner) -> None:
        if self._video is not None:
            self._finish()

    # ------------------------------------------------------------ state
    def _start(self, name: str) -> None:
        from vostoolkit.visualization import open_video_writer
        path = osp.join(self.out_dir, name.replace(os.sep, '_') + self.ext)
        self._video = dict(name=name, frames={}, names={}, ids={},
                           records=[], next=None,
                           writer=open_video_writer(path, self.fps))

    def _add_frames(self, meta: dict, inputs) -> None:
        """Note where each frame of the chunk comes from: its file, else
        the chunk's (T, 3, H, W) BGR input frame at ``ori_shape``."""
        video = self._video
        fids = meta.get('frame_ids')
        fids = [int(i) for i in (range(len(inputs)) if fids is None
                                 else fids)]
        paths = meta.get('img_paths')
        names = meta.get('frame_names')
        if names is None:
            names = [f'{i:05d}' for i in fids]
        for t, fid in enumerate(fids):
            if paths:
                video['frames'][fid] = paths[t]
            else:
                frame = inputs[t].cpu().numpy().transpose(1, 2, 0)[..., ::-1]
                shape = meta.get('ori_shape')
                if shape is not None and frame.shape[:2] != tuple(shape):
                    frame = cv2.resize(frame, (int(shape[1]), int(shape[0])))
                video['frames'][fid] = np.ascontiguousarray(frame)
            video['names'][fid] = str(names[t])
        if video['next'] is None and fids:
            video['next'] = min(fids)

    def _add_predictions(self, outputs: Sequence) -> None:
        from vostoolkit.evaluation.metrics.sample_utils import (
            vis_prediction, vos_prediction)
        video = self._video
        for out in outputs:
            data = out.to_dict()
            if 'pred_obj_masks' in data:
                _, fids, _, masks = vos_prediction(data)
                video['ids'].update(zip(fids, masks))
            elif 'pred_instances' in data:
                video['records'].append(vis_prediction(data))
        if not video['records']:  # VOS (or nothing yet): stream in order
            while video['next'] in video['ids'] and \
                    video['next'] in video['frames']:
                self._write(video['next'])
                video['next'] += 1

    def _frame(self, fid: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB frame ``fid`` of the current video."""
        from vostoolkit.datasets.file_io import read_image_bgr
        source = self._video['frames'].pop(fid)
        if isinstance(source, str):
            return np.ascontiguousarray(read_image_bgr(source)[..., ::-1])
        return source

    def _write(self, fid: int, instances: Optional[List[Dict]] = None
               ) -> None:
        from vostoolkit.visualization import (draw_id_map, draw_title,
                                              draw_vis_frame)
        video = self._video
        rgb = self._frame(fid)
        ids = video['ids'].pop(fid, None)
        if ids is not None:
            if ids.shape != rgb.shape[:2]:
                ids = cv2.resize(ids, rgb.shape[1::-1],
                                 interpolation=cv2.INTER_NEAREST)
            draw_id_map(rgb, ids, self.alpha)
        if instances:
            draw_vis_frame(rgb, instances, fid, self.alpha)
        draw_title(rgb, f"{video['name']} {video['names'][fid]}")
        video['writer'].write(rgb)

    def _instances(self) -> List[Dict]:
        """The video's VIS tracks scoring at least ``score_thr``, best
        first, as ``draw_vis_frame`` records."""
        from vostoolkit.evaluation.metrics.sample_utils import \
            join_vis_chunks
        records = self._video['records']
        if not records:
            return []
        scores, labels, tracks = join_vis_chunks(records)
        shown = []
        for k in np.argsort(-np.asarray(scores), kind='stable'):
            label = int(labels[k])
            name = (self._classes[label] if self._classes is not None and
                    label < len(self._classes) else None)
            if scores[k] >= self.score_thr:
                shown.append(dict(id=len(shown) + 1, label=label,
                                  category=name, score=float(scores[k]),
                                  segmentations=tracks[k]))
        return shown

    def _finish(self) -> None:
        video, writer = self._video, self._video['writer']
        try:
            instances = self._instances()
            for fid in sorted(video['frames']):
                self._write(fid, instances)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            self._video = None
        self.written.append(writer.path)
