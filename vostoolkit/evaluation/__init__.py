"""Evaluation: DAVIS J&F, YouTube-VOS G, YouTube-VIS / OVIS AP, submission
writers and validators (see ``docs/evaluation.md``).

The evaluators are plain numpy / OpenCV; the MMEngine metrics (``*Metric``,
``*Submission``, in :mod:`.metrics`) bring in PyTorch and MMEngine and are
imported when first named, so ``tools/eval.py`` and the evaluator worker
processes start without them.
"""
from .davis_eval import evaluate_davis, summarize_davis
from .mask_io import (MaskSource, davis_palette, decode_index_png,
                      encode_index_png)
from .submission import (encode_rles, write_davis_submission,
                         write_vis_submission, write_ytvos_submission)
from .validate import (validate_davis_zip, validate_vis_zip,
                       validate_ytvos_zip)
from .vis_eval import VISGroundTruth, evaluate_vis
from .vos_measures import (boundary_radius, db_statistics, decay_bin_edges,
                           disk, f_measure, jaccard, pair_jf, seg2bmap)
from .ytvos_eval import evaluate_youtube_vos

__all__ = [
    'evaluate_davis', 'summarize_davis', 'evaluate_youtube_vos',
    'evaluate_vis', 'VISGroundTruth', 'MaskSource', 'davis_palette',
    'decode_index_png', 'encode_index_png', 'encode_rles',
    'write_davis_submission', 'write_ytvos_submission',
    'write_vis_submission', 'validate_davis_zip', 'validate_ytvos_zip',
    'validate_vis_zip', 'boundary_radius', 'db_statistics', 'decay_bin_edges',
    'disk', 'f_measure', 'jaccard', 'pair_jf', 'seg2bmap'
]

from .lvos_eval import evaluate_lvos, load_lvos_meta  # noqa: E402
from .lvos_validate import validate_lvos_zip  # noqa: E402

__all__ += ['evaluate_lvos', 'load_lvos_meta', 'validate_lvos_zip']

from .sav_eval import evaluate_sav  # noqa: E402
from .sav_validate import validate_sav_zip  # noqa: E402

__all__ += ['evaluate_sav', 'validate_sav_zip']

from .mose_eval import evaluate_mose, evaluate_mose_v2  # noqa: E402
from .mose_vost_validate import (validate_mose_zip,  # noqa: E402
                                 validate_vost_zip)
from .submission import (write_mose_submission,  # noqa: E402
                         write_vost_submission)
from .vost_eval import evaluate_vost  # noqa: E402

__all__ += ['evaluate_mose', 'evaluate_mose_v2', 'evaluate_vost',
            'validate_mose_zip', 'validate_vost_zip', 'write_mose_submission',
            'write_vost_submission']

_METRICS = ('DAVISMetric', 'YouTubeVOSMetric', 'YouTubeVISMetric',
            'DAVISSubmission', 'YouTubeVOSSubmission', 'YouTubeVISSubmission',
            'LVOSMetric', 'LVOSSubmission', 'SAVMetric', 'SAVSubmission',
            'MOSEMetric', 'MOSEv2Metric', 'VOSTMetric', 'MOSESubmission',
            'MOSEv2Submission', 'VOSTSubmission')
__all__ += list(_METRICS)


def __getattr__(name: str):
    """The MMEngine metrics, imported on first use (PEP 562)."""
    if name in _METRICS:
        from . import metrics
        return getattr(metrics, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
