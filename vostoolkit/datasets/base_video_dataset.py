"""Shared train/test behaviour of the video datasets.

Train mode: ``dataset[i]`` is one clip of video ``i``: the clip sampler draws
``frame_ids`` and the pipeline loads and augments them. Test mode: every video
is cut into consecutive chunks of ``test_chunk_len`` frames (``None``: the
whole video) yielded in order with ``is_first`` / ``is_last``; the dataset
length counts chunks.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset

from vostoolkit.registry import TASK_UTILS, TRANSFORMS

from .toy import ensure_toy_dataset


class BaseVideoDataset(BaseDataset):
    """Base of the video datasets (lazy: items hold paths, never pixels).

    Args:
        data_root (str): dataset root.
        ann_file (str): annotation file, relative to ``data_root``.
        metainfo (dict, optional): meta information (e.g. ``classes``).
        data_prefix (dict, optional): folder prefixes joined to data_root.
        pipeline (sequence): transform configs (built from vostoolkit's
            ``TRANSFORMS``, whatever the default scope) or callables.
        clip_sampler (dict | callable, optional): builds the train clips
            (``TASK_UTILS``); None gives every frame of the video.
        test_mode (bool): yield whole videos (in chunks) in order.
        test_chunk_len (int, optional): frames per test chunk.
        toy_spec (dict, optional): when ``data_root`` is missing, generate
            the toy dataset there first (arguments of
            :func:`vostoolkit.datasets.toy.generate_toy_dataset`; ``fmt``
            defaults to the dataset's format); when it exists but was
            generated with another spec, warn.
        filter_empty (bool): in train mode, drop videos without objects.
        **kwargs: other :class:`mmengine.dataset.BaseDataset` arguments
            (``indices``, ``serialize_data``, ``lazy_init``, ``max_refetch``).
    """

    TOY_FORMAT: str = ''
    TASK: str = 'vos'

    def __init__(self,
                 data_root: str,
                 *,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_prefix: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 clip_sampler: Union[None, dict, Callable] = None,
                 test_mode: bool = False,
                 test_chunk_len: Optional[int] = None,
                 toy_spec: Optional[dict] = None,
                 filter_empty: bool = True,
                 **kwargs):
        if toy_spec is not None:  # generate if missing, else check spec
            spec = dict(toy_spec)
            fmt = spec.pop('fmt', self.TOY_FORMAT)
            ensure_toy_dataset(data_root, fmt, **spec)
        if isinstance(clip_sampler, dict):
            clip_sampler = TASK_UTILS.build(clip_sampler)
        self.clip_sampler = clip_sampler
        if test_chunk_len is not None and test_chunk_len < 1:
            raise ValueError(f'test_chunk_len must be >= 1 or None, got '
                             f'{test_chunk_len}')
        self.test_chunk_len = test_chunk_len
        self.filter_empty = filter_empty
        self._chunks: List[Tuple[int, int, int]] = []
        self._chunk_names: List[str] = []
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix if data_prefix is not None else {},
            pipeline=[TRANSFORMS.build(t) if isinstance(t, dict) else t
                      for t in pipeline],
            test_mode=test_mode,
            **kwargs)

    # ------------------------------------------------------------- indexing
    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        self._build_chunks()

    def filter_data(self) -> List[dict]:
        """Train mode: drop videos without any object (no clip to learn)."""
        if self.test_mode or not self.filter_empty:
            return self.data_list
        return [d for d in self.data_list if self._num_objects(d) > 0]

    @staticmethod
    def _num_objects(info: dict) -> int:
        return len(info.get('obj_ids', info.get('instances', ())))

    def _build_chunks(self) -> None:
        self._chunks, self._chunk_names = [], []
        if not self.test_mode:
            return
        for vid in range(super().__len__()):
            info = self.get_data_info(vid)
            n = int(info['video_length'])
            step = self.test_chunk_len or max(n, 1)
            for start in range(0, max(n, 1), step):
                self._chunks.append((vid, start, min(start + step, n)))
                self._chunk_names.append(info['video_name'])

    @property
    def chunk_video_ids(self) -> Optional[List[str]]:
        """Test mode: the video name of every index (chunks of one video
        are consecutive); None in train mode."""
        if not self._fully_initialized:
            self.full_init()
        return list(self._chunk_names) if self.test_mode else None

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        super().get_subset_(indices)
        self._build_chunks()

    def get_subset(self, indices: Union[Sequence[int], int]
                   ) -> 'BaseVideoDataset':
        sub = super().get_subset(indices)
        sub._build_chunks()
        return sub

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        if self.test_mode:
            return len(self._chunks)
        return super().__len__()

    @property
    def num_videos(self) -> int:
        """Number of videos (test mode counts chunks in ``len``)."""
        if not self._fully_initialized:
            self.full_init()
        return super().__len__()

    def get_video_info(self, idx: int) -> dict:
        """The data item of video ``idx`` (paths and annotation metadata)."""
        return self.get_data_info(idx)

    def chunk_info(self, idx: int) -> Dict[str, Any]:
        """Test mode: the item of chunk ``idx`` with its ``frame_ids``."""
        vid, start, end = self._chunks[idx]
        info = self.get_data_info(vid)
        info.update(frame_ids=list(range(start, end)), is_first=start == 0,
                    is_last=end == info['video_length'], chunk_idx=idx)
        return info

    def prepare_data(self, idx: int) -> Any:
        """Test mode: the pipeline on chunk ``idx``. Train mode: the pipeline
        on a clip of video ``idx`` drawn by the clip sampler (None when the
        sampler finds no clip, so mmengine draws another video)."""
        if self.test_mode:
            return self.pipeline(self.chunk_info(idx))
        info = self.get_data_info(idx)
        n = int(info['video_length'])
        if self.clip_sampler is None:
            frame_ids = list(range(n))
        else:
            frame_ids = self.clip_sampler(info)
        if not frame_ids:
            return None
        info.update(frame_ids=[int(i) for i in frame_ids], is_first=True,
                    is_last=True)
        return self.pipeline(info)
