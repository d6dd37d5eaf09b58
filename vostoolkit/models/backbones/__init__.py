from .resnet import FrozenBatchNorm2d, ResNet

__all__ = ['ResNet', 'FrozenBatchNorm2d']
