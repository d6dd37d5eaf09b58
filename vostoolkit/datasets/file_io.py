"""Reading frames, id masks and instance segmentations with clear errors.

Every reader here raises :class:`vostoolkit.utils.DataError` (one line: the
file and the cause) instead of a traceback from deep inside PIL, OpenCV or
pycocotools. Instance segmentations are decoded with pycocotools only.
"""
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from vostoolkit.utils import DataError, rle_problem

__all__ = [
    'image_size', 'read_image_bgr', 'truncation_problem', 'read_id_png',
    'check_id_png', 'decode_segmentation',
    'list_dir', 'video_frame_files', 'load_json'
]


def list_dir(path: str) -> List[str]:
    """Sorted file names of a folder; DataError when it is missing."""
    if not os.path.isdir(path):
        raise DataError(path, 'folder is missing')
    return sorted(os.listdir(path))


def video_frame_files(vid: str, img_dir: str, ann_dir: str, listed_in: str
                      ) -> Tuple[List[str], Dict[str, int], List]:
    """The ``.jpg`` frames of a video folder and their annotation PNGs.

    Args:
        vid (str): The video's name (for errors).
        img_dir (str): Its frame folder.
        ann_dir (str): Its annotation folder (may be missing).
        listed_in (str): The file that lists the video (for errors).

    Returns:
        tuple: frame stems in order, ``{stem: frame index}``, and per frame
        the path of ``<stem>.png`` in ``ann_dir`` or None.

    Raises:
        DataError: if the frame folder is missing or has no ``.jpg``.
    """
    if not os.path.isdir(img_dir):
        raise DataError(img_dir, f'frame folder of video {vid!r} (listed '
                        f'in {listed_in}) is missing')
    stems = [os.path.splitext(n)[0] for n in list_dir(img_dir)
             if n.lower().endswith('.jpg')]
    if not stems:
        raise DataError(img_dir, f'video {vid!r} has no .jpg frames')
    index = {s: t for t, s in enumerate(stems)}
    ann_names = set(list_dir(ann_dir)) if os.path.isdir(ann_dir) else set()
    ann_paths = [os.path.join(ann_dir, f'{s}.png')
                 if f'{s}.png' in ann_names else None for s in stems]
    return stems, index, ann_paths


def load_json(path: str) -> Any:
    """Load a JSON file; DataError when it is missing or malformed."""
    import json
    if not os.path.isfile(path):
        raise DataError(path, 'file is missing')
    try:
        with open(path, 'r') as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(path, f'not valid JSON ({err})') from None


def image_size(path: str) -> Tuple[int, int]:
    """(H, W) of an image file, read from its header only."""
    if not os.path.isfile(path):
        raise DataError(path, 'frame file is missing')
    try:
        with Image.open(path) as img:
            w, h = img.size
    except (OSError, ValueError) as err:
        raise DataError(path, f'cannot read the image header ({err})') \
            from None
    return h, w


JPEG_MAGIC = b'\xff\xd8\xff'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def truncation_problem(data: bytes) -> Optional[str]:
    """Why an encoded JPEG or PNG is cut short, or None.

    A JPEG must hold an end-of-image marker (``FFD9``) after its last
    start-of-scan marker (``FFDA``); inside the compressed scan data a
    ``FF`` byte is always followed by ``00`` or a restart marker, so only a
    complete image has one there (an EXIF thumbnail's marker comes before
    the scans). A PNG must end with its ``IEND`` chunk. Other formats are
    left to the decoder.

    Args:
        data (bytes): The file's bytes.
    """
    if data.startswith(JPEG_MAGIC):
        sos = data.rfind(b'\xff\xda')
        if sos < 0:
            return 'JPEG without image data (no start-of-scan marker)'
        if data.rfind(b'\xff\xd9') < sos:
            return ('truncated JPEG (no end-of-image marker FFD9 after the '
                    'image data)')
    elif data.startswith(PNG_MAGIC):
        if data.rfind(b'IEND', 8) < 0:
            return 'truncated PNG (no IEND chunk)'
    return None


