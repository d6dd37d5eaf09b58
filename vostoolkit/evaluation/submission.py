"""Submission files for the DAVIS, YouTube-VOS and YouTube-VIS/OVIS servers.

Layouts (checked by :mod:`vostoolkit.evaluation.validate`):

* DAVIS: ``<sequence>/<frame>.png`` at the zip root, DAVIS palette, every
  frame of every sequence, at the ground-truth size.
* YouTube-VOS: ``Annotations/<video>/<frame>.png`` for exactly the frames
  listed in ``valid/meta.json``.
* YouTube-VIS / OVIS: ``results.json`` at the zip root, a list of
  ``{video_id, category_id, score, segmentations}`` with one compressed RLE
  (``counts`` a string) or null per frame.

Every writer builds the zip under a temporary name (``OUT.zip.tmp-<pid>``)
and renames it when it is complete, so an interrupted run never leaves a
truncated zip behind; the temporary zips of killed runs are removed by the
next writer of the same zip (:func:`vostoolkit.utils.tmpfiles.remove_stale`).
"""
import contextlib
import json
import os
import os.path as osp
import zipfile
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from pycocotools import mask as mask_utils

from vostoolkit.utils.tmpfiles import remove_stale, tmp_name
from .mask_io import PathLike, encode_index_png

VOSVideo = Tuple[str, Sequence[str], np.ndarray]


@contextlib.contextmanager
def atomic_zip(out_file: PathLike) -> Iterator[zipfile.ZipFile]:
    """Open a zip to write under a temporary name; rename it on success,
    delete it on failure. Temporary zips of killed runs are removed first."""
    out_file = os.fspath(out_file)
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    remove_stale(out_file)
    tmp = tmp_name(out_file)
    zf = zipfile.ZipFile(tmp, 'w', compression=zipfile.ZIP_STORED,
                         allowZip64=True)
    try:
        yield zf
        zf.close()
        os.replace(tmp, out_file)
    except BaseException:
        zf.close()
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_vos_pngs(zf: zipfile.ZipFile, videos: Iterable[VOSVideo],
                   prefix: str = '',
                   keep: Optional[Dict[str, set]] = None) -> Dict[str, int]:
    """Write ``(video, frame_names, (T, H, W) ids)`` triples as index PNGs.

    Args:
        zf (ZipFile): Open zip.
        videos (Iterable): ``(name, frame_names, masks)`` per video (or
            chunk); ``masks`` (T, H, W) uint8 object ids.
        prefix (str): Folder inside the zip ('' or 'Annotations/').
        keep (dict, optional): video -> frames to write; others skipped.

    Returns:
        dict: ``num_videos`` and ``num_frames`` written.
    """
    seen, n_frames = set(), 0
    for name, frames, masks in videos:
        masks = np.asarray(masks)
        if masks.ndim != 3 or len(frames) != masks.shape[0]:
            raise ValueError(f'{name}: {len(frames)} frame names for masks '
                             f'of shape {masks.shape}')
        for frame, ids in zip(frames, masks):
            if keep is not None and frame not in keep.get(name, ()):
                continue
            zf.writestr(f'{prefix}{name}/{frame}.png', encode_index_png(ids))
            n_frames += 1
            seen.add(name)
    return dict(num_videos=len(seen), num_frames=n_frames)


def write_davis_submission(out_file: PathLike,
                           videos: Iterable[VOSVideo]) -> Dict[str, int]:
    """Write a DAVIS submission zip (``<seq>/<frame>.png`` at the root).

    Args:
        out_file (str): The zip to write.
        videos (Iterable): ``(sequence, frame_names, (T, H, W) uint8 ids)``
            for every sequence, at the ground-truth size.
    """
    with atomic_zip(out_file) as zf:
        return write_vos_pngs(zf, videos)


def meta_frames(meta_file: PathLike) -> Dict[str, set]:
    """Video -> the frames a YouTube-VOS ``meta.json`` lists."""
    from .ytvos_eval import load_meta, video_frames
    return {v: set(video_frames(video))
            for v, video in load_meta(meta_file).items()}


