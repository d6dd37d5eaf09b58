"""Convolution + BatchNorm (+ residual) (+ ReLU) in one call at inference.

A BatchNorm with fixed statistics (``FrozenBatchNorm2d``, or
``nn.BatchNorm2d`` in eval mode) is an affine map per channel, so it folds
into the convolution before it: ``bn(conv(x)) = conv'(x)`` with weights
``W * s`` and bias ``(b - mu) * s + beta`` (``s = gamma / sqrt(var +
eps)``). :func:`conv_bn_act` computes a network's ``relu(bn(conv(x)) +
residual)`` that way when no gradient is needed: the folded weights are
computed once and cached on the convolution (a plain attribute, not a
parameter or buffer, so ``state_dict`` keys and values are unchanged; the
cache is refreshed when any of the weights or statistics change). On CPU in
float32 the residual sum and the ReLU run inside oneDNN's convolution
(PyTorch's ``mkldnn._convolution_pointwise``), which also favours inputs in
``channels_last`` memory format.

Whenever gradients flow (training) or a norm uses batch statistics
(``nn.BatchNorm2d`` in training mode), the modules run as they are: training
behaviour does not change. The results equal the unfolded modules' to float
rounding.
"""
from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ._switch import switched
from .winograd import winograd_applies, winograd_conv3x3, winograd_weight

_CACHE_ATTR = '_folded_conv_bn'
_WINOGRAD_ATTR = '_folded_conv_bn_winograd'
_enabled = [True]
_fused_op_ok = [hasattr(torch.ops, 'mkldnn') and hasattr(
    torch.ops.mkldnn, '_convolution_pointwise')]


@contextmanager
def fused_inference(enabled: bool = True) -> Iterator[None]:
    """Switch the folded / fused path of :func:`conv_bn_act` (and
    :func:`inference_layout`) on or off inside the block, e.g. to time or
    compare against the plain modules: ``with fused_inference(False):``."""
    with switched(_enabled, enabled):
        yield


def norm_scale_shift(bn: nn.Module) -> Optional[Tuple[Tensor, Tensor]]:
    """Per-channel ``(scale, shift)`` of a norm with fixed statistics, so
    that ``bn(y) = y * scale + shift``; None when ``bn`` cannot fold (batch
    statistics in training mode, no running statistics, another norm).

    A module with a ``scale_shift()`` method (``FrozenBatchNorm2d``) gives
    its own; ``nn.BatchNorm*`` folds in eval mode.
    """
    if hasattr(bn, 'scale_shift'):
        return bn.scale_shift()
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm) or bn.training \
            or bn.running_mean is None or bn.running_var is None:
        return None
    scale = (bn.running_var + bn.eps).rsqrt()
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return scale, shift


def fold_conv_bn(conv: nn.Conv2d, bn: Optional[nn.Module]
                 ) -> Optional[Tuple[Tensor, Tensor]]:
    """Weights ``(W', b')`` of the convolution equal to ``bn(conv(x))``.

    Args:
        conv (nn.Conv2d): weight (C_out, C_in / groups, k, k), optional bias.
        bn (nn.Module, optional): Norm over the C_out channels; None folds
            nothing (the convolution's own weights, a zero bias if none).

    Returns:
        tuple[Tensor] | None: (C_out, C_in / groups, k, k) weight and
        (C_out,) bias, detached; None when ``bn`` cannot fold.
    """
    with torch.no_grad():
        weight = conv.weight.detach()
        bias = conv.bias.detach() if conv.bias is not None else \
            weight.new_zeros(weight.shape[0])
        if bn is None:
            return weight, bias
        affine = norm_scale_shift(bn)
        if affine is None:
            return None
        scale, shift = (t.detach().to(weight.dtype) for t in affine)
        return weight * scale.view(-1, 1, 1, 1), bias * scale + shift


