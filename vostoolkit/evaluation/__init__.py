"""Evaluation: DAVIS J&F, YouTube-VOS G, YouTube-VIS / OVIS AP, submission
writers and validators (see ``docs/evaluation.md``)."""
from .davis_eval import evaluate_davis, summarize_davis
from .mask_io import (MaskSource, davis_palette, decode_index_png,
                      encode_index_png)
from .metrics import (DAVISMetric, DAVISSubmission, YouTubeVISMetric,
                      YouTubeVISSubmission, YouTubeVOSMetric,
                      YouTubeVOSSubmission)
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
    'disk', 'f_measure', 'jaccard', 'pair_jf', 'seg2bmap', 'DAVISMetric',
    'YouTubeVOSMetric', 'YouTubeVISMetric', 'DAVISSubmission',
    'YouTubeVOSSubmission', 'YouTubeVISSubmission'
]

from .lvos_eval import evaluate_lvos, load_lvos_meta  # noqa: E402
from .lvos_validate import validate_lvos_zip  # noqa: E402
from .metrics import LVOSMetric, LVOSSubmission  # noqa: E402

__all__ += ['evaluate_lvos', 'load_lvos_meta', 'validate_lvos_zip',
            'LVOSMetric', 'LVOSSubmission']