def write_ytvos_submission(out_file: PathLike, videos: Iterable[VOSVideo],
                           meta_file: Optional[PathLike] = None
                           ) -> Dict[str, int]:
    """Write a YouTube-VOS submission zip (``Annotations/<video>/...``).

    Args:
        out_file (str): The zip to write.
        videos (Iterable): ``(video, frame_names, (T, H, W) uint8 ids)``.
        meta_file (str, optional): ``valid/meta.json``; when given only the
            frames it lists are written (predictions on all frames, as
            ``valid_all_frames`` inference gives, are filtered).
    """
    keep = meta_frames(meta_file) if meta_file else None
    with atomic_zip(out_file) as zf:
        return write_vos_pngs(zf, videos, 'Annotations/', keep)


def zip_files(out_file: PathLike, root: str, names: Iterable[str]) -> int:
    """Zip the files ``root/<name>`` as ``<name>`` (stored, atomically).

    Returns:
        int: Number of files written.
    """
    count = 0
    with atomic_zip(out_file) as zf:
        for name in names:
            zf.write(osp.join(root, name), name)
            count += 1
    return count


def encode_rles(masks: np.ndarray) -> List[dict]:
    """Compressed RLEs (``counts`` as str) of ``(T, H, W)`` binary masks."""
    masks = np.asarray(masks)
    if masks.shape[0] == 0:
        return []
    fortran = np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8))
    rles = mask_utils.encode(fortran)  # (H, W, T) -> T RLEs
    for r in rles:
        r['counts'] = r['counts'].decode('ascii')
    return rles


def rle_to_json(rle) -> Optional[dict]:
    """An RLE with ``counts`` as str (or None) for JSON."""
    if rle is None:
        return None
    counts = rle['counts']
    if isinstance(counts, bytes):
        counts = counts.decode('ascii')
    return {'size': [int(s) for s in rle['size']], 'counts': counts}


def select_topk(results: List[dict], topk: Optional[int]) -> List[dict]:
    """Keep the ``topk`` highest-scoring results of every video (stable)."""
    if not topk:
        return list(results)
    by_video: Dict[int, List[dict]] = {}
    for r in results:
        by_video.setdefault(r['video_id'], []).append(r)
    out = []
    for items in by_video.values():
        order = sorted(range(len(items)), key=lambda i: -items[i]['score'])
        out.extend(items[i] for i in sorted(order[:topk]))
    return out


def write_vis_submission(out_file: PathLike, results: Iterable[dict],
                         topk: Optional[int] = None) -> Dict[str, int]:
    """Write ``results.json`` (streamed) into a YouTube-VIS / OVIS zip.

    Args:
        out_file (str): The zip to write.
        results (Iterable[dict]): ``{video_id, category_id, score,
            segmentations}`` with RLE dicts or None per frame.
        topk (int, optional): Keep the best ``topk`` results per video.
    """
    results = select_topk(list(results), topk)
    with atomic_zip(out_file) as zf:
        info = zipfile.ZipInfo('results.json')
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, 'w', force_zip64=True) as raw:
            raw.write(b'[')
            for i, r in enumerate(results):
                item = {'video_id': int(r['video_id']),
                        'category_id': int(r['category_id']),
                        'score': float(r['score']),
                        'segmentations': [rle_to_json(s)
                                          for s in r['segmentations']]}
                raw.write((b',' if i else b'') + json.dumps(item).encode())
            raw.write(b']')
    return dict(num_videos=len({r['video_id'] for r in results}),
                num_results=len(results))


def write_mose_submission(out_file: PathLike, videos: Iterable[VOSVideo],
                          version: int = 1) -> Dict[str, int]:
    """Write a MOSE submission zip: ``<video>/<frame>.png`` at the zip
    root, every frame, for both servers (v1's CodaLab and v2's Codabench;
    sources in ``docs/evaluation.md``).

    Args:
        out_file (str): The zip to write.
        videos (Iterable): ``(video, frame_names, (T, H, W) uint8 ids)``.
        version (int): 1 or 2 (the same layout).
    """
    if version not in (1, 2):
        raise ValueError(f'MOSE version must be 1 or 2, got {version!r}')
    with atomic_zip(out_file) as zf:
        return write_vos_pngs(zf, videos, '')


def write_vost_submission(out_file: PathLike,
                          videos: Iterable[VOSVideo]) -> Dict[str, int]:
    """Write a VOST results zip (``<seq>/<frame>.png`` at the root, every
    annotated frame)."""
    with atomic_zip(out_file) as zf:
        return write_vos_pngs(zf, videos)
