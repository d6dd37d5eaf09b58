"""Clip-consistent geometric transforms: resize, random resize, crop, flip,
rotation.

Each transform draws its random parameters ONCE per clip and applies the same
warp to every frame of ``imgs``, ``gt_obj_masks``, ``gt_void`` and
``gt_masks`` (masks and void with nearest interpolation; see
:mod:`.clip_utils`). The applied parameters are recorded in the results:
``img_shape``, ``scale_factor`` ((w, h), composed over resizes),
``crop_bbox`` ((x1, y1, x2, y2) in the pre-crop frame), ``flip`` /
``flip_direction`` and ``rotate_angle`` (degrees, counter-clockwise).

Pixels that come from outside the source frame (crop padding, rotation
corners) are 0 in images and masks and, by default, True in ``gt_void``, so a
VOS loss that ignores void pixels ignores them too (``void_outside=False``
makes them plain background).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from vostoolkit.registry import TRANSFORMS
from .clip_utils import (apply_geometry, clip_hw, foreground, interp_flag,
                         update_scale_factor)


def _pil_resize(arr: np.ndarray, size_wh: Tuple[int, int],
                flag: int) -> np.ndarray:
    """detectron2's ``ResizeTransform`` on a uint8 (H, W) or (H, W, C)
    array: PIL bilinear (antialiased when shrinking) or, for masks
    (``cv2.INTER_NEAREST``), PIL nearest; other dtypes go through cv2."""
    if arr.dtype != np.uint8:
        return cv2.resize(arr, size_wh, interpolation=flag)
    method = (Image.NEAREST if flag == cv2.INTER_NEAREST else
              Image.BILINEAR)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return np.asarray(Image.fromarray(arr).resize(size_wh, method))
    if arr.ndim == 3:  # one PIL 'L' image per channel
        return np.stack([_pil_resize(np.ascontiguousarray(arr[:, :, c]),
                                     size_wh, flag)
                         for c in range(arr.shape[2])], axis=2)
    return np.asarray(Image.fromarray(arr).resize(size_wh, method))


def _resize_clip(results: Dict, out_hw: Tuple[int, int], interp: int,
                 backend: str = 'cv2') -> None:
    """Resize every frame of the clip to ``out_hw`` = (H', W') with cv2 or
    (``backend='pil'``) as detectron2 does."""
    h, w = clip_hw(results)
    new_h, new_w = out_hw

    def warp(arr, flag, border):
        if backend == 'pil':
            return _pil_resize(arr, (new_w, new_h), flag)
        return cv2.resize(arr, (new_w, new_h), interpolation=flag)

    apply_geometry(results, warp, out_hw, img_interp=interp)
    update_scale_factor(results, new_w / w, new_h / h)


def _fit_scale(h: int, w: int, scale: Sequence[int], keep_ratio: bool
               ) -> Tuple[int, int]:
    """(H', W') for a target ``scale`` = (w, h); with ``keep_ratio`` the
    frame is rescaled so that its long edge fits max(scale) and its short
    edge fits min(scale)."""
    if not keep_ratio:
        return int(scale[1]), int(scale[0])
    factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
    return max(1, int(h * factor + 0.5)), max(1, int(w * factor + 0.5))


def _d2_shortest_edge(h: int, w: int, short: int,
                      max_size: Optional[int]) -> Tuple[int, int]:
    """(H', W') as detectron2's ``ResizeShortestEdge.get_output_shape``:
    the short side becomes ``short`` exactly, the long side is scaled, both
    are capped by ``max_size``, then rounded half up."""
    scale = short / min(h, w)
    new_h, new_w = (float(short), scale * w) if h < w else (scale * h,
                                                            float(short))
    if max_size is not None and max(new_h, new_w) > max_size:
        cap = max_size / max(new_h, new_w)
        new_h, new_w = new_h * cap, new_w * cap
    return int(new_h + 0.5), int(new_w + 0.5)


@TRANSFORMS.register_module()
class ClipResize(BaseTransform):
    """Resize all frames of a clip to one size.

    Give either ``scale`` or ``shortest_edge``:

    * ``scale=(w, h)``: with ``keep_ratio`` the long edge fits max(scale)
      and the short edge min(scale); without it the frames become w x h.
    * ``shortest_edge``: an int, a range ``(min, max)`` sampled uniformly
      (integer) once per clip, or a list of choices (one per clip), as
      Mask2Former / NOVIS train (228-512, test 360). ``sample_style``
      ('range' | 'choice') overrides the guess from the type (a 2-tuple is a
      range, a list is a set of choices).
    * ``max_size`` caps the long edge after the shortest-edge rule.

    ``backend='pil'`` resizes as detectron2's ``ResizeShortestEdge`` (the
    test-time resize of Mask2Former and its video models): its arithmetic
    for the output size, and PIL for uint8 frames (bilinear, which
    antialiases when shrinking, unlike cv2's ``INTER_LINEAR``; masks with
    PIL's nearest). Only ``interpolation='bilinear'`` goes with it.

    Required keys: ``imgs`` and/or mask keys. Modified: the per-frame keys,
    ``img_shape``. Added: ``scale`` ((w, h) drawn), ``scale_factor``,
    ``keep_ratio``.
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = None,
                 shortest_edge: Union[None, int, Sequence[int]] = None,
                 max_size: Optional[int] = None,
                 keep_ratio: bool = True,
                 sample_style: Optional[str] = None,
                 interpolation: str = 'bilinear', backend: str = 'cv2'):
        if backend not in ('cv2', 'pil'):
            raise ValueError(f"backend must be 'cv2' or 'pil', got "
                             f'{backend!r}')
        if backend == 'pil' and interpolation != 'bilinear':
            raise ValueError(f"backend='pil' resizes as detectron2 does "
                             f"(bilinear), got interpolation="
                             f'{interpolation!r}')
        if (scale is None) == (shortest_edge is None):
            raise ValueError('ClipResize needs exactly one of scale and '
                             'shortest_edge')
        if shortest_edge is not None and not keep_ratio:
            raise ValueError('shortest_edge resizing keeps the aspect ratio; '
                             'use scale=(w, h) with keep_ratio=False')
        if isinstance(shortest_edge, int):
            shortest_edge, sample_style = [shortest_edge], 'choice'
        elif shortest_edge is not None and sample_style is None:
            sample_style = ('range' if isinstance(shortest_edge, tuple)
                            and len(shortest_edge) == 2 else 'choice')
        if sample_style not in (None, 'range', 'choice'):
            raise ValueError(f"sample_style must be 'range' or 'choice', "
                             f'got {sample_style!r}')
        if sample_style == 'range' and len(shortest_edge) != 2:
            raise ValueError(f'a shortest_edge range is (min, max), got '
                             f'{shortest_edge!r}')
        self.scale = None if scale is None else tuple(scale)
        self.shortest_edge = (None if shortest_edge is None else
                              [int(s) for s in shortest_edge])
        self.sample_style = sample_style
        self.max_size = max_size
        self.keep_ratio = keep_ratio
        self.interpolation = interpolation
        self._interp = interp_flag(interpolation)
        self.backend = backend

    def _draw_short(self) -> int:
        if self.sample_style == 'range':
            lo, hi = self.shortest_edge
            return int(np.random.randint(lo, hi + 1))
        return int(self.shortest_edge[np.random.randint(
            len(self.shortest_edge))])

    def _out_hw(self, h: int, w: int) -> Tuple[int, int]:
        if self.scale is not None:
            return _fit_scale(h, w, self.scale, self.keep_ratio)
        short = self._draw_short()
        if self.backend == 'pil':
            return _d2_shortest_edge(h, w, short, self.max_size)
        factor = short / min(h, w)
        if self.max_size is not None and max(h, w) * factor > self.max_size:
            factor = self.max_size / max(h, w)
        return max(1, int(h * factor + 0.5)), max(1, int(w * factor + 0.5))

    def transform(self, results: Dict) -> Dict:
        h, w = clip_hw(results)
        out_hw = self._out_hw(h, w)
        _resize_clip(results, out_hw, self._interp, self.backend)
        results['scale'] = (out_hw[1], out_hw[0])
        results['keep_ratio'] = self.keep_ratio
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, shortest_edge='
                f'{self.shortest_edge}, sample_style={self.sample_style}, '
                f'max_size={self.max_size}, keep_ratio={self.keep_ratio}, '
                f'backend={self.backend!r})')


