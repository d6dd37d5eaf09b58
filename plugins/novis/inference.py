"""Per-video inference state of NOVIS: frame features waiting for their
clips, overlapping clip logits being averaged, and the finished frames of
every track kept as RLE until the video ends.

Memory held for a video: the features of at most one clip of frames (in
each test view, with test-time augmentation), the logits of the frames
still covered by an open clip, the binary masks of at most
``MAX_PENDING_FRAMES`` finished frames waiting for the RLE encoder thread,
and, per finished frame, N compressed RLE masks; nothing else grows with
the video length.
"""
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmengine.structures import InstanceData
from torch import Tensor

from vostoolkit.models.segmentors.vos_utils import logits_to_original

from .near_online import ClipLogitAverager, clip_schedule


# Finished frames are RLE-encoded on one worker thread while the network
# runs; at most this many frames wait for it (their binary masks in memory).
MAX_PENDING_FRAMES = 2
_rle_pool: Tuple[int, Optional[ThreadPoolExecutor]] = (-1, None)


def _rle_worker() -> ThreadPoolExecutor:
    """This process's encoder thread (a forked child starts its own)."""
    global _rle_pool
    if _rle_pool[0] != os.getpid():
        _rle_pool = (os.getpid(), ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='novis-rle'))
    return _rle_pool[1]


def _encode(masks: List[np.ndarray]) -> List[dict]:
    """RLE of query chunks of binary masks (n, W, H) uint8, in order, with
    str counts."""
    rles = []
    for m in masks:
        rles += mask_utils.encode(m.transpose(2, 1, 0))  # (H, W, n), F order
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles


class VideoTrackResults:
    """Accumulates, per track, class probabilities, a mask score and the
    per-frame RLE masks at the original video size.

    Args:
        num_tracks (int): N, the queries (tracks) of every clip.
        query_chunk (int): Tracks up-sampled together (bounds memory).
    """

    def __init__(self, num_tracks: int, query_chunk: int = 16):
        self.num_tracks, self.query_chunk = num_tracks, query_chunk
        self.prob_sum: Optional[Tensor] = None  # (N, K)
        self.num_clips = 0
        self.score_num = torch.zeros(num_tracks, dtype=torch.float64)
        self.score_den = torch.zeros(num_tracks, dtype=torch.float64)
        # frame -> its N RLEs (a Future until the encoder thread is done)
        self.frames: Dict[int, Future] = {}
        self._pending: List[Future] = []

    def add_class_probs(self, probs: Tensor) -> None:
        """Add one clip's (N, K) class probabilities (track order)."""
        probs = probs.detach().float().cpu()
        self.prob_sum = probs if self.prob_sum is None else (
            self.prob_sum + probs)
        self.num_clips += 1

    def add_frame(self, frame: int, logits: Tensor, pad_hw: Sequence[int],
                  img_hw: Sequence[int], ori_hw: Sequence[int]) -> None:
        """Finish a frame: up-sample its logits, binarise, accumulate the
        mask scores, and queue the masks for RLE encoding (on a worker
        thread).

        Args:
            frame (int): Video frame index.
            logits (Tensor): (N, h, w) averaged mask logits at the mask
                feature stride of the padded input.
            pad_hw, img_hw, ori_hw: padded input size, its valid region
                (the resized frame) and the original frame size.
        """
        masks = []
        for i, chunk in enumerate(logits.split(self.query_chunk)):
            x = logits_to_original(chunk, pad_hw, img_hw, ori_hw)  # (n, H, W)
            binary = x > 0
            idx = slice(i * self.query_chunk, i * self.query_chunk + len(x))
            inside = torch.where(binary, x.sigmoid(), 0.0).flatten(1).sum(1)
            self.score_num[idx] += inside.double().cpu()
            self.score_den[idx] += binary.flatten(1).count_nonzero(
                1).double().cpu()
            # (n, W, H) C order is (H, W, n) Fortran order, as RLE wants
            masks.append(binary.transpose(1, 2).contiguous().view(
                torch.uint8).cpu().numpy())
        self.frames[frame] = _rle_worker().submit(_encode, masks)
        self._pending.append(self.frames[frame])
        while len(self._pending) > MAX_PENDING_FRAMES:
            self._pending.pop(0).result()

    def class_probs(self) -> Tensor:
        """(N, K) class probabilities of the tracks: the mean over clips of
        the queries' probabilities."""
        return self.prob_sum / self.num_clips

    def top_k(self, k: int, video_length: int,
              mask_score: bool = True) -> InstanceData:
        """The k best (track, class) pairs of the video.

        Scores are the class probability (:meth:`class_probs`) times, with
        ``mask_score``, the mask score (mean foreground probability inside
        the binary mask, over all frames, as Mask2Former's); without it the
        class probability alone (Mask2Former-VIS's). A track may appear
        with several classes.

        Returns:
            InstanceData: ``scores`` (k,), ``labels`` (k,) 0-based,
            ``track_ids`` (k,), ``rles`` (k lists of ``video_length`` RLE
            dicts with str counts, at the original size).
        """
        missing = [f for f in range(video_length) if f not in self.frames]
        if missing or self.prob_sum is None:
            raise RuntimeError(f'video ended with frames {missing[:5]}... '
                               f'not predicted')
        probs = self.class_probs()  # (N, K)
        if mask_score:
            score = (self.score_num / (self.score_den + 1e-6)).float()
            probs = probs * score[:, None]
        scores = probs.flatten()  # (N*K,)
        k = min(k, scores.numel())
        top, idx = scores.topk(k)
        num_classes = probs.shape[1]
        tracks, labels = idx // num_classes, idx % num_classes
        result = InstanceData()
        result.scores = top
        result.labels = labels
        result.track_ids = tracks
        frames = [self.frames[f].result() for f in range(video_length)]
        self._pending.clear()
        result.rles = [[frames[f][int(q)] for f in range(video_length)]
                       for q in tracks]
        return result


