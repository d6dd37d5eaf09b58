"""MinVIS: minimal video instance segmentation (Huang et al., NeurIPS 2022).
"""
from .inference import MinVISVideoState, encode_masks, logits_to_original
from .minvis import MinVIS

__all__ = ['MinVIS', 'MinVISVideoState', 'encode_masks', 'logits_to_original']
