from .cross_entropy_loss import CrossEntropyLoss
from .mask_losses import DiceLoss, MaskBCELoss
from .wgan_gp import (WGANGeneratorLoss, WGANGPCriticLoss, gradient_penalty,
                      interpolates, penalty_from_scores)

__all__ = [
    'CrossEntropyLoss', 'MaskBCELoss', 'DiceLoss', 'WGANGPCriticLoss',
    'WGANGeneratorLoss', 'gradient_penalty', 'interpolates',
    'penalty_from_scores'
]
