"""Training targets of FaSTGAN: one object per clip, and the critics' real
samples with the ground-truth trick of section 5."""
from typing import Dict, List, Optional

import torch
from torch import Tensor

from vostoolkit.structures import VideoDataSample

GT_NOISE_MODES = ('prediction', 'residual')


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


def critic_real_masks(gt: Tensor, pred: Tensor,
                      ignore: Optional[Tensor] = None, *,
                      uncertainty: float = 0.25,
                      noise: Optional[str] = 'prediction',
                      generator: Optional[torch.Generator] = None
                      ) -> Tensor:
    """The critics' "real" masks, with the ground-truth trick of section 5.

    1. Ground-truth pixels that the prediction estimates correctly with an
       uncertainty below ``uncertainty`` (``|p - y| < uncertainty``, i.e.
       the right side of 0.5 and confident) take the predicted value, which
       brings the real and generated mask distributions closer.
    2. Gaussian noise is added. ``noise='prediction'`` (the paper's text):
       its mean and variance are those of the frame's prediction Y_t;
       ``'residual'``: those of the frame's error ``Y_t - Y``; None: no
       noise. The result is clamped to [0, 1].

    Pixels in ``ignore`` (void, padding) copy the prediction, so they tell
    the critics nothing.

    Args:
        gt (Tensor): (N, K, H, W) ground truth in {0, 1}.
        pred (Tensor): (N, K, H, W) predicted probabilities (detached
            here).
        ignore (Tensor, optional): (N, K, H, W) bool.
        uncertainty (float): Threshold of step 1. Default: 0.25.
        noise (str | None): ``'prediction'``, ``'residual'`` or None.
        generator (torch.Generator, optional): RNG of the noise.

    Returns:
        Tensor: (N, K, H, W) masks in [0, 1].
    """
    if noise is not None and noise not in GT_NOISE_MODES:
        raise ValueError(f'critic_real_masks noise must be one of '
                         f'{GT_NOISE_MODES} or None, got {noise!r}')
    pred = pred.detach()
    gt = gt.to(pred.dtype)
    real = torch.where((pred - gt).abs() < uncertainty, pred, gt)
    if ignore is not None:
        real = torch.where(ignore, pred, real)
    if noise is not None:
        src = pred if noise == 'prediction' else pred - gt
        mean = src.mean(dim=(-2, -1), keepdim=True)  # (N, K, 1, 1)
        std = src.var(dim=(-2, -1), unbiased=False, keepdim=True).sqrt()
        eps = torch.randn(real.shape, generator=generator,
                          dtype=real.dtype).to(real.device)
        real = real + mean + std * eps
    return real.clamp(0, 1)
