"""Evaluation: DAVIS J&F, YouTube-VOS G, YouTube-VIS / OVIS AP, submission
writers and validators (see ``docs/evaluation.md``)."""
from .davis_eval import evaluate_davis, summarize_davis
from .mask_io import (MaskSource, davis_palette, decode_index_png,
                      encode_index_png)
from .metrics import (DAVISMetric, DAVISSubmission, YouTubeVISMetric,
                      YouTubeVISSubmission, YouTubeVOSMetric,
                      YouTubeVOSSubmission)
from .metrics import (MOSEMetric, MOSESubmission, MOSEv2Metric,
                      MOSEv2Submission, VOSTMetric, VOSTSubmission)
from .submission import (encode_rles, write_davis_submission,
                         write_vis_submission, write_ytvos_submission)
from .validate import (validate_davis_zip, validate_vis_zip,
                       validate_ytvos_zip)
from .validate import validate_mose_zip, validate_vost_zip
from .submission import write_mose_submission, write_vost_submission
from .vis_eval import VISGroundTruth, evaluate_vis
from .vos_measures import (boundary_radius, db_statistics, decay_bin_edges,
                           disk, f_measure, jaccard, pair_jf, seg2bmap)
from .ytvos_eval import evaluate_youtube_vos
from .mose_eval import evaluate_mose, evaluate_mose_v2
from .vost_eval import evaluate_vost

__all__ = [
    'evaluate_davis', 'summarize_davis', 'evaluate_youtube_vos',
    'evaluate_vis', 'VISGroundTruth', 'MaskSource', 'davis_palette',
    'decode_index_png', 'encode_index_png', 'encode_rles',
    'write_davis_submission', 'write_ytvos_submission',
    'write_vis_submission', 'validate_davis_zip', 'validate_ytvos_zip',
    'validate_vis_zip', 'boundary_radius', 'db_statistics', 'decay_bin_edges',
    'disk', 'f_measure', 'jaccard', 'pair_jf', 'seg2bmap', 'DAVISMetric',
    'YouTubeVOSMetric', 'YouTubeVISMetric', 'DAVISSubmission',
    'YouTubeVOSSubmission', 'YouTubeVISSubmission', 'evaluate_mose',
    'evaluate_mose_v2', 'evaluate_vost', 'MOSEMetric', 'MOSEv2Metric',
    'VOSTMetric', 'MOSESubmission', 'MOSEv2Submission', 'VOSTSubmission',
    'validate_mose_zip', 'validate_vost_zip', 'write_mose_submission',
    'write_vost_submission'
]
