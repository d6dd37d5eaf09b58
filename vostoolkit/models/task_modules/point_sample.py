"""PointRend point sampling (Kirillov et al., 2020) as used by Mask2Former.

Point coordinates are ``(x, y)`` in ``[0, 1]`` over the map, sampled
bilinearly with ``align_corners=False`` (pixel centres at ``(i + 0.5) / W``).
"""
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def point_sample(input: Tensor, point_coords: Tensor,
                 align_corners: bool = False) -> Tensor:
    """Bilinearly sample ``input`` at normalised points.

    Args:
        input (Tensor): (N, C, H, W) maps.
        point_coords (Tensor): (N, P, 2) points, (x, y) in [0, 1].
        align_corners (bool): ``grid_sample``'s convention.

    Returns:
        Tensor: (N, C, P) sampled values (zeros outside the map).
    """
    grid = 2.0 * point_coords[:, :, None, :] - 1.0  # (N, P, 1, 2) in [-1, 1]
    out = F.grid_sample(input, grid.to(input.dtype), mode='bilinear',
                        padding_mode='zeros', align_corners=align_corners)
    return out.squeeze(3)  # (N, C, P, 1) -> (N, C, P)


def calculate_uncertainty(logits: Tensor) -> Tensor:
    """Uncertainty of mask logits: ``-|logit|`` (highest near the boundary).

    Args:
        logits (Tensor): (N, 1, ...) logits.

    Returns:
        Tensor: same shape, larger means more uncertain.
    """
    return -logits.abs()


def get_uncertain_point_coords_with_randomness(
        coarse_logits: Tensor,
        uncertainty_func: Callable[[Tensor], Tensor],
        num_points: int, oversample_ratio: float = 3.0,
        importance_sample_ratio: float = 0.75) -> Tensor:
    """PointRend training points: oversample uniformly, keep the most
    uncertain ``importance_sample_ratio`` share, fill up uniformly.

    Args:
        coarse_logits (Tensor): (N, 1, H, W) mask logits.
        uncertainty_func (callable): maps (N, 1, P) logits to (N, 1, P)
            uncertainties.
        num_points (int): Points per map.
        oversample_ratio (float): ``k >= 1``; ``k * num_points`` candidates.
        importance_sample_ratio (float): Share of points chosen by
            uncertainty, in [0, 1].

    Returns:
        Tensor: (N, num_points, 2) coordinates in [0, 1].
    """
    if oversample_ratio < 1 or not 0 <= importance_sample_ratio <= 1:
        raise ValueError('need oversample_ratio >= 1 and '
                         '0 <= importance_sample_ratio <= 1')
    n = coarse_logits.shape[0]
    device = coarse_logits.device
    num_sampled = int(num_points * oversample_ratio)
    coords = torch.rand(n, num_sampled, 2, device=device)
    logits = point_sample(coarse_logits, coords)  # (N, 1, kP)
    uncertainty = uncertainty_func(logits)
    num_uncertain = int(importance_sample_ratio * num_points)
    num_random = num_points - num_uncertain
    idx = torch.topk(uncertainty[:, 0, :], k=num_uncertain, dim=1)[1]  # (N, U)
    # (N, U, 2)
    coords = torch.gather(coords, 1, idx[..., None].expand(-1, -1, 2))
    if num_random > 0:
        coords = torch.cat(
            [coords, torch.rand(n, num_random, 2, device=device)], dim=1)
    return coords
