from .semantic_fpn_head import SemanticFPNHead
from .video_mask_head import MLP, Mask2FormerVideoHead, Memory
from .video_mask_loss import VideoMaskLossMixin

__all__ = ['Mask2FormerVideoHead', 'SemanticFPNHead', 'VideoMaskLossMixin',
           'Memory', 'MLP']
