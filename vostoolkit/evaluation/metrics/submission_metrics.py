"""Submission writers as mmengine metrics (``tools/test.py --submit``).

``process`` writes each chunk's frames as PNGs under ``<out_file>.parts/``
right away (VIS: keeps RLE records); ``compute_metrics`` (rank 0, after all
ranks have finished) zips them under a temporary name, renames the zip to
``out_file`` and removes the parts. In a multi-node run ``out_file`` must be
on a filesystem every rank sees.
"""
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Sequence

from mmengine.dist import get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from vostoolkit.registry import METRICS
from ..mask_io import encode_index_png
from ..submission import meta_frames, write_vis_submission, zip_files
from .sample_utils import vos_prediction
from .vis_metric import VISResultsMixin


class _PNGSubmission(BaseMetric):
    """Writes index PNGs of VOS predictions and zips them at the end."""
    default_prefix = 'submission'
    zip_prefix = ''

    def __init__(self, out_file: str, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_file = out_file
        self.parts_dir = f'{out_file}.parts'
        if get_world_size() == 1:  # a killed run's parts; in a distributed
            # run they are removed with this run's parts at the end
            shutil.rmtree(self.parts_dir, ignore_errors=True)

    def keep_frame(self, video: str, frame: str) -> bool:
        """Whether ``frame`` of ``video`` belongs in the submission."""
        return True

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Write the chunk's frames as palette PNGs under the parts folder."""
        for sample in data_samples:
            video, _, names, masks = vos_prediction(sample)
            written = []
            folder = osp.join(self.parts_dir, self.zip_prefix, video)
            os.makedirs(folder, exist_ok=True)
            for frame, ids in zip(names, masks):
                if not self.keep_frame(video, frame):
                    continue
                path = osp.join(folder, frame + '.png')
                tmp = f'{path}.tmp-{os.getpid()}'
                with open(tmp, 'wb') as f:
                    f.write(encode_index_png(ids))
                os.replace(tmp, path)
                written.append(f'{self.zip_prefix}{video}/{frame}.png')
            self.results.append(dict(video=video, files=written))

    def compute_metrics(self, results: List[dict]) -> Dict[str, int]:
        """Zip every written frame into ``out_file``."""
        files = sorted({f for rec in results for f in rec['files']})
        videos = {rec['video'] for rec in results if rec['files']}
        count = zip_files(self.out_file, self.parts_dir, files)
        shutil.rmtree(self.parts_dir, ignore_errors=True)
        print_log(f'wrote {self.out_file}: {len(videos)} videos, {count} '
                  'frames', logger='current')
        return dict(num_videos=len(videos), num_frames=count)


@METRICS.register_module()
class DAVISSubmission(_PNGSubmission):
    """Write a DAVIS submission zip: ``<sequence>/<frame>.png`` at the root,
    DAVIS palette, at the original frame size.

    Args:
        out_file (str): The zip to write.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """


@METRICS.register_module()
class YouTubeVOSSubmission(_PNGSubmission):
    """Write a YouTube-VOS submission zip: ``Annotations/<video>/<frame>.png``
    for the frames of ``meta_file`` (all frames received when it is None).

    Args:
        out_file (str): The zip to write.
        meta_file (str, optional): ``valid/meta.json`` of the split.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """
    zip_prefix = 'Annotations/'

    def __init__(self, out_file: str, meta_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(out_file, collect_device=collect_device,
                         prefix=prefix)
        self.meta_file = meta_file
        self._keep = None

    @staticmethod
    def frames_to_keep(meta_file: str) -> Dict[str, set]:
        """``{video: frame stems}`` to write, read from ``meta_file``."""
        return meta_frames(meta_file)

    def keep_frame(self, video: str, frame: str) -> bool:
        if self.meta_file is None:
            return True
        if self._keep is None:
            self._keep = self.frames_to_keep(self.meta_file)
        return frame in self._keep.get(video, ())


@METRICS.register_module()
class MOSESubmission(_PNGSubmission):
    """Write a MOSE v1 submission zip: ``<video>/<frame>.png`` at the zip
    root for every frame, DAVIS palette, at the original frame size (the
    layout of MOSE v2's; sources in ``docs/evaluation.md``).

    Args:
        out_file (str): The zip to write.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """


@METRICS.register_module()
class MOSEv2Submission(_PNGSubmission):
    """Write a MOSE v2 submission zip: ``<video>/<frame>.png`` at the zip
    root (as ``zip -r`` inside the output folder gives) for every frame.

    Args:
        out_file (str): The zip to write.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """


@METRICS.register_module()
class VOSTSubmission(_PNGSubmission):
    """Write a VOST results zip: ``<sequence>/<frame>.png`` at the zip
    root for every annotated frame (the DAVIS layout).

    Args:
        out_file (str): The zip to write.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """


@METRICS.register_module()
class YouTubeVISSubmission(VISResultsMixin, BaseMetric):
    """Write a YouTube-VIS / OVIS submission zip with ``results.json``.

    Args:
        out_file (str): The zip to write.
        ann_file (str): The split's JSON (videos and categories; labels are
            mapped to its category ids).
        topk (int, optional): Results kept per video (10 for YouTube-VIS,
            20-30 for OVIS).
        classes (list[str], optional): The dataset's ``classes`` if it was
            given some (labels index them); default: categories by id.
        collect_device (str): Device to gather results on.
        prefix (str, optional): Metric name prefix (default 'submission').
    """
    default_prefix = 'submission'

    def __init__(self, out_file: str, ann_file: str,
                 topk: Optional[int] = 10,
                 classes: Optional[Sequence[str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_file = out_file
        self.ann_file = ann_file
        self.topk = topk
        self.classes = classes

    def compute_metrics(self, results: List[dict]) -> Dict[str, int]:
        """Write ``results.json`` into ``out_file``."""
        stats = write_vis_submission(self.out_file,
                                     self.build_results(results), self.topk)
        print_log(f'wrote {self.out_file}: {stats["num_videos"]} videos, '
                  f'{stats["num_results"]} results', logger='current')
        return stats