@TRANSFORMS.register_module()
class ClipRandomResize(BaseTransform):
    """Resize a clip by one random factor drawn from ``ratio_range``.

    Without ``scale`` the factor multiplies the current frame size
    (FaSTGAN: 0.75-1.25); with ``scale=(w, h)`` it multiplies that target
    scale, which is then fitted as in :class:`ClipResize`.

    Added keys: ``scale_factor`` (composed), ``resize_ratio`` (the draw).
    """

    def __init__(self,
                 ratio_range: Tuple[float, float] = (0.75, 1.25),
                 scale: Optional[Sequence[int]] = None,
                 keep_ratio: bool = True,
                 interpolation: str = 'bilinear'):
        lo, hi = ratio_range
        if not 0 < lo <= hi:
            raise ValueError(f'ratio_range must satisfy 0 < min <= max, got '
                             f'{ratio_range!r}')
        self.ratio_range = (float(lo), float(hi))
        self.scale = None if scale is None else tuple(scale)
        self.keep_ratio = keep_ratio
        self.interpolation = interpolation
        self._interp = interp_flag(interpolation)

    def transform(self, results: Dict) -> Dict:
        h, w = clip_hw(results)
        ratio = float(np.random.uniform(*self.ratio_range))
        if self.scale is None:
            out_hw = (max(1, int(h * ratio + 0.5)),
                      max(1, int(w * ratio + 0.5)))
        else:
            target = [int(s * ratio + 0.5) for s in self.scale]
            out_hw = _fit_scale(h, w, target, self.keep_ratio)
        _resize_clip(results, out_hw, self._interp)
        results['resize_ratio'] = ratio
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratio_range={self.ratio_range}, '
                f'scale={self.scale}, keep_ratio={self.keep_ratio})')


