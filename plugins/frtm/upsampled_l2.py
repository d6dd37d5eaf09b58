"""The data term of eq. 2 evaluated at the scores' resolution.

The target model's loss compares bilinearly up-sampled scores with labels at
the image resolution: ``sum_k gamma_k ||v_k^(1/2) (U s_k - y_k)||^2``. U is
linear and each output pixel reads at most two neighbouring inputs per axis,
so the quadratic form ``U^T diag(v) U`` couples each score pixel with its 3 x 3
neighbours only. Its nine coefficient maps, ``U^T v y`` and ``sum v y^2`` are
computed once per sample (:func:`upsampled_l2_terms`); every later loss,
gradient and Gauss-Newton product then costs a few operations per score
pixel instead of an up-sampling to the image size (:func:`apply_normal`).
The result is the same quadratic form, to float rounding.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

# the nine neighbour offsets (dy, dx), row-major
OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def bilinear_matrix(out_len: int, in_len: int, dtype=torch.float32,
                    device=None) -> Tensor:
    """The (out_len, in_len) matrix of 1-D bilinear resizing as
    ``F.interpolate(mode='bilinear', align_corners=False)`` computes it."""
    eye = torch.eye(in_len, dtype=dtype, device=device)
    eye = eye.reshape(1, in_len, in_len, 1)  # channel a: one-hot at row a
    out = F.interpolate(eye, size=(out_len, 1), mode='bilinear',
                        align_corners=False)  # (1, in, out, 1)
    return out[0, :, :, 0].t().contiguous()


def _shifted_products(u: Tensor) -> Tensor:
    """(3, L, l): ``u[:, a] * u[:, a + d]`` for d = -1, 0, 1 (0 outside)."""
    out = torch.zeros((3, *u.shape), dtype=u.dtype, device=u.device)
    out[1] = u * u
    out[0, :, 1:] = u[:, 1:] * u[:, :-1]   # d = -1
    out[2, :, :-1] = u[:, :-1] * u[:, 1:]  # d = +1
    return out


def upsampled_l2_terms(labels: Tensor, pixel_weights: Tensor,
                       size: Sequence[int]) -> Tuple[Tensor, Tensor, Tensor]:
    """Per-sample terms of ``||v^(1/2) (U s - y)||^2`` for scores of ``size``.

    For scores ``s`` (S, 1, h, w): ``||v^(1/2) (U s - y)||^2 = <s, A s> -
    2 <s, b> + c`` with ``A s = apply_normal(stencil, s)``.

    Args:
        labels (Tensor): (S, 1, H, W) labels y.
        pixel_weights (Tensor): (S, 1, H, W) weights v (of the squared
            residuals).
        size (Sequence[int]): (h, w) of the scores.

    Returns:
        tuple[Tensor]: stencil (S, 9, h, w) (coefficient of the neighbour at
        each of :data:`OFFSETS`), b (S, 1, h, w) and c (S,).
    """
    h, w = size
    big_h, big_w = labels.shape[-2:]
    kw = dict(dtype=labels.dtype, device=labels.device)
    u_y = bilinear_matrix(big_h, h, **kw)  # (H, h)
    u_x = bilinear_matrix(big_w, w, **kw)  # (W, w)
    v = pixel_weights[:, 0]  # (S, H, W)
    p_y = _shifted_products(u_y)  # (3, H, h)
    p_x = _shifted_products(u_x)  # (3, W, w)
    vx = torch.einsum('sHW,dWw->dsHw', v, p_x)  # (3, S, H, w)
    stencil = torch.einsum('eHh,dsHw->sedhw', p_y, vx)  # (S, 3, 3, h, w)
    vy = v * labels[:, 0]
    b = torch.einsum('Hh,sHW,Ww->shw', u_y, vy, u_x)[:, None]
    c = (vy * labels[:, 0]).sum(dim=(1, 2))
    return stencil.reshape(-1, 9, h, w), b, c


def apply_normal(stencil: Tensor, scores: Tensor) -> Tensor:
    """``A s = U^T diag(v) U s`` from the stencil of
    :func:`upsampled_l2_terms`.

    Args:
        stencil (Tensor): (S, 9, h, w).
        scores (Tensor): (S, 1, h, w).

    Returns:
        Tensor: (S, 1, h, w).
    """
    h, w = scores.shape[-2:]
    padded = F.pad(scores, (1, 1, 1, 1))  # (S, 1, h + 2, w + 2)
    out = torch.zeros_like(scores)
    for k, (dy, dx) in enumerate(OFFSETS):
        out = out + stencil[:, k:k + 1] * padded[
            :, :, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    return out
