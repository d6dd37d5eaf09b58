from .base import BaseVideoSegmentor
from .frame_semantic import FrameSemanticPretrainer
from .mask_propagation import (MaskPropagationBaseline, MaskPropagationHead,
                               PropagationState)
from .vos_utils import (id_map_at_original_size, label_clip,
                        min_odds_aggregate, objects_given_on_frame,
                        soft_aggregate)

__all__ = [
    'BaseVideoSegmentor', 'FrameSemanticPretrainer',
    'MaskPropagationBaseline', 'MaskPropagationHead',
    'PropagationState', 'soft_aggregate', 'min_odds_aggregate',
    'id_map_at_original_size', 'label_clip', 'objects_given_on_frame'
]
