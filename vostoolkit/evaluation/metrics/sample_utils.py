"""Reading predictions out of the ``data_samples`` metrics receive.

mmengine's Evaluator hands metrics ``VideoDataSample.to_dict()`` dicts:
metainfo keys (``video_name``, ``video_id``, ``frame_ids``,
``frame_names``, ``ori_shape``, ``video_length``, ``is_last``) sit next to
the data fields (``pred_obj_masks``, ``pred_instances``).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch


def to_numpy(x) -> np.ndarray:
    """Tensor or array-like to a numpy array (on the CPU)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def video_key(sample: dict) -> str:
    """The video's name (``video_name``, else ``str(video_id)``)."""
    name = sample.get('video_name')
    return str(name if name is not None else sample.get('video_id'))


def frame_ids(sample: dict, num: int) -> List[int]:
    """Video frame index of each of the ``num`` frames of a sample."""
    ids = sample.get('frame_ids')
    if ids is None:
        if num != 1 and not sample.get('video_length'):
            raise ValueError(f'sample of video {video_key(sample)} has no '
                             'frame_ids meta')
        ids = list(range(num))
    ids = [int(i) for i in to_numpy(ids).reshape(-1).tolist()]
    if len(ids) != num:
        raise ValueError(f'video {video_key(sample)}: {len(ids)} frame_ids '
                         f'for a prediction of {num} frames')
    return ids


def frame_names(sample: dict, ids: Sequence[int]) -> List[str]:
    """File stem of each frame (``frame_names`` meta, else ``%05d``)."""
    names = sample.get('frame_names')
    if names is None:
        return [f'{i:05d}' for i in ids]
    names = [str(n) for n in names]
    if len(names) != len(ids):
        raise ValueError(f'video {video_key(sample)}: {len(names)} '
                         f'frame_names for {len(ids)} frame_ids')
    return names


def ori_shape(sample: dict) -> Optional[Tuple[int, int]]:
    """(H, W) of the original frames, if known."""
    shape = sample.get('ori_shape')
    return None if shape is None else (int(shape[0]), int(shape[1]))


def resize_nearest(masks: np.ndarray, shape: Optional[Tuple[int, int]]
                   ) -> np.ndarray:
    """Resize ``(T, H, W)`` masks to ``shape`` with nearest neighbour."""
    if shape is None or tuple(masks.shape[-2:]) == tuple(shape):
        return masks
    h, w = shape
    dtype = masks.dtype
    src = masks.astype(np.uint8) if dtype == bool else masks
    out = np.stack([cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)
                    for m in src]) if len(src) else np.zeros(
                        (0, h, w), src.dtype)
    return out.astype(dtype, copy=False)


def vos_prediction(sample: dict) -> Tuple[str, List[int], List[str],
                                          np.ndarray]:
    """(video, frame ids, frame names, (T, H, W) uint8 ids at ori_shape)."""
    if 'pred_obj_masks' not in sample:
        raise KeyError(f'sample of video {video_key(sample)} has no '
                       'pred_obj_masks')
    masks = to_numpy(sample['pred_obj_masks'])
    if masks.ndim == 2:
        masks = masks[None]
    masks = resize_nearest(masks.astype(np.uint8, copy=False),
                           ori_shape(sample))
    ids = frame_ids(sample, masks.shape[0])
    return video_key(sample), ids, frame_names(sample, ids), masks


