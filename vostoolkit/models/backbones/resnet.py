"""ResNet written with torchvision's parameter names.

A torchvision checkpoint (``resnet50-0676ba61.pth`` ...) loads with
``init_cfg=dict(type='Pretrained', checkpoint=PATH)``: ``conv1``, ``bn1``,
``layer1.0.conv1`` ... ``layer4.2.bn3``, ``downsample.0/1`` are the same
names; ``fc`` is not built and is ignored.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from vostoolkit.models.base import BaseBackbone
from vostoolkit.models.layers.conv_bn import (can_fuse, conv_bn_act,
                                              use_oneDNN)
from vostoolkit.registry import BACKBONES


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d with fixed statistics and affine parameters.

    Same state-dict names as ``nn.BatchNorm2d`` (``num_batches_tracked`` is
    accepted and dropped), so torchvision checkpoints load into it.
    """

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer('weight', torch.ones(num_features))
        self.register_buffer('bias', torch.zeros(num_features))
        self.register_buffer('running_mean', torch.zeros(num_features))
        self.register_buffer('running_var', torch.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        state_dict.pop(prefix + 'num_batches_tracked', None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def scale_shift(self) -> Tuple[Tensor, Tensor]:
        """(C,) ``scale`` and ``shift`` with ``forward(x) = x * scale +
        shift`` per channel."""
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        return scale, self.bias - self.running_mean * scale

    def forward(self, x: Tensor) -> Tensor:
        scale, shift = self.scale_shift()
        return x * scale[None, :, None, None] + shift[None, :, None, None]


def _norm(num_features: int, frozen: bool) -> nn.Module:
    return FrozenBatchNorm2d(num_features) if frozen else nn.BatchNorm2d(
        num_features)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 dilation: int = 1, downsample: Optional[nn.Module] = None,
                 frozen_bn: bool = False):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, dilation,
                               dilation, bias=False)
        self.bn1 = _norm(planes, frozen_bn)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation, dilation,
                               bias=False)
        self.bn2 = _norm(planes, frozen_bn)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = _downsample(self.downsample, x)
        out = conv_bn_act(x, self.conv1, self.bn1, relu=True)
        return conv_bn_act(out, self.conv2, self.bn2, relu=True,
                           residual=identity)


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (stride on the 3x3 convolution, v1.5)."""
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 dilation: int = 1, downsample: Optional[nn.Module] = None,
                 frozen_bn: bool = False):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = _norm(planes, frozen_bn)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, dilation, dilation,
                               bias=False)
        self.bn2 = _norm(planes, frozen_bn)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = _norm(planes * 4, frozen_bn)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = _downsample(self.downsample, x)
        out = conv_bn_act(x, self.conv1, self.bn1, relu=True)
        out = conv_bn_act(out, self.conv2, self.bn2, relu=True)
        return conv_bn_act(out, self.conv3, self.bn3, relu=True,
                           residual=identity)


def _downsample(downsample: Optional[nn.Module], x: Tensor) -> Tensor:
    """The shortcut of a residual block: ``x``, or conv + norm."""
    if downsample is None:
        return x
    if isinstance(downsample, nn.Sequential) and len(downsample) == 2:
        return conv_bn_act(x, downsample[0], downsample[1])
    return downsample(x)


_ARCH: Dict[int, Tuple[type, Tuple[int, ...]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}
STAGE_NAMES = ('conv1', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4')


@BACKBONES.register_module()
class ResNet(BaseBackbone):
    """ResNet-18/34/50/101/152 with torchvision parameter names.

    Args:
        depth (int): 18, 34, 50, 101 or 152.
        in_channels (int): Input channels. Above 3 (e.g. RGB + mask), a
            3-channel checkpoint's ``conv1`` is loaded into the first three
            input channels and the extra ones start at zero.
        out_indices (Sequence[str]): Which maps to return, among
            ``conv1`` (stride 2), ``maxpool`` (4), ``layer1`` (4),
            ``layer2`` (8), ``layer3`` (16), ``layer4`` (32).
        frozen_stages (int): Freeze the stem (0) and layers 1..k (k);
            -1 freezes nothing.
        frozen_bn (bool): Use frozen BatchNorm everywhere.
        base_channels (int): Width of the stem (64 for the standard nets;
            smaller values give tiny test networks that load no checkpoint).
        init_cfg (dict, optional): e.g.
            ``dict(type='Pretrained', checkpoint='resnet50.pth')``.
    """

    def __init__(self, depth: int = 50, *, in_channels: int = 3,
                 out_indices: Sequence[str] = ('layer1', 'layer2', 'layer3',
                                               'layer4'),
                 frozen_stages: int = -1, frozen_bn: bool = False,
                 base_channels: int = 64, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in _ARCH:
            raise ValueError(f'ResNet depth must be one of {sorted(_ARCH)}, '
                             f'got {depth}')
        bad = [n for n in out_indices if n not in STAGE_NAMES]
        if bad:
            raise ValueError(f'unknown ResNet out_indices {bad}; choose from '
                             f'{STAGE_NAMES}')
        block, layers = _ARCH[depth]
        self.depth, self.in_channels = depth, in_channels
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.conv1 = nn.Conv2d(in_channels, base_channels, 7, 2, 3,
                               bias=False)
        self.bn1 = _norm(base_channels, frozen_bn)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        channels = {'conv1': base_channels, 'maxpool': base_channels}
        strides = {'conv1': 2, 'maxpool': 4}
        inplanes = base_channels
        for i, num_blocks in enumerate(layers):
            planes = base_channels * 2**i
            stride = 1 if i == 0 else 2
            downsample = None
            if stride != 1 or inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes * block.expansion, 1, stride,
                              bias=False),
                    _norm(planes * block.expansion, frozen_bn))
            blocks = [block(inplanes, planes, stride, 1, downsample,
                            frozen_bn)]
            inplanes = planes * block.expansion
            blocks += [block(inplanes, planes, frozen_bn=frozen_bn)
                       for _ in range(1, num_blocks)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            channels[f'layer{i + 1}'] = inplanes
            strides[f'layer{i + 1}'] = 4 * 2**i
        self.out_channels = tuple(channels[n] for n in self.out_indices)
        self.out_strides = tuple(strides[n] for n in self.out_indices)
        self._register_load_state_dict_pre_hook(self._adapt_conv1)
        self._freeze_stages()

    def _adapt_conv1(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'conv1.weight'
        w = state_dict.get(key)
        if w is not None and w.shape[1] != self.in_channels:
            new = torch.zeros_like(self.conv1.weight)
            n = min(w.shape[1], self.in_channels)
            new[:, :n] = w[:, :n]
            state_dict[key] = new
        state_dict.pop(prefix + 'fc.weight', None)
        state_dict.pop(prefix + 'fc.bias', None)

    def _freeze_stages(self) -> None:
        modules = []
        if self.frozen_stages >= 0:
            modules += [self.conv1, self.bn1]
        modules += [getattr(self, f'layer{i}')
                    for i in range(1, self.frozen_stages + 1)]
        for m in modules:
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet':
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args: x (Tensor): (N, in_channels, H, W).

        Returns:
            tuple[Tensor]: the maps named in ``out_indices``; at inference
            on CPU in ``channels_last`` memory format, the layout the folded
            convolutions produce and the next ones read fastest (call
            ``.contiguous()`` where the usual layout matters).
        """
        outs = {}
        x = self.stem(x, keep_format=True)
        outs['conv1'] = x
        x = self.maxpool(x)
        outs['maxpool'] = x
        for i in range(1, 5):
            x = getattr(self, f'layer{i}')(x)
            outs[f'layer{i}'] = x
            if all(n in outs for n in self.out_indices):
                break
        return tuple(outs[n] for n in self.out_indices)

    def stem(self, x: Tensor, keep_format: bool = False) -> Tensor:
        """``relu(bn1(conv1(x)))``: (N, in_channels, H, W) -> (N, C, H / 2,
        W / 2).

        At inference on CPU (no gradient, fixed norm statistics) the input
        goes to ``channels_last`` memory format, which the folded and fused
        convolutions of the blocks run fastest in (see
        :func:`~vostoolkit.models.layers.conv_bn.conv_bn_act`); the result
        keeps that format with ``keep_format``, else it is made contiguous.
        """
        if can_fuse(x, self.conv1, self.bn1) and use_oneDNN(x):
            x = x.contiguous(memory_format=torch.channels_last)
        x = conv_bn_act(x, self.conv1, self.bn1, relu=True)
        return x if keep_format else x.contiguous()
