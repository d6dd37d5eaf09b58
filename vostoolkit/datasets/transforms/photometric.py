"""Clip-consistent photometric transform: colour jitter on BGR frames."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from vostoolkit.registry import TRANSFORMS

Range = Union[float, Sequence[float]]

_OPS = ('brightness', 'contrast', 'saturation', 'hue')


def _gray(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 BGR -> (H, W, 1) luma (ITU-R 601)."""
    return (img[..., 2:3] * 0.299 + img[..., 1:2] * 0.587 +
            img[..., 0:1] * 0.114)


def _shift_hue(img: np.ndarray, shift: float) -> np.ndarray:
    """Rotate the hue of an (H, W, 3) float32 BGR image in [0, 255] by
    ``shift`` turns (-0.5..0.5)."""
    hsv = cv2.cvtColor(img / 255.0, cv2.COLOR_BGR2HSV)  # H in [0, 360)
    hsv[..., 0] = (hsv[..., 0] + shift * 360.0) % 360.0
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR) * 255.0


def jitter_image(img: np.ndarray, params: Dict) -> np.ndarray:
    """Apply drawn jitter ``params`` (factors and their order) to one frame.

    Args:
        img (np.ndarray): (H, W, 3) uint8 BGR.
        params (dict): ``order`` (list of op names) and one factor per op:
            brightness / contrast / saturation multiply (1 = unchanged),
            hue is a shift in turns (0 = unchanged).

    Returns:
        np.ndarray: (H, W, 3) uint8 BGR.
    """
    out = img.astype(np.float32)
    for op in params['order']:
        factor = params[op]
        if op == 'brightness':
            out = out * factor
        elif op == 'contrast':
            mean = float(_gray(out).mean())
            out = (out - mean) * factor + mean
        elif op == 'saturation':
            gray = _gray(out)
            out = (out - gray) * factor + gray
        else:
            out = _shift_hue(np.clip(out, 0, 255), factor)
        out = np.clip(out, 0, 255)
    return np.round(out).astype(np.uint8)


@TRANSFORMS.register_module()
class ClipColorJitter(BaseTransform):
    """Random brightness, contrast, saturation and hue, in a random order.

    Each of ``brightness``, ``contrast``, ``saturation`` is a float ``b``
    (factor uniform in [max(0, 1 - b), 1 + b]) or a (min, max) range; ``hue``
    is ``h`` in [0, 0.5] (shift uniform in [-h, h] turns) or a range. 0
    disables an op. With ``same_on_clip`` one set of factors and one order is
    drawn per clip; otherwise each frame draws its own.

    Modified key: ``imgs``. Added key: ``color_jitter`` (the drawn params: a
    dict, or a list of per-frame dicts when not ``same_on_clip``).
    """

    def __init__(self, brightness: Range = 0.0, contrast: Range = 0.0,
                 saturation: Range = 0.0, hue: Range = 0.0,
                 same_on_clip: bool = True, prob: float = 1.0):
        self.ranges = {
            'brightness': self._factor_range('brightness', brightness),
            'contrast': self._factor_range('contrast', contrast),
            'saturation': self._factor_range('saturation', saturation),
            'hue': self._hue_range(hue),
        }
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.same_on_clip = same_on_clip
        self.prob = prob

    @staticmethod
    def _factor_range(name: str, value: Range
                      ) -> Optional[Tuple[float, float]]:
        if np.isscalar(value):
            if value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
            if value == 0:
                return None
            return (max(0.0, 1.0 - value), 1.0 + value)
        lo, hi = value
        if not 0 <= lo <= hi:
            raise ValueError(f'{name} range must be 0 <= min <= max, got '
                             f'{value!r}')
        return (float(lo), float(hi))

    @staticmethod
    def _hue_range(value: Range) -> Optional[Tuple[float, float]]:
        lo, hi = (-value, value) if np.isscalar(value) else value
        if not -0.5 <= lo <= hi <= 0.5:
            raise ValueError(f'hue must lie in [-0.5, 0.5], got {value!r}')
        return None if lo == hi == 0 else (float(lo), float(hi))

    def _draw(self) -> Dict:
        params = {'order': [], 'brightness': 1.0, 'contrast': 1.0,
                  'saturation': 1.0, 'hue': 0.0}
        if np.random.rand() >= self.prob:
            return params
        for idx in np.random.permutation(len(_OPS)):
            op = _OPS[idx]
            if self.ranges[op] is not None:
                params[op] = float(np.random.uniform(*self.ranges[op]))
                params['order'].append(op)
        return params

    def transform(self, results: Dict) -> Dict:
        if 'imgs' not in results:
            return results
        imgs: List[np.ndarray] = results['imgs']
        if self.same_on_clip:
            params = self._draw()
            results['imgs'] = [jitter_image(img, params) for img in imgs]
        else:
            params = [self._draw() for _ in imgs]
            results['imgs'] = [jitter_image(img, p)
                               for img, p in zip(imgs, params)]
        results['color_jitter'] = params
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ranges={self.ranges}, '
                f'same_on_clip={self.same_on_clip}, prob={self.prob})')
