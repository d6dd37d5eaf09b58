"""YouTube-VOS 2018 / 2019 in its released layout::

    <root>/{train,valid}/JPEGImages/<vid>/<frame>.jpg
    <root>/{train,valid}/Annotations/<vid>/<frame>.png     (palette)
    <root>/{train,valid}/meta.json
    <root>/valid_all_frames/JPEGImages/<vid>/<frame>.jpg   (optional)

``meta.json``: ``{"videos": {vid: {"objects": {"1": {"category": str,
"frames": [stems]}}}}}``. In ``train`` every stored frame is annotated; in
``valid`` only each object's first-appearance mask is given (objects that
appear on the same frame share its PNG) and objects appear on different
frames.
"""
import os.path as osp
import warnings
from typing import List

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError

from .base_video_dataset import BaseVideoDataset
from .file_io import (check_id_png, image_size, load_json,
                      video_frame_files)


@DATASETS.register_module()
class YouTubeVOSDataset(BaseVideoDataset):
    """YouTube-VOS.

    Args:
        data_root (str): the YouTube-VOS root (holding ``train/``,
            ``valid/``) or where the toy data goes.
        split (str): 'train' or 'valid' (any folder with the same layout).
        use_all_frames (bool): read frames from ``<split>_all_frames``
            when it exists (annotations still come from ``<split>``; frames
            without one have ``ann_paths`` None).
        **kwargs: see :class:`BaseVideoDataset`.

    Items add ``categories`` (object id -> category, when meta.json has
    them) and ``obj_frames`` (object id -> video frame indices listed for
    it in meta.json) to the VOS keys of ``docs/data_pipeline.md``.
    """

    METAINFO = dict(dataset='YouTube-VOS')
    TOY_FORMAT = 'youtube-vos'
    TASK = 'vos'

    def __init__(self,
                 data_root: str,
                 *,
                 split: str = 'train',
                 use_all_frames: bool = False,
                 **kwargs):
        self.split = split
        self.use_all_frames = use_all_frames
        super().__init__(data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        split_dir = osp.join(self.data_root, self.split)
        meta_path = osp.join(split_dir, 'meta.json')
        if not osp.isfile(meta_path):
            raise DataError(meta_path, f'split file (meta.json) of '
                            f'YouTube-VOS {self.split!r} is missing; is '
                            f'data_root a YouTube-VOS root (train/, '
                            f'valid/)?')
        meta = load_json(meta_path)
        videos = meta.get('videos') if isinstance(meta, dict) else None
        if not isinstance(videos, dict):
            raise DataError(meta_path, "has no 'videos' mapping")
        img_root = osp.join(split_dir, 'JPEGImages')
        all_root = osp.join(self.data_root, f'{self.split}_all_frames',
                            'JPEGImages')
        if self.use_all_frames:
            if osp.isdir(all_root):
                img_root = all_root
            else:
                warnings.warn(f'{all_root} is missing; reading the frames '
                              f'of {img_root} instead')
        ann_root = osp.join(split_dir, 'Annotations')
        return [
            self._load_video(vid, videos[vid], img_root, ann_root, meta_path)
            for vid in sorted(videos)
        ]

    def _load_video(self, vid: str, entry: dict, img_root: str,
                    ann_root: str, meta_path: str) -> dict:
        img_dir, ann_dir = osp.join(img_root, vid), osp.join(ann_root, vid)
        stems, index, ann_paths = video_frame_files(vid, img_dir, ann_dir,
                                                    meta_path)
        objects = (entry or {}).get('objects') or {}
        obj_ids, first, obj_frames, cats = [], {}, {}, {}
        for key in sorted(objects, key=_int_key(meta_path, vid)):
            oid, obj = int(key), objects[key]
            frames = obj.get('frames') or []
            idx = []
            for stem in frames:
                if stem not in index:
                    raise DataError(
                        osp.join(img_dir, f'{stem}.jpg'),
                        f'frame listed in meta.json for object {key} of '
                        f'video {vid!r} is missing')
                idx.append(index[stem])
            if not idx:
                continue
            idx.sort()
            need = idx if self.split == 'train' else idx[:1]
            for t in need:  # the annotation the split promises
                if ann_paths[t] is None:
                    raise DataError(
                        osp.join(ann_dir, f'{stems[t]}.png'),
                        f'annotation of object {key} on frame {stems[t]} '
                        f'of video {vid!r} is missing')
            obj_ids.append(oid)
            first[oid], obj_frames[oid] = idx[0], idx
            if 'category' in obj:
                cats[oid] = obj['category']
        hw = image_size(osp.join(img_dir, f'{stems[0]}.jpg'))
        annotated = [p for p in ann_paths if p is not None]
        if annotated:
            check_id_png(annotated[0], expected_hw=hw)
        return dict(
            video_id=vid, video_name=vid, task='vos', frame_names=stems,
            img_paths=[osp.join(img_dir, f'{s}.jpg') for s in stems],
            ann_paths=ann_paths, video_length=len(stems), ori_shape=hw,
            obj_ids=obj_ids, obj_first_frames=first, obj_frames=obj_frames,
            categories=cats, single_object=False)


def _int_key(meta_path: str, vid: str):

    def key(k: str) -> int:
        try:
            return int(k)
        except ValueError:
            raise DataError(meta_path, f'object id {k!r} of video {vid!r} '
                            f'is not an integer') from None

    return key