@TRANSFORMS.register_module()
class ClipRandomCrop(BaseTransform):
    """Crop the same random window out of every frame of a clip.

    Args:
        crop_size (tuple[int, int]): (h, w) of the crop.
        pad_if_smaller (bool): frames smaller than the crop are padded at
            the bottom / right to the crop size (image 0, masks 0, void
            ``void_outside``). Otherwise the crop shrinks to the frame.
        min_fg_pixels (int): when > 0, up to ``max_tries`` windows are drawn
            until one holds at least this many foreground pixels (objects or
            instances) on the frames ``fg_frames`` chooses; the window with
            the most foreground wins if none does.
        fg_frames (str): 'first' (the reference frame of a VOS clip) or
            'all' (the union over the clip).
        max_tries (int): windows drawn at most.
        img_pad_value (float | tuple): image padding value.
        void_outside (bool): ``gt_void`` value of padded pixels.

    Added key: ``crop_bbox`` = (x1, y1, x2, y2), the window in the frame
    before cropping (x2, y2 exclusive; beyond the frame where padded).
    """

    def __init__(self,
                 crop_size: Sequence[int],
                 pad_if_smaller: bool = True,
                 min_fg_pixels: int = 0,
                 fg_frames: str = 'first',
                 max_tries: int = 10,
                 img_pad_value=0,
                 void_outside: bool = True):
        if len(crop_size) != 2 or min(crop_size) <= 0:
            raise ValueError(f'crop_size must be (h, w) > 0, got '
                             f'{crop_size!r}')
        if fg_frames not in ('first', 'all'):
            raise ValueError(f"fg_frames must be 'first' or 'all', got "
                             f'{fg_frames!r}')
        self.crop_size = (int(crop_size[0]), int(crop_size[1]))
        self.pad_if_smaller = pad_if_smaller
        self.min_fg_pixels = int(min_fg_pixels)
        self.fg_frames = fg_frames
        self.max_tries = max(1, int(max_tries))
        self.img_pad_value = img_pad_value
        self.void_outside = void_outside

    def _draw_offset(self, h: int, w: int, ch: int, cw: int
                     ) -> Tuple[int, int]:
        y1 = int(np.random.randint(0, max(h - ch, 0) + 1))
        x1 = int(np.random.randint(0, max(w - cw, 0) + 1))
        return y1, x1

    def _choose_offset(self, results: Dict, h: int, w: int, ch: int,
                       cw: int) -> Tuple[int, int]:
        fg = None
        if self.min_fg_pixels > 0:
            fg = foreground(results,
                            [0] if self.fg_frames == 'first' else None)
        if fg is None:
            return self._draw_offset(h, w, ch, cw)
        best, best_count = None, -1
        for _ in range(self.max_tries):
            y1, x1 = self._draw_offset(h, w, ch, cw)
            count = int(fg[y1:y1 + ch, x1:x1 + cw].sum())
            if count > best_count:
                best, best_count = (y1, x1), count
            if count >= self.min_fg_pixels:
                break
        return best

    def transform(self, results: Dict) -> Dict:
        h, w = clip_hw(results)
        ch, cw = self.crop_size
        if not self.pad_if_smaller:
            ch, cw = min(ch, h), min(cw, w)
        y1, x1 = self._choose_offset(results, h, w, ch, cw)

        def warp(arr, flag, border):
            out = np.empty((ch, cw) + arr.shape[2:], dtype=arr.dtype)
            out[...] = border[:arr.shape[2]] if (
                arr.ndim == 3 and not np.isscalar(border)) else border
            patch = arr[y1:y1 + ch, x1:x1 + cw]
            out[:patch.shape[0], :patch.shape[1]] = patch
            return out

        apply_geometry(results, warp, (ch, cw), img_border=self.img_pad_value,
                       void_outside=self.void_outside)
        results['crop_bbox'] = (x1, y1, x1 + cw, y1 + ch)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'pad_if_smaller={self.pad_if_smaller}, '
                f'min_fg_pixels={self.min_fg_pixels})')


