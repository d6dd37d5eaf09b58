from .cross_entropy_loss import CrossEntropyLoss
from .mask_losses import DiceLoss, MaskBCELoss

__all__ = ['CrossEntropyLoss', 'MaskBCELoss', 'DiceLoss']
