"""First-frame augmentation of FRTM-VOS: the initial sample set M0 (sec. 3.1).

The target is cut out of the first frame, the hole is filled by OpenCV's
fast-marching inpainting (Telea), and the target is pasted back after a
random affine warp (move, rotate, scale, mirror) and, sometimes, a motion
blur. The original frame is sample 0; the copies follow.
"""
import math
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

from vostoolkit.registry import TASK_UTILS


def _inpaint_background(image: np.ndarray, hole: np.ndarray,
                        radius: int) -> np.ndarray:
    """Fill ``hole`` of a float (H, W, 3) image with Telea inpainting.

    OpenCV inpaints 8-bit colour images, so the image is quantised to its
    own value range for the fill; pixels outside the hole keep their exact
    values.
    """
    low, high = float(image.min()), float(image.max())
    span = max(high - low, 1e-6)
    quant = np.clip((image - low) / span * 255.0 + 0.5, 0, 255)
    filled = cv2.inpaint(quant.astype(np.uint8), hole, radius,
                         cv2.INPAINT_TELEA)
    filled = filled.astype(np.float32) / 255.0 * span + low
    return np.where(hole[..., None] > 0, filled, image)


def _motion_blur_kernel(length: float, angle: float) -> np.ndarray:
    """An anisotropic Gaussian kernel: std ``length / 2`` along ``angle``
    (degrees), 0.5 across; sums to one."""
    half = max(1, int(math.ceil(length)))
    coords = np.arange(-half, half + 1, dtype=np.float32)
    xx, yy = np.meshgrid(coords, coords)
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    along = xx * cos + yy * sin
    across = -xx * sin + yy * cos
    kernel = np.exp(-0.5 * ((along / max(length / 2, 0.5))**2 +
                            (across / 0.5)**2))
    return (kernel / kernel.sum()).astype(np.float32)


