"""Write toy scenes in the on-disk layouts of DAVIS, YouTube-VOS, YouTube-VIS
and OVIS, and return the ground truth that was written."""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from vostoolkit.utils import davis_palette

from .scene import CATEGORIES, ToyScene, render_frame

# (name, scene, stored frame count) of one video to write.
VideoJob = Tuple[str, ToyScene, int]


@dataclass
class ToyVideoGT:
    """Ground truth of one generated video (stored frames only).

    Attributes:
        name (str): video / sequence name (folder name).
        frame_names (list[str]): stems of the stored frames.
        id_maps (np.ndarray): (T, H, W) uint8 visible object ids.
        categories (dict): object id -> category name.
        first_frames (dict): object id -> first stored frame where visible.
        obj_masks (dict, optional): object id -> (T, H, W) bool full shape
            of each written object (SA-V: masks of objects overlap).
    """
    name: str
    frame_names: List[str]
    id_maps: np.ndarray
    categories: Dict[int, str]
    first_frames: Dict[int, int]
    obj_masks: Optional[Dict[int, np.ndarray]] = None


_PALETTE = davis_palette().reshape(-1).tolist()


def write_jpg(path: str, img: np.ndarray, quality: int = 90) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f'{path}: cannot write JPEG')


def write_id_png(path: str, ids: np.ndarray) -> None:
    """Write (H, W) uint8 ids as a palette PNG (DAVIS palette)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(np.ascontiguousarray(ids, np.uint8))
    img.putpalette(_PALETTE)  # 'L' -> 'P'
    img.save(path)


def _gt(name: str, stems: List[str], scene: ToyScene,
        id_maps: np.ndarray) -> ToyVideoGT:
    cats, first = {}, {}
    for obj in scene.objects:
        seen = np.flatnonzero((id_maps == obj.obj_id).any(axis=(1, 2)))
        if len(seen):
            cats[obj.obj_id] = CATEGORIES[obj.category]
            first[obj.obj_id] = int(seen[0])
    return ToyVideoGT(name, stems, id_maps, cats, first)


def _render_stored(scene: ToyScene, num_frames: int,
                   on_frame: Callable[[int, np.ndarray, np.ndarray], None]
                   ) -> np.ndarray:
    ids_all = np.zeros((num_frames, scene.height, scene.width), np.uint8)
    for t in range(num_frames):
        img, ids = render_frame(scene, float(t))
        ids_all[t] = ids
        on_frame(t, img, ids)
    return ids_all


# ------------------------------------------------------------------ DAVIS
def write_davis(root: str, splits: Dict[str, Sequence[VideoJob]],
                quality: int = 90, tick: Callable = lambda: None
                ) -> Dict[str, List[ToyVideoGT]]:
    """DAVIS 2017 layout; ImageSets/2016 lists the train/val sequences too.

    ``test-dev`` sequences get only their first-frame annotation.
    """
    out = {}
    for split, jobs in splits.items():
        out[split] = []
        for name, scene, n in jobs:
            img_dir = osp.join(root, 'JPEGImages', '480p', name)
            ann_dir = osp.join(root, 'Annotations', '480p', name)

            def on_frame(t, img, ids):
                write_jpg(osp.join(img_dir, f'{t:05d}.jpg'), img, quality)
                if split != 'test-dev' or t == 0:
                    write_id_png(osp.join(ann_dir, f'{t:05d}.png'), ids)

            ids = _render_stored(scene, n, on_frame)
            out[split].append(_gt(name, [f'{t:05d}' for t in range(n)],
                                  scene, ids))
            tick()
        years = ('2017', ) if split == 'test-dev' else ('2016', '2017')
        for year in years:
            _write_lines(osp.join(root, 'ImageSets', year, f'{split}.txt'),
                         [job[0] for job in jobs])
    return out


def _write_lines(path: str, lines: Sequence[str]) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(f'{ln}\n' for ln in lines))


def _write_json(path: str, obj) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


# ------------------------------------------------------------ YouTube-VOS
def write_youtube_vos(root: str, splits: Dict[str, Sequence[VideoJob]],
                      stride: int = 5, all_frames: bool = True,
                      quality: int = 90, tick: Callable = lambda: None
                      ) -> Dict[str, List[ToyVideoGT]]:
    """YouTube-VOS layout: every ``stride``-th frame stored, ``meta.json``.

    ``train`` annotates every stored frame; ``valid`` only gives each
    object's first-appearance mask (objects sharing that frame share the
    PNG) and, with ``all_frames``, ``valid_all_frames/JPEGImages`` holds
    every frame (the stored ones are identical).
    """
    out = {}
    for split, jobs in splits.items():
        out[split], videos = [], {}
        base = osp.join(root, split)
        for name, scene, n in jobs:
            stems = [f'{t * stride:05d}' for t in range(n)]

            def on_frame(t, img, ids):
                write_jpg(osp.join(base, 'JPEGImages', name,
                                   f'{stems[t]}.jpg'), img, quality)
                if split == 'train':
                    write_id_png(osp.join(base, 'Annotations', name,
                                          f'{stems[t]}.png'), ids)

            ids = _render_stored(scene, n, on_frame)
            gt = _gt(name, stems, scene, ids)
            objects = {}
            for oid, first in gt.first_frames.items():
                if split == 'train':
                    seen = np.flatnonzero((ids == oid).any(axis=(1, 2)))
                    frames = [stems[t] for t in seen]
                else:
                    frames = stems[first:]
                objects[str(oid)] = dict(category=gt.categories[oid],
                                         frames=frames)
            videos[name] = dict(objects=objects)
            if split != 'train':
                _write_first_masks(osp.join(base, 'Annotations', name), gt)
                if all_frames:
                    _write_all_frames(osp.join(root, f'{split}_all_frames',
                                               'JPEGImages', name), scene,
                                      n, stride, quality)
            out[split].append(gt)
            tick()
        _write_json(osp.join(base, 'meta.json'), dict(videos=videos))
    return out


def _write_first_masks(ann_dir: str, gt: ToyVideoGT) -> None:
    for t, ids in vos_first_masks(gt).items():
        write_id_png(osp.join(ann_dir, f'{gt.frame_names[t]}.png'), ids)


def _write_all_frames(img_dir: str, scene: ToyScene, n: int, stride: int,
                      quality: int) -> None:
    for i in range((n - 1) * stride + 1):
        img, _ = render_frame(scene, i / stride)
        write_jpg(osp.join(img_dir, f'{i:05d}.jpg'), img, quality)


# ------------------------------------------------------- YouTube-VIS / OVIS
def uncompressed_rle(mask: np.ndarray) -> Dict:
    """COCO uncompressed RLE (column-major runs, background first)."""
    flat = mask.flatten(order='F').astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1,
                             [flat.size]])
    runs = np.diff(bounds).tolist()
    counts = ([0] + runs) if flat[0] else runs
    return dict(size=list(mask.shape), counts=counts)


def compressed_rle(mask: np.ndarray) -> Dict:
    """COCO compressed RLE with a str ``counts`` (as stored in JSON)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=[int(v) for v in rle['size']],
                counts=rle['counts'].decode('ascii'))


