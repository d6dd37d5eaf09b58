"""Per-video inference state of MinVIS: online frame-to-frame tracking.

MinVIS (Huang et al., NeurIPS 2022) runs an image instance
segmentation model on every frame and associates the N query outputs of a
frame with those of the previous frame by bipartite matching of their
embeddings (cosine similarity). Each track's class is decided from the
average of its per-frame class logits over the whole video; the top k
(track, class) pairs by probability are the video's instances.

This state does it online: each frame, once tracked, is reduced at once to
N compressed RLE masks at the original size, and the class logits are
summed. What it holds does not grow with the video except those RLEs (the
output itself): the tracker keeps one frame of embeddings (N, C), the sum
is (N, K + 1), and no feature map or mask logit outlives its frame.
"""
from typing import Dict, List, Optional

import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmengine.structures import InstanceData
from torch import Tensor

from vostoolkit.models.base import BaseTracker, ClipQueries
from vostoolkit.models.segmentors.vos_utils import logits_to_original


def encode_masks(binary: Tensor) -> List[dict]:
    """(N, H, W) bool -> N COCO RLE dicts with str counts."""
    masks = binary.permute(1, 2, 0).cpu().numpy().astype(np.uint8)  # (H,W,N)
    rles = mask_utils.encode(np.asfortranarray(masks))
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles


class MinVISVideoState:
    """Everything MinVIS remembers about the video being processed.

    The video loop calls :meth:`reset` before every video (through the
    model's ``video_states()``); :meth:`start` reads the geometry of the
    video from its first chunk.

    Args:
        tracker (BaseTracker): Any tracker that matches on the fields a
            frame has (``embeds``, ``class_probs``), e.g.
            ``CosineClipTracker``; its ids must be a permutation of the
            track ids 0..N-1 (every frame has N queries).
        query_chunk (int): Queries up-sampled together (bounds the memory of
            one frame's post-processing).
    """

    def __init__(self, tracker: BaseTracker, query_chunk: int = 16):
        self.tracker = tracker
        self.query_chunk = query_chunk
        self.reset()

    def reset(self) -> None:
        """Forget the previous video."""
        self.tracker.reset()
        self.logit_sum: Optional[Tensor] = None  # (N, K + 1) track order
        self.num_frames = 0
        self.frames: Dict[int, List[dict]] = {}  # frame -> N RLEs
        self.meta: dict = {}

    @property
    def started(self) -> bool:
        """Whether :meth:`start` was called since the last reset."""
        return bool(self.meta)

    def start(self, meta: dict) -> None:
        """Begin a video described by the metainfo of its first chunk."""
        self.reset()
        img_hw = tuple(meta.get('img_shape', meta.get('ori_shape'))[:2])
        pad_hw = tuple(meta.get('batch_input_shape',
                                meta.get('pad_shape', img_hw))[:2])
        self.meta = dict(
            video_length=int(meta.get('video_length', 0)), img_hw=img_hw,
            pad_hw=pad_hw, ori_hw=tuple(meta.get('ori_shape', img_hw)[:2]))

    def track(self, embeds: Tensor,
              class_probs: Optional[Tensor] = None) -> Tensor:
        """Order one frame's queries by track.

        Args:
            embeds (Tensor): (N, C) query embeddings of the frame.
            class_probs (Tensor, optional): (N, K) class probabilities.

        Returns:
            Tensor: (N,) long; entry ``j`` is the query index of track ``j``.
        """
        clip = ClipQueries(embeds=embeds, class_probs=class_probs)
        ids = self.tracker.update(clip).to(embeds.device)
        n = ids.numel()
        order = torch.arange(n, device=ids.device)
        if not torch.equal(ids.sort().values, order):
            raise RuntimeError(
                f'{type(self.tracker).__name__} returned track ids '
                f'{ids.tolist()}; MinVIS needs every frame to map its N '
                f'queries onto tracks 0..N-1')
        inverse = torch.empty_like(ids)
        inverse[ids] = order
        return inverse

    def add_frame(self, frame: int, cls_logits: Tensor, mask_logits: Tensor,
                  embeds: Tensor) -> None:
        """Track one frame and keep its result.

        Args:
            frame (int): Video frame index.
            cls_logits (Tensor): (N, K + 1) class logits of the queries.
            mask_logits (Tensor): (N, h, w) mask logits at the mask-feature
                stride of the padded input.
            embeds (Tensor): (N, C) query embeddings.
        """
        if not self.started:
            raise RuntimeError('MinVISVideoState.add_frame before start()')
        order = self.track(embeds, cls_logits.softmax(-1)[:, :-1])
        logits = cls_logits[order].detach().float().cpu()
        self.logit_sum = logits if self.logit_sum is None else (
            self.logit_sum + logits)
        self.num_frames += 1
        rles: List[dict] = []
        for chunk in mask_logits[order].split(self.query_chunk):
            x = logits_to_original(chunk, self.meta['pad_hw'],
                                   self.meta['img_hw'], self.meta['ori_hw'])
            rles += encode_masks(x > 0)
        self.frames[int(frame)] = rles

    def finish_video(self, top_k: int) -> InstanceData:
        """The ``top_k`` (track, class) pairs of the video.

        The class probabilities of a track are the softmax of its class
        logits averaged over the frames (without "no object"); every pair
        is scored by its probability and a track may appear with several
        classes (MinVIS's and Mask2Former's top-k).

        Returns:
            InstanceData: ``scores`` (k,), ``labels`` (k,) 0-based,
            ``track_ids`` (k,), ``rles`` (k lists of ``video_length`` RLE
            dicts, at the original size).
        """
        length = self.meta.get('video_length') or len(self.frames)
        missing = [f for f in range(length) if f not in self.frames]
        if missing or self.logit_sum is None:
            raise RuntimeError(f'video ended with frames {missing[:5]} not '
                               f'predicted ({len(missing)} in all)')
        probs = (self.logit_sum / self.num_frames).softmax(-1)[:, :-1]
        num_classes = probs.shape[1]
        scores = probs.flatten()  # (N*K,)
        top, idx = scores.topk(min(top_k, scores.numel()))
        tracks = idx // num_classes
        result = InstanceData()
        result.scores = top
        result.labels = idx % num_classes
        result.track_ids = tracks
        result.rles = [[self.frames[f][int(q)] for f in range(length)]
                       for q in tracks]
        return result
