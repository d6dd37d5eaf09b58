"""Write toy scenes as the SA-V training set is released, and return the
ground truth that was written.

``sav_train_mp4/sav_000/<vid>.mp4`` (every frame at 24 fps, OpenCV's
``mp4v`` codec, lossy), ``<vid>_manual.json`` and, for every video but the
last one when there are several, ``<vid>_auto.json`` (the real set lacks
auto masklets for some videos). The scene's objects in id order alternate
between manual and auto masklets (the first is manual). Each JSON has the
released keys (``video_frame_count``, ``video_height``, ``video_width``
as floats, ``masklet``: per annotated frame (every 4th) a list over
objects of compressed COCO RLEs, ``masklet_id``, ``masklet_type``,
``masklet_num``...) with each object's full (amodal) shape, so masks of
objects that occlude each other overlap.
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .long_writers import sav_object_masks
from .scene import render_frame
from .writers import ToyVideoGT, VideoJob, _gt, _write_json

RAW_DIR = osp.join('sav_train_mp4', 'sav_000')
FPS = 24


def encode_rle(mask: np.ndarray) -> dict:
    """Compressed COCO RLE (JSON-ready ``counts`` string) of an (H, W)
    mask."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=[int(v) for v in rle['size']],
                counts=rle['counts'].decode('ascii'))


def masklet_json(name: str, masks: np.ndarray, kind: str,
                 num_frames: int) -> dict:
    """SA-V masklet JSON of ``masks`` ((O, T, H, W) bool on the annotated
    frames) of a ``num_frames``-frame video; ``kind`` 'manual' / 'auto'."""
    n_obj, n_ann, h, w = masks.shape
    area = masks.reshape(n_obj, n_ann, h * w).sum(-1)
    shown = area > 0
    first = [int(np.flatnonzero(s)[0]) if s.any() else 0 for s in shown]
    return dict(
        video_id=name, video_duration=num_frames / FPS,
        video_frame_count=float(num_frames), video_height=float(h),
        video_width=float(w), video_resolution=float(h * w),
        video_environment='Indoor', video_split='train',
        masklet=[[encode_rle(masks[k, t]) for k in range(n_obj)]
                 for t in range(n_ann)],
        masklet_id=list(range(n_obj)),
        masklet_size_rel=[float(a[s].mean() / (h * w)) if s.any() else 0.
                          for a, s in zip(area, shown)],
        masklet_size_abs=[float(a[s].mean()) if s.any() else 0.
                          for a, s in zip(area, shown)],
        masklet_first_appeared_frame=first if kind == 'manual'
        else [0] * n_obj,
        masklet_frame_count=[n_ann] * n_obj,
        masklet_type=[kind] * n_obj,
        masklet_stability_score=[[1.0] * n_ann for _ in range(n_obj)]
        if kind == 'auto' else [None] * n_obj,
        masklet_num=n_obj)


def write_mp4(path: str, frames: Sequence[np.ndarray]) -> None:
    """Write BGR (H, W, 3) uint8 frames as a 24-fps ``mp4v`` video."""
    h, w = frames[0].shape[:2]
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS,
                             (w, h))
    if not writer.isOpened():
        raise OSError(f'{path}: OpenCV cannot write mp4v videos here')
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()


def write_sav_train(root: str, splits: Dict[str, Sequence[VideoJob]],
                    stride: int = 4,
                    tick: Callable = lambda: None
                    ) -> Dict[str, List[ToyVideoGT]]:
    """SA-V train as released (see the module docstring); ``splits`` holds
    the 'train' jobs. Each returned :class:`ToyVideoGT` has the annotated
    frames' stems, ``obj_masks`` (object id -> (T, H, W) bool) and three
    more attributes: ``manual`` and ``auto``, the object ids written in
    each JSON, in masklet order (``auto`` is None without an auto JSON),
    and ``frames``, the (H, W, 3) uint8 BGR frames given to the mp4
    encoder (every 24-fps frame)."""
    out = {}
    base = osp.join(root, RAW_DIR)
    for split, jobs in splits.items():
        out[split] = []
        for v, (name, scene, n) in enumerate(jobs):
            num_frames = (n - 1) * stride + 1
            stems = [f'{t * stride:05d}' for t in range(n)]
            ids = np.stack([render_frame(scene, float(t))[1]
                            for t in range(n)])
            gt = _gt(name, stems, scene, ids)
            masks = sav_object_masks(scene, n)
            objs = [o.obj_id for o in sorted(scene.objects,
                                             key=lambda o: o.obj_id)]
            with_auto = len(jobs) == 1 or v < len(jobs) - 1
            manual = [k for k in range(len(objs)) if k % 2 == 0 or
                      not with_auto]
            auto = [k for k in range(len(objs)) if k not in manual]
            gt.obj_masks = {objs[k]: masks[k] for k in range(len(objs))}
            gt.manual = [objs[k] for k in manual]
            gt.auto = [objs[k] for k in auto] if with_auto else None
            _write_json(osp.join(base, f'{name}_manual.json'),
                        masklet_json(name, masks[manual], 'manual',
                                     num_frames))
            if with_auto:
                _write_json(osp.join(base, f'{name}_auto.json'),
                            masklet_json(name, masks[auto], 'auto',
                                         num_frames))
            gt.frames = [render_frame(scene, i / stride)[0]
                         for i in range(num_frames)]
            write_mp4(osp.join(base, f'{name}.mp4'), gt.frames)
            out[split].append(gt)
            tick()
    return out
