"""mmengine metric for YouTube-VIS / OVIS video AP (ytvoseval's stats)."""
import json
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from vostoolkit.registry import METRICS
from vostoolkit.utils import DataError
from ..submission import select_topk
from ..vis_eval import VISGroundTruth, evaluate_vis
from .sample_utils import join_vis_chunks, vis_prediction


class VISResultsMixin:
    """Collects VIS predictions as RLE records and turns them into
    ``results.json`` entries. Labels map to category ids through the
    ground-truth JSON as the YouTube-VIS dataset assigns them: label ``i`` is
    the ``i``-th category by ascending id, or the category named
    ``classes[i]`` when the dataset was given ``classes``."""

    ann_file: str
    classes: Optional[Sequence[str]] = None
    _gt: Optional[VISGroundTruth] = None

    @property
    def gt(self) -> VISGroundTruth:
        """The annotation file, loaded once."""
        if self._gt is None:
            self._gt = VISGroundTruth(self.ann_file)
        return self._gt

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each chunk's tracks as compressed RLEs."""
        for sample in data_samples:
            self.results.append(vis_prediction(sample))

    def category_ids(self) -> List[int]:
        """Category id of each label."""
        if not self.classes:
            return self.gt.categories
        with open(self.ann_file) as f:
            by_name = {c['name']: int(c['id'])
                       for c in json.load(f)['categories']}
        missing = [c for c in self.classes if c not in by_name]
        if missing:
            raise DataError(self.ann_file, f'no categories named {missing}')
        return [by_name[c] for c in self.classes]

    def build_results(self, records: List[dict]) -> List[dict]:
        """Whole-video results, ``{video_id, category_id, score,
        segmentations}``, in video order."""
        cats = self.category_ids()
        by_video: Dict[int, List[dict]] = {}
        for rec in records:
            by_video.setdefault(int(rec['video_id']), []).append(rec)
        results = []
        for vid in sorted(by_video):
            scores, labels, tracks = join_vis_chunks(by_video[vid])
            for score, label, track in zip(scores, labels, tracks):
                if not 0 <= int(label) < len(cats):
                    raise ValueError(
                        f'video {vid}: label {int(label)} outside the '
                        f'{len(cats)} categories of {self.ann_file}')
                results.append(dict(video_id=vid,
                                    category_id=cats[int(label)],
                                    score=float(score), segmentations=track))
        return results


@METRICS.register_module()
class YouTubeVISMetric(VISResultsMixin, BaseMetric):
    """Video AP/AR of VIS predictions (AP, AP50, AP75, APs, APm, APl, AR1,
    AR10, AR100, ARs, ARm, ARl).

    Args:
        ann_file (str): YouTube-VIS / OVIS annotation JSON with labels.
        topk (int, optional): Keep the best ``topk`` predictions per video
            before evaluating.
        classes (list[str], optional): The dataset's ``classes`` if it was
            given some (labels index them); default: categories by id.
        all_videos (bool): Evaluate every video of ``ann_file`` (the server's
            protocol: a video without predictions counts as misses); when
            False only the videos received are evaluated.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'vis').
    """
    default_prefix = 'vis'

    def __init__(self, ann_file: str, topk: Optional[int] = None,
                 classes: Optional[Sequence[str]] = None,
                 all_videos: bool = False, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.topk = topk
        self.classes = classes
        self.all_videos = all_videos

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The 12 ytvoseval stats."""
        dts = select_topk(self.build_results(results), self.topk)
        received = {int(r['video_id']) for r in results}
        missing = set(self.gt.videos) - received
        videos = None if self.all_videos else received
        if missing and not self.all_videos:
            print_log(f'YouTubeVISMetric: {len(missing)} videos of '
                      f'{self.ann_file} had no predictions and are left out',
                      logger='current', level=30)
        return evaluate_vis(self.gt, dts, video_ids=videos)
