"""Write toy scenes in the LVOS (v1 / v2) and SA-V layouts, and return the
ground truth that was written.

LVOS: ``<split>/JPEGImages/<vid>/%08d.jpg`` (every frame, numbered from 1),
``<split>/Annotations/<vid>/%08d.png`` on every ``stride``-th frame (palette
id maps), ``<split>/<split>_meta.json`` with each object's ``frame_range``
(from its first visible annotated frame to the last annotated frame) and
``valid/unseen_videos.txt``.

SA-V: ``sav_<split>/JPEGImages_24fps/<vid>/%05d.jpg`` (every frame),
``sav_<split>/Annotations_6fps/<vid>/<obj:03d>/%05d.png`` on every
``stride``-th frame, one binary PNG per object holding its full (amodal)
shape, so masks of objects that occlude each other overlap;
``sav_<split>/sav_<split>.txt`` lists the videos.
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence

import numpy as np
from PIL import Image

from .scene import amodal_mask, render_frame
from .writers import (ToyVideoGT, VideoJob, _gt, _write_json, _write_lines,
                      write_id_png, write_jpg)


def _all_frames(img_dir: str, scene, n: int, stride: int, quality: int,
                name: Callable[[int], str]) -> None:
    for i in range((n - 1) * stride + 1):
        img, _ = render_frame(scene, i / stride)
        write_jpg(osp.join(img_dir, f'{name(i)}.jpg'), img, quality)


def write_lvos(root: str, splits: Dict[str, Sequence[VideoJob]],
               stride: int = 5, quality: int = 90,
               tick: Callable = lambda: None) -> Dict[str, List[ToyVideoGT]]:
    """LVOS layout (see the module docstring); ``frame_names`` of the
    returned ground truth are the annotated frames' stems. Every other
    ``valid`` video is listed as unseen."""
    out = {}
    for split, jobs in splits.items():
        out[split], videos = [], {}
        base = osp.join(root, split)
        for name, scene, n in jobs:
            stems = [f'{1 + t * stride:08d}' for t in range(n)]
            ids = np.zeros((n, scene.height, scene.width), np.uint8)
            for t in range(n):
                _, ids[t] = render_frame(scene, float(t))
                write_id_png(osp.join(base, 'Annotations', name,
                                      f'{stems[t]}.png'), ids[t])
            _all_frames(osp.join(base, 'JPEGImages', name), scene, n, stride,
                        quality, lambda i: f'{i + 1:08d}')
            gt = _gt(name, stems, scene, ids)
            objects = {}
            for oid in sorted(gt.first_frames):
                first = gt.first_frames[oid]
                objects[str(oid)] = dict(frame_range=dict(
                    start=int(stems[first]), end=int(stems[-1]),
                    frame_nums=n - first))
            videos[name] = dict(objects=objects)
            out[split].append(gt)
            tick()
        _write_json(osp.join(base, f'{split}_meta.json'), dict(videos=videos))
        if split != 'train':
            _write_lines(osp.join(base, 'unseen_videos.txt'),
                         [job[0] for job in jobs[1::2]])
    return out


def sav_object_masks(scene, n: int) -> np.ndarray:
    """(O, T, H, W) bool full shapes of the scene's objects on the ``n``
    annotated frames (objects in id order)."""
    objs = sorted(scene.objects, key=lambda o: o.obj_id)
    return np.stack([np.stack([amodal_mask(scene, o, float(t))
                               for t in range(n)]) for o in objs]) \
        if objs else np.zeros((0, n, scene.height, scene.width), bool)


def write_binary_png(path: str, mask: np.ndarray) -> None:
    """Write an (H, W) mask as a binary palette PNG (0 black, 1 white...
    the DAVIS palette's first two colours)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    write_id_png(path, np.asarray(mask, bool).astype(np.uint8))


def write_sav(root: str, splits: Dict[str, Sequence[VideoJob]],
              stride: int = 4, quality: int = 90,
              tick: Callable = lambda: None) -> Dict[str, List[ToyVideoGT]]:
    """SA-V val / test layout (see the module docstring). Objects never
    visible are not written. The returned ``id_maps`` are the visible ids;
    the overlapping per-object masks are :func:`sav_object_masks`."""
    out = {}
    for split, jobs in splits.items():
        out[split] = []
        base = osp.join(root, f'sav_{split}')
        for name, scene, n in jobs:
            stems = [f'{t * stride:05d}' for t in range(n)]
            ids = np.stack([render_frame(scene, float(t))[1]
                            for t in range(n)])
            gt = _gt(name, stems, scene, ids)
            masks = sav_object_masks(scene, n)
            objs = sorted(scene.objects, key=lambda o: o.obj_id)
            gt.obj_masks = {}
            for k, obj in enumerate(objs):
                if not masks[k].any():
                    continue
                gt.obj_masks[obj.obj_id] = masks[k]
                folder = osp.join(base, 'Annotations_6fps', name,
                                  f'{obj.obj_id - 1:03d}')
                for t in range(n):
                    write_binary_png(osp.join(folder, f'{stems[t]}.png'),
                                     masks[k, t])
            _all_frames(osp.join(base, 'JPEGImages_24fps', name), scene, n,
                        stride, quality, lambda i: f'{i:05d}')
            out[split].append(gt)
            tick()
        _write_lines(osp.join(base, f'sav_{split}.txt'),
                     [job[0] for job in jobs])
    return out


def read_binary_png(path: str) -> np.ndarray:
    """(H, W) bool of a binary mask PNG (any non-zero value is the object)."""
    with Image.open(path) as img:
        return np.array(img) > 0
