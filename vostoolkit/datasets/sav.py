"""SA-V (Segment Anything Video) val / test in its released layout::

    <root>/sav_{val,test}/sav_{val,test}.txt             (video list)
    <root>/sav_{val,test}/JPEGImages_24fps/<vid>/00000.jpg  (every frame)
    <root>/sav_{val,test}/Annotations_6fps/<vid>/<obj>/00000.png

Masks are given on every 4th frame (6 fps), one binary PNG per object
(``000``, ``001``, ...) because objects may overlap (a person and their
hand). Object folder ``k`` is object id ``k + 1``. The training set,
released as mp4 videos with RLE JSON masklets, is read as ``split='train'``
once ``tools/dataset_converters/sav_train.py`` has written it in this
layout under ``<root>/sav_train/`` (frames may then be every 4th only).
"""
import os.path as osp
from typing import Dict, List

from PIL import Image

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError

from .base_video_dataset import BaseVideoDataset
from .file_io import image_size, list_dir


def _first_shown(paths: List[str]) -> int:
    """Index of the first mask with a non-zero pixel (0 if none has)."""
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as img:
                if img.getbbox() is not None:
                    return i
        except (OSError, ValueError) as err:
            raise DataError(path, f'cannot read the mask PNG ({err})') \
                from None
    return 0


@DATASETS.register_module()
class SAVDataset(BaseVideoDataset):
    """SA-V val / test.

    Args:
        data_root (str): The SA-V root (holding ``sav_val/``) or where the
            toy data goes.
        split (str): 'val', 'test' or 'train' (converted, see above).
        **kwargs: see :class:`BaseVideoDataset`.

    Items carry the VOS keys of ``docs/data_pipeline.md``; ``ann_paths``
    holds, on each annotated frame, a dict object id -> its binary PNG (None
    elsewhere), which :class:`LoadVOSAnnotations` reads into per-object
    masks (``gt_masks``, overlaps kept) and an id map (``gt_obj_masks``).
    ``obj_first_frames`` is the first annotated frame whose mask shows the
    object.
    """

    METAINFO = dict(dataset='SA-V')
    TOY_FORMAT = 'sav'
    TASK = 'vos'

    def __init__(self, data_root: str, *, split: str = 'val', **kwargs):
        self.split = split
        super().__init__(data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        split_dir = osp.join(self.data_root, f'sav_{self.split}')
        ann_root = osp.join(split_dir, 'Annotations_6fps')
        listing = osp.join(split_dir, f'sav_{self.split}.txt')
        if osp.isfile(listing):
            with open(listing) as f:
                videos = [ln.strip() for ln in f if ln.strip()]
        elif osp.isdir(ann_root):
            videos = [v for v in list_dir(ann_root)
                      if osp.isdir(osp.join(ann_root, v))]
        else:
            raise DataError(listing, f'video list of SA-V {self.split!r} is '
                            'missing; is data_root the SA-V root (sav_val/)?')
        return [self._load_video(v, split_dir) for v in videos]

    def _load_video(self, vid: str, split_dir: str) -> dict:
        from vostoolkit.evaluation.sav_eval import sav_object_id
        img_dir = osp.join(split_dir, 'JPEGImages_24fps', vid)
        ann_dir = osp.join(split_dir, 'Annotations_6fps', vid)
        stems = [osp.splitext(n)[0] for n in list_dir(img_dir)
                 if n.lower().endswith('.jpg')]
        if not stems:
            raise DataError(img_dir, f'video {vid!r} has no .jpg frames')
        index = {s: t for t, s in enumerate(stems)}
        ann_paths: List = [None] * len(stems)
        obj_ids, first = [], {}
        for name in list_dir(ann_dir):
            folder = osp.join(ann_dir, name)
            if not osp.isdir(folder):
                continue
            oid = sav_object_id(name, ann_dir)
            frames: Dict[int, str] = {}
            for fname in list_dir(folder):
                stem, ext = osp.splitext(fname)
                if ext.lower() != '.png':
                    continue
                if stem not in index:
                    raise DataError(osp.join(folder, fname), 'mask of a '
                                    f'frame that {img_dir} does not have')
                frames[index[stem]] = osp.join(folder, fname)
            if not frames:
                continue
            order = sorted(frames)
            obj_ids.append(oid)
            first[oid] = order[_first_shown([frames[t] for t in order])]
            for t in order:
                if ann_paths[t] is None:
                    ann_paths[t] = {}
                ann_paths[t][oid] = frames[t]
        hw = image_size(osp.join(img_dir, f'{stems[0]}.jpg'))
        return dict(
            video_id=vid, video_name=vid, task='vos', frame_names=stems,
            img_paths=[osp.join(img_dir, f'{s}.jpg') for s in stems],
            ann_paths=ann_paths, video_length=len(stems), ori_shape=hw,
            obj_ids=obj_ids, obj_first_frames=first, single_object=False)
