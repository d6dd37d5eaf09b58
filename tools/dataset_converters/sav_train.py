"""Convert the SA-V training set (mp4 + JSON masklets) to the val layout.

    python tools/dataset_converters/sav_train.py SRC_DIR OUT_DIR
        [--masklets manual|auto|both] [--videos N | --videos NAME ...]
        [--annotated-only] [--overwrite]

``SRC_DIR`` holds the released files, ``<vid>.mp4`` (24 fps) with
``<vid>_manual.json`` and, for most videos, ``<vid>_auto.json``, either
directly or one folder down (the extracted ``sav_000/`` ... ``sav_055/``
archives). ``OUT_DIR`` (e.g. ``data/sav/sav_train``) receives what
:class:`~vostoolkit.datasets.SAVDataset` reads with ``split='train'``::

    OUT_DIR/sav_train.txt                               (video list)
    OUT_DIR/JPEGImages_24fps/<vid>/00000.jpg            (every frame)
    OUT_DIR/Annotations_6fps/<vid>/<obj:03d>/00000.png  (every 4th frame)

Each mp4 is decoded once, in order, with OpenCV; frame ``i`` is written as
``{i:05d}.jpg`` (OpenCV's JPEG, quality 95, as sam2's
``training/scripts/sav_frame_extraction_submitit.py`` writes them);
``--annotated-only`` keeps only every 4th frame, as that script does. The
JSON's ``masklet[t][k]`` (a COCO RLE) is object ``k`` on frame ``4 t``,
written as a binary PNG ``{k:03d}/{4t:05d}.png`` (object id ``k + 1``).

Masklets: ``manual`` (default; what sam2 trains on) reads
``_manual.json``; ``auto`` reads ``_auto.json`` (a video without one is
skipped, with a note, as is a video without any masklet of the
chosen kind); ``both`` numbers the manual masklets first
(``000``...) and the auto ones after them, in the JSONs' order (a video
without ``_auto.json`` gets its manual masklets only).

Checks (one line naming the file, exit 2): a missing JSON, an mp4 OpenCV
cannot decode, a frame count or frame size differing from the JSON's
``video_frame_count`` / ``video_height`` / ``video_width``, a ``masklet``
list whose length is not one per 4th frame, an RLE of another size. Each
video is written into a temporary folder and renamed when complete, so
an interrupted run leaves no half-written video; videos already converted
are skipped unless ``--overwrite``. ``sav_train.txt`` lists every
converted video in ``OUT_DIR`` and is rewritten at the end.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from pycocotools import mask as mask_utils  # noqa: E402

from vostoolkit.utils import DataError, ToolError  # noqa: E402
from vostoolkit.utils.cli import run_tool  # noqa: E402

ANN_STRIDE = 4  # masklets at 6 fps on 24-fps videos
MAX_OBJECTS = 254  # object folders 000..253 (ids 1..254 of an id map)
JPEG_QUALITY = 95
IMG_DIR, ANN_DIR, LISTING = 'JPEGImages_24fps', 'Annotations_6fps', \
    'sav_train.txt'


def find_videos(src: str) -> Dict[str, str]:
    """Video id -> mp4 path of the ``*.mp4`` in ``src`` or one level
    down."""
    if not osp.isdir(src):
        raise DataError(src, 'SRC_DIR is not a folder')
    found = {}
    for path in sorted(glob.glob(osp.join(src, '*.mp4')) +
                       glob.glob(osp.join(src, '*', '*.mp4'))):
        vid = osp.splitext(osp.basename(path))[0]
        if vid in found:
            raise DataError(path, f'video {vid!r} is also {found[vid]}')
        found[vid] = path
    if not found:
        raise DataError(src, 'no .mp4 videos here or one folder down')
    return dict(sorted(found.items()))


def _int_field(ann: dict, key: str, path: str) -> int:
    value = ann.get(key)
    if not isinstance(value, (int, float)) or value != int(value) \
            or value < 0:
        raise DataError(path, f'{key!r} missing or not a count '
                        f'(got {value!r})')
    return int(value)


def load_masklets(path: str) -> Tuple[dict, List[List[dict]]]:
    """``(header, masklet)`` of one SA-V JSON: header holds the integer
    ``frames``, ``height``, ``width``; ``masklet[t]`` lists the RLEs of
    annotated frame ``t``. Checks the shapes the converter relies on."""
    try:
        with open(path) as f:
            ann = json.load(f)
    except json.JSONDecodeError as err:
        raise DataError(path, f'not valid JSON ({err.msg}, line '
                        f'{err.lineno})') from None
    if not isinstance(ann, dict) or not isinstance(ann.get('masklet'),
                                                   list):
        raise DataError(path, "no 'masklet' list (not an SA-V masklet "
                        'JSON)')
    head = dict(frames=_int_field(ann, 'video_frame_count', path),
                height=_int_field(ann, 'video_height', path),
                width=_int_field(ann, 'video_width', path))
    masklet = ann['masklet']
    expected = -(-head['frames'] // ANN_STRIDE)
    if len(masklet) != expected:
        raise DataError(path, f"'masklet' has {len(masklet)} frames, "
                        f"expected {expected} (every {ANN_STRIDE}th of "
                        f"video_frame_count {head['frames']})")
    num = ann.get('masklet_num', len(masklet[0]) if masklet else 0)
    size = [head['height'], head['width']]
    for t, objs in enumerate(masklet):
        if not isinstance(objs, list) or len(objs) != num:
            raise DataError(path, f'masklet frame {t} does not list '
                            f'masklet_num={num} RLEs')
        for k, rle in enumerate(objs):
            if not isinstance(rle, dict) or list(rle.get('size', ())) != \
                    size or not isinstance(rle.get('counts'), (str, list)):
                raise DataError(path, f'masklet frame {t}, object {k}: not '
                                f'an RLE of size {size}')
    return head, masklet


def rle_to_mask(rle: dict, where: str = 'RLE') -> np.ndarray:
    """(H, W) uint8 0/1 of a COCO RLE (compressed string or counts
    list); ``where`` names it in the error."""
    h, w = rle['size']
    try:
        if isinstance(rle['counts'], list):
            rle = mask_utils.frPyObjects(rle, h, w)
        else:
            rle = dict(size=[h, w], counts=rle['counts'].encode())
        mask = mask_utils.decode(rle)
    except (ValueError, TypeError, UnicodeError):
        mask = None
    if mask is None or mask.shape != (h, w):
        raise DataError(where, 'the RLE does not decode')
    return mask


def masklet_sources(src_mp4: str, mode: str) -> List[str]:
    """The JSONs of one video for ``mode`` (manual / auto / both), in
    object order; [] for ``auto`` when the video has no auto masklets."""
    base = osp.splitext(src_mp4)[0]
    manual, auto = f'{base}_manual.json', f'{base}_auto.json'
    if mode == 'auto':
        return [auto] if osp.isfile(auto) else []
    if not osp.isfile(manual):
        raise DataError(manual, 'missing (every SA-V train video ships a '
                        '_manual.json; is the archive fully extracted?)')
    return [manual, auto] if mode == 'both' and osp.isfile(auto) \
        else [manual]


def _write_masks(jsons: Sequence[str], ann_dir: str) -> dict:
    """Write every masklet of ``jsons`` under ``ann_dir``; return the
    header the JSONs agree on."""
    head, k0 = None, 0
    for path in jsons:
        this, masklet = load_masklets(path)
        if head is not None and this != head:
            raise DataError(path, f'video header {this} differs from '
                            f'{jsons[0]} ({head})')
        head = this
        num = len(masklet[0]) if masklet else 0
        if k0 + num > MAX_OBJECTS:
            raise DataError(path, f'{k0 + num} objects; SA-V object folders'
                            f' hold at most {MAX_OBJECTS}')
        for k in range(num):
            folder = osp.join(ann_dir, f'{k0 + k:03d}')
            os.makedirs(folder)
            for t, objs in enumerate(masklet):
                out = osp.join(folder, f'{t * ANN_STRIDE:05d}.png')
                mask = rle_to_mask(objs[k], f'{path}: masklet frame {t}, '
                                   f'object {k}')
                if not cv2.imwrite(out, mask):
                    raise DataError(out, 'cannot write the mask PNG')
        k0 += num
    return head


def _write_frames(mp4: str, img_dir: str, head: dict,
                  annotated_only: bool) -> None:
    """Decode ``mp4`` in order into ``img_dir/{i:05d}.jpg``; check the
    frame count and size against ``head``."""
    os.makedirs(img_dir)
    cap = cv2.VideoCapture(mp4)
    try:
        if not cap.isOpened():
            raise DataError(mp4, 'OpenCV cannot open this video (not an '
                            'mp4 it can decode, or truncated)')
        n = 0
        want = (head['height'], head['width'])
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if frame.shape[:2] != want:
                raise DataError(mp4, f'frame {n} is {frame.shape[0]}x'
                                f'{frame.shape[1]}, the JSON says '
                                f'{want[0]}x{want[1]} (video_height x '
                                'video_width)')
            if not annotated_only or n % ANN_STRIDE == 0:
                out = osp.join(img_dir, f'{n:05d}.jpg')
                if not cv2.imwrite(out, frame,
                                   [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
                    raise DataError(out, 'cannot write the frame')
            n += 1
    finally:
        cap.release()
    if n == 0:
        raise DataError(mp4, 'OpenCV decodes no frame from this video')
    if n != head['frames']:
        raise DataError(mp4, f'decodes to {n} frames, the JSON says '
                        f"video_frame_count {head['frames']}")


def convert_video(vid: str, mp4: str, out_dir: str, mode: str = 'manual',
                  annotated_only: bool = False) -> Optional[int]:
    """Convert one video into ``out_dir`` (see the module docstring).

    Returns:
        int | None: The number of objects written, or None (nothing
        written) when the video has no masklet of ``mode`` (``auto``
        without ``_auto.json``, or JSONs with ``masklet_num`` 0).
    """
    jsons = masklet_sources(mp4, mode)
    if not jsons:
        return None
    tmp = osp.join(out_dir, f'.tmp-{vid}-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        ann_tmp = osp.join(tmp, ANN_DIR)
        os.makedirs(ann_tmp)
        head = _write_masks(jsons, ann_tmp)
        _write_frames(mp4, osp.join(tmp, IMG_DIR), head, annotated_only)
        num = len(os.listdir(ann_tmp))
        if num == 0:
            return None
        img_dst = osp.join(out_dir, IMG_DIR, vid)
        ann_dst = osp.join(out_dir, ANN_DIR, vid)
        for dst in (ann_dst, img_dst):  # annotations mark a complete video
            shutil.rmtree(dst, ignore_errors=True)
            os.makedirs(osp.dirname(dst), exist_ok=True)
        os.replace(osp.join(tmp, IMG_DIR), img_dst)
        os.replace(ann_tmp, ann_dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return num


def converted_videos(out_dir: str) -> List[str]:
    """Videos of ``out_dir`` with both their frames and masks in place."""
    ann = osp.join(out_dir, ANN_DIR)
    names = sorted(os.listdir(ann)) if osp.isdir(ann) else []
    return [v for v in names if osp.isdir(osp.join(ann, v)) and
            osp.isdir(osp.join(out_dir, IMG_DIR, v))]


def write_listing(out_dir: str) -> int:
    """Rewrite ``sav_train.txt`` (atomically); return its length."""
    videos = converted_videos(out_dir)
    path = osp.join(out_dir, LISTING)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        f.writelines(f'{v}\n' for v in videos)
    os.replace(tmp, path)
    return len(videos)


def select(videos: Dict[str, str], wanted: Optional[List[str]],
           src: str) -> Dict[str, str]:
    """``--videos``: a count (the first N by name) or video ids."""
    if not wanted:
        return videos
    if len(wanted) == 1 and wanted[0].isdigit():
        return dict(list(videos.items())[:int(wanted[0])])
    missing = [v for v in wanted if v not in videos]
    if missing:
        raise DataError(osp.join(src, f'{missing[0]}.mp4'),
                        f'no such video in SRC_DIR ({len(missing)} of '
                        'the --videos missing)')
    return {v: videos[v] for v in wanted}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description='Convert SA-V train (mp4 + JSON masklets) to the '
        'JPEGImages_24fps / Annotations_6fps layout of SA-V val')
    p.add_argument('src', help='folder of <vid>.mp4 + <vid>_manual.json '
                   '(+ _auto.json), or of the extracted sav_0xx/ folders')
    p.add_argument('out', help='output folder, e.g. data/sav/sav_train')
    p.add_argument('--masklets', choices=('manual', 'auto', 'both'),
                   default='manual', help='which masklets become objects '
                   '(both: manual first, then auto)')
    p.add_argument('--videos', nargs='+', metavar='N|NAME',
                   help='the first N videos by name, or these video ids')
    p.add_argument('--annotated-only', action='store_true',
                   help='write only every 4th (annotated) frame')
    p.add_argument('--overwrite', action='store_true',
                   help='convert again videos already in OUT_DIR')
    return p.parse_args(argv)


def _main(argv: List[str]) -> int:
    args = parse_args(argv)
    videos = select(find_videos(args.src), args.videos, args.src)
    if osp.exists(args.out) and not osp.isdir(args.out):
        raise ToolError(f'{args.out}: OUT_DIR exists and is not a folder')
    os.makedirs(args.out, exist_ok=True)
    done = set(converted_videos(args.out))
    counts = dict(converted=0, skipped=0, objects=0)
    for vid, mp4 in videos.items():
        if vid in done and not args.overwrite:
            counts['skipped'] += 1
            continue
        num = convert_video(vid, mp4, args.out, args.masklets,
                            args.annotated_only)
        if num is None:
            print(f'{vid}: no {args.masklets} masklet, not converted')
            continue
        counts['converted'] += 1
        counts['objects'] += num
    total = write_listing(args.out)
    print(f"{args.out}: {counts['converted']} video(s) converted "
          f"({counts['objects']} objects), {counts['skipped']} already "
          f'there; {LISTING} lists {total}')
    return 0


def main(argv=None) -> int:
    return run_tool(_main, argv, 'sav_train.py')


if __name__ == '__main__':
    sys.exit(main())
