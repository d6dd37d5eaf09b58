"""DAVIS 2016 / 2017 (semi-supervised VOS) in its released layout::

    <root>/JPEGImages/{480p,Full-Resolution}/<seq>/00000.jpg
    <root>/Annotations/{480p,Full-Resolution}/<seq>/00000.png  (palette)
    <root>/ImageSets/{2016,2017}/{train,val,test-dev}.txt
"""
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError

from .base_video_dataset import BaseVideoDataset
from .file_io import image_size, list_dir, read_id_png


@DATASETS.register_module()
class DAVISDataset(BaseVideoDataset):
    """DAVIS 2016 / 2017.

    2017: multi-object; the ids of the first annotation are the objects;
    255 is void. 2016: single object: ids 1..254 are binarised to 1 and 255
    is void (the 2017 release of the 2016 sequences); the original 2016
    release (grayscale PNGs, 0 background / 255 object) is read too.
    ``test-dev`` gives only first-frame annotations.

    Args:
        data_root (str): the DAVIS root (or where the toy data goes).
        year (str): '2016' or '2017' (which ImageSets folder).
        split (str): 'train', 'val' or 'test-dev'.
        resolution (str): '480p' or 'Full-Resolution'.
        require_all_annotations (bool, optional): every frame must have an
            annotation PNG; default True except for test splits (which
            need only the first).
        **kwargs: see :class:`BaseVideoDataset` (``pipeline``,
            ``clip_sampler``, ``test_mode``, ``test_chunk_len``,
            ``toy_spec`` ...).
    """

    METAINFO = dict(dataset='DAVIS', classes=('object', ))
    TOY_FORMAT = 'davis'
    TASK = 'vos'
    #: Numbered frames must have no gap (DAVIS numbers every frame).
    CHECK_NUMBERING = True

    def __init__(self,
                 data_root: str,
                 *,
                 year: str = '2017',
                 split: str = 'train',
                 resolution: str = '480p',
                 require_all_annotations: Optional[bool] = None,
                 **kwargs):
        self.year = str(year)
        if self.year not in ('2016', '2017'):
            raise ValueError(f"year must be '2016' or '2017', got {year!r}")
        self.split = split
        self.resolution = resolution
        self.require_all_annotations = (
            not split.startswith('test') if require_all_annotations is None
            else require_all_annotations)
        super().__init__(data_root, **kwargs)

    @property
    def single_object(self) -> bool:
        return self.year == '2016'

    def load_data_list(self) -> List[dict]:
        split_file, seqs = self._read_split()
        seen, ordered = set(), []
        for seq in seqs:  # keep the first of repeated names
            if seq not in seen:
                seen.add(seq)
                ordered.append(seq)
        return [self._load_sequence(seq, split_file) for seq in ordered]

    def _read_split(self) -> Tuple[str, List[str]]:
        """The split file and its sequence names.

        ``ImageSets/<year>/<split>.txt`` lists one sequence a line. For
        2016, the original release's ``ImageSets/<resolution>/<split>.txt``
        (one ``/JPEGImages/480p/<seq>/00000.jpg /Annotations/...`` pair a
        line) is read when the former is missing.
        """
        split_file = osp.join(self.data_root, 'ImageSets', self.year,
                              f'{self.split}.txt')
        legacy = osp.join(self.data_root, 'ImageSets', self.resolution,
                          f'{self.split}.txt')
        if osp.isfile(split_file):
            with open(split_file) as f:
                return split_file, [ln.strip() for ln in f if ln.strip()]
        if self.single_object and osp.isfile(legacy):
            with open(legacy) as f:
                parts = [ln.split()[0].strip('/').split('/') for ln in f
                         if ln.strip()]
            if all(len(p) >= 4 and p[0] == 'JPEGImages' for p in parts):
                return legacy, [p[2] for p in parts]
            raise DataError(legacy, 'lines are not "/JPEGImages/<res>/<seq>/'
                            '<frame>.jpg /Annotations/..." pairs')
        raise DataError(
            split_file, f'split file of DAVIS {self.year} {self.split} is '
            f'missing; is data_root a DAVIS root (ImageSets/, JPEGImages/, '
            f'Annotations/)?')

    def _sequence_dirs(self, seq: str) -> Tuple[str, str]:
        """(frame folder, annotation folder) of a sequence; layouts that
        differ from DAVIS only here (MOSE, VOST) override it."""
        return (osp.join(self.data_root, 'JPEGImages', self.resolution, seq),
                osp.join(self.data_root, 'Annotations', self.resolution, seq))

    def _load_sequence(self, seq: str, split_file: str) -> dict:
        img_dir, ann_dir = self._sequence_dirs(seq)
        if not osp.isdir(img_dir):
            raise DataError(img_dir, f'frame folder of sequence {seq!r} '
                            f'(listed in {split_file}) is missing')
        stems = [osp.splitext(n)[0] for n in list_dir(img_dir)
                 if n.lower().endswith('.jpg')]
        if not stems:
            raise DataError(img_dir, f'sequence {seq!r} has no .jpg frames')
        if self.CHECK_NUMBERING:
            _check_numbering(img_dir, stems)
        ann_names = set(list_dir(ann_dir)) if osp.isdir(ann_dir) else set()
        ann_paths = []
        for t, stem in enumerate(stems):
            path = osp.join(ann_dir, f'{stem}.png')
            if f'{stem}.png' in ann_names:
                ann_paths.append(path)
            elif t == 0 or self.require_all_annotations:
                raise DataError(path, f'annotation of frame {stem} of '
                                f'sequence {seq!r} is missing')
            else:
                ann_paths.append(None)
        img_paths = [osp.join(img_dir, f'{s}.jpg') for s in stems]
        hw = image_size(img_paths[0])
        first, mode = read_id_png(ann_paths[0], self.single_object, hw)
        if self.single_object:
            fg = first >= 128 if mode == 'L' else (first > 0) & (first < 255)
            obj_ids = [1] if fg.any() else []
        else:
            obj_ids = [int(i) for i in np.unique(first) if 0 < i < 255]
        return dict(
            video_id=seq, video_name=seq, task='vos', frame_names=stems,
            img_paths=img_paths, ann_paths=ann_paths,
            video_length=len(stems), ori_shape=hw, obj_ids=obj_ids,
            obj_first_frames={i: 0 for i in obj_ids},
            single_object=self.single_object)


def _check_numbering(img_dir: str, stems: List[str]) -> None:
    """Numbered frames (00000, 00001, ...) must have no gap."""
    if not all(s.isdigit() for s in stems):
        return
    nums = [int(s) for s in stems]
    for prev, cur in zip(nums, nums[1:]):
        if cur != prev + 1:
            width = len(stems[0])
            missing = osp.join(img_dir, f'{prev + 1:0{width}d}.jpg')
            raise DataError(missing, f'frame is missing (frames jump from '
                            f'{prev} to {cur})')
