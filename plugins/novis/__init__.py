"""NOVIS: near-online video instance segmentation (Meinhardt et al., 2023)."""
from .inference import NOVISVideoState, VideoTrackResults
from .near_online import ClipLogitAverager, clip_schedule
from .novis import NOVIS
from .overlap import NOVISVideoDecoder, overlap_attention_mask

__all__ = [
    'NOVIS', 'NOVISVideoDecoder', 'overlap_attention_mask', 'clip_schedule',
    'ClipLogitAverager', 'NOVISVideoState', 'VideoTrackResults'
]
