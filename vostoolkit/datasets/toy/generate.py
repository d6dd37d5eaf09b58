"""``generate_toy_dataset``: the embedded toy data, deterministic from a seed,
and ``ensure_toy_dataset``: generate it on first use, safely."""
import hashlib
import inspect
import json
import os
import os.path as osp
import shutil
import socket
import tempfile
import time
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .sampling import sample_scene
from .benchmark_writers import write_mose, write_vost
from .long_writers import write_lvos, write_sav
from .sav_train_writer import write_sav_train
from .writers import (ToyVideoGT, write_davis, write_vis,
                      write_youtube_vos)

FORMATS = {
    'davis': 'davis', 'youtube-vos': 'youtube-vos', 'ytvos': 'youtube-vos',
    'youtube-vis': 'youtube-vis', 'ytvis': 'youtube-vis', 'ovis': 'ovis',
    'lvos': 'lvos', 'sav': 'sav', 'sav-train': 'sav-train', 'mose': 'mose',
    'mose-v2': 'mose', 'mosev2': 'mose', 'vost': 'vost'
}
_KIND = {'davis': 'davis', 'youtube-vos': 'vos', 'youtube-vis': 'vis',
         'ovis': 'vis', 'lvos': 'vos', 'sav': 'vos', 'sav-train': 'vos',
         'mose': 'davis',
         'vost': 'davis'}
EXTRA_WRITERS = {'mose': write_mose, 'vost': write_vost}
_SPLIT_CODE = {'train': 0, 'val': 1, 'valid': 1, 'test-dev': 2}
# layouts whose only split is an evaluation split (no train videos)
_EVAL_ONLY = {'sav': 'val'}
SPEC_FILE = 'toy_spec.json'


def _video_name(fmt: str, seed: int, split: str, idx: int) -> str:
    if fmt in ('davis', 'vost'):
        return f'toy-{split}-{idx:03d}'
    if fmt in ('sav', 'sav-train'):
        return f'sav_{idx + 1:06d}'
    digest = hashlib.md5(f'{seed}-{split}-{idx}'.encode()).hexdigest()
    return digest[:8] if fmt in ('ovis', 'lvos') else digest[:10]


def _scene_jobs(fmt: str, split: str, num: int, frames: int,
                size: Tuple[int, int], seed: int, num_categories: int,
                max_objects: int) -> list:
    """(name, scene, frames) of a split's videos; video ``idx`` of a split
    depends only on (seed, split, idx) and the scene arguments."""
    jobs = []
    for idx in range(num):
        rng = np.random.default_rng([seed, _SPLIT_CODE[split], idx])
        scene = sample_scene(rng, size[0], size[1], frames, kind=_KIND[fmt],
                             num_categories=num_categories,
                             max_objects=max_objects)
        jobs.append((_video_name(fmt, seed, split, idx), scene, frames))
    return jobs


