from .roles import (BaseBackbone, BaseCritic, BaseHead, BaseLoss, BaseMatcher,
                    BaseNeck, BaseTargetModel, BaseTracker, VideoStateMixin)

__all__ = [
    'BaseBackbone', 'BaseNeck', 'BaseHead', 'BaseCritic', 'BaseTargetModel',
    'BaseTracker', 'BaseLoss', 'BaseMatcher', 'VideoStateMixin'
]
