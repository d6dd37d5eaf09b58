"""Drawing masks over frames: overlays, titled frames, PNG folders, GIFs.

Used by ``tools/misc/browse_dataset.py``, ``tools/demo.py`` and the
quickstart; colours are the DAVIS palette (:func:`davis_palette`).
"""
import os
import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw

from vostoolkit.utils.palette import davis_palette


def _blend(frame: np.ndarray, mask: np.ndarray, colour, alpha: float
           ) -> None:
    """Tint ``mask`` pixels of an (H, W, 3) uint8 RGB frame in place and
    draw the mask's boundary in full colour."""
    if not mask.any():
        return
    colour = np.asarray(colour, dtype=np.float32)
    region = frame[mask].astype(np.float32)
    frame[mask] = np.round(region * (1 - alpha) + colour * alpha).astype(
        np.uint8)
    eroded = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8),
                       borderType=cv2.BORDER_CONSTANT, borderValue=0)
    frame[mask & (eroded == 0)] = colour.astype(np.uint8)


def overlay_sample(inputs, sample, alpha: float = 0.5) -> List[np.ndarray]:
    """Overlay a packed clip's ground truth on its frames.

    Args:
        inputs (Tensor): (T, 3, H, W) uint8 BGR, as ``PackVideoInputs``
            gives.
        sample (VideoDataSample): the clip's data sample.
        alpha (float): opacity of the mask colours.

    Returns:
        list[np.ndarray]: T frames, (H, W, 3) uint8 RGB.
    """
    frames = inputs.numpy().transpose(0, 2, 3, 1)[..., ::-1]  # -> RGB HWC
    frames = [np.ascontiguousarray(f) for f in frames]
    palette = davis_palette()
    if 'gt_void' in sample:
        for frame, void in zip(frames, sample.gt_void.numpy()):
            _blend(frame, void, (128, 128, 128), alpha)
    if 'gt_obj_masks' in sample:
        masks = sample.gt_obj_masks.numpy()  # (T, H, W)
        for frame, ids in zip(frames, masks):
            for obj in np.unique(ids[ids > 0]):
                _blend(frame, ids == obj, palette[int(obj) % 256], alpha)
    if 'gt_instances' in sample and 'masks' in sample.gt_instances:
        inst = sample.gt_instances
        for k, tube in enumerate(inst.masks.numpy()):  # (T, H, W) each
            colour = palette[(int(inst.instance_ids[k]) % 255) + 1]
            for frame, mask in zip(frames, tube):
                _blend(frame, mask, colour, alpha)
    return frames


def clip_titles(meta: Dict, num: int) -> List[str]:
    ids = meta.get('frame_ids') or list(range(num))
    extra = []
    if meta.get('flip'):
        extra.append(f"flip {meta.get('flip_direction') or ''}".strip())
    if meta.get('rotate_angle'):
        extra.append(f"rot {meta['rotate_angle']:.0f}")
    if meta.get('reversed'):
        extra.append('reversed')
    suffix = (' ' + ', '.join(extra)) if extra else ''
    return [f'frame {i}{suffix}' for i in ids]


def draw_title(frame: np.ndarray, text: str) -> Image.Image:
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    box = draw.textbbox((2, 1), text)
    draw.rectangle(box, fill=(0, 0, 0))
    draw.text((2, 1), text, fill=(255, 255, 255))
    return img


def write_clip(frames: Sequence[np.ndarray], titles: Sequence[str],
               out_stem: str, gif: bool, duration_ms: int = 200) -> List[str]:
    """Write frames as ``out_stem/NNNNN.png`` or ``out_stem.gif``.

    Files are written under a temporary name and renamed when complete.

    Returns:
        list[str]: the paths written.
    """
    images = [draw_title(f, t) for f, t in zip(frames, titles)]
    if gif:
        path = out_stem + '.gif'
        images[0].save(path + '.part', format='GIF', save_all=True,
                       append_images=images[1:], duration=duration_ms,
                       loop=0)
        os.replace(path + '.part', path)
        return [path]
    os.makedirs(out_stem, exist_ok=True)
    paths = []
    for t, img in enumerate(images):
        path = osp.join(out_stem, f'{t:05d}.png')
        img.save(path + '.part', format='PNG')
        os.replace(path + '.part', path)
        paths.append(path)
    return paths
