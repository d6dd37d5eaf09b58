"""Procedural toy videos in the DAVIS, YouTube-VOS, YouTube-VIS and OVIS
layouts (the embedded default data of vostoolkit)."""
from .generate import FORMATS, ensure_toy_dataset, generate_toy_dataset
from .scene import (CATEGORIES, ToyObject, ToyScene, amodal_mask,
                    render_frame, render_ids)
from .sampling import sample_scene
from .writers import ToyVideoGT, davis_palette, vos_first_masks

__all__ = [
    'FORMATS', 'ensure_toy_dataset', 'generate_toy_dataset', 'CATEGORIES',
    'ToyObject', 'ToyScene', 'amodal_mask', 'render_frame', 'render_ids',
    'sample_scene', 'ToyVideoGT', 'davis_palette', 'vos_first_masks'
]
