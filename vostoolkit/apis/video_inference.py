"""Run a model on a user's own video (a file or a folder of frames).

The video is read lazily, frame by frame, and fed to the model in chunks
exactly as :class:`~vostoolkit.engine.VideoTestLoop` feeds a test-mode
dataset: ``reset_video_state()`` before the first chunk, ``is_first`` /
``is_last`` / ``video_length`` in every chunk's meta, ``model.test_step``
on a batch of one. Only the current chunk's frames are held in memory.

Each chunk's results dict holds the decoded frames (``imgs``) and, for a
VOS model, the first-frame mask as ``gt_obj_masks`` on frame 0 (empty masks
on the others, ``gt_frame_valid`` True on frame 0 only, ``obj_ids``,
``obj_first_frames`` all 0). It then goes through the config's test
pipeline without its loading transforms (every ``Load*`` step, see
:func:`build_demo_pipeline`), so resizing and packing are the config's own.

Example::

    model = init_model('configs/maskprop/maskprop_r18_toy-davis.py', 'ckpt.pth')
    reader = VideoFrameReader('clip.mp4')
    mask, _ = read_first_mask('first.png', reader.hw)
    for sample in inference_video(model, reader, first_mask=mask):
        ids = sample.pred_obj_masks  # (T, H, W) uint8 at the original size
"""
import os
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.registry import DefaultScope

from vostoolkit.datasets.file_io import read_id_png, read_image_bgr
from vostoolkit.registry import DATASETS, TRANSFORMS
from vostoolkit.structures import VideoDataSample
from vostoolkit.utils import DataError

from .config import ToolError

FRAME_EXTS = ('.jpg', '.jpeg', '.png')
DEFAULT_CHUNK_LEN = 8


class VideoFrameReader:
    """Lazy frames of a video file (OpenCV) or a folder of jpg/png frames.

    A folder's frames are taken in file-name order. A video file is decoded
    once when the reader is made, to count its frames (container frame
    counts are often wrong, and models such as NOVIS plan their clips from
    the length); every iteration then decodes it again, frame by frame.

    Args:
        path (str): A video file or a folder of frames.

    Attributes:
        name (str): File or folder stem (used as the video name).
        frame_names (list[str]): One stem per frame (``%05d`` for a video).
        hw (tuple[int, int]): (H, W) shared by every frame.
        fps (float): Frames per second (10 for a folder).

    Raises:
        DataError: The path is missing, not a decodable video, an empty
            folder, or its first frame cannot be read.
    """

    def __init__(self, path: str) -> None:
        self.path = osp.expanduser(os.fspath(path))
        self.name = osp.splitext(osp.basename(self.path.rstrip(os.sep)))[0]
        self.fps = 10.0
        if osp.isdir(self.path):
            files = sorted(f for f in os.listdir(self.path)
                           if f.lower().endswith(FRAME_EXTS))
            if not files:
                raise DataError(self.path, 'no .jpg/.png frames in the '
                                'folder')
            self._files = [osp.join(self.path, f) for f in files]
            self.frame_names = [osp.splitext(f)[0] for f in files]
            self.hw = tuple(read_image_bgr(self._files[0]).shape[:2])
            return
        if not osp.exists(self.path):
            raise DataError(self.path, 'input video or frame folder not '
                            'found')
        self._files = None
        count, self.hw = self._count_video_frames()
        self.frame_names = [f'{i:05d}' for i in range(count)]

    def _open(self) -> cv2.VideoCapture:
        # ffmpeg would print its own diagnostics next to our one line
        os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', '-8')
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            cap.release()
            raise DataError(self.path, 'cannot be opened as a video '
                            '(unknown format or corrupt file)')
        return cap

    def _count_video_frames(self) -> Tuple[int, Tuple[int, int]]:
        cap = self._open()
        try:
            ok, first = cap.read()
            if not ok or first is None:
                raise DataError(self.path, 'no decodable frame in the video')
            fps = cap.get(cv2.CAP_PROP_FPS)
            if fps and np.isfinite(fps) and fps > 0:
                self.fps = float(fps)
            count = 1
            while cap.grab():
                count += 1
        finally:
            cap.release()
        return count, tuple(first.shape[:2])

    def __len__(self) -> int:
        return len(self.frame_names)

    def frame_path(self, index: int) -> str:
        """The file of frame ``index`` (the video file for a video)."""
        return self._files[index] if self._files else self.path

    def _check(self, index: int, img: np.ndarray) -> np.ndarray:
        if img.ndim == 2:  # grayscale frames: BGR like the others
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        if tuple(img.shape[:2]) != self.hw:
            raise DataError(self.frame_path(index),
                            f'frame {index} is {img.shape[0]}x{img.shape[1]}'
                            f' (HxW), the video is {self.hw[0]}x'
                            f'{self.hw[1]}; every frame needs the same size')
        return img

    def __iter__(self) -> Iterator[np.ndarray]:
        """Yield each frame, (H, W, 3) uint8 BGR, in order."""
        if self._files is not None:
            for i, path in enumerate(self._files):
                yield self._check(i, read_image_bgr(path))
            return
        cap = self._open()
        try:
            for i in range(len(self)):
                ok, img = cap.read()
                if not ok or img is None:
                    raise DataError(self.path, f'frame {i} of {len(self)} '
                                    'could not be decoded on a second read')
                yield self._check(i, img)
        finally:
            cap.release()


