"""mmengine metrics: DAVIS J&F, YouTube-VOS G, YouTube-VIS AP, and the
submission writers."""
from .submission_metrics import (DAVISSubmission, YouTubeVISSubmission,
                                 YouTubeVOSSubmission)
from .vis_metric import YouTubeVISMetric
from .vos_metrics import DAVISMetric, YouTubeVOSMetric

__all__ = [
    'DAVISMetric', 'YouTubeVOSMetric', 'YouTubeVISMetric', 'DAVISSubmission',
    'YouTubeVOSSubmission', 'YouTubeVISSubmission'
]
