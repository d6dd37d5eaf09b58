"""Datasets (DAVIS, YouTube-VOS, YouTube-VIS, OVIS), clip samplers, loading
and clip transforms, and the procedural toy-video generator."""
from .base_video_dataset import BaseVideoDataset
from .clip_samplers import VISClipSampler, VOSClipSampler
from .davis import DAVISDataset
from .toy import ensure_toy_dataset, generate_toy_dataset
from . import transforms  # noqa: F401  (registers the transforms)
from .youtube_vis import OVISDataset, YouTubeVISDataset
from .youtube_vos import YouTubeVOSDataset
from .mose import MOSEDataset, MOSEv2Dataset
from .vost import VOSTDataset

__all__ = [
    'BaseVideoDataset', 'DAVISDataset', 'YouTubeVOSDataset',
    'YouTubeVISDataset', 'OVISDataset', 'VOSClipSampler', 'VISClipSampler',
    'generate_toy_dataset', 'ensure_toy_dataset', 'MOSEDataset',
    'MOSEv2Dataset', 'VOSTDataset'
]

from .lvos import LVOSDataset  # noqa: E402

__all__ += ['LVOSDataset']
from .sav import SAVDataset  # noqa: E402

__all__ += ['SAVDataset']