def read_first_mask(path: str, hw: Tuple[int, int]
                    ) -> Tuple[np.ndarray, List[int]]:
    """Read the first frame's objects from an id PNG.

    A palette (mode ``P``) PNG holds object ids with 255 as void, as DAVIS;
    a grayscale (mode ``L``) PNG holds object ids too, except that a mask of
    only 0 and 255 is one object. Void pixels become background.

    Args:
        path (str): The PNG.
        hw (tuple[int, int]): (H, W) of the video's frames.

    Returns:
        tuple: (H, W) uint8 object ids and the sorted object ids.

    Raises:
        DataError: Missing file, not an id PNG (e.g. RGB), a size other
            than the frames', or no object in it.
    """
    path = osp.expanduser(path)
    arr, mode = read_id_png(path, allow_gray=True, expected_hw=tuple(hw))
    values = np.unique(arr)
    if mode == 'L' and set(values.tolist()) <= {0, 255}:
        ids = (arr == 255).astype(np.uint8)
    else:
        ids = np.where(arr == 255, 0, arr).astype(np.uint8)
    obj_ids = [int(i) for i in np.unique(ids) if i != 0]
    if not obj_ids:
        raise DataError(path, 'no object in the first-frame mask (every '
                        'pixel is 0 or void 255)')
    return ids, obj_ids


def _test_dataset_cfg(cfg: Config) -> dict:
    loader = cfg.get('test_dataloader') or {}
    return loader.get('dataset') or {}