def run_polygons(mask: np.ndarray) -> List[List[float]]:
    """Polygons whose union rasterises to ``mask`` exactly in pycocotools.

    Each is an axis-aligned rectangle on pixel corners covering a run of
    pixels repeated over consecutive rows.
    """
    polys, open_runs = [], {}
    h = mask.shape[0]
    for y in range(h + 1):
        runs = set()
        if y < h:
            d = np.diff(np.concatenate([[0], mask[y].astype(np.int8), [0]]))
            runs = set(zip(np.flatnonzero(d == 1).tolist(),
                           np.flatnonzero(d == -1).tolist()))
        for run in list(open_runs):
            if run not in runs:
                (a, b), y0 = run, open_runs.pop(run)
                polys.append([float(v) for v in (a, y0, b, y0, b, y, a, y)])
        for run in runs:
            open_runs.setdefault(run, y)
    return polys


_ENCODERS = dict(rle=uncompressed_rle, compressed=compressed_rle,
                 polygon=run_polygons)


def _bbox(mask: np.ndarray) -> List[float]:
    ys, xs = np.nonzero(mask)
    return [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1),
            float(ys.max() - ys.min() + 1)]


def write_vis(root: str, splits: Dict[str, Sequence[VideoJob]],
              style: str = 'youtube-vis', num_categories: int = 3,
              seg_format: str = 'mixed', stride: int = 5,
              val_annotations: bool = True, seed: int = 0, quality: int = 90,
              tick: Callable = lambda: None) -> Dict[str, List[ToyVideoGT]]:
    """YouTube-VIS (``train.json``, ``train/JPEGImages/<vid>/00000.jpg``) or
    OVIS (``annotations_train.json``, ``train/<vid>/img_0000001.jpg``).

    Absent frames have null segmentations, areas and bboxes; present ones
    are encoded as ``seg_format`` ('rle' uncompressed, 'compressed',
    'polygon' or 'mixed': a deterministic random choice per frame). With
    ``val_annotations=False`` non-train JSONs have no ``annotations`` key.
    """
    formats = list(_ENCODERS) if seg_format == 'mixed' else [seg_format]
    if any(f not in _ENCODERS for f in formats):
        raise ValueError(f'seg_format must be mixed or one of '
                         f'{sorted(_ENCODERS)}, got {seg_format!r}')
    cats = [dict(id=c + 1, name=CATEGORIES[c], supercategory='shape')
            for c in range(num_categories)]
    out = {}
    for s_idx, (split, jobs) in enumerate(splits.items()):
        out[split], videos, anns = [], [], []
        pick = np.random.default_rng([seed, 17, s_idx])
        for v_idx, (name, scene, n) in enumerate(jobs):
            if style == 'ovis':
                files = [f'{name}/img_{t + 1:07d}.jpg' for t in range(n)]
                img_root = osp.join(root, split)
            else:
                files = [f'{name}/{t * stride:05d}.jpg' for t in range(n)]
                img_root = osp.join(root, split, 'JPEGImages')
            ids = _render_stored(scene, n, lambda t, img, _: write_jpg(
                osp.join(img_root, files[t]), img, quality))
            gt = _gt(name, [osp.splitext(osp.basename(f))[0] for f in files],
                     scene, ids)
            videos.append(dict(id=v_idx + 1, width=scene.width,
                               height=scene.height, length=n,
                               file_names=files))
            for obj in scene.objects:
                if obj.obj_id not in gt.first_frames:
                    continue
                anns.append(_vis_annotation(ids, obj.obj_id, obj.category,
                                            v_idx + 1, len(anns) + 1,
                                            formats, pick))
            out[split].append(gt)
            tick()
        data = dict(info=dict(description='vostoolkit toy videos'),
                    licenses=[], videos=videos, categories=cats)
        if split == 'train' or val_annotations:
            data['annotations'] = anns
        name = (f'annotations_{split}.json' if style == 'ovis'
                else f'{split}.json')
        _write_json(osp.join(root, name), data)
    return out


