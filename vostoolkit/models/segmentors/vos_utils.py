"""Pieces every semi-supervised VOS model needs at inference time."""
from typing import Callable, List, Optional, Sequence, Tuple

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


def min_odds_aggregate(probs: Tensor, eps: float = 1e-7) -> Tensor:
    """Merge per-object probabilities as FRTM-VOS's authors do.

    The background probability is the smallest ``1 - p_m`` over the objects;
    background and object probabilities (clamped to ``[eps, 1 - eps]``)
    become odds ``p / (1 - p)``, normalised by a softmax over the first
    dimension. Unlike :func:`soft_aggregate` (product background, log-odds),
    two objects at 0.4 leave the background the winner here (odds 1.5
    against 0.67 each).

    Args:
        probs (Tensor): (O, H, W) per-object foreground probabilities
            (O may be 0: the result is all background).
        eps (float): Clamp of the probabilities away from 0 and 1.

    Returns:
        Tensor: (O + 1, H, W) probabilities, background first, summing to one
        over the first dimension.
    """
    if probs.shape[0] == 0:
        return torch.ones((1, *probs.shape[1:]), dtype=probs.dtype,
                          device=probs.device)
    probs = probs.clamp(eps, 1 - eps)
    bg = (1 - probs).amin(dim=0, keepdim=True)  # (1, H, W)
    merged = torch.cat([bg, probs], dim=0)  # (O + 1, H, W)
    return torch.softmax(merged / (1 - merged), dim=0)


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
    # max(0).indices: argmax's first-maximum rule, several times faster
    # than argmax(0) over a short first dimension on CPU
    return lut[scores.max(dim=0).indices]


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


def objects_given_on_frame(sample, t: int, known: Sequence[int]
                           ) -> Tuple[List[int], Optional[Tensor]]:
    """Objects whose first mask is given on clip frame ``t``, and the masks.

    With ``obj_ids`` / ``obj_first_frames`` (every reader sets them) an
    object is new on the frame its mask is first given (YouTube-VOS objects
    appear late); without them, every id on the first frame seen is new.

    Args:
        sample (VideoDataSample): With ``gt_obj_masks`` (T, H, W) on the
            frames where masks are given, and metainfo ``frame_ids``; with
            ``gt_instances`` (``instance_ids``, ``masks`` (O, T, H, W),
            SA-V) an object's own mask is given, overlaps included.
        t (int): Frame index in the clip.
        known (Sequence[int]): Ids the video state already tracks.

    Returns:
        tuple: the new ids (list[int]) and their (K, H, W) bool masks, or
        ``([], None)`` when no object starts on this frame.
    """
    if 'gt_obj_masks' not in sample:
        return [], None
    gt = sample.gt_obj_masks[t].long()
    if 'obj_ids' in sample and 'obj_first_frames' in sample:
        frame_id = sample.metainfo['frame_ids'][t]
        new = [int(i) for i, first in zip(sample.obj_ids.tolist(),
                                          sample.obj_first_frames.tolist())
               if int(first) == frame_id and int(i) not in known]
    elif not known:
        new = [int(i) for i in gt.unique().tolist() if i != 0]
    else:
        new = []
    if not new:
        return [], None
    inst = sample.get('gt_instances')
    if inst is not None and 'instance_ids' in inst and 'masks' in inst:
        # per-object masks (SA-V): overlapping objects keep their full mask
        pos = {int(i): n for n, i in enumerate(inst.instance_ids.tolist())}
        if all(i in pos for i in new):
            return new, inst.masks[[pos[i] for i in new], t].bool()
    ids = torch.tensor(new, device=gt.device)
    return new, gt[None] == ids[:, None, None]  # (K, H, W)


def logits_to_original(logits: Tensor, pad_hw: Sequence[int],
                       img_hw: Sequence[int], ori_hw: Sequence[int]
                       ) -> Tensor:
    """Mask logits at the mask-feature stride -> logits at the original size.

    As Mask2Former's post-processing: up-sample to the padded input, crop the
    valid region (the resized frame), resize to the original frame size.

    Args:
        logits (Tensor): (N, h, w).
        pad_hw, img_hw, ori_hw: padded input size, its valid region and the
            original frame size.

    Returns:
        Tensor: (N, H0, W0) float logits.
    """
    x = F.interpolate(logits[None].float(), size=tuple(pad_hw),
                      mode='bilinear', align_corners=False)
    x = x[:, :, :img_hw[0], :img_hw[1]]
    if tuple(img_hw) != tuple(ori_hw):
        x = F.interpolate(x, size=tuple(ori_hw), mode='bilinear',
                          align_corners=False)
    return x[0]  # (1, N, H0, W0) -> (N, H0, W0)
