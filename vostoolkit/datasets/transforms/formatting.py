"""Pack a clip's results dict into model inputs and a ``VideoDataSample``."""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from vostoolkit.registry import TRANSFORMS
from vostoolkit.structures import VideoDataSample
from vostoolkit.utils import DataError
from .clip_utils import clip_name
from .temporal import is_clip_list

DEFAULT_META_KEYS = (
    'video_id', 'video_name', 'task', 'frame_ids', 'frame_names',
    'img_paths', 'video_length', 'ori_shape', 'img_shape', 'pad_shape',
    'scale_factor', 'flip', 'flip_direction', 'crop_bbox', 'rotate_angle',
    'reversed', 'is_first', 'is_last', 'categories')

# Keys that dataset items hold for the whole video; packed per clip frame.
_VIDEO_LISTS = ('frame_names', 'img_paths', 'ann_paths')


def masks_to_bboxes(masks: torch.Tensor) -> torch.Tensor:
    """Tight boxes of binary masks.

    Args:
        masks (Tensor): (..., H, W) bool.

    Returns:
        Tensor: (..., 4) float32 (x1, y1, x2, y2) with x2 / y2 one past the
        last mask pixel; all zeros where a mask is empty.
    """
    h, w = masks.shape[-2:]
    rows = masks.any(dim=-1)  # (..., H)
    cols = masks.any(dim=-2)  # (..., W)
    present = rows.any(dim=-1)  # (...)
    y1 = rows.float().argmax(dim=-1)
    y2 = h - rows.flip(-1).float().argmax(dim=-1)
    x1 = cols.float().argmax(dim=-1)
    x2 = w - cols.flip(-1).float().argmax(dim=-1)
    boxes = torch.stack([x1, y1, x2, y2], dim=-1).float()
    return boxes * present.unsqueeze(-1)


def _clip_list(results: Dict, key: str) -> List:
    """``results[key]`` for the clip's frames (a whole-video list is
    indexed by ``frame_ids``)."""
    value = list(results[key])
    if is_clip_list(results, key) or 'frame_ids' not in results:
        return value
    try:
        return [value[i] for i in results['frame_ids']]
    except IndexError:
        raise DataError(clip_name(results),
                        f'{key!r} has {len(value)} entries, fewer than the '
                        f'frame ids {list(results["frame_ids"])} need')