def _vis_annotation(ids: np.ndarray, oid: int, category: int, video_id: int,
                    ann_id: int, formats: List[str],
                    pick: np.random.Generator) -> Dict:
    segs, areas, boxes = [], [], []
    for t in range(ids.shape[0]):
        mask = (ids[t] == oid).astype(np.uint8)
        if not mask.any():
            segs.append(None)
            areas.append(None)
            boxes.append(None)
            continue
        fmt = formats[int(pick.integers(len(formats)))]
        segs.append(_ENCODERS[fmt](mask))
        areas.append(float(mask.sum()))
        boxes.append(_bbox(mask))
    return dict(id=ann_id, video_id=video_id, category_id=category + 1,
                iscrowd=0, height=int(ids.shape[1]), width=int(ids.shape[2]),
                length=1, segmentations=segs, areas=areas, bboxes=boxes)


def vis_mask(gt: ToyVideoGT, oid: int, t: int) -> np.ndarray:
    """(H, W) uint8 mask of object ``oid`` on stored frame ``t``."""
    return (gt.id_maps[t] == oid).astype(np.uint8)


def vos_first_masks(gt: ToyVideoGT) -> Dict[int, np.ndarray]:
    """Stored frame index -> the YouTube-VOS ``valid`` PNG written there."""
    out = {}
    for t in sorted(set(gt.first_frames.values())):
        keep = [o for o, f in gt.first_frames.items() if f == t]
        out[t] = np.where(np.isin(gt.id_maps[t], keep), gt.id_maps[t],
                          0).astype(np.uint8)
    return out