def vis_prediction(sample: dict) -> Dict:
    """One chunk of VIS predictions as a small, picklable record.

    Masks are turned into compressed RLEs at ``ori_shape`` right away so
    that only RLEs are kept.

    Returns:
        dict: ``video_id``, ``video_length``, ``frame_ids``, ``scores`` (N,),
        ``labels`` (N,), ``rles`` (N lists of T RLE dicts or None).
    """
    from ..submission import encode_rles, rle_to_json
    inst = sample.get('pred_instances')
    if inst is None:
        raise KeyError(f'sample of video {video_key(sample)} has no '
                       'pred_instances')
    scores = to_numpy(inst['scores']).astype(np.float64).reshape(-1)
    labels = to_numpy(inst['labels']).astype(np.int64).reshape(-1)
    shape = ori_shape(sample)
    if 'rles' in inst and inst['rles'] is not None:
        rles = [[rle_to_json(r) for r in track] for track in inst['rles']]
        num = len(rles[0]) if rles else len(sample.get('frame_ids') or [])
    else:
        masks = to_numpy(inst['masks'])
        if masks.ndim == 3:
            masks = masks[:, None]  # (N, H, W) -> (N, 1, H, W)
        num = masks.shape[1]
        rles = [encode_rles(resize_nearest(m.astype(bool), shape))
                for m in masks]
    if not (len(rles) == len(scores) == len(labels)):
        raise ValueError(f'video {video_key(sample)}: {len(rles)} tracks, '
                         f'{len(scores)} scores, {len(labels)} labels')
    ids = frame_ids(sample, num)
    length = sample.get('video_length')
    return dict(video_id=sample.get('video_id'),
                video_length=int(length) if length is not None else None,
                frame_ids=ids, scores=scores, labels=labels, rles=rles)


def join_vis_chunks(records: List[dict]) -> Tuple[np.ndarray, np.ndarray,
                                                  List[List]]:
    """Join the chunk records of one video into whole-video tracks.

    A record covering every frame of the video wins (a model that emits its
    tracks when the video ends); otherwise the chunks are concatenated in
    frame order, track ``i`` of each chunk being the same track (scores and
    labels from the last chunk). Frames without a prediction are null.

    Returns:
        tuple: scores (N,), labels (N,), rles (N lists of video_length).
    """
    records = sorted(records, key=lambda r: min(r['frame_ids'] or [0]))
    length = max([r['video_length'] or 0 for r in records] +
                 [max(r['frame_ids'] or [-1]) + 1 for r in records])
    full = [r for r in records if len(set(r['frame_ids'])) == length]
    if full:
        records = full[-1:]
    n = len(records[-1]['scores'])
    if any(len(r['scores']) != n for r in records):
        raise ValueError(
            f'video {records[0]["video_id"]}: chunks carry different '
            'numbers of tracks; emit whole-video tracks on the last chunk')
    tracks: List[List] = [[None] * length for _ in range(n)]
    for r in records:
        for i, track in enumerate(r['rles']):
            for fid, rle in zip(r['frame_ids'], track):
                tracks[i][fid] = rle
    return records[-1]['scores'], records[-1]['labels'], tracks


def vos_object_predictions(sample: dict) -> Tuple[
        str, List[int], List[str], Dict[int, np.ndarray], bool]:
    """Per-object (T, H, W) bool predictions at ``ori_shape``.

    A model that keeps objects apart (their masks may overlap) sets
    ``pred_instances`` with ``instance_ids`` (O,) and ``masks``
    (O, T, H, W); otherwise each object is ``pred_obj_masks == id``
    (overlaps are then lost), for the ids in the sample's ``obj_ids`` (or
    those in the map).

    Returns:
        tuple: video, frame ids, frame names, object id -> masks, and
        whether the masks came from per-object predictions.
    """
    inst = sample.get('pred_instances')
    if inst is not None and 'instance_ids' in inst and 'masks' in inst:
        masks = to_numpy(inst['masks']).astype(bool)
        if masks.ndim == 3:
            masks = masks[:, None]  # (O, H, W) -> (O, 1, H, W)
        ids = [int(i) for i in to_numpy(inst['instance_ids']).reshape(-1)]
        if len(ids) != len(masks):
            raise ValueError(f'video {video_key(sample)}: {len(ids)} '
                             f'instance_ids for {len(masks)} mask tubes')
        shape = ori_shape(sample)
        per_obj = {i: resize_nearest(m, shape) for i, m in zip(ids, masks)}
        num = masks.shape[1]
        fids = frame_ids(sample, num)
        return (video_key(sample), fids, frame_names(sample, fids), per_obj,
                True)
    video, fids, names, id_maps = vos_prediction(sample)
    obj_ids = sample.get('obj_ids')
    ids = ([int(i) for i in to_numpy(obj_ids).reshape(-1)]
           if obj_ids is not None else
           [int(i) for i in np.unique(id_maps) if i])
    return video, fids, names, {i: id_maps == i for i in ids}, False
