from .adversarial import AdversarialTrainMixin, critic_real_masks
from .adversarial_segmentor import AdversarialSegmentor
from .base import AdversarialBatch, BaseVideoSegmentor
from .frame_semantic import FrameSemanticPretrainer
from .mask_propagation import (MaskPropagationBaseline, MaskPropagationHead,
                               PropagationState)
from .vos_utils import (id_map_at_original_size, label_clip,
                        min_odds_aggregate, objects_given_on_frame,
                        soft_aggregate)

__all__ = [
    'BaseVideoSegmentor', 'AdversarialBatch', 'AdversarialTrainMixin',
    'AdversarialSegmentor', 'critic_real_masks', 'FrameSemanticPretrainer',
    'MaskPropagationBaseline', 'MaskPropagationHead',
    'PropagationState', 'soft_aggregate', 'min_odds_aggregate',
    'id_map_at_original_size', 'label_clip', 'objects_given_on_frame'
]
