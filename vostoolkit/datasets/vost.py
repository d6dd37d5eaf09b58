"""VOST (TRI-ML/VOST): the DAVIS reader without the resolution folder::

    <root>/JPEGImages/<seq>/<frame>.jpg        (the annotated frames)
    <root>/JPEGImages_10fps/<seq>/<frame>.jpg  (optional, denser frames)
    <root>/Annotations/<seq>/<frame>.png       (255: ignored regions)
    <root>/ImageSets/{train,val}.txt

The objects of a sequence are the ids of its first annotation.
"""
import os.path as osp
from typing import List, Optional, Tuple

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError

from .davis import DAVISDataset


@DATASETS.register_module()
class VOSTDataset(DAVISDataset):
    """VOST (``data/vost``).

    Args:
        data_root (str): VOST root (``ImageSets``, ``JPEGImages``,
            ``Annotations``).
        split (str): ImageSets list ('train', 'val').
        image_folder (str): 'JPEGImages' (the annotated frames, which the
            evaluation scores) or 'JPEGImages_10fps' (frames without an
            annotation get ``ann_paths`` None).
        require_all_annotations (bool, optional): default True with
            'JPEGImages' except for the 'test' split.
        **kwargs: see :class:`~vostoolkit.datasets.BaseVideoDataset`.
    """

    METAINFO = dict(dataset='VOST', classes=('object', ))
    TOY_FORMAT = 'vost'

    def __init__(self,
                 data_root: str,
                 *,
                 split: str = 'train',
                 image_folder: str = 'JPEGImages',
                 require_all_annotations: Optional[bool] = None,
                 **kwargs):
        self.image_folder = image_folder
        if require_all_annotations is None:
            require_all_annotations = (image_folder == 'JPEGImages' and
                                       not split.startswith('test'))
        super().__init__(data_root, split=split,
                         require_all_annotations=require_all_annotations,
                         **kwargs)

    def _read_split(self) -> Tuple[str, List[str]]:
        path = osp.join(self.data_root, 'ImageSets', f'{self.split}.txt')
        if not osp.isfile(path):
            raise DataError(path, f'split file of VOST {self.split!r} is '
                            'missing; is data_root a VOST root (ImageSets/, '
                            'JPEGImages/, Annotations/)?')
        with open(path) as f:
            return path, [ln.strip() for ln in f if ln.strip()]

    def _sequence_dirs(self, seq: str) -> Tuple[str, str]:
        return (osp.join(self.data_root, self.image_folder, seq),
                osp.join(self.data_root, 'Annotations', seq))
