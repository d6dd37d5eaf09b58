"""Synthetic ground truth and predictions in the MOSE and VOST layouts, for
the evaluation tests, the side-by-side checks against the official scorers
and ``tools/benchmarks/eval_bench_mose_vost.py``.

Objects are filled ellipses of very different sizes (a few pixels to a
third of the frame) that move, leave the frame's ground truth for a while
and come back (MOSE v2's disappearance / reappearance); VOST sets add void
(255) regions. Predictions are the ground truth shifted, grown or shrunk,
with objects dropped on some frames, swapped ids, stray ids above the
object count (VOST) and empty frames.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

from vostoolkit.evaluation.mask_io import encode_index_png


def _write(path: str, ids: np.ndarray) -> None:
    with open(path, 'wb') as f:
        f.write(encode_index_png(ids))


def synthetic_video(rng: np.random.Generator, n_frames: int, h: int, w: int,
                    n_obj: int, void: bool = False,
                    gaps: bool = True) -> np.ndarray:
    """(T, H, W) uint8 ground-truth ids of one video.

    Every object is visible on frame 0; with ``gaps`` an object may be
    absent on one or two stretches of frames afterwards.
    """
    out = np.zeros((n_frames, h, w), np.uint8)
    for k in range(1, n_obj + 1):
        size = rng.choice([2, 6, 20, max(h // 6, 3)])
        ax = np.array([size, size * rng.uniform(0.5, 1.5)])
        c = np.array([rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h])
        v = rng.normal(0, 2, 2)
        absent = np.zeros(n_frames, bool)
        if gaps and n_frames > 4:
            for _ in range(int(rng.integers(0, 3))):
                s = int(rng.integers(1, n_frames))
                stop = s + int(rng.integers(1, max(2, n_frames // 4)))
                absent[s:stop] = True
        for t in range(n_frames):
            if absent[t]:
                continue
            ct = c + v * t
            cv2.ellipse(out[t], (int(ct[0]), int(ct[1])),
                        (int(ax[0]), int(ax[1])), float(t * 7), 0, 360,
                        int(k), -1)
    if void:
        for t in range(n_frames):
            if rng.random() < 0.5:
                y, x = int(rng.integers(0, h - 4)), int(rng.integers(0, w - 4))
                out[t, y:y + int(rng.integers(2, h // 4 + 3)),
                    x:x + int(rng.integers(2, w // 4 + 3))] = 255
    return out


def perturb(rng: np.random.Generator, gt: np.ndarray, n_obj: int,
            extra_ids: bool = False) -> np.ndarray:
    """A prediction made from the ground truth (void becomes background)."""
    pred = np.where(gt == 255, 0, gt).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    for t in range(len(pred)):
        r = rng.random()
        if r < 0.05:
            pred[t] = 0
            continue
        if r < 0.35:
            dy, dx = (int(v) for v in rng.integers(-3, 4, 2))
            pred[t] = np.roll(pred[t], (dy, dx), axis=(0, 1))
        elif r < 0.55:
            pred[t] = cv2.dilate(pred[t], kernel)
        elif r < 0.7:
            pred[t] = cv2.erode(pred[t], kernel)
        if rng.random() < 0.1 and n_obj > 1:
            a, b = 1, 2
            m = pred[t].copy()
            pred[t][m == a], pred[t][m == b] = b, a
        if rng.random() < 0.1:
            pred[t][pred[t] == rng.integers(1, n_obj + 1)] = 0
        if extra_ids and rng.random() < 0.1:
            pred[t, :3, :3] = n_obj + 1
    return pred


def write_set(root: str, layout: str, n_videos: int, n_frames: int,
              size: Tuple[int, int], seed: int = 0,
              max_objects: int = 4) -> Dict[str, dict]:
    """Write ground truth and predictions of a synthetic set.

    Layouts: ``mose`` (``<root>/gt/Annotations/<video>/00000.png``,
    ``<root>/gt/meta.json`` in the MOSE v2 scorer's schema) and ``vost``
    (``<root>/gt/ImageSets/val.txt``, ``<root>/gt/Annotations/<seq>/
    frame00000.png`` with void). Predictions go to
    ``<root>/pred/<video>/<frame>.png`` for every frame.

    Returns:
        dict: video -> ``{'frames': [stems], 'objects': [ids]}``.
    """
    h, w = size
    gt_ann = osp.join(root, 'gt', 'Annotations')
    info, meta = {}, {}
    for v in range(n_videos):
        rng = np.random.default_rng([seed, v])
        name = f'{layout}{seed}_{v:04d}'
        n_obj = int(rng.integers(1, max_objects + 1))
        length = int(rng.integers(max(3, n_frames // 2), n_frames + 1))
        gt = synthetic_video(rng, length, h, w, n_obj, void=layout == 'vost',
                             gaps=layout == 'mose')
        pred = perturb(rng, gt, n_obj, extra_ids=layout == 'vost')
        stems = [f'{t:05d}' if layout == 'mose' else f'frame{t * 6:05d}'
                 for t in range(length)]
        os.makedirs(osp.join(gt_ann, name), exist_ok=True)
        os.makedirs(osp.join(root, 'pred', name), exist_ok=True)
        for t, stem in enumerate(stems):
            _write(osp.join(gt_ann, name, f'{stem}.png'), gt[t])
            _write(osp.join(root, 'pred', name, f'{stem}.png'), pred[t])
        objs = [int(k) for k in np.unique(gt[0]) if 0 < k < 255]
        info[name] = dict(frames=stems, objects=objs)
        meta[name] = dict(length=length, height=h, width=w,
                          objects=[str(k) for k in objs])
    if layout == 'mose':
        with open(osp.join(root, 'gt', 'meta.json'), 'w') as f:
            json.dump(dict(videos=meta), f)
    else:
        os.makedirs(osp.join(root, 'gt', 'ImageSets'), exist_ok=True)
        with open(osp.join(root, 'gt', 'ImageSets', 'val.txt'), 'w') as f:
            f.write(''.join(f'{n}\n' for n in info))
    return info


__all__: List[str] = ['synthetic_video', 'perturb', 'write_set']
