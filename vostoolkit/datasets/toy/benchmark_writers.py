"""Write toy scenes in the MOSE (v1 and v2) and VOST layouts."""
import os.path as osp
from typing import Callable, Dict, List, Sequence

from .writers import (ToyVideoGT, VideoJob, _gt, _render_stored,
                      _write_lines, write_id_png, write_jpg)

#: VOST names its frames ``frame%05d`` after the source video's frame
#: index; the toy stores every 6th frame (5 of 30 fps).
VOST_STRIDE = 6


def write_mose(root: str, splits: Dict[str, Sequence[VideoJob]],
               quality: int = 90, tick: Callable = lambda: None
               ) -> Dict[str, List[ToyVideoGT]]:
    """MOSE layout: ``<split>/JPEGImages/<vid>/00000.jpg`` and palette
    ``<split>/Annotations/<vid>/00000.png``; ``train`` annotates every
    frame, ``valid`` only the first (where every object is visible)."""
    out = {}
    for split, jobs in splits.items():
        out[split] = []
        for name, scene, n in jobs:
            img_dir = osp.join(root, split, 'JPEGImages', name)
            ann_dir = osp.join(root, split, 'Annotations', name)

            def on_frame(t, img, ids):
                write_jpg(osp.join(img_dir, f'{t:05d}.jpg'), img, quality)
                if split == 'train' or t == 0:
                    write_id_png(osp.join(ann_dir, f'{t:05d}.png'), ids)

            ids = _render_stored(scene, n, on_frame)
            out[split].append(_gt(name, [f'{t:05d}' for t in range(n)],
                                  scene, ids))
            tick()
    return out


def write_vost(root: str, splits: Dict[str, Sequence[VideoJob]],
               quality: int = 90, tick: Callable = lambda: None
               ) -> Dict[str, List[ToyVideoGT]]:
    """VOST layout: ``JPEGImages/<seq>/frame00000.jpg`` (frames 0, 6,
    12, ...), ``Annotations/<seq>/frame00000.png`` on every stored frame of
    ``train`` and ``val`` (VOST publishes its val annotations),
    ``ImageSets/<split>.txt``."""
    out = {}
    for split, jobs in splits.items():
        out[split] = []
        for name, scene, n in jobs:
            stems = [f'frame{t * VOST_STRIDE:05d}' for t in range(n)]

            def on_frame(t, img, ids):
                write_jpg(osp.join(root, 'JPEGImages', name,
                                   f'{stems[t]}.jpg'), img, quality)
                write_id_png(osp.join(root, 'Annotations', name,
                                      f'{stems[t]}.png'), ids)

            ids = _render_stored(scene, n, on_frame)
            out[split].append(_gt(name, stems, scene, ids))
            tick()
        _write_lines(osp.join(root, 'ImageSets', f'{split}.txt'),
                     [job[0] for job in jobs])
    return out