def read_image_bgr(path: str) -> np.ndarray:
    """Read a frame as (H, W, 3) uint8 BGR.

    Truncated JPEGs and PNGs are refused (:func:`truncation_problem`):
    OpenCV decodes the missing part of a JPEG grey with only a warning.

    Raises:
        DataError: naming the file, when it is missing, truncated or does
            not decode.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError(path, 'frame file is missing') from None
    except OSError as err:
        raise DataError(path, f'frame file cannot be read ({err})') \
            from None
    cause = truncation_problem(data)
    if cause is not None:
        raise DataError(path, f'frame file is corrupt: {cause}')
    img = None
    if data:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise DataError(path, 'frame file cannot be decoded as an image')
    return img


def _check_id_png(path: str, mode: str, hw: Tuple[int, int],
                  allow_gray: bool,
                  expected_hw: Optional[Tuple[int, int]]) -> None:
    if not (mode == 'P' or (allow_gray and mode == 'L')):
        kind = {'RGB': 'an RGB', 'RGBA': 'an RGBA', 'L': 'a grayscale'}.get(
            mode, f'a {mode!r}-mode')
        raise DataError(
            path, f'annotation is {kind} image; expected a palette (mode '
            f"'P') PNG whose pixel values are object ids")
    if expected_hw is not None and tuple(hw) != tuple(expected_hw):
        raise DataError(
            path, f'annotation size {hw[0]}x{hw[1]} differs from its frame '
            f'{expected_hw[0]}x{expected_hw[1]} (HxW)')


def check_id_png(path: str,
                 allow_gray: bool = False,
                 expected_hw: Optional[Tuple[int, int]] = None) -> str:
    """Check an id-mask PNG from its header only; return its PIL mode.

    Raises the same :class:`DataError` as :func:`read_id_png`.
    """
    if not os.path.isfile(path):
        raise DataError(path, 'annotation file is missing')
    try:
        with Image.open(path) as img:
            mode, (w, h) = img.mode, img.size
    except (OSError, ValueError) as err:
        raise DataError(path, f'cannot read the annotation PNG ({err})') \
            from None
    _check_id_png(path, mode, (h, w), allow_gray, expected_hw)
    return mode


def read_id_png(path: str,
                allow_gray: bool = False,
                expected_hw: Optional[Tuple[int, int]] = None
                ) -> Tuple[np.ndarray, str]:
    """Read an id-mask PNG (DAVIS / YouTube-VOS annotation).

    Args:
        path (str): PNG file.
        allow_gray (bool): accept a grayscale ('L') PNG too (the original
            DAVIS-2016 release: 0 background, 255 object).
        expected_hw (tuple[int, int], optional): (H, W) of the frame; a
            mask of another size is refused.

    Returns:
        tuple: (H, W) uint8 array of palette indices (object ids) and the
        PIL mode ('P' or 'L').

    Raises:
        DataError: the file is missing, unreadable, not a palette PNG
            (e.g. RGB) or of another size than its frame.
    """
    if not os.path.isfile(path):
        raise DataError(path, 'annotation file is missing')
    try:
        with Image.open(path) as img:
            mode, (w, h) = img.mode, img.size
            _check_id_png(path, mode, (h, w), allow_gray, expected_hw)
            arr = np.array(img, dtype=np.uint8)
    except (OSError, ValueError) as err:
        if isinstance(err, DataError):
            raise
        raise DataError(path, f'cannot read the annotation PNG ({err})') \
            from None
    return arr, mode


def _decode_polygons(seg: Sequence, h: int, w: int) -> np.ndarray:
    polys = []
    for poly in seg:
        if not isinstance(poly, (list, tuple)):
            raise ValueError(f'a polygon must be a list of numbers, got '
                             f'{type(poly).__name__}')
        if len(poly) % 2:
            raise ValueError(f'a polygon has an odd number ({len(poly)}) of '
                             f'coordinates')
        if not all(isinstance(v, (int, float)) for v in poly):
            raise ValueError('a polygon holds a value that is not a number')
        if len(poly) >= 6:  # fewer than 3 points encloses no area
            polys.append([float(v) for v in poly])
    if not polys:
        return np.zeros((h, w), np.uint8)
    rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
    return mask_utils.decode(rle)


def _decode_rle(seg: Dict, h: int, w: int) -> np.ndarray:
    size = seg.get('size')
    counts = seg.get('counts')
    if size is None or counts is None:
        raise ValueError("an RLE needs 'size' and 'counts'")
    if [int(v) for v in size] != [h, w]:
        raise ValueError(f'RLE size {list(size)} differs from the video '
                         f'size [{h}, {w}]')
    if isinstance(counts, list):
        if not all(isinstance(c, int) and c >= 0 for c in counts):
            raise ValueError('uncompressed RLE counts must be non-negative '
                             'integers')
        if sum(counts) != h * w:
            raise ValueError(f'uncompressed RLE counts sum to {sum(counts)}, '
                             f'not H*W = {h * w}')
        rle = mask_utils.frPyObjects(dict(size=[h, w], counts=counts), h, w)
        return mask_utils.decode(rle)
    if not isinstance(counts, (str, bytes)):
        raise ValueError(f'RLE counts must be a list or a string, got '
                         f'{type(counts).__name__}')
    cause = rle_problem(dict(size=[h, w], counts=counts), h, w)
    if cause is not None:  # pycocotools would hang or decode garbage
        raise ValueError(cause)
    if isinstance(counts, str):
        counts = counts.encode('ascii')
    return mask_utils.decode(dict(size=[h, w], counts=counts))


def decode_segmentation(seg: Any, h: int, w: int) -> np.ndarray:
    """Decode one frame's segmentation of a YouTube-VIS / OVIS instance.

    Args:
        seg: polygons (list of [x0, y0, x1, y1, ...]), an uncompressed RLE
            (``counts`` a list), a compressed RLE (``counts`` a string) or
            None (absent on this frame).
        h (int): video height.
        w (int): video width.

    Returns:
        np.ndarray: (H, W) uint8 mask in {0, 1}.

    Raises:
        ValueError: with the cause, when the segmentation does not decode
            (callers turn it into a DataError naming the file).
    """
    if seg is None:
        return np.zeros((h, w), np.uint8)
    try:
        if isinstance(seg, (list, tuple)):
            mask = _decode_polygons(seg, h, w)
        elif isinstance(seg, dict):
            mask = _decode_rle(seg, h, w)
        else:
            raise ValueError(f'unknown segmentation type '
                             f'{type(seg).__name__}')
    except (TypeError, KeyError, OverflowError) as err:
        raise ValueError(f'segmentation does not decode ({err})') from None
    if mask.ndim == 3:  # (H, W, 1) from some pycocotools paths
        mask = mask[..., 0]
    return np.ascontiguousarray(mask, dtype=np.uint8)
