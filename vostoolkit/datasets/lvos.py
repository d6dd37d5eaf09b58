"""LVOS v1 / v2 (long-term VOS) in its released layout::

    <root>/{train,valid,test}/JPEGImages/<vid>/00000001.jpg   (every frame)
    <root>/{train,valid,test}/Annotations/<vid>/00000001.png  (palette)
    <root>/{train,valid,test}/<split>_meta.json
    <root>/valid/unseen_videos.txt                            (evaluation)

Frames have eight-digit names; masks are given on every 5th frame.
``<split>_meta.json``: ``{"videos": {vid: {"objects": {"1": {"frame_range":
{"start": int, "end": int, "frame_nums": int}}}}}}``: an object's first
given mask is on frame ``start`` (objects appear part-way) and it is scored
up to ``end``.
"""
import os.path as osp
from typing import List

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError

from .base_video_dataset import BaseVideoDataset
from .file_io import check_id_png, image_size, video_frame_files


@DATASETS.register_module()
class LVOSDataset(BaseVideoDataset):
    """LVOS v1 / v2.

    Args:
        data_root (str): the LVOS root (holding ``train/``, ``valid/``) or
            where the toy data goes.
        split (str): 'train', 'valid' or 'test'.
        **kwargs: see :class:`BaseVideoDataset`.

    Items carry the VOS keys of ``docs/data_pipeline.md``;
    ``obj_first_frames`` is the index of each object's ``start`` frame and
    ``obj_frames`` the annotated frames (indices) of its ``frame_range``.
    """

    METAINFO = dict(dataset='LVOS')
    TOY_FORMAT = 'lvos'
    TASK = 'vos'

    def __init__(self, data_root: str, *, split: str = 'train', **kwargs):
        self.split = split
        super().__init__(data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        from vostoolkit.evaluation.lvos_eval import load_lvos_meta, meta_path
        split_dir = osp.join(self.data_root, self.split)
        path = meta_path(split_dir, self.split)
        if not osp.isfile(path):
            raise DataError(path, f'split file of LVOS {self.split!r} is '
                            'missing; is data_root an LVOS root (train/, '
                            'valid/)?')
        meta = load_lvos_meta(path)
        return [self._load_video(vid, meta[vid], split_dir, path)
                for vid in sorted(meta)]

    def _load_video(self, vid: str, objects: dict, split_dir: str,
                    meta_file: str) -> dict:
        img_dir = osp.join(split_dir, 'JPEGImages', vid)
        ann_dir = osp.join(split_dir, 'Annotations', vid)
        stems, index, ann_paths = video_frame_files(vid, img_dir, ann_dir,
                                                    meta_file)
        obj_ids, first, obj_frames = [], {}, {}
        for key in sorted(objects, key=int):
            oid, rng = int(key), objects[key]
            start = f'{rng["start"]:08d}'
            if start not in index:
                raise DataError(osp.join(img_dir, f'{start}.jpg'),
                                f'start frame of object {key} of video '
                                f'{vid!r} is missing')
            if ann_paths[index[start]] is None:
                raise DataError(osp.join(ann_dir, f'{start}.png'),
                                f'first mask of object {key} of video '
                                f'{vid!r} is missing')
            obj_ids.append(oid)
            first[oid] = index[start]
            obj_frames[oid] = [
                index[f'{n:08d}'] for n in range(rng['start'],
                                                 rng['end'] + 1, 5)
                if f'{n:08d}' in index and
                ann_paths[index[f'{n:08d}']] is not None]
        hw = image_size(osp.join(img_dir, f'{stems[0]}.jpg'))
        annotated = [p for p in ann_paths if p is not None]
        if annotated:
            check_id_png(annotated[0], expected_hw=hw)
        return dict(
            video_id=vid, video_name=vid, task='vos', frame_names=stems,
            img_paths=[osp.join(img_dir, f'{s}.jpg') for s in stems],
            ann_paths=ann_paths, video_length=len(stems), ori_shape=hw,
            obj_ids=obj_ids, obj_first_frames=first, obj_frames=obj_frames,
            single_object=False)
