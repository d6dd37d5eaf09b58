"""Pieces every semi-supervised VOS model needs at inference time."""
from typing import Callable, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def soft_aggregate(probs: Tensor, eps: float = 1e-5) -> Tensor:
    """Merge independent per-object probabilities (soft aggregation, RGMP).

    The background probability is ``prod_m (1 - p_m)``; background and
    object probabilities become logits ``log(p / (1 - p))``.

    Args:
        probs (Tensor): (O, H, W) per-object foreground probabilities
            (O may be 0).
        eps (float): Clamp of the probabilities away from 0 and 1.

    Returns:
        Tensor: (O + 1, H, W) logits, background first; their softmax over
        the first dimension is the aggregated distribution.
    """
    probs = probs.clamp(eps, 1 - eps)
    bg = torch.prod(1 - probs, dim=0, keepdim=True)  # (1, H, W)
    merged = torch.cat([bg, probs], dim=0).clamp(eps, 1 - eps)
    return torch.log(merged / (1 - merged))


def id_map_at_original_size(scores: Tensor, obj_ids: Sequence[int],
                            img_hw: Tuple[int, int],
                            out_hw: Tuple[int, int]) -> Tensor:
    """Object-id map of one frame from background-first scores.

    Args:
        scores (Tensor): (O + 1, Hp, Wp) scores or probabilities of the
            padded frame, background first.
        obj_ids (Sequence[int]): The O object ids, in score order.
        img_hw (tuple): (h, w) of the frame inside the padding.
        out_hw (tuple): (H0, W0) original frame size to resize to.

    Returns:
        Tensor: (H0, W0) long object ids (0 = background).
    """
    h, w = img_hw
    scores = scores[:, :h, :w]
    if tuple(scores.shape[-2:]) != tuple(out_hw):
        scores = F.interpolate(scores[None], size=tuple(out_hw),
                               mode='bilinear', align_corners=False)[0]
    lut = torch.tensor([0, *obj_ids], device=scores.device)
    return lut[scores.argmax(0)]


def label_clip(clip: Tensor, meta: dict, segment: Callable[[int], Tensor],
               obj_ids: Callable[[], Sequence[int]]) -> Tensor:
    """Object-id maps of a clip segmented frame by frame.

    Args:
        clip (Tensor): (T, 3, Hp, Wp) padded frames.
        meta (dict): The sample's metainfo (``img_shape``, ``ori_shape``).
        segment (Callable[[int], Tensor]): Frame index in the clip ->
            (O + 1, Hp, Wp) background-first scores; called in frame order
            (it may update per-video state).
        obj_ids (Callable[[], Sequence[int]]): The O object ids after the
            latest ``segment`` call.

    Returns:
        Tensor: (T, H0, W0) uint8 object ids at the original frame size.
    """
    h, w = meta.get('img_shape', clip.shape[-2:])[:2]
    out_hw = tuple(meta.get('ori_shape', (h, w))[:2])
    labels = [id_map_at_original_size(segment(t), obj_ids(), (h, w), out_hw)
              for t in range(clip.shape[0])]
    return torch.stack(labels).to(torch.uint8)
