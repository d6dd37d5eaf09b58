"""LVOS submission check (the Codalab layout read by lvos-evaluation's
``evaluation_codalab.py``): ``Annotations/<video>/<frame>.png`` for every
frame the evaluator reads, index PNGs at the ground-truth size with ids of
the video's objects only."""
import os
import os.path as osp
from typing import List

from vostoolkit.utils import DataError
from .lvos_eval import frame_plan, lvos_frame_name, load_lvos_meta, meta_path
from .mask_io import PathLike
from .validate import _check_png, _frame_size, _open_zip

PREFIX = 'Annotations/'


def validate_lvos_zip(zip_path: PathLike, gt: PathLike,
                      split: str = 'valid') -> List[str]:
    """Problems of an LVOS submission zip (empty when it is fine).

    Args:
        zip_path (str): The zip.
        gt (str): The split folder (with ``<split>_meta.json``) or the LVOS
            root.
        split (str): Split name.
    """
    zf, problems = _open_zip(zip_path)
    if zf is None:
        return problems
    meta_file = meta_path(os.fspath(gt), split)
    try:
        meta = load_lvos_meta(meta_file)
    except DataError as err:
        return [str(err)]
    split_dir = osp.dirname(meta_file)
    with zf:
        names = {n for n in zf.namelist() if not n.endswith('/')}
        if names and not any(n.startswith(PREFIX) for n in names):
            return [f"zip layout: the video folders must be under "
                    f"'{PREFIX}' (found {sorted(names)[0]})"]
        for video, objects in meta.items():
            try:
                plan = frame_plan(objects, meta_file)
            except DataError as err:
                problems.append(str(err))
                continue
            size = _frame_size(osp.join(split_dir, 'Annotations', video),
                               '.png') or _frame_size(
                osp.join(split_dir, 'JPEGImages', video), '.jpg')
            if size is None:
                problems.append(f'{osp.join(split_dir, "Annotations", video)}'
                                ': no frame to take the video size from')
                continue
            ids = {int(k) for k in objects}
            if not any(n.startswith(f'{PREFIX}{video}/') for n in names):
                problems.append(f'{PREFIX}{video}/: video missing '
                                f'({len(plan)} scored frames expected)')
                continue
            for frame in sorted(plan):
                name = f'{PREFIX}{video}/{lvos_frame_name(frame)}.png'
                if name not in names:
                    problems.append(f'{name}: missing (a scored frame)')
                    continue
                problems.extend(_check_png(
                    zf.read(name), name, size, {0} | ids,
                    f'objects of {video} (ids {sorted(ids)})'))
        extra = sorted({n[len(PREFIX):].split('/')[0] for n in names
                        if n.startswith(PREFIX)} - set(meta))
        problems.extend(f'{PREFIX}{v}/: not a video of the split'
                        for v in extra)
    return problems
