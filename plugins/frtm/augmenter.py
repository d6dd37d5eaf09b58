"""First-frame augmentation of FRTM-VOS: the initial sample set M0 (sec. 3.1),
as the authors' inference code builds it.

The target is cut out of the first frame with a hard alpha, the hole (the
mask dilated by a 2 x 2 ellipse) is filled by OpenCV's Telea inpainting
(radius 1), the background is scaled about its centre and blurred, and the
target is pasted back after an affine warp (a new centre on a jittered grid,
a discrete rotation, scale, mirror and skew) and, sometimes, a directional
Gaussian blur. Parameters are drawn by shuffling lists of values with a
legacy ``np.random.RandomState`` in the authors' order: 19 candidate
specifications per round, of which the verified ones (the warped target
keeps at least one pixel) are shuffled and ``num_samples - 1`` kept. Only
the kept ones are rendered. The original frame is sample 0.
"""
import math
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

from vostoolkit.registry import TASK_UTILS

Spec = dict


def _shuffled(values: Sequence, count: int,
              rng: np.random.RandomState) -> List:
    """``count`` values drawn without replacement from ``values`` repeated
    enough times (the list is shuffled in place by ``rng``)."""
    pool = list(values) * ((count + len(values) - 1) // len(values))
    rng.shuffle(pool)
    return pool[:count]


def _affine(center: Tuple[float, float], angle: float, scale_x: float,
            scale_y: float, skew: Tuple[float, float],
            origin: Tuple[float, float]) -> np.ndarray:
    """3x3 matrix: move ``origin`` to 0, scale, rotate by ``angle`` degrees,
    skew, move to ``center``."""
    a = math.radians(angle)
    cos, sin = math.cos(a), math.sin(a)
    move_in = np.array([[1, 0, -origin[0]], [0, 1, -origin[1]], [0, 0, 1]])
    scale = np.diag([scale_x, scale_y, 1.0])
    rotate = np.array([[cos, sin, 0], [-sin, cos, 0], [0, 0, 1]])
    shear = np.array([[1, skew[0], 0], [skew[1], 1, 0], [0, 0, 1]])
    move_out = np.array([[1, 0, center[0]], [0, 1, center[1]], [0, 0, 1]])
    return move_out @ shear @ rotate @ scale @ move_in


def blur_kernel(size: float, angle: float, width: float = 0.1) -> np.ndarray:
    """Directional Gaussian kernel: the quadratic form of ``R diag(size,
    width) R^T`` on an odd square grid of half-width ``round(size / 2)``
    (made odd), normalised to sum to one (float32)."""
    a = math.radians(angle)
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    cov = rot @ np.diag((size, width)) @ rot.T
    half = int(max(size, width) / 2 + 0.5)
    half += (half + 1) % 2
    r = np.arange(-half, half + 1)
    grid = np.stack(np.meshgrid(r, r))  # (2, n, n): x, y
    quad = (grid * np.tensordot(np.linalg.inv(cov), grid, axes=[1, 0])).sum(0)
    kernel = np.exp(-0.5 * quad)
    return (kernel / kernel.sum()).astype(np.float32)


def _blur(image: np.ndarray, size: float, angle: float) -> np.ndarray:
    """Zero-padded correlation of an (H, W, C) float image with
    :func:`blur_kernel` (no-op for ``size <= 0``)."""
    if size <= 0:
        return image
    out = cv2.filter2D(image, -1, blur_kernel(size, angle),
                       borderType=cv2.BORDER_CONSTANT)
    return out.reshape(image.shape)


def _warp(image: np.ndarray, matrix: np.ndarray, flags: int) -> np.ndarray:
    height, width = image.shape[:2]
    out = cv2.warpAffine(image, matrix[:2].astype(np.float32),
                         (width, height), flags=flags)
    return out.reshape(image.shape)


@TASK_UTILS.register_module()
class FRTMFirstFrameAugmenter:
    """Make the initial sample set M0 from the first frame and target mask.

    Images are RGB in 0..255 (the augmentation is defined on 8-bit images:
    inpainting and the final paste quantise to bytes).

    Args:
        num_samples (int): Size of M0, the original included (5).
        rotation, fliplr, scale, skew, blur_size, blur_angle (Sequence):
            The target's values (degrees, mirror flags, scale changes, skew
            coefficients (x, y), blur sizes in pixels (0: none), blur angles
            in degrees).
        bg_scale, bg_blur_size, bg_blur_angle (Sequence): The background's
            (no rotation, mirror or skew).
        num_candidates (int): Specifications drawn per round (19).
        min_size (int): Smallest width/height of a warped target, pixels.
        min_pixels (int): Smallest warped target kept, pixels.
        inpaint_radius (int): Radius of the Telea inpainting.
        dilation (int): Size of the elliptic element dilating the hole.
        max_rounds (int): Rounds of candidates before giving up on filling
            M0 (the rest are copies of the original).
    """

    def __init__(self, num_samples: int = 5, *,
                 rotation: Sequence[float] = (5, -5, 10, -10, 20, -20, 30,
                                              -30, 45, -45),
                 fliplr: Sequence[bool] = (False, False, False, False, True),
                 scale: Sequence[float] = (0.5, 0.7, 1.0, 1.5, 2.0, 2.5),
                 skew: Sequence[Tuple[float, float]] = ((0.0, 0.0),
                                                        (0.0, 0.0),
                                                        (0.1, 0.1)),
                 blur_size: Sequence[float] = (0.0, 0.0, 0.0, 2.0),
                 blur_angle: Sequence[float] = (0, 45, 90, 135),
                 bg_scale: Sequence[float] = (1.0, 1.0, 1.2),
                 bg_blur_size: Sequence[float] = (0.0, 0.0, 1.0, 2.0, 5.0),
                 bg_blur_angle: Sequence[float] = (0, 45, 90, 135),
                 num_candidates: int = 19, min_size: int = 10,
                 min_pixels: int = 1, inpaint_radius: int = 1,
                 dilation: int = 2, max_rounds: int = 100):
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.num_samples = num_samples
        self.fg_values = dict(rotation=list(rotation), fliplr=list(fliplr),
                              scale=list(scale),
                              skew=[tuple(k) for k in skew],
                              blur_size=list(blur_size),
                              blur_angle=list(blur_angle))
        self.bg_values = dict(scale=list(bg_scale),
                              blur_size=list(bg_blur_size),
                              blur_angle=list(bg_blur_angle))
        self.num_candidates = num_candidates
        self.min_size = min_size
        self.min_pixels = min_pixels
        self.inpaint_radius = inpaint_radius
        self.dilation = dilation
        self.max_rounds = max_rounds

    # ------------------------------------------------------------ drawing
    def target_centres(self, num: int, size: Tuple[int, int],
                       rng: np.random.RandomState) -> List[Tuple]:
        """``num`` new target centres (fractions of width, height): a grid
        with about ``num`` cells, each centre jittered, in random order."""
        height, width = size
        aspect = width / height
        rows = int(np.ceil(np.sqrt(num / aspect)))
        cols = int(np.ceil(aspect * rows))
        centres = []
        for r in range(rows):
            for c in range(cols):
                x = (c + 0.5) / cols + rng.normal(0, 0.5 / cols / 4)
                y = (r + 0.5) / rows + rng.normal(0, 0.5 / rows / 4)
                centres.append((np.round(x, 3), np.round(y, 3)))
        rng.shuffle(centres)
        return centres[:num]

    def draw_specs(self, centres: List[Tuple], rng: np.random.RandomState
                   ) -> List[Tuple[Spec, Spec]]:
        """One round: ``num_candidates`` (target, background) specs."""
        n = self.num_candidates
        fg = dict(location=_shuffled(centres, n, rng))
        for key in ('rotation', 'fliplr', 'scale', 'skew', 'blur_size',
                    'blur_angle'):
            fg[key] = _shuffled(self.fg_values[key], n, rng)
        # the background's constant lists are shuffled too (same draws)
        bg = {}
        for key, values in (('location', [(0.5, 0.5)]), ('rotation', [0] * 3),
                            ('fliplr', [False]),
                            ('scale', self.bg_values['scale']),
                            ('skew', [(0.0, 0.0)]),
                            ('blur_size', self.bg_values['blur_size']),
                            ('blur_angle', self.bg_values['blur_angle']),
                            ('centre', [(0.5, 0.5)])):
            bg[key] = _shuffled(values, n, rng)
        return [({k: v[i] for k, v in fg.items()},
                 {k: v[i] for k, v in bg.items()}) for i in range(n)]

    def target_matrix(self, spec: Spec, box: Tuple[float, ...],
                      size: Tuple[int, int]) -> np.ndarray:
        """The target's 3x3 warp: its box centre to the spec's location."""
        cx, cy, box_w, box_h = box
        height, width = size
        s = spec['scale']
        if s * box_w > width or s * box_h > height:
            s = min(width / box_w, height / box_h)
        if s * box_w < self.min_size or s * box_h < self.min_size:
            s = max(self.min_size / box_w, self.min_size / box_h)
        mirror = -1 if spec['fliplr'] else 1
        loc = spec['location']
        return _affine((loc[0] * width, loc[1] * height), spec['rotation'],
                       mirror * s, s, spec['skew'], (cx, cy))

    # ------------------------------------------------------------ the call
    def __call__(self, image: Tensor, mask: Tensor,
                 rng: Optional[np.random.RandomState] = None,
                 num_samples: Optional[int] = None
                 ) -> Tuple[Tensor, Tensor]:
        """Augment one frame.

        Args:
            image (Tensor): (3, H, W) RGB image in 0..255.
            mask (Tensor): (H, W) or (1, H, W) target mask; non-zero is
                target.
            rng (np.random.RandomState, optional): The draws (default: a new
                unseeded one).
            num_samples (int, optional): Overrides ``num_samples``.

        Returns:
            tuple[Tensor]: images (S, 3, H, W) with 8-bit values in
            ``image``'s dtype and device, and masks (S, 1, H, W) float in
            {0, 1}; sample 0 is the original. A mask without pixels gives
            copies of the original.
        """
        rng = np.random.RandomState() if rng is None else rng
        num = self.num_samples if num_samples is None else num_samples
        img = image.detach().float().round().clamp(0, 255).permute(1, 2, 0)
        img = np.ascontiguousarray(img.cpu().numpy().astype(np.uint8))
        msk = (mask.detach().reshape(image.shape[-2:]) > 0).cpu().numpy()
        msk = msk.astype(np.uint8)
        images, masks = [img.astype(np.float32)], [msk.astype(np.float32)]
        if msk.sum() >= self.min_pixels and num > 1:
            for out_img, out_msk in self._augment(img, msk, num - 1, rng):
                images.append(out_img)
                masks.append(out_msk)
        while len(images) < num:  # nothing to move: copies of the original
            images.append(images[0])
            masks.append(masks[0])
        out_imgs = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
        out_masks = torch.from_numpy(np.stack(masks))[:, None]
        return (out_imgs.to(image.device, image.dtype),
                out_masks.to(image.device))

    def _augment(self, img: np.ndarray, msk: np.ndarray, num: int,
                 rng: np.random.RandomState):
        """The ``num`` augmented (image (H, W, 3), mask (H, W)) pairs."""
        size = msk.shape
        ys, xs = np.nonzero(msk.any(axis=1))[0], np.nonzero(msk.any(axis=0))[0]
        box_w, box_h = xs[-1] - xs[0] + 1, ys[-1] - ys[0] + 1
        box = (xs[0] + box_w / 2, ys[0] + box_h / 2, box_w, box_h)
        no_background = msk.sum() == msk.size
        centres = self.target_centres(num + 1, size, rng)
        kept = []
        for _ in range(self.max_rounds):
            for fg, bg in self.draw_specs(centres, rng):
                matrix = self.target_matrix(fg, box, size)
                warped = _warp(msk, matrix, cv2.INTER_NEAREST)
                count = int(warped.sum())
                if count >= self.min_pixels and (
                        count < msk.size - self.min_pixels or no_background):
                    kept.append((fg, bg, matrix, warped))
            if len(kept) >= num:
                break
        if len(kept) > num:
            order = list(range(len(kept)))
            rng.shuffle(order)
            kept = [kept[i] for i in order[:num]]
        if not kept:
            return []
        background, target = self._cut_out(img, msk)
        return [(self._render(background, target, fg, bg, matrix),
                 warped.astype(np.float32))
                for fg, bg, matrix, warped in kept]

    def _cut_out(self, img: np.ndarray, msk: np.ndarray
                 ) -> Tuple[np.ndarray, np.ndarray]:
        """The inpainted background (H, W, 3) uint8 and the target RGBA
        (H, W, 4) float (hard alpha, colours zero outside)."""
        element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                            (self.dilation, self.dilation))
        hole = cv2.dilate(msk, element)
        background = cv2.inpaint(img, hole, self.inpaint_radius,
                                 cv2.INPAINT_TELEA)
        target = np.concatenate([img * msk[..., None],
                                 (msk * 255)[..., None]], axis=-1)
        return background, target.astype(np.float32)

    def _render(self, background: np.ndarray, target: np.ndarray, fg: Spec,
                bg: Spec, matrix: np.ndarray) -> np.ndarray:
        """Warp and blur the background and the target, paste (uint8
        values as float32)."""
        height, width = background.shape[:2]
        centre = (width / 2, height / 2)
        bg_matrix = _affine(centre, bg['rotation'], bg['scale'], bg['scale'],
                            bg['skew'], centre)
        image = _warp(background.astype(np.float32), bg_matrix,
                      cv2.INTER_CUBIC).clip(0, 255)
        image = _blur(image, bg['blur_size'], bg['blur_angle'])
        moved = _warp(target, matrix, cv2.INTER_CUBIC).clip(0, 255)
        moved = _blur(moved, fg['blur_size'], fg['blur_angle'])
        alpha = moved[..., 3:] / 255
        out = moved[..., :3] * alpha + image * (1 - alpha)
        return out.astype(np.uint8).astype(np.float32)