def _version_key(*modules: Optional[nn.Module]) -> tuple:
    key = []
    for m in modules:
        if m is None:
            continue
        for t in list(m.parameters(recurse=False)) + list(
                m.buffers(recurse=False)):
            key += [t.data_ptr(), t._version, t.dtype, t.device]
        key.append(m.training)
    return tuple(key)


def _cached_fold(conv: nn.Conv2d, bn: Optional[nn.Module], attr: str,
                 layout, prepare) -> Optional[Tuple[Tensor, Tensor]]:
    """:func:`fold_conv_bn` made ready by ``prepare`` (weight, bias) ->
    (weight, bias), cached on ``conv`` under ``attr`` until a weight or
    statistic changes (or ``layout``, part of the key, does)."""
    key = (_version_key(conv, bn), layout)
    cached = conv.__dict__.get(attr)
    if cached is not None and cached[0] == key:
        return cached[1]
    folded = fold_conv_bn(conv, bn)
    if folded is not None:
        folded = prepare(*folded)
    conv.__dict__[attr] = (key, folded)
    return folded


def _folded(conv: nn.Conv2d, bn: Optional[nn.Module], channels_last: bool
            ) -> Optional[Tuple[Tensor, Tensor]]:
    """:func:`fold_conv_bn`, cached on ``conv`` until a weight changes."""
    def prepare(weight: Tensor, bias: Tensor) -> Tuple[Tensor, Tensor]:
        if channels_last:
            weight = weight.contiguous(memory_format=torch.channels_last)
        return weight, bias

    return _cached_fold(conv, bn, _CACHE_ATTR, channels_last, prepare)


def _winograd_folded(conv: nn.Conv2d, bn: Optional[nn.Module]
                     ) -> Optional[Tuple[Tensor, Tensor]]:
    """Folded ``(U, bias)`` with U the Winograd-transformed kernels
    (:func:`winograd_weight`), cached like :func:`_folded`."""
    return _cached_fold(conv, bn, _WINOGRAD_ATTR, None,
                        lambda w, b: (winograd_weight(w), b))


def _needs_grad(x: Tensor, *modules: Optional[nn.Module]) -> bool:
    if not torch.is_grad_enabled():
        return False
    return x.requires_grad or any(
        p.requires_grad for m in modules if m is not None
        for p in m.parameters())


def can_fuse(x: Tensor, conv: nn.Conv2d, bn: Optional[nn.Module] = None
             ) -> bool:
    """Whether :func:`conv_bn_act` takes its folded path for input ``x``:
    no gradient needed, no autocast, a zero-padded 2-D convolution and a
    norm with fixed statistics (or none)."""
    if not _enabled[0] or not isinstance(conv, nn.Conv2d) or \
            conv.padding_mode != 'zeros' \
            or isinstance(conv.padding, str) or _needs_grad(x, conv, bn):
        return False
    if torch.is_autocast_enabled(x.device.type):
        return False
    return bn is None or _foldable(bn)


def _foldable(bn: nn.Module) -> bool:
    """:func:`norm_scale_shift` would not return None."""
    if hasattr(bn, 'scale_shift'):
        return True
    return (isinstance(bn, nn.modules.batchnorm._BatchNorm)
            and not bn.training and bn.running_mean is not None
            and bn.running_var is not None)


def use_oneDNN(x: Tensor) -> bool:
    """Whether the fused oneDNN convolution serves input ``x`` (CPU,
    float32, PyTorch built with oneDNN)."""
    return (_fused_op_ok[0] and x.device.type == 'cpu'
            and x.dtype == torch.float32
            and torch.backends.mkldnn.is_available())


def _few_outputs(conv: nn.Conv2d) -> bool:
    return (conv.out_channels <= 4 and conv.groups == 1
            and tuple(conv.stride) == (1, 1)
            and tuple(conv.dilation) == (1, 1)
            and all(2 * p <= k - 1 for p, k in zip(conv.padding,
                                                  conv.kernel_size)))


