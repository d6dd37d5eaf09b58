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
from .lvos_metrics import LVOSMetric, LVOSSubmission  # noqa: E402

__all__ += ['LVOSMetric', 'LVOSSubmission']
