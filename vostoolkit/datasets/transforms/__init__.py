"""Data transforms: loading, clip-consistent augmentation, packing."""
from .formatting import PackVideoInputs, masks_to_bboxes
from .geometric import (ClipRandomCrop, ClipRandomFlip, ClipRandomResize,
                        ClipRandomRotate, ClipResize)
from .loading import LoadVideoFrames, LoadVISAnnotations, LoadVOSAnnotations
from .photometric import ClipColorJitter
from .temporal import ClipRandomReverse

__all__ = [
    'LoadVideoFrames', 'LoadVOSAnnotations', 'LoadVISAnnotations',
    'ClipResize', 'ClipRandomResize', 'ClipRandomCrop', 'ClipRandomFlip',
    'ClipRandomRotate', 'ClipColorJitter', 'ClipRandomReverse',
    'PackVideoInputs', 'masks_to_bboxes'
]