def conv_taps(x: Tensor, weight: Tensor) -> Tensor:
    """Every tap's channel mix of a convolution, as one matrix product:
    ``P[:, t * O + o] = sum_c weight[o, c, i, j] * x[:, c]`` for tap ``t = i
    * kw + j``. Channel mixing commutes with any per-channel linear map
    (e.g. a resize), so ``sum_taps(resize(conv_taps(x, w)))`` equals the
    convolution of ``resize(x)`` with fewer channels to resize when O is
    small.

    Args:
        x (Tensor): (N, C, H, W), best in ``channels_last`` memory format.
        weight (Tensor): (O, C, kh, kw).

    Returns:
        Tensor: (N, kh * kw * O, H, W) (contiguous for N = 1).
    """
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    cols = x.permute(0, 2, 3, 1).reshape(-1, c)  # (N*H*W, C)
    # (kh*kw*O, C): every tap's filters stacked
    taps = weight.permute(2, 3, 0, 1).reshape(kh * kw * o, c)
    # (kh*kw*O, N*H*W) -> (N, kh*kw*O, H, W)
    return (taps @ cols.t()).view(kh * kw * o, n, h, w).transpose(0, 1)


def sum_taps(per_tap: Tensor, kernel_size: Tuple[int, int],
             padding: Tuple[int, int], bias: Optional[Tensor] = None
             ) -> Tensor:
    """Finish a stride-1 convolution from :func:`conv_taps`' maps: ``out[y,
    x] = sum_ij P_ij[y + i - ph, x + j - pw]`` (zero outside) ``+ bias``.

    Args:
        per_tap (Tensor): (N, kh * kw * O, H, W).
        kernel_size (tuple[int]): (kh, kw).
        padding (tuple[int]): Zero padding (ph, pw), at most ``(k - 1) /
            2`` per side.
        bias (Tensor, optional): (O,).

    Returns:
        Tensor: (N, O, H + 2 ph - kh + 1, W + 2 pw - kw + 1).
    """
    kh, kw = kernel_size
    ph, pw = padding
    n, _, h, w = per_tap.shape
    o = per_tap.shape[1] // (kh * kw)
    ho, wo = h + 2 * ph - kh + 1, w + 2 * pw - kw + 1
    padded = F.pad(per_tap.contiguous(), (pw, pw, ph, ph))
    padded = padded.view(n, kh * kw, o, h + 2 * ph, w + 2 * pw)
    # in place without autograd, out of place (cheap to differentiate) with
    in_place = not (torch.is_grad_enabled() and per_tap.requires_grad)
    out = None
    for i in range(kh):
        for j in range(kw):
            tap = padded[:, i * kw + j, :, i:i + ho, j:j + wo]
            if out is None:
                out = tap.clone() if in_place else tap
            elif in_place:
                out += tap
            else:
                out = out + tap
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def few_output_conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor],
                      padding: Tuple[int, int]) -> Tensor:
    """``F.conv2d(x, weight, bias, padding=padding)`` (stride 1) for a
    few output channels, as one matrix product (:func:`conv_taps`) and
    shifted sums (:func:`sum_taps`): PyTorch runs such a convolution on its
    slow generic path on CPU.

    Args:
        x (Tensor): (N, C, H, W), best in ``channels_last`` memory format.
        weight (Tensor): (O, C, kh, kw), O small.
        bias (Tensor, optional): (O,).
        padding (tuple[int]): Zero padding (ph, pw), at most ``(k - 1) /
            2`` per side.

    Returns:
        Tensor: (N, O, H + 2 ph - kh + 1, W + 2 pw - kw + 1).
    """
    return sum_taps(conv_taps(x, weight), weight.shape[-2:], padding, bias)


