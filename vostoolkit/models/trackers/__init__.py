from .clip_trackers import (CosineClipTracker, IoUClassClipTracker,
                            cosine_similarity_matrix, volumetric_iou)
from .track_buffer import EmbeddingBufferTracker

__all__ = [
    'CosineClipTracker', 'IoUClassClipTracker', 'EmbeddingBufferTracker',
    'cosine_similarity_matrix', 'volumetric_iou'
]