@TASK_UTILS.register_module()
class FRTMFirstFrameAugmenter:
    """Make the initial sample set M0 from the first frame and target mask.

    Args:
        num_samples (int): Size of M0, the original included (20).
        rotation (tuple[float]): Range of the rotation, degrees.
        scale (tuple[float]): Range of the scale change (log-uniform).
        translate (tuple[float]): Range of the new target centre, as a
            fraction of the image width and height.
        flip_prob (float): Probability of mirroring the target.
        blur_prob (float): Probability of a motion blur on the target.
        blur_length (tuple[float]): Range of the blur length, pixels.
        inpaint_radius (int): Radius of the inpainting and of the dilation
            of the hole around the target, pixels.
        feather (int): Width of the soft edge of the pasted target, pixels.
        min_size (int): Smallest width/height of a warped target, pixels.
        seed (int, optional): Seed of the augmenter's random generator.
    """

    def __init__(self, num_samples: int = 20, *,
                 rotation: Tuple[float, float] = (-60.0, 60.0),
                 scale: Tuple[float, float] = (0.7, 1.5),
                 translate: Tuple[float, float] = (0.2, 0.8),
                 flip_prob: float = 1 / 3, blur_prob: float = 0.4,
                 blur_length: Tuple[float, float] = (1.0, 5.0),
                 inpaint_radius: int = 5, feather: int = 3,
                 min_size: int = 8, seed: Optional[int] = None):
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.num_samples = num_samples
        self.rotation = rotation
        self.scale = scale
        self.translate = translate
        self.flip_prob = flip_prob
        self.blur_prob = blur_prob
        self.blur_length = blur_length
        self.inpaint_radius = inpaint_radius
        self.feather = feather
        self.min_size = min_size
        self.rng = np.random.default_rng(seed)

    def __call__(self, image: Tensor, mask: Tensor,
                 rng: Optional[np.random.Generator] = None,
                 num_samples: Optional[int] = None
                 ) -> Tuple[Tensor, Tensor]:
        """Augment one frame.

        Args:
            image (Tensor): (3, H, W) image, any value range (e.g.
                normalised).
            mask (Tensor): (H, W) or (1, H, W) target mask; non-zero is
                target.
            rng (np.random.Generator, optional): Overrides the augmenter's
                generator.
            num_samples (int, optional): Overrides ``num_samples`` (e.g. a
                smaller M0 during offline training).

        Returns:
            tuple[Tensor]: images (S, 3, H, W) with ``image``'s dtype and
            device, and masks (S, 1, H, W) float in {0, 1}; sample 0 is the
            original.
        """
        rng = self.rng if rng is None else rng
        num = self.num_samples if num_samples is None else num_samples
        img = image.detach().float().permute(1, 2, 0).cpu().numpy()
        msk = (mask.detach().reshape(image.shape[-2:]) > 0).cpu().numpy()
        msk = msk.astype(np.uint8)
        images, masks = [img], [msk.astype(np.float32)]
        if msk.any() and num > 1:
            background, target, alpha = self._cut_out(img, msk)
            for _ in range(num - 1):
                new_img, new_msk = self._paste(background, target, alpha,
                                               msk, rng)
                images.append(new_img)
                masks.append(new_msk)
        else:  # nothing to move: M0 is copies of the original
            images += [img] * (num - 1)
            masks += [masks[0]] * (num - 1)
        out_imgs = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
        out_masks = torch.from_numpy(np.stack(masks))[:, None]
        return (out_imgs.to(image.device, image.dtype),
                out_masks.to(image.device))

    def _cut_out(self, img: np.ndarray, msk: np.ndarray
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inpainted background, the colours to paste (the frame itself:
        the alpha selects the target) and the feathered target alpha."""
        r = max(1, self.inpaint_radius)
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)
        hole = cv2.dilate(msk, disk)
        background = _inpaint_background(img, hole, r)
        alpha = msk.astype(np.float32)
        if self.feather > 1:  # soft edge: box-blurred mask
            alpha = cv2.blur(alpha, (self.feather, self.feather))
        return background, img, alpha

    def _random_affine(self, msk: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
        """A 2x3 matrix moving the target box centre to a random place."""
        height, width = msk.shape
        ys, xs = np.nonzero(msk)
        cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
        box_w, box_h = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
        log_lo, log_hi = (math.log(s) for s in self.scale)
        s = math.exp(rng.uniform(log_lo, log_hi))
        s = min(s, width / box_w, height / box_h)  # fits in the image
        s = max(s, self.min_size / min(box_w, box_h))  # stays visible
        angle = math.radians(rng.uniform(*self.rotation))
        mirror = -1.0 if rng.uniform() < self.flip_prob else 1.0
        new_cx = rng.uniform(*self.translate) * width
        new_cy = rng.uniform(*self.translate) * height
        cos, sin = math.cos(angle) * s, math.sin(angle) * s
        linear = np.array([[cos * mirror, -sin], [sin * mirror, cos]])
        offset = np.array([new_cx, new_cy]) - linear @ np.array([cx, cy])
        return np.concatenate([linear, offset[:, None]], axis=1)

    def _paste(self, background: np.ndarray, target: np.ndarray,
               alpha: np.ndarray, msk: np.ndarray,
               rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        """One augmented image (H, W, 3) and its mask (H, W)."""
        height, width = msk.shape
        matrix = self._random_affine(msk, rng)
        size = (width, height)
        w_target = cv2.warpAffine(target, matrix, size, flags=cv2.INTER_LINEAR)
        w_alpha = cv2.warpAffine(alpha, matrix, size, flags=cv2.INTER_LINEAR)
        w_mask = cv2.warpAffine(msk, matrix, size, flags=cv2.INTER_NEAREST)
        if rng.uniform() < self.blur_prob:
            kernel = _motion_blur_kernel(rng.uniform(*self.blur_length),
                                         rng.uniform(0.0, 180.0))
            w_target = cv2.filter2D(w_target, -1, kernel)
            w_alpha = cv2.filter2D(w_alpha, -1, kernel)
        w_alpha = np.clip(w_alpha, 0.0, 1.0)[..., None]
        image = w_alpha * w_target + (1.0 - w_alpha) * background
        return image.astype(np.float32), w_mask.astype(np.float32)

