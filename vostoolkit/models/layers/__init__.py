from .ms_deform_attn import (MultiScaleDeformableAttention,
                             multi_scale_deformable_attention)
from .positional_encoding import (LearnedTemporalEncoding,
                                  SinePositionalEncoding,
                                  SineTemporalEncoding)
from .transformer import (CrossAttentionLayer, DeformableEncoderLayer,
                          FFNLayer, SelfAttentionLayer)

__all__ = [
    'multi_scale_deformable_attention', 'MultiScaleDeformableAttention',
    'SinePositionalEncoding', 'SineTemporalEncoding',
    'LearnedTemporalEncoding', 'SelfAttentionLayer',
    'CrossAttentionLayer', 'FFNLayer', 'DeformableEncoderLayer'
]
