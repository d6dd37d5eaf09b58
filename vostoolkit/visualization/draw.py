"""Drawing masks, ids and titles over frames.

One colour scheme everywhere: object / instance id ``k`` is entry ``k`` of
the DAVIS palette (:func:`instance_colour`), the colour the same object has
in a DAVIS index PNG; void pixels are grey. Every function takes and returns
``(H, W, 3)`` uint8 **RGB** frames.

Used by ``tools/demo.py``, ``tools/misc/browse_dataset.py`` and
``tools/test.py --show-dir``
(:class:`~vostoolkit.engine.VideoVisualizationHook`).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from vostoolkit.utils.palette import davis_palette

_PALETTE = davis_palette()
VOID_COLOUR = (128, 128, 128)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_FONT_SCALE = 0.35


def instance_colour(index: int) -> Tuple[int, int, int]:
    """RGB colour of object / instance id ``index`` (1-based).

    Ids 1..254 are their DAVIS palette entry; larger ids cycle through
    1..254 (0 is black background, 255 the DAVIS void colour).
    """
    entry = (int(index) - 1) % 254 + 1
    return tuple(int(c) for c in _PALETTE[entry])


def blend_mask(frame: np.ndarray, mask: np.ndarray, colour: Sequence[int],
               alpha: float = 0.5, boundary: bool = True) -> np.ndarray:
    """Tint the ``mask`` pixels of ``frame`` in place.

    Args:
        frame (np.ndarray): (H, W, 3) uint8 RGB, changed in place.
        mask (np.ndarray): (H, W) bool (or 0/1).
        colour (sequence[int]): RGB.
        alpha (float): Opacity of the colour inside the mask.
        boundary (bool): Also draw the mask's one-pixel inner boundary in
            full colour.

    Returns:
        np.ndarray: ``frame``.
    """
    mask = np.asarray(mask).astype(bool, copy=False)
    if not mask.any():
        return frame
    rgb = np.asarray(colour, dtype=np.float32)
    region = frame[mask].astype(np.float32)
    frame[mask] = np.round(region * (1 - alpha) + rgb * alpha).astype(
        np.uint8)
    if boundary:
        eroded = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8),
                           borderType=cv2.BORDER_CONSTANT, borderValue=0)
        frame[mask & (eroded == 0)] = rgb.astype(np.uint8)
    return frame


def draw_label(frame: np.ndarray, xy: Tuple[int, int], text: str,
               colour: Sequence[int] = (0, 0, 0)) -> np.ndarray:
    """Write ``text`` on a filled box of ``colour`` whose top-left corner is
    ``xy`` (clamped into the frame), in black or white, whichever reads
    better. Changes ``frame`` (H, W, 3) in place and returns it."""
    (tw, th), base = cv2.getTextSize(text, _FONT, _FONT_SCALE, 1)
    h, w = frame.shape[:2]
    x = int(min(max(xy[0], 0), max(w - tw - 2, 0)))
    y = int(min(max(xy[1], 0), max(h - th - base - 2, 0)))
    colour = tuple(int(c) for c in colour)
    cv2.rectangle(frame, (x, y), (x + tw + 2, y + th + base + 1), colour, -1)
    ink = (0, 0, 0) if sum(colour) > 384 else (255, 255, 255)
    cv2.putText(frame, text, (x + 1, y + th + 1), _FONT, _FONT_SCALE, ink, 1,
                cv2.LINE_AA)
    return frame


def draw_title(frame: np.ndarray, text: str) -> np.ndarray:
    """Write ``text`` white on black at the top-left corner of ``frame``
    (in place; returned)."""
    return draw_label(frame, (1, 0), text, (0, 0, 0))


def _top_left(mask: np.ndarray) -> Optional[Tuple[int, int]]:
    ys, xs = np.nonzero(mask)
    return (int(xs.min()), int(ys.min())) if len(ys) else None


def draw_id_map(frame: np.ndarray, ids: np.ndarray, alpha: float = 0.5,
                show_ids: bool = False, void_id: Optional[int] = 255
                ) -> np.ndarray:
    """Draw a VOS id map: object ``k`` in :func:`instance_colour` ``(k)``.

    Args:
        frame (np.ndarray): (H, W, 3) uint8 RGB, changed in place.
        ids (np.ndarray): (H, W) integer object ids, 0 = background.
        alpha (float): Mask opacity.
        show_ids (bool): Write each object's id at its top-left corner.
        void_id (int, optional): Id drawn grey as void (DAVIS: 255).

    Returns:
        np.ndarray: ``frame``.
    """
    ids = np.asarray(ids)
    if ids.shape != frame.shape[:2]:
        raise ValueError(f'id map {ids.shape} does not match the frame '
                         f'{frame.shape[:2]}')
    objects = [int(k) for k in np.unique(ids) if k != 0]
    for k in objects:
        mask = ids == k
        if void_id is not None and k == void_id:
            blend_mask(frame, mask, VOID_COLOUR, alpha, boundary=False)
            continue
        blend_mask(frame, mask, instance_colour(k), alpha)
    if show_ids:
        for k in objects:
            if k != void_id:
                draw_label(frame, _top_left(ids == k), str(k),
                           instance_colour(k))
    return frame


def draw_instances(frame: np.ndarray, masks: np.ndarray,
                   ids: Sequence[int], texts: Optional[Sequence[str]] = None,
                   alpha: float = 0.5) -> np.ndarray:
    """Draw instance masks, each in its id's colour, with optional labels.

    Args:
        frame (np.ndarray): (H, W, 3) uint8 RGB, changed in place.
        masks (np.ndarray): (N, H, W) bool.
        ids (sequence[int]): N instance ids (1-based; set the colours).
        texts (sequence[str], optional): N labels written at the top-left
            corner of each non-empty mask.
        alpha (float): Mask opacity.

    Returns:
        np.ndarray: ``frame``.
    """
    masks = np.asarray(masks).astype(bool, copy=False)
    if len(masks) != len(ids):
        raise ValueError(f'{len(masks)} masks for {len(ids)} ids')
    for mask, k in zip(masks, ids):
        blend_mask(frame, mask, instance_colour(k), alpha)
    if texts is not None:
        for mask, k, text in zip(masks, ids, texts):
            corner = _top_left(mask)
            if corner is not None:
                draw_label(frame, corner, text, instance_colour(k))
    return frame


def instance_text(inst: Dict) -> str:
    """``"<id> <category or 'class N'> <score>"`` for a VIS record."""
    name = inst.get('category') or f"class {inst.get('label')}"
    return f"{inst['id']} {name} {float(inst['score']):.2f}"


def draw_vis_frame(frame: np.ndarray, instances: Sequence[Dict], t: int,
                   alpha: float = 0.5) -> np.ndarray:
    """Draw frame ``t`` of whole-video VIS instances.

    Args:
        frame (np.ndarray): (H, W, 3) uint8 RGB, changed in place.
        instances (sequence[dict]): Records as ``tools/demo.py`` writes them
            in ``results.json``: ``id`` (1-based), ``label``, ``category``
            (or None), ``score`` and ``segmentations`` (one COCO RLE,
            polygon list or None per video frame).
        t (int): The frame's index in the video.
        alpha (float): Mask opacity.

    Returns:
        np.ndarray: ``frame``.
    """
    from vostoolkit.datasets.file_io import decode_segmentation
    if not instances:
        return frame
    h, w = frame.shape[:2]
    masks = np.stack([
        decode_segmentation(inst['segmentations'][t], h, w).astype(bool)
        for inst in instances])  # (N, H, W)
    return draw_instances(frame, masks, [inst['id'] for inst in instances],
                          [instance_text(inst) for inst in instances], alpha)


def overlay_sample(inputs, sample, alpha: float = 0.5) -> List[np.ndarray]:
    """Overlay a packed clip's ground truth on its frames.

    VOS objects take their id's colour, VIS instances their
    ``instance_id + 1``'s (instance ids are 0-based), void pixels grey.

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
    if 'gt_void' in sample:
        for frame, void in zip(frames, sample.gt_void.numpy()):
            blend_mask(frame, void, VOID_COLOUR, alpha, boundary=False)
    if 'gt_obj_masks' in sample:
        for frame, ids in zip(frames, sample.gt_obj_masks.numpy()):
            draw_id_map(frame, ids, alpha, void_id=None)
    if 'gt_instances' in sample and 'masks' in sample.gt_instances:
        inst = sample.gt_instances
        ids = [int(i) + 1 for i in inst.instance_ids]
        tubes = inst.masks.numpy()  # (N, T, H, W)
        for t, frame in enumerate(frames):
            draw_instances(frame, tubes[:, t], ids, alpha=alpha)
    return frames


def clip_titles(meta: Dict, num: int) -> List[str]:
    """Per-frame titles of a clip: its video frame index and the
    augmentations its metainfo records (flip, rotation, reversal)."""
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
