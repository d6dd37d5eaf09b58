"""Tiny FaSTGAN models and clips for the plugin's tests (CPU, seconds).

Imported by name (``from fastgan_helpers import ...``): pytest puts this
folder on ``sys.path``.
"""
from typing import List, Optional

import torch

import plugins.fastgan  # noqa: F401  (registers the plugin)
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample

SIZE = 64


def tiny_generator() -> dict:
    return dict(type='FaSTGANRegressor',
                backbone=dict(type='ResNet', depth=18, in_channels=4,
                              base_channels=8),
                decoder_channels=16)


def tiny_model_cfg(critics=('spatial', 'temporal'), k: int = 2,
                   **kwargs) -> dict:
    cfg = dict(type='FaSTGAN', generator=tiny_generator(), **kwargs)
    if 'spatial' in critics:
        cfg['critic_spatial'] = dict(type='FaSTGANSpatialCritic',
                                     base_channels=4, max_channels=16)
    if 'temporal' in critics:
        cfg['critic_temporal'] = dict(type='FaSTGANTemporalCritic',
                                      num_frames=k, base_channels=4,
                                      max_channels=16)
    return cfg


def build_tiny(critics=('spatial', 'temporal'), k: int = 2, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg(critics, k, **kwargs))


def toy_clip(num_frames: int, seed: int = 0, size: int = SIZE,
             late_object: bool = False):
    """A (T, 3, H, W) uint8 clip of two moving squares and its (T, H, W)
    id masks; object 2 is absent from frame 0 when ``late_object``."""
    g = torch.Generator().manual_seed(seed)
    frames = torch.randint(0, 80, (num_frames, 3, size, size), generator=g,
                           dtype=torch.uint8)
    masks = torch.zeros(num_frames, size, size, dtype=torch.uint8)
    for t in range(num_frames):
        y, x = 8 + 2 * t, 10 + 3 * t
        frames[t, :, y:y + 20, x:x + 16] = torch.tensor(
            [200, 40, 40], dtype=torch.uint8)[:, None, None]
        masks[t, y:y + 20, x:x + 16] = 1
        if not late_object or t > 0:
            frames[t, :, 40:56, 36 - t:52 - t] = torch.tensor(
                [30, 220, 90], dtype=torch.uint8)[:, None, None]
            masks[t, 40:56, 36 - t:52 - t] = 2
    return frames, masks


def toy_batch(batch_size: int = 2, num_frames: int = 3,
              seeds: Optional[List[int]] = None) -> dict:
    """A dataloader-style batch: ``inputs`` list and ``data_samples``."""
    seeds = seeds or list(range(batch_size))
    inputs, samples = [], []
    for i, seed in enumerate(seeds):
        frames, masks = toy_clip(num_frames, seed)
        sample = VideoDataSample(metainfo=dict(
            video_name=f'v{i}', frame_ids=list(range(num_frames)),
            img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
        sample.gt_obj_masks = masks
        sample.gt_frame_valid = torch.ones(num_frames, dtype=torch.bool)
        inputs.append(frames)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
