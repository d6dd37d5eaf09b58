"""SA-V prediction zip check: what sam2's ``sav_evaluator.py`` needs of a
``--pred_root`` once the zip is unpacked. ``<video>/<obj>/<frame>.png`` (at
the zip root or under ``Annotations_6fps/``) for every object folder of
the ground truth and every frame it evaluates, single-channel, at the
ground-truth size, at most two distinct values (one object per PNG)."""
import os.path as osp
from typing import List

from vostoolkit.utils import DataError
from .mask_crops import MaskImage
from .mask_io import PathLike
from .sav_eval import annotations_root, list_videos, scan_video
from .validate import _frame_size, _open_zip

PREFIX = 'Annotations_6fps/'


def validate_sav_zip(zip_path: PathLike, gt: PathLike, split: str = 'val',
                     skip_first_and_last: bool = True) -> List[str]:
    """Problems of an SA-V prediction zip (empty when it is fine).

    Args:
        zip_path (str): The zip.
        gt (str): The SA-V root, the split folder or its
            ``Annotations_6fps`` (the DAVIS layout is checked as DAVIS
            would be: use ``validate_davis_zip``).
        split (str): 'val' or 'test'.
        skip_first_and_last (bool): Whether the evaluation skips the first
            and last annotated frames (then they may be missing).
    """
    zf, problems = _open_zip(zip_path)
    if zf is None:
        return problems
    try:
        ann = annotations_root(gt, split)
    except DataError as err:
        return [str(err)]
    with zf:
        names = {n for n in zf.namelist() if not n.endswith('/')}
        prefix = PREFIX if any(n.startswith(PREFIX) for n in names) else ''
        videos = list_videos(ann)
        for video in videos:
            gt_dir = osp.join(ann, video)
            try:
                is_sav, entries = scan_video(gt_dir)
            except DataError as err:
                problems.append(str(err))
                continue
            if not is_sav:
                problems.append(f'{gt_dir}: not the SA-V layout')
                continue
            if not any(n.startswith(f'{prefix}{video}/') for n in names):
                problems.append(f'{prefix}{video}/: video missing (the '
                                'evaluator would skip it, or fail with '
                                '--strict)')
                continue
            for obj, frames in entries:
                size = _frame_size(osp.join(gt_dir, obj), '.png')
                if skip_first_and_last:
                    frames = frames[1:-1]
                for frame in frames:
                    name = f'{prefix}{video}/{obj}/{frame}'
                    if name not in names:
                        problems.append(f'{name}: missing (an evaluated '
                                        'frame)')
                        continue
                    problems.extend(_check_mask(zf.read(name), name, size))
        extra = sorted({n[len(prefix):].split('/')[0] for n in names
                        if n.startswith(prefix) and
                        '/' in n[len(prefix):]} - set(videos))
        problems.extend(f'{prefix}{v}/: not a video of the ground truth'
                        for v in extra)
    return problems


def _check_mask(data: bytes, name: str, size) -> List[str]:
    try:
        mask = MaskImage(data, name)
    except DataError as err:
        return [str(err)]
    if size is not None and mask.shape != tuple(size):
        return [f'{name}: size {mask.shape[1]}x{mask.shape[0]}, expected '
                f'{size[1]}x{size[0]} (the ground-truth size)']
    values = mask.distinct_values()
    if len(values) > 2:
        return [f'{name}: {len(values)} distinct values; one object per PNG '
                '(0 and one other value)']
    return []