@TRANSFORMS.register_module()
class ClipRandomFlip(BaseTransform):
    """Flip every frame of a clip with probability ``prob`` (one draw).

    Args:
        prob (float): flip probability.
        direction (str | list[str]): 'horizontal' or 'vertical', or a list
            to choose one from uniformly (one draw per clip).

    Added keys: ``flip`` (bool), ``flip_direction`` (str or None).
    """

    def __init__(self, prob: float = 0.5,
                 direction: Union[str, List[str]] = 'horizontal'):
        directions = [direction] if isinstance(direction, str) else list(
            direction)
        bad = [d for d in directions if d not in ('horizontal', 'vertical')]
        if bad or not directions:
            raise ValueError(f"flip direction must be 'horizontal' or "
                             f"'vertical', got {direction!r}")
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.directions = directions

    def transform(self, results: Dict) -> Dict:
        do_flip = bool(np.random.rand() < self.prob)
        direction = self.directions[np.random.randint(len(self.directions))]
        results['flip'] = do_flip
        results['flip_direction'] = direction if do_flip else None
        if not do_flip:
            return results
        axis = 1 if direction == 'horizontal' else 0

        def warp(arr, flag, border):
            return np.ascontiguousarray(np.flip(arr, axis=axis))

        apply_geometry(results, warp, clip_hw(results))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'direction={self.directions})')


@TRANSFORMS.register_module()
class ClipRandomRotate(BaseTransform):
    """Rotate every frame of a clip by one random angle about its centre.

    The angle is uniform in [-max_angle, max_angle] degrees (FaSTGAN: 30),
    applied with probability ``prob``; the frame keeps its size, the
    corners that come from outside are ``img_border_value`` in images, 0 in
    masks and ``void_outside`` in ``gt_void``.

    Added key: ``rotate_angle`` (degrees counter-clockwise, 0.0 if skipped).
    """

    def __init__(self, max_angle: float = 30.0, prob: float = 0.5,
                 interpolation: str = 'bilinear', img_border_value=0,
                 void_outside: bool = True):
        if max_angle < 0:
            raise ValueError(f'max_angle must be >= 0, got {max_angle}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.max_angle = float(max_angle)
        self.prob = prob
        self.interpolation = interpolation
        self._interp = interp_flag(interpolation)
        self.img_border_value = img_border_value
        self.void_outside = void_outside

    def transform(self, results: Dict) -> Dict:
        do_rotate = bool(np.random.rand() < self.prob)
        angle = float(np.random.uniform(-self.max_angle, self.max_angle))
        if not do_rotate or angle == 0.0:
            results['rotate_angle'] = 0.0
            return results
        h, w = clip_hw(results)
        matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1)

        def warp(arr, flag, border):
            return cv2.warpAffine(arr, matrix, (w, h), flags=flag,
                                  borderMode=cv2.BORDER_CONSTANT,
                                  borderValue=border)

        apply_geometry(results, warp, (h, w), img_interp=self._interp,
                       img_border=self.img_border_value,
                       void_outside=self.void_outside)
        results['rotate_angle'] = angle
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_angle={self.max_angle}, '
                f'prob={self.prob})')
