"""Tiny ground truth in the on-disk formats, for the evaluation tests.

Used when the toy-data fixtures of ``tests/conftest.py`` are absent, and for
hand-made cases. Every writer returns the arrays it wrote.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from vostoolkit.evaluation.mask_io import encode_index_png
from vostoolkit.testing import load_tool as _load_repo_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name: str):
    """Import ``tools/<name>.py`` as a module (to call its ``main``)."""
    return _load_repo_tool(f'tools/{name}.py')


def write_png(path: str, ids: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(encode_index_png(np.asarray(ids, np.uint8)))


def write_jpg(path: str, h: int, w: int) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 90, np.uint8)).save(path)


def moving_objects(n_frames: int, h: int, w: int, n_obj: int, seed: int,
                   late: Optional[Dict[int, int]] = None) -> np.ndarray:
    """(T, H, W) uint8 ids: rectangles moving a pixel or two a frame.

    Args:
        late (dict): object id -> first frame it appears on.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros((n_frames, h, w), np.uint8)
    late = late or {}
    for k in range(1, n_obj + 1):
        y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
        bh, bw = rng.integers(4, h // 2), rng.integers(4, w // 2)
        dy, dx = rng.integers(-1, 2), rng.integers(1, 3)
        for t in range(late.get(k, 0), n_frames):
            y0 = int(np.clip(y + dy * t, 0, h - bh))
            x0 = int(np.clip(x + dx * t, 0, w - bw))
            out[t, y0:y0 + bh, x0:x0 + bw] = k
    return out


def make_davis(root: str, seqs: Dict[str, np.ndarray], year: str = '2017',
               split: str = 'val', res: str = '480p',
               ann: str = 'Annotations') -> Dict[str, np.ndarray]:
    """Write a DAVIS root: ImageSets, JPEGImages and palette annotations."""
    set_dir = osp.join(root, 'ImageSets', year)
    os.makedirs(set_dir, exist_ok=True)
    with open(osp.join(set_dir, f'{split}.txt'), 'w') as f:
        f.write('\n'.join(seqs) + '\n')
    for name, masks in seqs.items():
        for t, ids in enumerate(masks):
            write_png(osp.join(root, ann, res, name, f'{t:05d}.png'), ids)
            write_jpg(osp.join(root, 'JPEGImages', res, name, f'{t:05d}.jpg'),
                      *ids.shape)
    return seqs


def write_pred_folder(root: str, videos: Dict[str, np.ndarray],
                      frames: Optional[Dict[str, Sequence[str]]] = None,
                      prefix: str = '') -> str:
    """Write predictions ``[prefix]<video>/<frame>.png``."""
    for name, masks in videos.items():
        names = frames[name] if frames else [f'{t:05d}'
                                             for t in range(len(masks))]
        for frame, ids in zip(names, masks):
            write_png(osp.join(root, prefix, name, f'{frame}.png'), ids)
    return root


def make_ytvos(root: str, split: str, videos: Dict[str, np.ndarray],
               categories: Dict[str, Dict[int, str]],
               frame_step: int = 5) -> Dict[str, List[str]]:
    """Write ``<root>/<split>/{meta.json,JPEGImages,Annotations}``.

    Frames are named ``00000, 00005, ...``; an object's ``frames`` lists
    where it is present; every listed frame gets an annotation PNG.

    Returns:
        dict: video -> frame names.
    """
    meta = {'videos': {}}
    names = {}
    for vid, masks in videos.items():
        fnames = [f'{t * frame_step:05d}' for t in range(len(masks))]
        names[vid] = fnames
        objs = {}
        for k, cat in categories[vid].items():
            present = [f for f, m in zip(fnames, masks) if (m == k).any()]
            objs[str(k)] = {'category': cat, 'frames': present}
        meta['videos'][vid] = {'objects': objs}
        for f, m in zip(fnames, masks):
            write_png(osp.join(root, split, 'Annotations', vid, f'{f}.png'),
                      m)
            write_jpg(osp.join(root, split, 'JPEGImages', vid, f'{f}.jpg'),
                      *m.shape)
    with open(osp.join(root, split, 'meta.json'), 'w') as f:
        json.dump(meta, f)
    return names


def rle(mask: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    r['counts'] = r['counts'].decode('ascii')
    return r


def make_vis_gt(videos: Dict[int, List[dict]], h: int, w: int,
                cat_ids: Sequence[int] = (1, 2, 3)) -> dict:
    """A YouTube-VIS JSON dict.

    Args:
        videos: video id -> tracks ``{'category_id', 'masks': list of
            (H, W) bool or None}``.
    """
    out = dict(videos=[], annotations=[],
               categories=[dict(id=c, name=f'cat{c}') for c in cat_ids])
    aid = 1
    for vid, tracks in videos.items():
        length = len(tracks[0]['masks']) if tracks else 3
        out['videos'].append(dict(id=vid, height=h, width=w, length=length,
                                  file_names=[f'v{vid}/{t:05d}.jpg'
                                              for t in range(length)]))
        for tr in tracks:
            segs = [None if m is None else rle(m) for m in tr['masks']]
            areas = [None if m is None else int(m.sum()) for m in tr['masks']]
            out['annotations'].append(dict(
                id=aid, video_id=vid, category_id=tr['category_id'],
                segmentations=segs, areas=areas, iscrowd=0, height=h,
                width=w))
            aid += 1
    return out


def gt_as_results(gt: dict, score: float = 1.0) -> List[dict]:
    """Every ground-truth track as a result (compressed RLE, counts str)."""
    vids = {v['id']: v for v in gt['videos']}
    out = []
    for a in gt['annotations']:
        v = vids[a['video_id']]
        segs = []
        for s in a['segmentations']:
            if not s:
                segs.append(None)
                continue
            if isinstance(s, list):
                s = mask_utils.merge(mask_utils.frPyObjects(
                    s, v['height'], v['width']))
            elif isinstance(s['counts'], list):
                s = mask_utils.frPyObjects(s, v['height'], v['width'])
            counts = s['counts']
            segs.append(dict(size=list(s['size']), counts=counts.decode()
                             if isinstance(counts, bytes) else counts))
        out.append(dict(video_id=a['video_id'], category_id=a['category_id'],
                        score=score, segmentations=segs))
    return out


def py_rle_total(counts: str):
    """Sum of the runs of a compressed COCO RLE string (None: malformed);
    a plain transcription of pycocotools' rleFrString."""
    runs, i = [], 0
    while i < len(counts):
        x = k = 0
        more = True
        while more:
            if i >= len(counts):
                return None
            c = ord(counts[i]) - 48
            if not 0 <= c <= 63 or k > 11:
                return None
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            i, k = i + 1, k + 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        if x < 0:
            return None
        runs.append(x)
    return sum(runs)
