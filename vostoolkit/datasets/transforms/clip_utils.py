"""Helpers shared by the clip transforms: one geometric warp over every key.

The results dict holds per-frame lists (``docs/data_pipeline.md``). A clip
transform draws its random parameters once, builds one ``warp`` function and
applies it to every frame of every spatial key with :func:`apply_geometry`:

* ``imgs``: (H, W, 3) uint8, the transform's image interpolation;
* ``gt_obj_masks``: (H, W) uint8 ids, nearest, 0 outside the image;
* ``gt_void``: (H, W) bool, nearest, ``void_outside`` outside the image;
* ``gt_masks``: (N, H, W) uint8 tubes of one frame, nearest, 0 outside.

Absent keys are skipped, so one transform serves VOS and VIS.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from vostoolkit.utils import DataError

#: cv2 interpolation flags by name.
INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}

#: Per-frame keys carrying pixels, in the order they are processed.
SPATIAL_KEYS = ('imgs', 'gt_obj_masks', 'gt_void', 'gt_masks')

#: Per-frame keys reordered by a temporal transform (lists of length T).
FRAME_KEYS = ('imgs', 'gt_obj_masks', 'gt_void', 'gt_masks',
              'gt_frame_valid', 'frame_ids')

# A warp maps (array, cv2 interpolation flag, border value) to an array.
Warp = Callable[[np.ndarray, int, Any], np.ndarray]

_CV_CHUNK = 4  # channels per cv2 call: border values hold at most 4 entries


def interp_flag(name: str) -> int:
    """Return the cv2 flag of an interpolation name."""
    if name not in INTERPOLATIONS:
        raise ValueError(f'interpolation must be one of '
                         f'{sorted(INTERPOLATIONS)}, got {name!r}')
    return INTERPOLATIONS[name]


def clip_name(results: Dict) -> str:
    """A name for error messages: the video name, else its first path."""
    if results.get('video_name') is not None:
        return str(results['video_name'])
    paths = results.get('img_paths') or [None]
    return str(paths[0])


def clip_hw(results: Dict) -> Tuple[int, int]:
    """(H, W) shared by every frame of the clip.

    Raises:
        DataError: if the frames of the clip differ in size, or no frame
            and no ``img_shape`` tells the size.
    """
    shapes = set()
    for key in SPATIAL_KEYS:
        for arr in results.get(key) or ():
            shapes.add(tuple(arr.shape[-2:]) if key == 'gt_masks'
                       else tuple(arr.shape[:2]))
    if len(shapes) > 1:
        raise DataError(clip_name(results),
                        f'frames and masks of one clip differ in size '
                        f'{sorted(shapes)}; resize them alike before '
                        f'clip transforms')
    if shapes:
        return shapes.pop()
    if results.get('img_shape') is not None:
        return tuple(int(v) for v in results['img_shape'][:2])
    raise DataError(clip_name(results), 'clip has no frames and no img_shape')


def _warp_hwc(arr: np.ndarray, warp: Warp, interp: int, border) -> np.ndarray:
    """Apply ``warp`` to an (H, W) or (H, W, C) array, keeping its ndim."""
    if arr.ndim == 2 or arr.shape[2] <= _CV_CHUNK:
        out = warp(np.ascontiguousarray(arr), interp, border)
        if arr.ndim == 3 and out.ndim == 2:  # cv2 drops a single channel
            out = out[:, :, None]
        return out
    parts = [_warp_hwc(arr[:, :, i:i + _CV_CHUNK], warp, interp, border)
             for i in range(0, arr.shape[2], _CV_CHUNK)]
    return np.concatenate(parts, axis=2)


def _warp_stack(stack: np.ndarray, warp: Warp,
                out_hw: Tuple[int, int]) -> np.ndarray:
    """Warp an (N, H, W) mask stack with nearest interpolation, 0 outside."""
    if stack.shape[0] == 0:
        return np.zeros((0, *out_hw), dtype=stack.dtype)
    hwc = stack.transpose(1, 2, 0)  # (N, H, W) -> (H, W, N)
    out = _warp_hwc(hwc, warp, cv2.INTER_NEAREST, 0)
    return np.ascontiguousarray(out.transpose(2, 0, 1))  # -> (N, H', W')


def _border_tuple(value) -> Tuple:
    if np.isscalar(value):
        return (value, ) * _CV_CHUNK
    return tuple(value)


def apply_geometry(results: Dict, warp: Warp, out_hw: Tuple[int, int],
                   img_interp: int = cv2.INTER_LINEAR,
                   img_border=0, void_outside: bool = True) -> Dict:
    """Apply one geometric ``warp`` to every frame of every spatial key.

    Args:
        results (dict): Pipeline results; per-frame lists are replaced.
        warp (callable): ``warp(arr, interp, border)`` for an (H, W) or
            (H, W, C<=4) array; ``border`` is the value of pixels that come
            from outside the source image (ignored by warps without any).
        out_hw (tuple): (H', W') of the warped frames.
        img_interp (int): cv2 interpolation flag for ``imgs``.
        img_border (float | tuple): border value of ``imgs``.
        void_outside (bool): value of ``gt_void`` outside the source image.

    Returns:
        dict: ``results`` with warped frames and ``img_shape = out_hw``.
    """
    out_hw = (int(out_hw[0]), int(out_hw[1]))
    if 'imgs' in results:
        border = _border_tuple(img_border)
        results['imgs'] = [_warp_hwc(img, warp, img_interp, border)
                           for img in results['imgs']]
    if 'gt_obj_masks' in results:
        results['gt_obj_masks'] = [
            _warp_hwc(m, warp, cv2.INTER_NEAREST, 0)
            for m in results['gt_obj_masks']]
    if 'gt_void' in results:
        fill = 1 if void_outside else 0
        results['gt_void'] = [
            _warp_hwc(np.asarray(v, np.uint8), warp, cv2.INTER_NEAREST,
                      fill).astype(bool) for v in results['gt_void']]
    if 'gt_masks' in results:
        results['gt_masks'] = [_warp_stack(np.asarray(m), warp, out_hw)
                               for m in results['gt_masks']]
    results['img_shape'] = out_hw
    return results


def update_scale_factor(results: Dict, w_scale: float,
                        h_scale: float) -> None:
    """Compose ``results['scale_factor']`` ((w, h) scale from the original
    frames) with a new resize."""
    old_w, old_h = results.get('scale_factor') or (1.0, 1.0)
    results['scale_factor'] = (float(old_w * w_scale), float(old_h * h_scale))


def foreground(results: Dict, frames: Optional[Sequence[int]] = None
               ) -> Optional[np.ndarray]:
    """(H, W) bool union of the objects / instances on the given frames
    (all frames when ``None``), or ``None`` when the clip has no masks."""
    for key in ('gt_obj_masks', 'gt_masks'):
        masks: List[np.ndarray] = results.get(key)
        if not masks:
            continue
        idx = range(len(masks)) if frames is None else frames
        fg = np.zeros(np.asarray(masks[0]).shape[-2:], dtype=bool)
        for i in idx:
            m = np.asarray(masks[i])
            fg |= (m > 0) if m.ndim == 2 else m.any(axis=0)
        return fg
    return None
