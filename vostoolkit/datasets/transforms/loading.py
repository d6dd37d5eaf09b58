"""Loading transforms: read a clip's frames and annotations.

They read ``frame_ids`` (video frame indices of the clip) and the lazy paths
of the dataset item, and write the per-frame lists of
``docs/data_pipeline.md``. Bad files raise
:class:`vostoolkit.utils.DataError` naming the file.
"""
from typing import Dict, List, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from vostoolkit.registry import TRANSFORMS
from vostoolkit.utils import DataError

from ..file_io import decode_segmentation, read_id_png, read_image_bgr


def _frame_ids(results: Dict) -> List[int]:
    if results.get('frame_ids') is None:
        results['frame_ids'] = list(range(int(results['video_length'])))
    return [int(i) for i in results['frame_ids']]


@TRANSFORMS.register_module()
class LoadVideoFrames(BaseTransform):
    """Read the clip's frames ``img_paths[frame_ids]``.

    Required keys: ``img_paths``, ``frame_ids`` (default: every frame).
    Added keys: ``imgs`` (list of (H, W, 3) uint8 BGR), ``img_shape`` and
    ``ori_shape`` ((H, W)).

    Args:
        check_shape (bool): every frame must have the clip's size (and the
            item's ``ori_shape`` when it has one, e.g. from a VIS JSON).
    """

    def __init__(self, check_shape: bool = True):
        self.check_shape = check_shape

    def transform(self, results: Dict) -> Dict:
        paths = results['img_paths']
        imgs = [read_image_bgr(paths[t]) for t in _frame_ids(results)]
        expected = results.get('ori_shape')
        expected = tuple(expected[:2]) if expected is not None else \
            (imgs[0].shape[:2] if imgs else None)
        if self.check_shape:
            for t, img in zip(results['frame_ids'], imgs):
                if img.shape[:2] != expected:
                    raise DataError(
                        paths[t], f'frame size {img.shape[0]}x'
                        f'{img.shape[1]} differs from the video size '
                        f'{expected[0]}x{expected[1]} (HxW)')
        results['imgs'] = imgs
        hw = imgs[0].shape[:2] if imgs else expected
        results['img_shape'] = tuple(hw)
        results['ori_shape'] = tuple(expected if expected else hw)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(check_shape={self.check_shape})'


def _clip_hw(results: Dict, k: int) -> Optional[tuple]:
    imgs = results.get('imgs')
    if imgs is not None and k < len(imgs):
        return tuple(imgs[k].shape[:2])
    shape = results.get('ori_shape')
    return tuple(shape[:2]) if shape is not None else None


@TRANSFORMS.register_module()
class LoadVOSAnnotations(BaseTransform):
    """Read the clip's id-mask PNGs (DAVIS / YouTube-VOS).

    Palette PNGs hold object ids; 255 is void. Where ``ann_paths[t]`` is a
    dict object id -> binary PNG (SA-V, overlapping objects), the
    per-object masks are read instead (see :func:`_load_object_layers`). With the item's
    ``single_object`` (DAVIS 2016) ids 1..254 become 1, and a grayscale PNG
    (original 2016 release) gives object where the value is >= 128. A frame
    without an annotation file gives an empty mask and
    ``gt_frame_valid`` False. Put it right after :class:`LoadVideoFrames`
    (sizes are checked against the frames).

    Required keys: ``ann_paths``, ``frame_ids``, ``obj_ids``,
    ``obj_first_frames`` (dict id -> frame index).
    Added keys: ``gt_obj_masks`` (list of (H, W) uint8, void set to 0),
    ``gt_void`` (list of (H, W) bool), ``gt_frame_valid`` (list of bool).
    Modified: ``obj_ids`` (list[int]) and ``obj_first_frames`` (list[int],
    in ``obj_ids`` order).
    """

    def transform(self, results: Dict) -> Dict:
        if any(isinstance(results['ann_paths'][t], dict)
               for t in _frame_ids(results)):
            return _load_object_layers(results)
        single = bool(results.get('single_object', False))
        masks, voids, valid = [], [], []
        for k, t in enumerate(_frame_ids(results)):
            path = results['ann_paths'][t]
            hw = _clip_hw(results, k)
            if path is None:
                if hw is None:
                    raise DataError(results['img_paths'][t],
                                    'frame size unknown: load the frames '
                                    'before the annotations')
                masks.append(np.zeros(hw, np.uint8))
                voids.append(np.zeros(hw, bool))
                valid.append(False)
                continue
            arr, mode = read_id_png(path, allow_gray=single, expected_hw=hw)
            if single and mode == 'L':
                void = np.zeros(arr.shape, bool)
                ids = (arr >= 128).astype(np.uint8)
            else:
                void = arr == 255
                ids = np.where(void, 0, arr).astype(np.uint8)
                if single:
                    ids = (ids > 0).astype(np.uint8)
            masks.append(ids)
            voids.append(void)
            valid.append(True)
        first = results.get('obj_first_frames') or {}
        obj_ids = [int(i) for i in results.get('obj_ids', [])]
        if isinstance(first, dict):
            first = [int(first.get(i, first.get(str(i), 0)))
                     for i in obj_ids]
        results.update(gt_obj_masks=masks, gt_void=voids,
                       gt_frame_valid=valid, obj_ids=obj_ids,
                       obj_first_frames=[int(f) for f in first])
        return results