def conv_bn_act(x: Tensor, conv: nn.Conv2d, bn: Optional[nn.Module] = None,
                relu: bool = False, residual: Optional[Tensor] = None
                ) -> Tensor:
    """``relu(bn(conv(x)) + residual)``, folded and fused at inference.

    Args:
        x (Tensor): (N, C_in, H, W) input, any memory format.
        conv (nn.Conv2d): The convolution.
        bn (nn.Module, optional): Norm after it (None: none).
        relu (bool): Apply a ReLU last.
        residual (Tensor, optional): (N, C_out, H', W') added before the
            ReLU (any memory format).

    Returns:
        Tensor: (N, C_out, H', W'); in ``channels_last`` memory format on
        the fused oneDNN path (call ``.contiguous()`` where the usual
        layout matters).
    """
    if not can_fuse(x, conv, bn):
        out = conv(x)
        if bn is not None:
            out = bn(out)
        if residual is not None:
            out = out + residual
        return F.relu(out) if relu else out
    onednn = use_oneDNN(x)
    if onednn and winograd_applies(x, conv):
        u, bias = _winograd_folded(conv, bn)
        return winograd_conv3x3(x, u, bias, residual, relu)
    # oneDNN runs fastest (and fuses the residual sum) in channels_last
    channels_last = onednn and x.shape[1] > 1
    x = x.contiguous(memory_format=torch.channels_last
                     if channels_last else torch.contiguous_format)
    weight, bias = _folded(conv, bn, channels_last)
    if residual is not None and channels_last and not residual.is_contiguous(
            memory_format=torch.channels_last):
        residual = residual.contiguous(memory_format=torch.channels_last)
    elif residual is not None and not channels_last:
        residual = residual.contiguous()
    args = (list(conv.padding), list(conv.stride), list(conv.dilation),
            conv.groups)
    if onednn and _few_outputs(conv):
        out = few_output_conv2d(x, weight, bias, conv.padding)
        if residual is not None:
            out = out + residual
        return F.relu_(out) if relu else out
    if onednn:
        try:
            if residual is None:
                return torch.ops.mkldnn._convolution_pointwise(
                    x, weight, bias, *args, 'relu' if relu else 'none', [],
                    '')
            return torch.ops.mkldnn._convolution_pointwise.binary(
                x, residual, weight, bias, *args, 'add', None,
                'relu' if relu else None, [], '')
        except RuntimeError:  # an op this build lacks: the plain calls
            _fused_op_ok[0] = False
    out = F.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation,
                   conv.groups)
    if residual is not None:
        out = out + residual
    return F.relu_(out) if relu else out


def sequential_conv_bn_act(seq: nn.Sequential, x: Tensor) -> Tensor:
    """Run ``seq`` with each ``Conv2d [-> norm] [-> ReLU]`` run of its
    members through :func:`conv_bn_act` (other members run as they are).

    Args:
        seq (nn.Sequential): e.g. ``Conv2d, BatchNorm2d, ReLU, Conv2d``.
        x (Tensor): (N, C, H, W) input.

    Returns:
        Tensor: ``seq(x)``, to float rounding.
    """
    mods = list(seq)
    i = 0
    while i < len(mods):
        conv = mods[i]
        if not isinstance(conv, nn.Conv2d):
            x = conv(x)
            i += 1
            continue
        bn = None
        if i + 1 < len(mods) and _foldable(mods[i + 1]):
            bn = mods[i + 1]
            i += 1
        relu = i + 1 < len(mods) and type(mods[i + 1]) is nn.ReLU
        i += 2 if relu else 1
        x = conv_bn_act(x, conv, bn, relu=relu)
    return x


def inference_layout(x: Tensor, *modules: nn.Module) -> Tensor:
    """``x`` in ``channels_last`` memory format when the fused oneDNN path
    of :func:`conv_bn_act` will serve it (no gradient needed through ``x``
    or ``modules``, CPU float32), else ``x`` unchanged."""
    if not _enabled[0] or _needs_grad(x, *modules) or not use_oneDNN(x) or \
            torch.is_autocast_enabled(x.device.type):
        return x
    return x.contiguous(memory_format=torch.channels_last)
