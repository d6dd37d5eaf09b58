"""FRTM-VOS: a target model learned online by Gauss-Newton, and an
offline-trained refinement network (Robinson et al.)."""
from .augmenter import FRTMFirstFrameAugmenter, blur_kernel
from .frtm import FRTM
from .gauss_newton import (CGState, GaussNewtonResult, conjugate_gradient,
                           gauss_newton_cg)
from .inference import FRTMObjectState, FRTMVideoInference, winner_labels
from .memory import FRTMSampleMemory, initial_sample_weights
from .refinement_head import (FRTMChannelAttention, FRTMRefinementHead,
                              FRTMRefinementModule, FRTMResidualBlock,
                              FRTMScoreHead, FRTMTargetEncoder, FRTMUpsampler,
                              masked_bce)
from .target_model import FRTMTargetModel, FRTMTargetState
from .target_ops import frtm_pixel_weights
from .upsampled_l2 import apply_normal, bilinear_matrix, upsampled_l2_terms

__all__ = [
    'FRTM', 'FRTMFirstFrameAugmenter', 'blur_kernel', 'CGState',
    'GaussNewtonResult', 'conjugate_gradient', 'gauss_newton_cg',
    'FRTMObjectState', 'FRTMVideoInference', 'winner_labels',
    'FRTMSampleMemory', 'initial_sample_weights', 'FRTMChannelAttention',
    'FRTMRefinementHead', 'FRTMRefinementModule', 'FRTMResidualBlock',
    'FRTMScoreHead', 'FRTMTargetEncoder', 'FRTMUpsampler', 'masked_bce',
    'FRTMTargetModel', 'FRTMTargetState', 'frtm_pixel_weights',
    'apply_normal', 'bilinear_matrix', 'upsampled_l2_terms'
]
