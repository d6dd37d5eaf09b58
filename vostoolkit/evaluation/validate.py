"""Submission checks: one human-readable line per problem, before upload.

Each ``validate_*`` function returns the list of problems (empty when the
zip is fine). They check what servers reject: layout (folders at the zip
root, ``Annotations/``, ``results.json``), frame coverage, sizes, PNG mode
and palette, object ids, JSON schema, RLE validity and video ids.
"""
import json
import math
import os
import os.path as osp
import zipfile
from typing import Dict, List, Optional, Set, Tuple

import numpy as np
from PIL import Image

from vostoolkit.utils import DataError, rle_problems
from .davis_eval import davis_sequences, first_frame_objects
from .mask_io import (PathLike, davis_palette, decode_index_png, list_pngs,
                      open_zip, png_header, read_zip_member)
from .vis_eval import VISGroundTruth
from .ytvos_eval import load_meta, video_frames

_PALETTE = davis_palette()


def _open_zip(path: PathLike) -> Tuple[Optional[zipfile.ZipFile], List[str]]:
    path = os.fspath(path)
    if not osp.isfile(path):
        return None, [f'{path}: file not found']
    if not zipfile.is_zipfile(path):
        return None, [f'{path}: not a zip file']
    try:
        return open_zip(path), []
    except DataError as err:
        return None, [str(err)]


def _frame_size(folder: str, ext: str) -> Optional[Tuple[int, int]]:
    """(H, W) of the first ``*.ext`` in ``folder``, or None."""
    if not osp.isdir(folder):
        return None
    files = sorted(f for f in os.listdir(folder) if f.endswith(ext))
    if not files:
        return None
    with Image.open(osp.join(folder, files[0])) as img:
        return img.height, img.width


def _check_png(data: bytes, name: str, size: Tuple[int, int],
               allowed_ids: Set[int], ids_text: str) -> List[str]:
    """Mode, palette, size and ids of one submitted PNG."""
    try:
        mode, shape, pal = png_header(data, name)
    except DataError as err:
        return [str(err)]
    problems = []
    if mode != 'P':
        problems.append(f'{name}: PNG mode {mode}, expected P (palette, '
                        'DAVIS colours)')
    if shape != tuple(size):
        problems.append(f'{name}: size {shape[1]}x{shape[0]}, expected '
                        f'{size[1]}x{size[0]} (the ground-truth size)')
        return problems
    if mode not in ('P', 'L'):
        return problems
    ids = np.unique(decode_index_png(data, name)).tolist()
    extra = sorted(set(ids) - allowed_ids)
    if extra:
        problems.append(f'{name}: ids {extra} are not {ids_text}')
    if mode == 'P' and ids:
        top = max(ids)
        used = _PALETTE[:top + 1].tobytes()
        if pal is None or pal[:len(used)] != used:
            problems.append(f'{name}: palette differs from the DAVIS '
                            'palette for the ids used')
    return problems


def _layout_prefix(names: List[str], expected: Set[str],
                   prefix: str) -> Optional[str]:
    """The folder prefix under which the expected video folders sit, when it
    is not ``prefix``; None when they are nowhere."""
    for n in names:
        parts = n.split('/')
        for i in range(len(parts) - 1):
            if parts[i] in expected:
                found = '/'.join(parts[:i]) + ('/' if i else '')
                if found != prefix:
                    return found
    return None


def _check_vos_zip(zf: zipfile.ZipFile, prefix: str,
                   expected: Dict[str, List[str]],
                   sizes: Dict[str, Tuple[int, int]],
                   objects: Dict[str, Set[int]], what: str) -> List[str]:
    names = [n for n in zf.namelist() if not n.endswith('/')]
    present = set(names)
    problems = []
    in_place = {n.split('/')[len(prefix.split('/')) - 1]
                for n in names if n.startswith(prefix) and
                n.count('/') == prefix.count('/') + 1}
    if not in_place & set(expected):
        wrong = _layout_prefix(names, set(expected), prefix)
        if wrong is not None:
            where = f"under '{prefix}'" if prefix else 'at the zip root'
            found = f"under '{wrong}'" if wrong else 'at the zip root'
            return [f'zip layout: the {what} folders must be {where}, found '
                    f'them {found}']
    wanted = set()
    for video, frames in expected.items():
        if video not in in_place:
            problems.append(f'{prefix}{video}/: {what} missing '
                            f'({len(frames)} frames expected)')
            continue
        allowed = {0} | objects[video]
        ids_text = f'objects of {video} (ids {sorted(objects[video])})'
        for frame in frames:
            name = f'{prefix}{video}/{frame}.png'
            wanted.add(name)
            if name not in present:
                problems.append(f'{name}: missing')
                continue
            try:
                data = read_zip_member(zf, name, name)
            except DataError as err:
                problems.append(str(err))
                continue
            problems.extend(_check_png(data, name, sizes[video], allowed,
                                       ids_text))
    for name in sorted(present - wanted):
        video = name[len(prefix):].split('/')[0] \
            if name.startswith(prefix) else None
        if video in expected and video in in_place:
            problems.append(f'{name}: unexpected file (not a frame of the '
                            'ground truth)')
        else:
            problems.append(f'{name}: unexpected file')
    return problems


