"""Submission checks for MOSE v1 / v2 and VOST (the layouts of
:mod:`vostoolkit.evaluation.submission`), with the helpers of
:mod:`vostoolkit.evaluation.validate`."""
import os
import os.path as osp
from typing import List, Optional, Set, Tuple

from vostoolkit.utils import DataError
from .davis_eval import first_frame_objects
from .mask_io import PathLike, decode_index_png, list_pngs, read_lines
from .validate import _check_vos_zip, _open_zip


def _first_annotation(ann_dir: str) -> Tuple[Optional[Tuple[int, int]],
                                               Set[int]]:
    """(size, object ids) of the first annotation PNG of a folder."""
    anns = list_pngs(ann_dir) if osp.isdir(ann_dir) else []
    if not anns:
        return None, set()
    first = decode_index_png(osp.join(ann_dir, anns[0] + '.png'))
    return first.shape, set(range(1, first_frame_objects(first) + 1)) \
        if first.size else set()


def _check_frames_zip(zip_path: PathLike, videos: List[str], img_root: str,
                      ann_root: str, prefix: str, what: str) -> List[str]:
    """A PNG for every ``.jpg`` frame of every video (frames of the
    annotations where there are no JPEGs), at the size of the first
    annotation, with ids of its objects only."""
    zf, problems = _open_zip(zip_path)
    if zf is None:
        return problems
    expected, sizes, objects = {}, {}, {}
    for video in videos:
        img_dir, ann_dir = osp.join(img_root, video), osp.join(ann_root,
                                                               video)
        size, objs = _first_annotation(ann_dir)
        if size is None:
            problems.append(f'{ann_dir}: ground-truth annotations missing')
            continue
        imgs = sorted(f[:-4] for f in os.listdir(img_dir)
                      if f.endswith('.jpg')) if osp.isdir(img_dir) else []
        expected[video] = imgs or list_pngs(ann_dir)
        sizes[video], objects[video] = size, objs
    with zf:
        problems += _check_vos_zip(zf, prefix, expected, sizes, objects, what)
    return problems


def validate_mose_zip(zip_path: PathLike, gt: PathLike, split: str = 'valid',
                      version: int = 1) -> List[str]:
    """Check a MOSE submission zip: a palette PNG for every frame of every
    video of the split, ``<video>/<frame>.png`` at the zip root (v1 and
    v2), at the size of the first annotation, with ids of its objects
    only.

    Args:
        zip_path (str): The zip.
        gt (str): The MOSE root or the split folder.
        split (str): Split folder under a root.
        version (int): 1 or 2 (the same layout).
    """
    if version not in (1, 2):
        raise ValueError(f'MOSE version must be 1 or 2, got {version!r}')
    gt = os.fspath(gt)
    split_dir = gt if osp.isdir(osp.join(gt, 'JPEGImages')) else \
        osp.join(gt, split)
    img_root = osp.join(split_dir, 'JPEGImages')
    if not osp.isdir(img_root):
        return [f'{img_root}: MOSE frame folder not found']
    videos = sorted(d for d in os.listdir(img_root)
                    if osp.isdir(osp.join(img_root, d)))
    return _check_frames_zip(zip_path, videos, img_root,
                             osp.join(split_dir, 'Annotations'),
                             '', 'video')


def validate_vost_zip(zip_path: PathLike, root: PathLike,
                      split: str = 'val') -> List[str]:
    """Check a VOST results zip: ``<seq>/<frame>.png`` at the root for every
    frame of ``JPEGImages/<seq>`` of the ``ImageSets/<split>.txt``
    sequences, at the annotation size, with ids of the first annotation's
    objects."""
    root = os.fspath(root)
    try:
        seqs = read_lines(osp.join(root, 'ImageSets', f'{split}.txt'))
    except DataError as err:
        return [str(err)]
    return _check_frames_zip(zip_path, list(dict.fromkeys(seqs)),
                             osp.join(root, 'JPEGImages'),
                             osp.join(root, 'Annotations'), '', 'sequence')