def build_demo_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline without its loading transforms.

    Every step of ``test_dataloader.dataset.pipeline`` whose type starts
    with ``Load`` (frames, annotations) is dropped: the demo gives frames
    and first-frame masks itself. ``PackVideoInputs`` is appended when the
    pipeline does not end with it; a config without a test pipeline gets
    ``[PackVideoInputs]`` (frames at their original size).
    """
    steps = list(_test_dataset_cfg(cfg).get('pipeline') or [])
    kept = [s for s in steps if not (isinstance(s, dict) and str(
        s.get('type', '')).split('.')[-1].startswith('Load'))]
    last = kept[-1] if kept else None
    if not (isinstance(last, dict) and last.get('type') == 'PackVideoInputs'):
        kept.append(dict(type='PackVideoInputs'))
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'vostoolkit')):
        return Compose([TRANSFORMS.build(s) if isinstance(s, dict) else s
                        for s in kept])


def model_task(cfg: Config, model: Optional[nn.Module] = None) -> str:
    """``'vos'`` or ``'vis'``: the model's ``task`` attribute if it has one,
    else the ``TASK`` of the config's test dataset class.

    Raises:
        ToolError: When neither tells.
    """
    task = getattr(model, 'task', None) if model is not None else None
    if task in ('vos', 'vis'):
        return task
    ds_type = _test_dataset_cfg(cfg).get('type')
    cls = ds_type if isinstance(ds_type, type) else None
    if isinstance(ds_type, str):
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope', 'vostoolkit')):
            cls = DATASETS.get(ds_type)
    task = getattr(cls, 'TASK', None)
    if task not in ('vos', 'vis'):
        raise ToolError(f'{cfg.filename}: cannot tell whether the model '
                        'does VOS or VIS (no test_dataloader.dataset type '
                        'with a TASK)')
    return task


def demo_chunk_len(cfg: Config, chunk_len: Optional[int] = None) -> int:
    """Frames per chunk: ``chunk_len``, else the config's
    ``test_chunk_len``, else :data:`DEFAULT_CHUNK_LEN` (a whole video in one
    chunk would hold every frame in memory)."""
    value = chunk_len or _test_dataset_cfg(cfg).get('test_chunk_len') or \
        DEFAULT_CHUNK_LEN
    if int(value) < 1:
        raise ToolError(f'chunk length must be >= 1, got {value}')
    return int(value)


def _chunks(reader: VideoFrameReader, chunk_len: int
            ) -> Iterator[Tuple[int, List[np.ndarray]]]:
    """(start frame, frames) of consecutive chunks."""
    start, frames = 0, []
    for img in reader:
        frames.append(img)
        if len(frames) == chunk_len:
            yield start, frames
            start, frames = start + len(frames), []
    if frames:
        yield start, frames


def _chunk_results(reader: VideoFrameReader, task: str, start: int,
                   frames: Sequence[np.ndarray],
                   first_mask: Optional[np.ndarray],
                   obj_ids: Sequence[int]) -> dict:
    """The results dict of one chunk (docs/data_pipeline.md keys)."""
    ids = list(range(start, start + len(frames)))
    results = dict(
        video_id=reader.name, video_name=reader.name, task=task,
        frame_ids=ids, frame_names=[reader.frame_names[i] for i in ids],
        video_length=len(reader), imgs=list(frames), img_shape=reader.hw,
        ori_shape=reader.hw, is_first=start == 0,
        is_last=ids[-1] == len(reader) - 1)
    if task == 'vos':
        empty = np.zeros(reader.hw, np.uint8)
        results.update(
            gt_obj_masks=[first_mask if i == 0 else empty for i in ids],
            gt_void=[np.zeros(reader.hw, bool) for _ in ids],
            gt_frame_valid=[i == 0 for i in ids],
            obj_ids=list(obj_ids), obj_first_frames=[0] * len(obj_ids))
    return results


def inference_video(model: nn.Module, reader: VideoFrameReader,
                    first_mask: Optional[np.ndarray] = None, *,
                    task: Optional[str] = None,
                    pipeline: Optional[Compose] = None,
                    chunk_len: Optional[int] = None
                    ) -> Iterator[VideoDataSample]:
    """Segment one video chunk by chunk; yield the model's predictions.

    Args:
        model (nn.Module): A model from :func:`init_model` (``model.cfg``
            gives the pipeline, task and chunk length when not passed).
        reader (VideoFrameReader): The video.
        first_mask (np.ndarray, optional): (H, W) uint8 object ids of frame
            0; required for a VOS model.
        task (str, optional): ``'vos'`` or ``'vis'`` (default: from the
            model / config, see :func:`model_task`).
        pipeline (Compose, optional): Default :func:`build_demo_pipeline`.
        chunk_len (int, optional): Default :func:`demo_chunk_len`.

    Yields:
        VideoDataSample: What ``model.test_step`` returns, in order:
        ``pred_obj_masks`` (T, H, W) uint8 at the original size for VOS
        models, ``pred_instances`` (whole-video tracks, usually with the
        last chunk) for VIS models. ``frame_ids`` says which frames.

    Raises:
        ToolError: A VOS model without ``first_mask``.
        DataError: Unreadable frames, or a mask of another size.
    """
    cfg = model.cfg
    bare = model.module if is_model_wrapper(model) else model
    task = task or model_task(cfg, bare)
    pipeline = pipeline or build_demo_pipeline(cfg)
    chunk_len = demo_chunk_len(cfg, chunk_len)
    obj_ids: List[int] = []
    if task == 'vos':
        if first_mask is None:
            raise ToolError('a VOS model needs the first frame\'s objects: '
                            'give --mask FIRST.png')
        if tuple(first_mask.shape) != tuple(reader.hw):
            raise DataError(reader.path, f'first-frame mask is '
                            f'{first_mask.shape}, frames are {reader.hw}')
        obj_ids = [int(i) for i in np.unique(first_mask) if i != 0]
    reset = getattr(bare, 'reset_video_state', None)
    model.eval()
    try:
        if callable(reset):
            reset()
        for start, frames in _chunks(reader, chunk_len):
            packed = pipeline(_chunk_results(reader, task, start, frames,
                                             first_mask, obj_ids))
            data = dict(inputs=[packed['inputs']],
                        data_samples=[packed['data_samples']])
            with torch.no_grad():
                outputs = model.test_step(data)
            yield from (outputs or [])
    finally:
        if callable(reset):
            reset()  # free the video's state


__all__ = ['VideoFrameReader', 'read_first_mask', 'build_demo_pipeline',
           'model_task', 'demo_chunk_len', 'inference_video']
