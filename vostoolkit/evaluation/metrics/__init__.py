"""mmengine metrics: DAVIS J&F, YouTube-VOS G, YouTube-VIS AP, and the
submission writers."""
from .submission_metrics import (DAVISSubmission, MOSESubmission,
                                 MOSEv2Submission, VOSTSubmission,
                                 YouTubeVISSubmission, YouTubeVOSSubmission)
from .vis_metric import YouTubeVISMetric
from .vos_metrics import DAVISMetric, YouTubeVOSMetric
from .mose_vost_metrics import MOSEMetric, MOSEv2Metric, VOSTMetric

__all__ = [
    'DAVISMetric', 'YouTubeVOSMetric', 'YouTubeVISMetric', 'DAVISSubmission',
    'YouTubeVOSSubmission', 'YouTubeVISSubmission', 'MOSEMetric',
    'MOSEv2Metric', 'VOSTMetric', 'MOSESubmission', 'MOSEv2Submission',
    'VOSTSubmission'
]
from .lvos_metrics import LVOSMetric, LVOSSubmission  # noqa: E402

__all__ += ['LVOSMetric', 'LVOSSubmission']
from .sav_metrics import SAVMetric, SAVSubmission  # noqa: E402

__all__ += ['SAVMetric', 'SAVSubmission']