@TRANSFORMS.register_module()
class PackVideoInputs(BaseTransform):
    """Pack a clip into ``dict(inputs=..., data_samples=...)``.

    ``inputs`` is a (T, 3, H, W) uint8 tensor, BGR as loaded (the data
    preprocessor converts and normalises). ``data_samples`` is a
    :class:`VideoDataSample` with

    * VOS (``gt_obj_masks`` present): ``gt_obj_masks`` (T, H, W) uint8,
      ``gt_void`` (T, H, W) bool (all False when the results have none),
      ``gt_frame_valid`` (T,) bool, ``obj_ids`` (O,) and
      ``obj_first_frames`` (O,) long;
    * VIS (``gt_masks`` present): ``gt_instances`` with ``instance_ids``
      (N,), ``labels`` (N,), ``masks`` (N, T, H, W) bool, ``frame_valid``
      (N, T) bool and ``bboxes`` (N, T, 4) float32 (x1, y1, x2, y2) from
      the transformed masks, zeros where a mask is empty;
    * the ``meta_keys`` found in the results (missing ones are skipped);
      ``frame_names`` / ``img_paths`` are given per clip frame, and
      ``pad_shape`` defaults to ``img_shape``.

    Args:
        meta_keys (Sequence[str]): results keys copied into the metainfo.
        drop_empty_instances (bool): drop VIS tubes whose masks are empty
            on every frame of the clip (after cropping, say). Off by
            default: a tube then stays as an all-empty target.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS,
                 drop_empty_instances: bool = False):
        self.meta_keys = tuple(meta_keys)
        self.drop_empty_instances = drop_empty_instances

    def transform(self, results: Dict) -> Dict:
        if not results.get('imgs'):
            raise DataError(clip_name(results),
                            'PackVideoInputs needs the frames (imgs); is '
                            'LoadVideoFrames in the pipeline?')
        imgs = np.stack(results['imgs'])  # T x (H, W, 3) -> (T, H, W, 3)
        if imgs.ndim != 4 or imgs.shape[-1] != 3:
            raise DataError(clip_name(results),
                            f'frames must be (H, W, 3) images, got '
                            f'{imgs.shape[1:]}')
        inputs = torch.from_numpy(np.ascontiguousarray(
            imgs.transpose(0, 3, 1, 2)))  # (T, H, W, 3) -> (T, 3, H, W)
        sample = VideoDataSample()
        if 'gt_obj_masks' in results:
            self._pack_vos(results, sample, imgs.shape[:3])
        if 'gt_masks' in results:
            sample.gt_instances = self._pack_vis(results, imgs.shape[:3])
        sample.set_metainfo(self._metainfo(results, imgs.shape[1:3]))
        return dict(inputs=inputs, data_samples=sample)

    def _metainfo(self, results: Dict, hw) -> Dict:
        meta = {}
        for key in self.meta_keys:
            if key not in results:
                continue
            meta[key] = (_clip_list(results, key) if key in _VIDEO_LISTS
                         else results[key])
        meta.setdefault('img_shape', tuple(int(v) for v in hw))
        meta.setdefault('pad_shape', tuple(meta['img_shape']))
        return meta

    @staticmethod
    def _pack_vos(results: Dict, sample: VideoDataSample, thw) -> None:
        masks = np.stack(results['gt_obj_masks'])  # (T, H, W)
        if masks.shape != tuple(thw):
            raise DataError(clip_name(results),
                            f'object masks {masks.shape} do not match the '
                            f'frames {tuple(thw)}')
        sample.gt_obj_masks = torch.from_numpy(masks.astype(np.uint8))
        if results.get('gt_void') is not None:
            sample.gt_void = torch.from_numpy(
                np.stack(results['gt_void']).astype(bool))
        else:
            sample.gt_void = torch.zeros(tuple(thw), dtype=torch.bool)
        if results.get('gt_frame_valid') is not None:
            sample.gt_frame_valid = torch.as_tensor(
                np.asarray(results['gt_frame_valid'], dtype=bool))
        obj_ids = [int(i) for i in results.get('obj_ids', ())]
        sample.obj_ids = torch.as_tensor(obj_ids, dtype=torch.long)
        first = results.get('obj_first_frames')
        if first is not None:
            if isinstance(first, dict):  # id -> frame, as dataset items
                first = [first[i] for i in obj_ids]
            sample.obj_first_frames = torch.as_tensor(
                [int(f) for f in first], dtype=torch.long)

    def _pack_vis(self, results: Dict, thw) -> InstanceData:
        t, h, w = thw
        per_frame = [np.asarray(m, dtype=bool) for m in results['gt_masks']]
        num = len(results.get('gt_instance_ids', ()))
        if len(per_frame) != t or any(m.ndim != 3 or m.shape[1:] != (h, w)
                                      for m in per_frame):
            raise DataError(clip_name(results),
                            f'gt_masks must hold {t} (N, {h}, {w}) arrays, '
                            f'one per frame')
        if per_frame:
            num = per_frame[0].shape[0]
        masks = (np.stack(per_frame, axis=1) if per_frame and num else
                 np.zeros((num, t, h, w), bool))  # (N, T, H, W)
        valid = results.get('gt_instance_valid')
        valid = (masks.any(axis=(2, 3)) if valid is None else
                 np.asarray(valid, dtype=bool).reshape(num, t))
        ids = np.asarray(results.get('gt_instance_ids', np.arange(num)),
                         dtype=np.int64).reshape(-1)
        labels = np.asarray(results.get('gt_labels', np.zeros(num)),
                            dtype=np.int64).reshape(-1)
        if len(ids) != num or len(labels) != num:
            raise DataError(clip_name(results),
                            f'{num} instance tubes but {len(ids)} ids and '
                            f'{len(labels)} labels')
        if self.drop_empty_instances:
            keep = masks.any(axis=(1, 2, 3))
            masks, valid, ids, labels = (masks[keep], valid[keep], ids[keep],
                                         labels[keep])
        instances = InstanceData()
        instances.instance_ids = torch.from_numpy(ids)
        instances.labels = torch.from_numpy(labels)
        instances.masks = torch.from_numpy(np.ascontiguousarray(masks))
        instances.frame_valid = torch.from_numpy(np.ascontiguousarray(valid))
        instances.bboxes = masks_to_bboxes(instances.masks)  # (N, T, 4)
        return instances

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(meta_keys={self.meta_keys}, '
                f'drop_empty_instances={self.drop_empty_instances})')
