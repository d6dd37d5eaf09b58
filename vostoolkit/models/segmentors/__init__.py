from .base import BaseVideoSegmentor
from .mask_propagation import (MaskPropagationBaseline, MaskPropagationHead,
                               PropagationState, soft_aggregate)

__all__ = [
    'BaseVideoSegmentor', 'MaskPropagationBaseline', 'MaskPropagationHead',
    'PropagationState', 'soft_aggregate'
]