class NOVISVideoState:
    """Everything NOVIS remembers about the video being processed.

    The video loop calls :meth:`reset` before every video; :meth:`start`
    reads the video's length and geometry from its first chunk.

    Args:
        clip_len (int): T.
        stride (int): S.
        tracker: A tracker with ``reset()`` (reset with this state).
    """

    def __init__(self, clip_len: int, stride: int, tracker):
        self.clip_len, self.stride, self.tracker = clip_len, stride, tracker
        self.averager = ClipLogitAverager()
        self.reset()

    def reset(self) -> None:
        """Forget the previous video."""
        self.tracker.reset()
        self.averager.reset()
        # frame -> one (levels, mask features) pair per test view
        self.features: Dict[int, List[Tuple[List[Tensor], Tensor]]] = {}
        self.clips: List[Tuple[int, int]] = []
        self.next_clip = 0
        self.results: Optional[VideoTrackResults] = None
        self.meta: dict = {}

    @property
    def started(self) -> bool:
        return self.results is not None

    def start(self, meta: dict, num_tracks: int) -> None:
        """Begin a video described by the metainfo of its first chunk."""
        self.reset()
        length = int(meta['video_length'])
        self.clips = clip_schedule(length, self.clip_len, self.stride)
        self.results = VideoTrackResults(num_tracks)
        img_hw = tuple(meta.get('img_shape', meta.get('ori_shape'))[:2])
        pad_hw = tuple(meta.get('batch_input_shape',
                                meta.get('pad_shape', img_hw))[:2])
        self.meta = dict(video_length=length, img_hw=img_hw, pad_hw=pad_hw,
                         ori_hw=tuple(meta.get('ori_shape', img_hw)[:2]))

    def add_frame_features(self, frame: int,
                           *views: Tuple[List[Tensor], Tensor]) -> None:
        """Cache one frame's features, one ``(levels, mask_features)``
        pair per test view (the plain view first): levels (C, h_l, w_l),
        mask features (C, H, W)."""
        self.features[frame] = list(views)

    def ready_clips(self) -> List[Tuple[int, int]]:
        """Scheduled clips whose frames are all cached, in order."""
        ready = []
        k = self.next_clip
        while k < len(self.clips) and all(
                f in self.features for f in range(*self.clips[k])):
            ready.append(self.clips[k])
            k += 1
        return ready

    def clip_features(self, start: int, end: int, view: int = 0
                      ) -> Tuple[List[Tensor], Tensor]:
        """Stack a clip's cached features of one test view: levels
        (1, T, C, h, w) and mask features (1, T, C, H, W)."""
        frames = [self.features[f][view] for f in range(start, end)]
        levels = [torch.stack([fr[0][i] for fr in frames])[None]
                  for i in range(len(frames[0][0]))]
        return levels, torch.stack([fr[1] for fr in frames])[None]

    def neighbours(self) -> Tuple[Optional[Tuple[int, int]],
                                  Optional[Tuple[int, int]]]:
        """The clips before and after the current one (or None)."""
        k = self.next_clip
        prev = self.clips[k - 1] if k > 0 else None
        nxt = self.clips[k + 1] if k + 1 < len(self.clips) else None
        return prev, nxt

    def finish_clip(self, logits: Tensor, probs: Tensor) -> None:
        """Store the current clip's track-ordered outputs and move on.

        Args:
            logits (Tensor): (N, T, h, w) mask logits in track order.
            probs (Tensor): (N, K) class probabilities in track order.
        """
        start, _ = self.clips[self.next_clip]
        _, nxt = self.neighbours()
        before = nxt[0] if nxt is not None else self.meta['video_length']
        self.results.add_class_probs(probs)
        for frame, avg in self.averager.add(start, logits, before):
            self._finish_frame(frame, avg)
        self.next_clip += 1
        keep_from = nxt[0] if nxt is not None else self.meta['video_length']
        for f in [f for f in self.features if f < keep_from]:
            del self.features[f]

    def _finish_frame(self, frame: int, logits: Tensor) -> None:
        self.results.add_frame(frame, logits, self.meta['pad_hw'],
                               self.meta['img_hw'], self.meta['ori_hw'])

    def finish_video(self, top_k: int, mask_score: bool = True
                     ) -> InstanceData:
        """Release the remaining frames and select the video's top k
        (see :meth:`VideoTrackResults.top_k`)."""
        if self.next_clip != len(self.clips):
            raise RuntimeError(
                f'video ended after {self.next_clip} of {len(self.clips)} '
                f'clips: frames are missing from the test chunks')
        for frame, avg in self.averager.flush():
            self._finish_frame(frame, avg)
        return self.results.top_k(top_k, self.meta['video_length'],
                                  mask_score)
