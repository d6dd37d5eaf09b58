"""FaSTGAN: fast video object segmentation with spatio-temporal GANs
(Caelles, Pumarola et al.). Load it in a config with::

    custom_imports = dict(imports=['plugins.fastgan'],
                          allow_failed_imports=False)
"""
from .critics import FaSTGANSpatialCritic, FaSTGANTemporalCritic
from .fastgan import FaSTGAN
from .inference import FaSTGANVideoState
from .losses import (FaSTGANAdversarialLoss, FaSTGANBalancedBCELoss,
                     FaSTGANCriticLoss, gradient_penalty)
from .modules import (GlobalConvBlock, RefinementModule, ResBlock,
                      TemporalSkip)
from .regressor import FaSTGANRegressor
from .targets import binary_clip_targets, critic_real_masks

__all__ = [
    'FaSTGAN', 'FaSTGANRegressor', 'FaSTGANSpatialCritic',
    'FaSTGANTemporalCritic', 'FaSTGANBalancedBCELoss', 'FaSTGANCriticLoss',
    'FaSTGANAdversarialLoss', 'gradient_penalty', 'FaSTGANVideoState',
    'GlobalConvBlock', 'RefinementModule',
    'ResBlock', 'TemporalSkip', 'binary_clip_targets', 'critic_real_masks'
]
