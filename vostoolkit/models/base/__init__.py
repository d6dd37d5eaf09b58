from .heads import (BaseMaskRefinementHead, BasePixelDecoder,
                    BasePropagationHead, BaseSemanticHead, BaseVISQueryHead)
from .roles import (BaseBackbone, BaseCritic, BaseHead, BaseLoss, BaseMatcher,
                    BaseNeck, BaseTargetModel, VideoStateMixin)
from .tracking import BaseTracker, ClipQueries

__all__ = [
    'BaseBackbone', 'BaseNeck', 'BaseHead', 'BaseCritic', 'BaseTargetModel',
    'BaseTracker', 'BaseLoss', 'BaseMatcher', 'VideoStateMixin',
    'ClipQueries', 'BaseMaskRefinementHead', 'BasePropagationHead',
    'BaseSemanticHead', 'BaseVISQueryHead', 'BasePixelDecoder'
]