def validate_davis_zip(zip_path: PathLike, gt_root: PathLike,
                       year: str = '2017', split: str = 'val',
                       resolution: str = '480p') -> List[str]:
    """Check a DAVIS submission zip: one folder per sequence of the split at
    the zip root, a palette PNG for every frame named like the ground truth,
    at its size, with ids of the sequence's objects only."""
    zf, problems = _open_zip(zip_path)
    if zf is None:
        return problems
    gt_root = os.fspath(gt_root)
    try:
        seqs = davis_sequences(gt_root, year, split)
    except DataError as err:
        return [str(err)]
    expected, sizes, objects = {}, {}, {}
    for seq in seqs:
        ann_dir = osp.join(gt_root, 'Annotations', resolution, seq)
        img_dir = osp.join(gt_root, 'JPEGImages', resolution, seq)
        anns = list_pngs(ann_dir) if osp.isdir(ann_dir) else []
        imgs = sorted(f[:-4] for f in os.listdir(img_dir)
                      if f.endswith('.jpg')) if osp.isdir(img_dir) else []
        if not anns:
            problems.append(f'{ann_dir}: ground-truth annotations missing')
            continue
        expected[seq] = imgs or anns
        first = decode_index_png(osp.join(ann_dir, anns[0] + '.png'))
        sizes[seq] = first.shape
        n_obj = first_frame_objects(first, year)
        objects[seq] = set(range(1, n_obj + 1))
    with zf:
        problems += _check_vos_zip(zf, '', expected, sizes, objects,
                                   'sequence')
    return problems


def _ytvos_split_dir(gt: str, split: str) -> str:
    if osp.isfile(osp.join(gt, 'meta.json')):
        return gt
    return osp.join(gt, split)


def validate_ytvos_zip(zip_path: PathLike, gt: PathLike,
                       split: str = 'valid') -> List[str]:
    """Check a YouTube-VOS submission zip: ``Annotations/<video>/<frame>.png``
    for exactly the frames ``meta.json`` lists, at the frame size, with ids
    of the video's objects only.

    Args:
        zip_path (str): The zip.
        gt (str): The split folder (with ``meta.json``) or the dataset root.
        split (str): Split folder under a dataset root.
    """
    zf, problems = _open_zip(zip_path)
    if zf is None:
        return problems
    split_dir = _ytvos_split_dir(os.fspath(gt), split)
    try:
        meta = load_meta(osp.join(split_dir, 'meta.json'))
    except DataError as err:
        return [str(err)]
    expected, sizes, objects = {}, {}, {}
    for video, info in meta.items():
        expected[video] = video_frames(info)
        objects[video] = {int(k) for k in info['objects']}
        size = _frame_size(osp.join(split_dir, 'Annotations', video), '.png') \
            or _frame_size(osp.join(split_dir, 'JPEGImages', video), '.jpg')
        if size is None:
            problems.append(f'{osp.join(split_dir, "Annotations", video)}: '
                            'no frame to take the video size from')
            expected.pop(video)
            continue
        sizes[video] = size
    with zf:
        problems += _check_vos_zip(zf, 'Annotations/', expected, sizes,
                                   objects, 'video')
    return problems


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_result(i: int, res, gt: VISGroundTruth) -> List[str]:
    where = f'results.json[{i}]'
    if not isinstance(res, dict):
        return [f'{where}: not an object']
    missing = [k for k in ('video_id', 'category_id', 'score',
                           'segmentations') if k not in res]
    if missing:
        return [f'{where}: missing keys {missing}']
    problems = []
    vid = res['video_id']
    if not _is_int(vid) or vid not in gt.videos:
        return [f'{where}: video_id {vid!r} is not a video of the ground '
                'truth']
    cat = res['category_id']
    if not _is_int(cat) or cat not in gt.categories:
        problems.append(f'{where}: category_id {cat!r} is not a category of '
                        'the ground truth')
    score = res['score']
    if isinstance(score, bool) or not isinstance(score, (int, float)) or \
            not math.isfinite(score):
        problems.append(f'{where}: score {score!r} is not a finite number')
    segs = res['segmentations']
    h, w, length = gt.videos[vid]
    if not isinstance(segs, list):
        return problems + [f'{where}: segmentations must be a list']
    if len(segs) != length:
        problems.append(f'{where}: {len(segs)} segmentations for a video of '
                        f'{length} frames')
    bad, rles = [], []
    for t, s in enumerate(segs):
        if s is not None and (not isinstance(s, dict) or
                              not isinstance(s.get('counts'), str)):
            bad.append((t, 'not a compressed RLE with counts as a string'))
            s = None
        rles.append(s)
    # the runs of every frame's RLE summed in one pass
    bad = [f'frame {t}: {cause}'
           for t, cause in sorted(bad + rle_problems(rles, h, w))]
    if bad:
        problems.append(f'{where}: {len(bad)} invalid segmentations (first: '
                        f'{bad[0]})')
    return problems


def validate_vis_zip(zip_path: PathLike, ann_file: PathLike) -> List[str]:
    """Check a YouTube-VIS / OVIS submission zip: ``results.json`` at the
    root, a JSON list of results with known video and category ids, finite
    scores, and one valid compressed RLE or null per frame."""
    zf, problems = _open_zip(zip_path)
    if zf is None:
        return problems
    try:
        gt = VISGroundTruth(os.fspath(ann_file))
    except DataError as err:
        return [str(err)]
    with zf:
        names = zf.namelist()
        if 'results.json' not in names:
            nested = [n for n in names if n.endswith('/results.json')]
            if nested:
                return [f"zip layout: results.json must be at the zip root, "
                        f"found '{nested[0]}'"]
            return ['zip layout: results.json missing at the zip root']
        try:
            data = json.loads(read_zip_member(zf, 'results.json',
                                              'results.json'))
        except DataError as err:
            return [str(err)]
        except (ValueError, UnicodeDecodeError) as err:
            return [f'results.json: not valid JSON ({err})']
        extra = [n for n in names if n != 'results.json' and
                 not n.endswith('/')]
        problems += [f'{n}: unexpected file' for n in extra]
    if not isinstance(data, list):
        return problems + ['results.json: must be a JSON list of results']
    for i, res in enumerate(data):
        problems.extend(_check_result(i, res, gt))
    return problems
