"""Training targets of FaSTGAN: one object per clip (the critics' real
samples with the ground-truth trick of section 5 are the core's
``critic_real_masks``)."""
from typing import Dict, List, Optional

import torch
from torch import Tensor

from vostoolkit.models.segmentors.adversarial import (GT_NOISE_MODES,
                                                     critic_real_masks)
from vostoolkit.structures import VideoDataSample

# the ground-truth trick of section 5 is the core's critic_real_masks
__all__ = ['binary_clip_targets', 'critic_real_masks', 'GT_NOISE_MODES']


def _random_visible_object(first: Tensor,
                           generator: Optional[torch.Generator]) -> int:
    """A random object id among those visible in ``first`` (H, W); 0 if
    none."""
    ids = [int(i) for i in first.unique().tolist() if i != 0]
    if not ids:
        return 0
    pick = torch.randint(len(ids), (1, ), generator=generator).item()
    return ids[pick]


def _valid_pixels(sample: VideoDataSample, shape) -> Tensor:
    """(T, H, W) bool: annotated frame, not void, inside ``img_shape``."""
    valid = torch.ones(shape, dtype=torch.bool)
    if 'gt_void' in sample:
        valid &= ~sample.gt_void.cpu().bool()
    h, w = sample.metainfo.get('img_shape', shape[-2:])[:2]
    valid[:, h:] = False
    valid[:, :, w:] = False
    if 'gt_frame_valid' in sample:
        valid[~sample.gt_frame_valid.cpu().bool()] = False
    return valid


def binary_clip_targets(data_samples: List[VideoDataSample],
                        device: torch.device,
                        generator: Optional[torch.Generator] = None
                        ) -> Dict[str, Tensor]:
    """Binary masks of one random object per training clip.

    Clip layout: frame 0 is the reference (its mask is M_n's mask and the
    first step's previous estimate), frames 1..K are the window. The object
    is drawn among those visible on the reference frame; a clip with none
    gets an all-background target (the regressor must predict nothing).

    Args:
        data_samples (list[VideoDataSample]): ``gt_obj_masks`` (T, H, W)
            padded to the batch size; optionally ``gt_void``,
            ``gt_frame_valid`` and ``img_shape`` in the meta.
        device (torch.device): Device of the outputs.
        generator (torch.Generator, optional): RNG of the object draw.

    Returns:
        dict[str, Tensor]: ``ref_mask`` (N, 1, H, W) float, ``targets``
        (N, K, H, W) float, ``valid`` (N, K, H, W) bool (pixels that count),
        ``frame_valid`` (N, K) bool (annotated window frames).
    """
    masks, valids, frame_valid = [], [], []
    for sample in data_samples:
        gt = sample.gt_obj_masks.cpu().long()  # (T, H, W)
        obj = _random_visible_object(gt[0], generator)
        masks.append((gt == obj).float() if obj else torch.zeros(gt.shape))
        valids.append(_valid_pixels(sample, gt.shape))
        fv = (sample.gt_frame_valid.cpu().bool() if 'gt_frame_valid'
              in sample else torch.ones(gt.shape[0], dtype=torch.bool))
        frame_valid.append(fv)
    masks = torch.stack(masks).to(device)  # (N, T, H, W)
    valid = torch.stack(valids).to(device)
    return dict(ref_mask=masks[:, :1], targets=masks[:, 1:],
                valid=valid[:, 1:],
                frame_valid=torch.stack(frame_valid).to(device)[:, 1:])
