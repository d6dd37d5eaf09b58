"""The FRTM target model's pure operations: the pixel weights of eq. 4 and
the one-output filter ``w2`` as matrix products."""
import torch
import torch.nn.functional as F
from torch import Tensor


def frtm_pixel_weights(labels: Tensor, kappa_min: float = 0.1,
                       min_pixels: int = 10) -> Tensor:
    """Pixel weights v_k of eq. 4 balancing target and background.

    With the target fraction ``kappa_hat = mean(y)`` and the desired target
    influence ``kappa = max(kappa_min, kappa_hat)``, target pixels weigh
    ``kappa / kappa_hat`` and background pixels ``(1 - kappa) / (1 -
    kappa_hat)``, so that target pixels hold at least ``kappa_min`` of the
    total weight. (The paper prints ``min``, which would *lower* the weight
    of small targets, against the stated aim; the authors' code uses the
    ``max`` reading.) Weights multiply the *squared* residuals. Labels with
    fewer than ``min_pixels`` target pixels (empty masks included) are not
    re-weighted (the authors' code).

    Args:
        labels (Tensor): (S, 1, H, W) labels; values above 0.5 are target.
        kappa_min (float): Minimum target influence (0.1 in the paper).
        min_pixels (int): Smallest target (pixels) that gets re-weighted.

    Returns:
        Tensor: (S, 1, H, W) pixel weights, floating point.
    """
    dtype = labels.dtype if labels.is_floating_point() else torch.float32
    target = (labels > 0.5).to(dtype)
    num_pixels = labels.shape[-2] * labels.shape[-1]
    num_target = target.sum(dim=(-2, -1), keepdim=True)  # (S, 1, 1, 1)
    kappa_hat = num_target / num_pixels
    kappa = kappa_hat.clamp(min=kappa_min)
    reweight = (num_target >= max(min_pixels, 1)) & (kappa_hat < kappa_min)
    # where no re-weighting happens, any value in (0, 1) keeps the divisions
    # finite; the result is replaced by 1 there
    safe_hat = torch.where(reweight, kappa_hat, torch.full_like(kappa_hat, .5))
    one = torch.ones_like(kappa_hat)
    w_target = torch.where(reweight, kappa / safe_hat, one)
    w_background = torch.where(reweight, (1 - kappa) / (1 - safe_hat), one)
    return w_target * target + w_background * (1 - target)



def filter_operator(proj: Tensor, k: int):
    """``w2 -> conv2d(proj, w2, padding=k // 2)`` for a one-channel filter,
    and its adjoint, as matrix products (a one-output convolution is slow
    on CPU).

    Args:
        proj (Tensor): (K, c, h, w) features.
        k (int): Odd kernel size.

    Returns:
        tuple: ``apply(w2 (1, c, k, k)) -> (K, 1, h, w)`` and
        ``adjoint(g (K, 1, h, w)) -> (1, c, k, k)``.
    """
    num, c, h, w = proj.shape
    r = k // 2
    cols = proj.permute(0, 2, 3, 1).reshape(-1, c)  # (K*h*w, c)
    taps = [(i, j) for i in range(k) for j in range(k)]

    # the products keep the long K*h*w axis last: (k*k, c) @ (c, K*h*w)
    # and (k*k, K*h*w) @ (K*h*w, c) run several times faster on CPU than
    # the same products with a narrow k*k-column result

    def apply(w2: Tensor) -> Tensor:
        # (c, k*k)^T @ (c, K*h*w) -> (k*k, K, h, w)
        per_tap = (w2.reshape(c, k * k).t() @ cols.t()).view(
            k * k, num, h, w)
        padded = F.pad(per_tap, (r, r, r, r))
        out = None
        for t, (i, j) in enumerate(taps):  # s[y, x] += P_t[y+i-r, x+j-r]
            tap = padded[t, :, i:i + h, j:j + w]
            out = tap.clone() if out is None else out.add_(tap)
        return out[:, None]

    def adjoint(g: Tensor) -> Tensor:
        padded = F.pad(g[:, 0], (r, r, r, r))  # (K, h + 2r, w + 2r)
        shifted = torch.stack([padded[:, 2 * r - i:2 * r - i + h,
                                      2 * r - j:2 * r - j + w]
                               for i, j in taps])  # (k*k, K, h, w)
        # (k*k, K*h*w) @ (K*h*w, c) -> (k*k, c) -> (1, c, k, k)
        out = shifted.reshape(k * k, -1) @ cols
        return out.t().reshape(1, c, k, k)

    return apply, adjoint
