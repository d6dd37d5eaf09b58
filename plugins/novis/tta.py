"""Test-time augmentation for near-online inference: every clip is decoded
again on horizontally flipped and / or rescaled copies of its frames, the queries of each copy ("view") are matched to
those of the plain view, and their mask logits and class probabilities are
averaged before tracking results are accumulated.

A view is ``(scale, hflip)``. The whole padded input is flipped
and / or rescaled, so mapping a view's mask logits back onto the plain
view's grid is exact for a flip and a bilinear resize for a scale.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

View = Tuple[float, bool]


def tta_views(scales: Sequence[float] = (1.0, ), flip: bool = False
              ) -> List[View]:
    """The views of a test-time augmentation, the plain view first.

    Args:
        scales (Sequence[float]): Input scales (1.0 is the test size).
        flip (bool): Add a horizontally flipped copy of every scale.

    Returns:
        list[tuple[float, bool]]: ``(scale, hflip)``; ``(1.0, False)``
        first, whatever the order given.
    """
    scales = [float(s) for s in scales]
    if any(s <= 0 for s in scales):
        raise ValueError(f'test-time scales must be > 0, got {scales}')
    return [(s, h) for s in dict.fromkeys([1.0] + scales)
            for h in ((False, True) if flip else (False, ))]


def _flip_dims(view: View) -> Tuple[int, ...]:
    return (-1, ) if view[1] else ()


def view_input(inputs: Tensor, view: View, size_divisor: int = 32) -> Tensor:
    """The frames (F, C, H, W) as a view sees them.

    A rescaled input keeps a size that is a multiple of 4 (the mask
    features' stride), then is padded with zeros at the bottom and right to
    ``size_divisor`` like the plain input.
    """
    scale, dims = view[0], _flip_dims(view)
    x = inputs.flip(dims) if dims else inputs
    if scale != 1.0:
        h, w = _scaled_cells(x.shape[-2:], 4, scale)
        x = F.interpolate(x, size=(4 * h, 4 * w), mode='bilinear',
                          align_corners=False)
        pad_h, pad_w = -x.shape[-2] % size_divisor, -x.shape[-1] % size_divisor
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
    return x


def _scaled_cells(hw: Sequence[int], stride: int, scale: float
                  ) -> Tuple[int, int]:
    return tuple(max(1, round(d / stride * scale)) for d in hw)


def logits_to_reference(logits: Tensor, view: View,
                        ref_hw: Sequence[int]) -> Tensor:
    """Map a view's mask logits (..., h', w') onto the plain view's grid
    ``ref_hw`` (the stride-4 grid of the padded plain input)."""
    scale, dims = view[0], _flip_dims(view)
    if scale != 1.0:
        h, w = _scaled_cells(ref_hw, 1, scale)
        lead = logits.shape[:-2]
        x = logits[..., :h, :w].reshape(-1, 1, h, w)
        x = F.interpolate(x, size=tuple(ref_hw), mode='bilinear',
                          align_corners=False)
        logits = x.reshape(*lead, *ref_hw)
    return logits.flip(dims) if dims else logits


def match_queries(ref_logits: Tensor, ref_embeds: Tensor, logits: Tensor,
                  embeds: Tensor) -> Tensor:
    """Which query of a view corresponds to each query of the plain view.

    Hungarian assignment on the negative sum of the soft IoU of the two
    queries' mask probabilities over the clip and the cosine similarity of
    their output embeddings.

    Args:
        ref_logits, logits (Tensor): (N, T, h, w) mask logits on the same
            grid.
        ref_embeds, embeds (Tensor): (N, C) output embeddings.

    Returns:
        Tensor: (N,) long, ``logits[perm]`` lines up with ``ref_logits``.
    """
    a = ref_logits.flatten(1).float().sigmoid()
    b = logits.flatten(1).float().sigmoid()
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None] - inter
    cosine = F.normalize(ref_embeds.float(), dim=-1) @ F.normalize(
        embeds.float(), dim=-1).T
    cost = -(inter / union.clamp(min=1e-6)) - cosine
    rows, cols = linear_sum_assignment(cost.detach().cpu().numpy())
    perm = torch.empty(len(rows), dtype=torch.long)
    perm[torch.as_tensor(rows)] = torch.as_tensor(cols)
    return perm.to(ref_logits.device)
