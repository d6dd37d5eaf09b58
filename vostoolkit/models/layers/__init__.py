from .conv_bn import (conv_bn_act, fold_conv_bn, fused_inference,
                      inference_layout, sequential_conv_bn_act)
from .ms_deform_attn import (MultiScaleDeformableAttention,
                             deformable_attention,
                             multi_scale_deformable_attention)
from .ms_deform_attn_gather import gather_deformable_attention
from .positional_encoding import (LearnedTemporalEncoding,
                                  SinePositionalEncoding,
                                  SineTemporalEncoding)
from .resize import upsample2x_bicubic
from .transformer import (CrossAttentionLayer, DeformableEncoderLayer,
                          FFNLayer, SelfAttentionLayer)
from .winograd import winograd_inference

__all__ = [
    'multi_scale_deformable_attention', 'MultiScaleDeformableAttention',
    'deformable_attention', 'gather_deformable_attention',
    'SinePositionalEncoding', 'SineTemporalEncoding',
    'LearnedTemporalEncoding', 'SelfAttentionLayer',
    'CrossAttentionLayer', 'FFNLayer', 'DeformableEncoderLayer',
    'conv_bn_act', 'fold_conv_bn', 'sequential_conv_bn_act', 'fused_inference',
    'inference_layout', 'upsample2x_bicubic', 'winograd_inference'
]