def generate_toy_dataset(out_dir: str,
                         fmt: str = 'davis',
                         videos: int = 24,
                         frames: int = 12,
                         size: Sequence[int] = (64, 96),
                         seed: int = 0,
                         *,
                         val_videos: Optional[int] = None,
                         test_videos: int = 0,
                         max_objects: int = 4,
                         num_categories: int = 3,
                         frame_stride: int = 5,
                         all_frames: bool = True,
                         val_annotations: bool = True,
                         seg_format: str = 'mixed',
                         jpeg_quality: int = 90,
                         return_gt: bool = False,
                         progress: bool = False
                         ) -> Optional[Dict[str, List[ToyVideoGT]]]:
    """Write a toy dataset with train and val splits in a benchmark layout.

    Args:
        out_dir (str): dataset root to write (created; existing files of
            the same names are overwritten).
        fmt (str): 'davis', 'youtube-vos', 'youtube-vis', 'ovis', 'lvos',
            'sav' (SA-V: the ``val`` split only, ``val_videos`` of them),
            'sav-train' (SA-V train as released, mp4 + JSON masklets,
            ``videos`` of them, for ``tools/dataset_converters/sav_train.py``),
            'mose' (MOSE v1 and v2 share it) or 'vost'.
        videos (int): train videos.
        frames (int): stored frames per video.
        size (tuple[int, int]): (H, W) of the frames.
        seed (int): everything written is a function of the arguments.
        val_videos (int, optional): val videos; default ``ceil(videos/4)``.
        test_videos (int): DAVIS only: ``test-dev`` sequences (first-frame
            annotation only).
        max_objects (int): 1 to this many objects per video (at most 4).
        num_categories (int): shape categories (3 or 4).
        frame_stride (int): YouTube-VOS / VIS: stems step (00000, 00005...).
        all_frames (bool): YouTube-VOS: also write ``valid_all_frames``.
        val_annotations (bool): VIS: write the val JSON with annotations
            (so AP can be computed); False writes a test-style JSON.
        seg_format (str): VIS segmentation encoding, see
            :func:`vostoolkit.datasets.toy.writers.write_vis`.
        jpeg_quality (int): JPEG quality of the frames.
        return_gt (bool): return the ground truth that was written.
        progress (bool): show an mmengine progress bar.

    Returns:
        dict | None: split name -> list of :class:`ToyVideoGT`, when
        ``return_gt``. Split names are the layout's (DAVIS 'train' / 'val'
        / 'test-dev'; YouTube-VOS and VIS 'train' / 'valid').
    """
    if fmt not in FORMATS:
        raise ValueError(f'fmt must be one of {sorted(FORMATS)}, got {fmt!r}')
    fmt = FORMATS[fmt]
    h, w = (int(v) for v in size)
    if min(h, w) < 16 or frames < 1 or videos < 0:
        raise ValueError(f'need size >= 16x16, frames >= 1, videos >= 0; '
                         f'got size={size}, frames={frames}, videos={videos}')
    if not 1 <= max_objects <= 4 or not 3 <= num_categories <= 4:
        raise ValueError('max_objects must be in 1..4 and num_categories '
                         'in 3..4')
    val_videos = -(-videos // 4) if val_videos is None else val_videos
    val_name = 'val' if fmt in ('davis', 'sav', 'vost') else 'valid'
    counts = {'train': videos, val_name: val_videos}
    if fmt in _EVAL_ONLY:  # SA-V train ships as mp4 + JSON: 'sav-train'
        counts = {_EVAL_ONLY[fmt]: val_videos}
    if fmt == 'sav-train':
        counts = {'train': videos}
    if fmt == 'davis' and test_videos:
        counts['test-dev'] = test_videos
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(sum(counts.values()))
    tick = bar.update if bar is not None else (lambda: None)

    splits = {
        split: _scene_jobs(fmt, split, num, frames, (h, w), seed,
                           num_categories, max_objects)
        for split, num in counts.items()
    }
    os.makedirs(out_dir, exist_ok=True)
    if fmt == 'davis':
        gt = write_davis(out_dir, splits, jpeg_quality, tick)
    elif fmt == 'lvos':
        gt = write_lvos(out_dir, splits, frame_stride, jpeg_quality, tick)
    elif fmt == 'sav':
        gt = write_sav(out_dir, splits, 4, jpeg_quality, tick)
    elif fmt == 'sav-train':
        gt = write_sav_train(out_dir, splits, 4, tick)
    elif fmt in EXTRA_WRITERS:
        gt = EXTRA_WRITERS[fmt](out_dir, splits, jpeg_quality, tick)
    elif fmt == 'youtube-vos':
        gt = write_youtube_vos(out_dir, splits, frame_stride, all_frames,
                               jpeg_quality, tick)
    else:
        gt = write_vis(out_dir, splits, fmt, num_categories, seg_format,
                       frame_stride, val_annotations, seed, jpeg_quality,
                       tick)
    if bar is not None:
        print(flush=True)
    return gt if return_gt else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _try_lock(lock: str) -> bool:
    """Create ``lock`` atomically; clear it first if its holder died."""
    try:
        with open(lock) as f:
            host, pid = f.read().split()
        if host == socket.gethostname() and not _pid_alive(int(pid)):
            os.remove(lock)
    except (OSError, ValueError):
        pass
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(fd, 'w') as f:
        f.write(f'{socket.gethostname()} {os.getpid()}')
    return True


def ensure_toy_dataset(data_root: str, fmt: str, wait_s: float = 1800.,
                       **spec) -> str:
    """Generate the toy dataset at ``data_root`` unless it exists.

    Generation writes into a temporary folder next to ``data_root``, which
    is renamed when complete, so a reader never sees half a dataset. A lock
    file lets one process generate while others (e.g. distributed ranks)
    wait; if two generate anyway, the first rename wins and the other copy
    is discarded.

    Args:
        data_root (str): the dataset root.
        fmt (str): see :func:`generate_toy_dataset`.
        wait_s (float): how long to wait for another process's generation.
        **spec: further arguments of :func:`generate_toy_dataset`.

    Returns:
        str: ``data_root``.
    """
    root = osp.abspath(data_root)
    if osp.isdir(root):
        _check_spec(root, fmt, spec)
        return data_root
    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    lock = root + '.lock'
    deadline = time.monotonic() + wait_s
    locked = _try_lock(lock)
    while not locked:
        if osp.isdir(root):
            return data_root
        if time.monotonic() > deadline:
            break  # holder stuck: generate anyway, the rename decides
        time.sleep(0.5)
        locked = _try_lock(lock)
    try:
        if osp.isdir(root):
            return data_root
        print(f'Generating toy {fmt} data at {data_root} '
              f'({json.dumps(spec, sort_keys=True)})', flush=True)
        tmp = tempfile.mkdtemp(prefix=osp.basename(root) + '.tmp-',
                               dir=parent)
        try:
            generate_toy_dataset(tmp, fmt, progress=True, **spec)
            with open(osp.join(tmp, SPEC_FILE), 'w') as f:
                json.dump(full_spec(fmt, spec), f, indent=1, sort_keys=True)
            try:
                os.rename(tmp, root)
            except OSError:
                if not osp.isdir(root):
                    raise
        finally:
            if osp.isdir(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if locked:
            try:
                os.remove(lock)
            except OSError:
                pass
    return data_root


def _jsonable(spec: Dict) -> Dict:
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in spec.items()}


def full_spec(fmt: str, spec: Dict) -> Dict:
    """``spec`` with every default of :func:`generate_toy_dataset` filled
    in (JSON types), to compare two specs."""
    params = inspect.signature(generate_toy_dataset).parameters
    skip = ('out_dir', 'fmt', 'return_gt', 'progress')
    full = {k: p.default for k, p in params.items() if k not in skip}
    full.update(spec)
    full['fmt'] = FORMATS.get(fmt, fmt)
    if full.get('val_videos') is None:
        full['val_videos'] = -(-full['videos'] // 4)
    return json.loads(json.dumps(_jsonable(full), sort_keys=True))


def _check_spec(root: str, fmt: str, spec: Dict) -> None:
    """Warn when existing toy data was generated with another spec."""
    path = osp.join(root, SPEC_FILE)
    if not osp.isfile(path):
        return
    try:
        with open(path) as f:
            stored = full_spec(fmt, json.load(f))
    except (OSError, ValueError):
        return
    wanted = full_spec(fmt, spec)
    if stored != wanted:
        diff = {k: (stored.get(k), wanted.get(k))
                for k in sorted(set(stored) | set(wanted))
                if stored.get(k) != wanted.get(k)}
        warnings.warn(f'{root} holds toy data generated with another spec '
                      f'(key: (on disk, asked)) {diff}; using it as is. '
                      f'Delete the folder to regenerate.')