def compose_id_map(layers: np.ndarray, obj_ids: List[int]) -> np.ndarray:
    """(H, W) uint8 id map of (O, H, W) possibly overlapping binary masks:
    larger objects are painted first, so where masks overlap the smaller
    object (a hand on a person) keeps its pixels."""
    out = np.zeros(layers.shape[1:], np.uint8)
    areas = layers.reshape(len(layers), -1).sum(1, dtype=np.int64)
    for k in sorted(range(len(layers)), key=lambda k: (-areas[k],
                                                       -obj_ids[k])):
        out[layers[k] > 0] = obj_ids[k]
    return out


def _load_object_layers(results: Dict) -> Dict:
    """Per-object binary PNGs (SA-V): ``ann_paths[t]`` is a dict id ->
    path on annotated frames. Adds ``gt_masks`` (T x (O, H, W) uint8, 1
    where the object is; overlaps kept), ``gt_instance_ids`` (the
    ``obj_ids``), ``gt_instance_valid`` ((O, T): the object has a PNG on
    the frame), and the VOS keys with ``gt_obj_masks`` from
    :func:`compose_id_map`."""
    obj_ids = [int(i) for i in results.get('obj_ids', [])]
    frame_ids = _frame_ids(results)
    layers, ids, voids, valid = [], [], [], []
    inst_valid = np.zeros((len(obj_ids), len(frame_ids)), bool)
    for k, t in enumerate(frame_ids):
        hw = _clip_hw(results, k)
        paths = results['ann_paths'][t] or {}
        if hw is None:
            raise DataError(results['img_paths'][t], 'frame size unknown: '
                            'load the frames before the annotations')
        frame = np.zeros((len(obj_ids), *hw), np.uint8)
        for n, oid in enumerate(obj_ids):
            path = paths.get(oid)
            if path is None:
                continue
            arr, _ = read_id_png(path, allow_gray=True, expected_hw=hw)
            frame[n] = arr != 0
            inst_valid[n, k] = True
        layers.append(frame)
        ids.append(compose_id_map(frame, obj_ids))
        voids.append(np.zeros(hw, bool))
        valid.append(bool(paths))
    first = results.get('obj_first_frames') or {}
    if isinstance(first, dict):
        first = [int(first.get(i, first.get(str(i), 0))) for i in obj_ids]
    results.update(gt_obj_masks=ids, gt_void=voids, gt_frame_valid=valid,
                   obj_ids=obj_ids, obj_first_frames=[int(f) for f in first],
                   gt_masks=layers,
                   gt_instance_ids=np.array(obj_ids, np.int64),
                   gt_labels=np.zeros(len(obj_ids), np.int64),
                   gt_instance_valid=inst_valid)
    return results


@TRANSFORMS.register_module()
class LoadVISAnnotations(BaseTransform):
    """Decode the clip's instance segmentations (YouTube-VIS / OVIS) with
    pycocotools.

    Required keys: ``instances``, ``frame_ids``, ``ori_shape`` (the JSON's
    video size), ``ann_file`` (for error messages).
    Added keys: ``gt_masks`` (list over frames of (N, H, W) uint8),
    ``gt_instance_ids`` and ``gt_labels`` ((N,) int64),
    ``gt_instance_valid`` ((N, T) bool, False where the segmentation is
    null).

    Args:
        drop_absent (bool): drop instances null on every frame of the clip
            (NOVIS matches only objects present in the clip).
        drop_crowd (bool): drop ``iscrowd`` instances.
    """

    def __init__(self, drop_absent: bool = False, drop_crowd: bool = False):
        self.drop_absent = drop_absent
        self.drop_crowd = drop_crowd

    def transform(self, results: Dict) -> Dict:
        frame_ids = _frame_ids(results)
        h, w = (int(v) for v in results['ori_shape'][:2])
        insts = [i for i in results.get('instances') or []
                 if not (self.drop_crowd and i.get('iscrowd'))]
        valid = np.array([[i['segmentations'][t] is not None
                           for t in frame_ids] for i in insts],
                         bool).reshape(len(insts), len(frame_ids))
        if self.drop_absent:
            keep = valid.any(1)
            insts = [i for i, k in zip(insts, keep) if k]
            valid = valid[keep]
        masks = np.zeros((len(frame_ids), len(insts), h, w), np.uint8)
        for n, inst in enumerate(insts):
            for k, t in enumerate(frame_ids):
                seg = inst['segmentations'][t]
                if seg is None:
                    continue
                try:
                    masks[k, n] = decode_segmentation(seg, h, w)
                except ValueError as err:
                    raise DataError(
                        results.get('ann_file'),
                        f"video {results.get('video_id')} instance "
                        f"{inst.get('instance_id')} frame {t} "
                        f'({results["img_paths"][t]}): segmentation does '
                        f'not decode: {err}') from None
        results['gt_masks'] = list(masks)  # T x (N, H, W)
        results['gt_instance_ids'] = np.array(
            [i['instance_id'] for i in insts], np.int64)
        results['gt_labels'] = np.array([i['label'] for i in insts],
                                        np.int64)
        results['gt_instance_valid'] = valid
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(drop_absent={self.drop_absent}, '
                f'drop_crowd={self.drop_crowd})')
