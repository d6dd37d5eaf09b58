"""Tiny in-memory VOS data for tests: moving shapes on noise, no files.

Registered when ``vostoolkit.testing`` is imported (tests' configs list it in
``custom_imports``); ``vostoolkit.all_modules`` does not import it, so these
names never appear in a user's registries.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from torch.utils.data import Dataset

from vostoolkit.registry import DATASETS, METRICS
from vostoolkit.structures import VideoDataSample


def make_synthetic_video(seed: int, num_frames: int = 6,
                         size: Tuple[int, int] = (32, 32),
                         num_objects: int = 2
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """A deterministic video of ``num_objects`` moving rectangles.

    Args:
        seed (int): Seed of the video.
        num_frames (int): Frames T.
        size (tuple): (H, W).
        num_objects (int): Objects (ids 1..num_objects); later objects
            are drawn over earlier ones.

    Returns:
        tuple: frames (T, H, W, 3) uint8 BGR and masks (T, H, W) uint8 ids.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    background = rng.integers(0, 90, (h, w, 3), dtype=np.uint8)
    frames = np.repeat(background[None], num_frames, axis=0)
    masks = np.zeros((num_frames, h, w), np.uint8)
    for obj in range(1, num_objects + 1):
        bh, bw = rng.integers(h // 5, h // 3 + 1), rng.integers(w // 5,
                                                                w // 3 + 1)
        y0, x0 = rng.integers(0, h - bh), rng.integers(0, w - bw)
        vy, vx = rng.integers(-2, 3), rng.integers(-2, 3)
        colour = rng.integers(120, 256, 3, dtype=np.uint8)
        for t in range(num_frames):
            y = int(np.clip(y0 + vy * t, 0, h - bh))
            x = int(np.clip(x0 + vx * t, 0, w - bw))
            frames[t, y:y + bh, x:x + bw] = colour
            masks[t, y:y + bh, x:x + bw] = obj
    return frames, masks


def _pack(frames: np.ndarray, masks: np.ndarray, meta: Dict) -> Dict:
    """(T, H, W, 3) frames + (T, H, W) masks -> dict(inputs, data_samples).
    """
    inputs = torch.from_numpy(np.ascontiguousarray(
        frames.transpose(0, 3, 1, 2)))  # (T, H, W, 3) -> (T, 3, H, W)
    sample = VideoDataSample(metainfo=meta)
    sample.gt_obj_masks = torch.from_numpy(masks.copy())
    sample.gt_frame_valid = torch.ones(len(masks), dtype=torch.bool)
    return dict(inputs=inputs, data_samples=sample)


@DATASETS.register_module()
class SyntheticVOSDataset(Dataset):
    """In-memory VOS dataset of moving rectangles, already packed.

    Train mode: item ``i`` is a clip of ``clip_len`` consecutive frames of
    video ``i % num_videos`` starting at a random frame (frame 0 of the clip
    is the reference). Test mode: each video as consecutive chunks of
    ``chunk_len`` frames with ``is_first`` / ``is_last``; the object ids and
    the frame giving each object's mask (``obj_first_frames``) are set.

    Args:
        num_videos (int): Videos.
        num_frames (int): Frames per video.
        size (Sequence[int]): (H, W).
        num_objects (int): Objects per video.
        clip_len (int): Training clip length.
        test_mode (bool): Yield whole videos as chunks.
        chunk_len (int, optional): Test chunk length; None: whole videos.
        repeat (int): Train mode: items per video.
        seed (int): Base seed.
    """

    METAINFO = dict(task='vos')

    def __init__(self, num_videos: int = 2, num_frames: int = 6,
                 size: Sequence[int] = (32, 32), num_objects: int = 2,
                 clip_len: int = 3, test_mode: bool = False,
                 chunk_len: Optional[int] = None, repeat: int = 4,
                 seed: int = 0) -> None:
        self.videos = [make_synthetic_video(seed + v, num_frames,
                                            tuple(size), num_objects)
                       for v in range(num_videos)]
        self.num_frames, self.clip_len = num_frames, clip_len
        self.test_mode, self.repeat, self.seed = test_mode, repeat, seed
        self.metainfo = dict(self.METAINFO)
        chunk = chunk_len or num_frames
        self.chunks: List[Tuple[int, int, int]] = [
            (v, s, min(s + chunk, num_frames)) for v in range(num_videos)
            for s in range(0, num_frames, chunk)]
        self.chunk_video_ids = [c[0] for c in self.chunks]
        self._draws = 0

    def __len__(self) -> int:
        return len(self.chunks) if self.test_mode else len(
            self.videos) * self.repeat

    def _meta(self, video: int, frame_ids: List[int]) -> Dict:
        h, w = self.videos[video][1].shape[1:]
        return dict(video_id=video, video_name=f'video{video:03d}',
                    task='vos', frame_ids=frame_ids,
                    frame_names=[f'{i:05d}' for i in frame_ids],
                    video_length=self.num_frames, ori_shape=(h, w),
                    img_shape=(h, w))

    def __getitem__(self, idx: int) -> Dict:
        if self.test_mode:
            video, start, stop = self.chunks[idx]
            frame_ids = list(range(start, stop))
            meta = self._meta(video, frame_ids)
            meta.update(is_first=start == 0, is_last=stop == self.num_frames)
        else:
            video = idx % len(self.videos)
            rng = np.random.default_rng((self.seed, idx, self._draws))
            self._draws += 1
            start = int(rng.integers(0, self.num_frames - self.clip_len + 1))
            frame_ids = list(range(start, start + self.clip_len))
            meta = self._meta(video, frame_ids)
        frames, masks = self.videos[video]
        item = _pack(frames[frame_ids], masks[frame_ids], meta)
        if self.test_mode:
            ids = [int(i) for i in np.unique(masks[0]) if i]
            item['data_samples'].obj_ids = torch.tensor(ids)
            item['data_samples'].obj_first_frames = torch.zeros(len(ids))
        return item


@METRICS.register_module()
class SyntheticJaccardMetric(BaseMetric):
    """Mean mask IoU (J) over objects and frames after each video's first.

    Reads predictions (``pred_obj_masks``) and ground truth
    (``gt_obj_masks``, cropped to the prediction size) from the samples
    (dicts: mmengine's ``Evaluator`` flattens each sample with ``to_dict``).

    Args:
        prefix (str, optional): Metric name prefix.
    """

    default_prefix = 'synthetic'

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            if not isinstance(sample, dict):
                sample = sample.to_dict()
            pred = sample['pred_obj_masks'].cpu()
            h, w = pred.shape[-2:]
            gt = sample['gt_obj_masks'].cpu()[:, :h, :w]
            for t, frame_id in enumerate(sample['frame_ids']):
                if frame_id == 0:
                    continue
                for obj in (int(i) for i in gt[t].unique() if i):
                    inter = ((pred[t] == obj) & (gt[t] == obj)).sum()
                    union = ((pred[t] == obj) | (gt[t] == obj)).sum()
                    self.results.append(
                        (sample['video_name'], frame_id, obj,
                         float(inter) / max(float(union), 1.0)))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        keys = {(r[0], r[1], r[2]) for r in results}
        if len(keys) != len(results):
            raise ValueError('a frame was evaluated twice')
        return dict(J=float(np.mean([r[3] for r in results]))
                    if results else 0.0, num_results=len(results))
