"""YouTube-VIS 2019 / 2021 and OVIS: one JSON per split.

``videos``: ``id``, ``file_names``, ``length``, ``width``, ``height``;
``annotations``: ``video_id``, ``category_id``, per-frame ``segmentations``
(polygons, uncompressed RLE, compressed RLE or null), ``areas``, ``bboxes``,
``iscrowd``; ``categories``. Test splits have no ``annotations`` key.
Segmentations stay undecoded in the items; ``LoadVISAnnotations`` decodes the
frames of a clip with pycocotools.
"""
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError

from .base_video_dataset import BaseVideoDataset
from .file_io import load_json


@DATASETS.register_module()
class YouTubeVISDataset(BaseVideoDataset):
    """YouTube-VIS (2019, 2021) video instance segmentation.

    Args:
        data_root (str): dataset root (or where the toy data goes).
        ann_file (str): the split's JSON, relative to ``data_root``.
        data_prefix (dict): ``img``: folder the ``file_names`` are relative
            to, relative to ``data_root``.
        metainfo (dict, optional): ``classes`` restricts and orders the
            categories (by name); default: the JSON's categories by id.
        check_files (bool): check at construction that every listed frame
            exists (one directory listing per video).
        **kwargs: see :class:`BaseVideoDataset`.

    ``metainfo['classes']`` holds the category names; an instance's
    ``label`` is the 0-based index into it.
    """

    METAINFO = dict(dataset='YouTube-VIS')
    TOY_FORMAT = 'youtube-vis'
    TASK = 'vis'

    def __init__(self,
                 data_root: str,
                 *,
                 ann_file: str = 'train.json',
                 data_prefix: Optional[dict] = None,
                 check_files: bool = True,
                 **kwargs):
        self.check_files = check_files
        if data_prefix is None:
            data_prefix = dict(img='train/JPEGImages')
        super().__init__(data_root, ann_file=ann_file,
                         data_prefix=dict(data_prefix), **kwargs)

    def load_data_list(self) -> List[dict]:
        ann_file = self.ann_file
        if not osp.isfile(ann_file):
            raise DataError(ann_file, f'annotation file of '
                            f'{type(self).__name__} is missing')
        data = load_json(ann_file)
        if not isinstance(data, dict) or not isinstance(
                data.get('videos'), list):
            raise DataError(ann_file, "has no 'videos' list")
        cat2label, classes = self._categories(data, ann_file)
        self._metainfo['classes'] = tuple(classes)
        if 'annotations' not in data and not self.test_mode:
            raise DataError(ann_file, "has no 'annotations' (a test split?); "
                            'use test_mode=True to read it')
        by_video = defaultdict(list)
        for ann in data.get('annotations') or []:
            by_video[ann.get('video_id')].append(ann)
        listing = _DirCache()
        out = []
        for video in data['videos']:
            out.append(self._load_video(video, by_video.get(video.get('id'),
                                                            []),
                                        cat2label, listing))
        return out

    def _categories(self, data: dict,
                    ann_file: str) -> Tuple[Dict[int, int], List[str]]:
        cats = sorted(data.get('categories') or [], key=lambda c: c['id'])
        wanted = self._metainfo.get('classes')
        if wanted is None:
            names = [c['name'] for c in cats]
        else:
            names = list(wanted)
            missing = set(names) - {c['name'] for c in cats}
            if missing:
                raise DataError(ann_file, f'has no categories named '
                                f'{sorted(missing)} (metainfo classes)')
        cat2label = {c['id']: names.index(c['name']) for c in cats
                     if c['name'] in names}
        return cat2label, names

    def _load_video(self, video: dict, anns: List[dict],
                    cat2label: Dict[int, int], listing: '_DirCache') -> dict:
        ann_file = self.ann_file
        vid = video.get('id')
        files = video.get('file_names')
        if not isinstance(files, list) or not files:
            raise DataError(ann_file, f"video {vid} has no 'file_names'")
        n = len(files)
        if 'length' in video and int(video['length']) != n:
            raise DataError(ann_file, f"video {vid}: 'length' is "
                            f"{video['length']} but 'file_names' lists {n} "
                            f'frames')
        try:
            hw = (int(video['height']), int(video['width']))
        except (KeyError, TypeError, ValueError):
            raise DataError(ann_file, f"video {vid} has no valid 'height' "
                            f"and 'width'") from None
        img_paths = [osp.join(self.data_prefix['img'], f) for f in files]
        if self.check_files:
            for path in img_paths:
                if not listing.exists(path):
                    raise DataError(path, f'frame of video {vid} listed in '
                                    f'{ann_file} is missing')
        instances = []
        for ann in anns:
            segs = ann.get('segmentations')
            if not isinstance(segs, list) or len(segs) != n:
                got = len(segs) if isinstance(segs, list) else 'no'
                raise DataError(ann_file, f"annotation {ann.get('id')} of "
                                f'video {vid} has {got} segmentations for '
                                f'{n} frames')
            if ann.get('category_id') not in cat2label:
                continue  # a category outside metainfo classes
            instances.append(dict(
                instance_id=int(ann.get('id', len(instances) + 1)),
                category_id=int(ann['category_id']),
                label=cat2label[ann['category_id']],
                segmentations=segs, areas=ann.get('areas'),
                iscrowd=int(ann.get('iscrowd', 0))))
        first = files[0].replace('\\', '/')
        name = video.get('name') or (first.split('/')[0] if '/' in first
                                     else str(vid))
        return dict(
            video_id=vid, video_name=name, task='vis',
            frame_names=[osp.splitext(osp.basename(f))[0] for f in files],
            img_paths=img_paths, video_length=n, ori_shape=hw,
            instances=instances, ann_file=ann_file)


class _DirCache:
    """``os.listdir`` once per folder, to check many files cheaply."""

    def __init__(self):
        self._cache: Dict[str, set] = {}

    def exists(self, path: str) -> bool:
        folder, name = osp.split(path)
        if folder not in self._cache:
            self._cache[folder] = set(os.listdir(folder)) \
                if osp.isdir(folder) else set()
        return name in self._cache[folder]


@DATASETS.register_module()
class OVISDataset(YouTubeVISDataset):
    """OVIS: the YouTube-VIS format with OVIS's file names
    (``annotations_train.json``, frames under ``train/<video>/img_*.jpg``).
    """

    METAINFO = dict(dataset='OVIS')
    TOY_FORMAT = 'ovis'

    def __init__(self,
                 data_root: str,
                 *,
                 ann_file: str = 'annotations_train.json',
                 data_prefix: Optional[dict] = None,
                 **kwargs):
        if data_prefix is None:
            data_prefix = dict(img='train')
        super().__init__(data_root, ann_file=ann_file,
                         data_prefix=data_prefix, **kwargs)
