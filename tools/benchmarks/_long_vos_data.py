"""Synthetic ground truth and predictions in the LVOS and SA-V evaluation
layouts (PNGs only), for the evaluator benchmark and side-by-side checks.

Objects are moving ellipses that enter part-way, leave the frame and come
back; predictions are the ground truth shifted, eroded, with missed frames,
spurious blobs and swapped ids, so every branch of J and F is exercised.
"""
import json
import os
import os.path as osp
from typing import Tuple

import cv2
import numpy as np
from PIL import Image

from vostoolkit.utils import davis_palette

_PAL = davis_palette().reshape(-1).tolist()


def _png(path: str, ids: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(np.ascontiguousarray(ids, np.uint8))
    img.putpalette(_PAL)
    img.save(path, compress_level=1)


def _ellipse(hw: Tuple[int, int], t: int, seed: int) -> np.ndarray:
    h, w = hw
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    vx, vy = rng.uniform(-3, 3), rng.uniform(-2, 2)
    ax, ay = rng.uniform(0.05, 0.2) * w, rng.uniform(0.05, 0.2) * h
    m = np.zeros(hw, np.uint8)
    x = int(cx + vx * t) % (w + int(ax)) - int(ax / 2)
    y = int(cy + vy * t) % (h + int(ay)) - int(ay / 2)
    cv2.ellipse(m, (x, y), (int(ax), int(ay)), (t * 3) % 180, 0, 360, 1, -1)
    return m.astype(bool)


def _perturb(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r = rng.random()
    if r < 0.08:
        return np.zeros_like(mask)
    if r < 0.2:
        return cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)
                         ).astype(bool)
    dy, dx = rng.integers(-4, 5, size=2)
    out = np.roll(mask, (int(dy), int(dx)), axis=(0, 1))
    if rng.random() < 0.15:
        y, x = rng.integers(0, mask.shape[0]), rng.integers(0, mask.shape[1])
        out[max(y - 3, 0):y + 3, max(x - 3, 0):x + 3] = True
    return out


def _object_masks(hw, t, video_seed, n_obj, starts, n_frames):
    """List of (H, W) bool per object on annotated frame ``t``."""
    out = []
    for k in range(n_obj):
        m = _ellipse(hw, t, video_seed * 31 + k)
        gone = (t // 17 + k) % 5 == 3  # absent for a stretch
        if t < starts[k] or gone:
            m = np.zeros(hw, bool)
        out.append(m)
    return out


def make_lvos_set(root: str, videos: int = 4, frames: int = 60,
                  hw: Tuple[int, int] = (240, 428), seed: int = 0) -> dict:
    """``root/gt/{Annotations,valid_meta.json,unseen_videos.txt}`` and
    ``root/pred/<video>/%08d.png`` (annotated every 5th frame from 1).

    Returns:
        dict: ``gt`` and ``pred`` paths and the PNG count.
    """
    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = osp.join(root, 'gt'), osp.join(root, 'pred')
    meta, count = {}, 0
    names = [f'v{seed:02d}{i:06d}' for i in range(videos)]
    for vi, name in enumerate(names):
        n_obj = 1 + vi % 3
        starts = [0] + [int(rng.integers(0, frames // 2))
                        for _ in range(n_obj - 1)]
        objects = {}
        for t in range(frames):
            masks = _object_masks(hw, t, seed * 1000 + vi, n_obj, starts,
                                  frames)
            gt = np.zeros(hw, np.uint8)
            pred = np.zeros(hw, np.uint8)
            for k, m in enumerate(masks):
                gt[m] = k + 1
                pred[_perturb(m, rng)] = k + 1
            if rng.random() < 0.05 and n_obj > 1:
                pred = np.where(pred == 1, 2, np.where(pred == 2, 1, pred))
            stem = f'{1 + 5 * t:08d}'
            _png(osp.join(gt_dir, 'Annotations', name, stem + '.png'), gt)
            _png(osp.join(pred_dir, name, stem + '.png'), pred)
            count += 2
        for k in range(n_obj):
            start = 1 + 5 * starts[k]
            nums = frames - starts[k]
            if k == 2:  # a frame_nums above the range: unreached slots
                nums += 1
            objects[str(k + 1)] = dict(frame_range=dict(
                start=start, end=1 + 5 * (frames - 1), frame_nums=nums))
        meta[name] = dict(objects=objects)
    with open(osp.join(gt_dir, 'valid_meta.json'), 'w') as f:
        json.dump(dict(videos=meta), f)
    with open(osp.join(gt_dir, 'unseen_videos.txt'), 'w') as f:
        f.write(''.join(f'{n}\n' for n in names[1::2]))
    return dict(gt=gt_dir, pred=pred_dir, pngs=count)


def make_sav_set(root: str, videos: int = 4, frames: int = 60,
                 hw: Tuple[int, int] = (240, 428), seed: int = 0) -> dict:
    """``root/gt/<video>/<obj:03d>/%05d.png`` and the same under
    ``root/pred`` (binary PNGs, annotated every 4th frame). Objects overlap:
    object 1 of a video holds object 0 inside it.

    Returns:
        dict: ``gt`` and ``pred`` paths and the PNG count.
    """
    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = osp.join(root, 'gt'), osp.join(root, 'pred')
    count = 0
    for vi in range(videos):
        name = f'sav_{seed:02d}{vi:04d}'
        n_obj = 1 + vi % 3
        starts = [0] + [int(rng.integers(0, frames // 2))
                        for _ in range(n_obj - 1)]
        for t in range(frames):
            masks = _object_masks(hw, t, seed * 1000 + vi, n_obj, starts,
                                  frames)
            if n_obj > 1:  # overlap: object 1 covers object 0 too
                masks[1] = masks[1] | masks[0]
            stem = f'{4 * t:05d}'
            for k, m in enumerate(masks):
                _png(osp.join(gt_dir, name, f'{k:03d}', stem + '.png'),
                     m.astype(np.uint8))
                _png(osp.join(pred_dir, name, f'{k:03d}', stem + '.png'),
                     _perturb(m, rng).astype(np.uint8))
                count += 2
    return dict(gt=gt_dir, pred=pred_dir, pngs=count)
