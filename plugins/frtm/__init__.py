"""FRTM-VOS: a target model learned online by Gauss-Newton, and an
offline-trained refinement network (Robinson et al.)."""
from .augmenter import FRTMFirstFrameAugmenter
from .frtm import FRTM
from .gauss_newton import (GaussNewtonResult, conjugate_gradient,
                           gauss_newton_cg, residual_loss)
from .inference import FRTMObjectState, FRTMVideoInference, soft_aggregate
from .memory import FRTMSampleMemory, initial_sample_weights
from .refinement_head import (FRTMChannelAttention, FRTMRefinementHead,
                              FRTMRefinementModule, FRTMResidualBlock,
                              FRTMScoreHead, FRTMTargetEncoder, masked_bce)
from .target_model import FRTMTargetModel, FRTMTargetState, frtm_pixel_weights

__all__ = [
    'FRTM', 'FRTMFirstFrameAugmenter', 'GaussNewtonResult',
    'conjugate_gradient', 'gauss_newton_cg', 'residual_loss',
    'FRTMObjectState', 'FRTMVideoInference', 'soft_aggregate',
    'FRTMSampleMemory', 'initial_sample_weights', 'FRTMChannelAttention',
    'FRTMRefinementHead', 'FRTMRefinementModule', 'FRTMResidualBlock',
    'FRTMScoreHead', 'FRTMTargetEncoder', 'masked_bce', 'FRTMTargetModel',
    'FRTMTargetState', 'frtm_pixel_weights'
]
