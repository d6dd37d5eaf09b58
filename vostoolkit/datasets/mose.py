"""MOSE v1 / v2: the DAVIS reader with the MOSE folder layout.

MOSE v1 and v2 (henghuiding/MOSE-api) ship like YouTube-VOS, without
``meta.json``::

    <root>/{train,valid}/JPEGImages/<video>/00000.jpg      (five digits)
    <root>/{train,valid}/Annotations/<video>/00000.png     (palette)

``train`` annotates every frame; ``valid`` gives the first frame's mask
only.

The objects of a video are the ids of its first annotation, as in the
semi-supervised protocol.
"""
import os
import os.path as osp
from typing import List, Optional, Tuple

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError

from .davis import DAVISDataset


@DATASETS.register_module()
class MOSEDataset(DAVISDataset):
    """MOSE v1 (``data/mose``).

    Args:
        data_root (str): MOSE root (holding ``train/`` and ``valid/``).
        split (str): 'train' or 'valid' (any folder with the same layout).
        require_all_annotations (bool, optional): every frame must have an
            annotation; default True for 'train' only.
        videos (str, optional): text file (relative to ``data_root`` or
            absolute) listing the videos to read, one a line; default every
            video folder of the split.
        **kwargs: see :class:`~vostoolkit.datasets.BaseVideoDataset`.
    """

    METAINFO = dict(dataset='MOSE', classes=('object', ))
    TOY_FORMAT = 'mose'
    CHECK_NUMBERING = False  # the release does not promise gapless numbers

    def __init__(self,
                 data_root: str,
                 *,
                 split: str = 'train',
                 require_all_annotations: Optional[bool] = None,
                 videos: Optional[str] = None,
                 **kwargs):
        self.videos = videos
        super().__init__(
            data_root, split=split,
            require_all_annotations=(split == 'train'
                                     if require_all_annotations is None
                                     else require_all_annotations),
            **kwargs)

    def _read_split(self) -> Tuple[str, List[str]]:
        img_root = osp.join(self.data_root, self.split, 'JPEGImages')
        if self.videos is not None:
            path = self.videos if osp.isabs(self.videos) else osp.join(
                self.data_root, self.videos)
            if not osp.isfile(path):
                raise DataError(path, 'video list not found')
            with open(path) as f:
                return path, [ln.strip() for ln in f if ln.strip()]
        if not osp.isdir(img_root):
            raise DataError(img_root, f'frame folder of MOSE {self.split!r} '
                            'is missing; is data_root a MOSE root (train/, '
                            'valid/)?')
        return img_root, sorted(d for d in os.listdir(img_root)
                                if osp.isdir(osp.join(img_root, d)))

    def _sequence_dirs(self, seq: str) -> Tuple[str, str]:
        split_dir = osp.join(self.data_root, self.split)
        return (osp.join(split_dir, 'JPEGImages', seq),
                osp.join(split_dir, 'Annotations', seq))


@DATASETS.register_module()
class MOSEv2Dataset(MOSEDataset):
    """MOSE v2 (``data/mose_v2``): the MOSE v1 layout and reader."""

    METAINFO = dict(dataset='MOSE v2', classes=('object', ))
