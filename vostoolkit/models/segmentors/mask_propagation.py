"""A tiny mask-propagation baseline: the core's reference VOS model.

For each object, a small network looks at the current frame, the object's
reference frame and mask, and its previous soft mask (8 input channels)
and predicts the object's mask; the objects' probabilities are then merged
by soft aggregation (Oh et al., RGMP) so every pixel has one label.
Inference runs frame by frame; the per-video state (reference frames and
masks, previous probabilities) lives in :class:`PropagationState`, outside
the network, and is reset by the video loop at each new video.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.base import BasePropagationHead
from vostoolkit.registry import BACKBONES, HEADS, MODELS
from vostoolkit.structures import VideoDataSample

from .base import BaseVideoSegmentor, SampleList
from .vos_utils import label_clip, objects_given_on_frame, soft_aggregate

_EPS = 1e-5


@HEADS.register_module()
class MaskPropagationHead(BasePropagationHead):
    """Top-down decoder from multi-scale features to one mask logit.

    Args:
        in_channels (Sequence[int]): Channels of the backbone maps, finest
            first.
        raw_channels (int): Channels of the network input, concatenated
            before the last convolution for full-resolution detail.
        channels (int): Width of the decoder.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, in_channels: Sequence[int], raw_channels: int = 8,
                 channels: int = 16, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.laterals = nn.ModuleList(
            nn.Conv2d(c, channels, 1) for c in in_channels)
        self.fuse = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True))
        self.refine = nn.Sequential(
            nn.Conv2d(channels + raw_channels, channels, 3, padding=1),
            nn.ReLU(inplace=True), nn.Conv2d(channels, 1, 3, padding=1))

    def forward(self, feats: Sequence[Tensor], raw: Tensor) -> Tensor:
        """Args:
            feats (Sequence[Tensor]): (N, C_i, H_i, W_i), finest first.
            raw (Tensor): (N, raw_channels, H, W) network input.

        Returns:
            Tensor: (N, 1, H, W) mask logits.
        """
        x = self.laterals[-1](feats[-1])
        for lateral, feat in zip(self.laterals[-2::-1], feats[-2::-1]):
            x = F.interpolate(x, size=feat.shape[-2:], mode='bilinear',
                              align_corners=False) + lateral(feat)
        x = self.fuse(x)
        x = F.interpolate(x, size=raw.shape[-2:], mode='bilinear',
                          align_corners=False)
        return self.refine(torch.cat([x, raw], dim=1))


class PropagationState:
    """Per-video state of :class:`MaskPropagationBaseline`.

    Attributes:
        obj_ids (list[int]): Objects seen so far, in order.
        ref_frames (Tensor | None): (O, 3, H, W) each object's reference.
        ref_masks (Tensor | None): (O, H, W) each object's given mask.
        prev_probs (Tensor | None): (O, H, W) last aggregated probabilities.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the previous video."""
        self.obj_ids: List[int] = []
        self.ref_frames: Optional[Tensor] = None
        self.ref_masks: Optional[Tensor] = None
        self.prev_probs: Optional[Tensor] = None

    def add(self, obj_ids: List[int], frame: Tensor, masks: Tensor) -> None:
        """Add objects whose masks (K, H, W) are given on ``frame`` (3, H, W).
        """
        frames = frame[None].expand(len(obj_ids), -1, -1, -1)
        self.obj_ids += obj_ids
        self.ref_frames = _cat(self.ref_frames, frames)
        self.ref_masks = _cat(self.ref_masks, masks)
        self.prev_probs = _cat(self.prev_probs, masks)


def _cat(old: Optional[Tensor], new: Tensor) -> Tensor:
    return new if old is None else torch.cat([old, new], dim=0)


@MODELS.register_module()
class MaskPropagationBaseline(BaseVideoSegmentor):
    """Baseline VOS model: per-object mask propagation with soft aggregation.

    Training clips: frame 0 is the reference (its mask is given), frames
    1..T-1 are predicted in order, each from the previous prediction
    (detached); cross-entropy on the aggregated labels, skipping void,
    padding and unannotated frames. Objects absent from the reference
    frame count as background.

    Args:
        backbone (dict): ``BACKBONES`` config taking 8 input channels
            (frame, reference frame, reference mask, previous mask).
        head (dict): ``HEADS`` config; ``in_channels`` defaults to the
            backbone's ``out_channels``.
        data_preprocessor (dict, optional): Defaults to
            ``VideoDataPreprocessor``.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    IN_CHANNELS = 8

    def __init__(self, backbone: dict, head: dict, *,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = BACKBONES.build(backbone)
        if getattr(self.backbone, 'in_channels', 8) != self.IN_CHANNELS:
            raise ValueError(
                f'MaskPropagationBaseline needs a backbone with in_channels='
                f'{self.IN_CHANNELS}, got {self.backbone.in_channels}')
        head = dict(head)
        head.setdefault('in_channels', tuple(self.backbone.out_channels))
        self.head = HEADS.build(head)
        self.state = PropagationState()

    def video_states(self) -> List[PropagationState]:
        return [self.state]

    def propagate(self, frame: Tensor, ref_frames: Tensor, ref_masks: Tensor,
                  prev: Tensor) -> Tensor:
        """Per-object mask logits for one frame.

        Args:
            frame (Tensor): (3, H, W) current frame.
            ref_frames (Tensor): (O, 3, H, W) reference frames.
            ref_masks (Tensor): (O, H, W) reference masks in [0, 1].
            prev (Tensor): (O, H, W) previous masks in [0, 1].

        Returns:
            Tensor: (O, H, W) logits.
        """
        num = ref_frames.shape[0]
        x = torch.cat([frame[None].expand(num, -1, -1, -1), ref_frames,
                       ref_masks[:, None], prev[:, None]], dim=1)  # (O,8,H,W)
        return self.head(self.backbone(x), x)[:, 0]  # (O,1,H,W) -> (O,H,W)

    # ------------------------------------------------------------ training
    def _unroll(self, clip: Tensor, sample: VideoDataSample
                ) -> Tuple[Optional[Tensor], List[int]]:
        """Aggregated logits (T-1, O+1, H, W) for frames 1.. of a clip."""
        gt = sample.gt_obj_masks.long()  # (T, H, W)
        obj_ids = [int(i) for i in gt[0].unique() if i != 0]
        if not obj_ids:
            return None, obj_ids
        ids = torch.tensor(obj_ids, device=gt.device)
        ref_masks = (gt[0][None] == ids[:, None, None]).float()  # (O, H, W)
        ref_frames = clip[0][None].expand(len(obj_ids), -1, -1, -1)
        prev, out = ref_masks, []
        for t in range(1, clip.shape[0]):
            probs = self.propagate(clip[t], ref_frames, ref_masks,
                                   prev).sigmoid()
            logits = soft_aggregate(probs)  # (O+1, H, W)
            out.append(logits)
            prev = logits.softmax(0)[1:].detach()
        return torch.stack(out), obj_ids

    @staticmethod
    def _targets(sample: VideoDataSample, obj_ids: List[int]) -> Tensor:
        """(T-1, H, W) class targets: 0 bg, k+1 object k, -1 ignored."""
        gt = sample.gt_obj_masks.long()[1:]
        target = torch.zeros_like(gt)
        for k, obj_id in enumerate(obj_ids):
            target[gt == obj_id] = k + 1
        ignore = torch.zeros_like(gt, dtype=torch.bool)
        if 'gt_void' in sample:
            ignore |= sample.gt_void[1:].to(gt.device)
        h, w = sample.metainfo.get('img_shape', gt.shape[-2:])[:2]
        ignore[:, h:] = True
        ignore[:, :, w:] = True
        if 'gt_frame_valid' in sample:
            ignore[~sample.gt_frame_valid[1:].to(gt.device)] = True
        return target.masked_fill(ignore, -1)

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Cross-entropy of the aggregated labels over frames 1..T-1.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips.
            data_samples (list[VideoDataSample]): ``gt_obj_masks`` (T, H, W)
                and optionally ``gt_void``, ``gt_frame_valid``.
        """
        total = inputs.new_zeros(())
        count = 0
        for clip, sample in zip(inputs, data_samples):
            logits, obj_ids = self._unroll(clip, sample)
            if logits is None:
                continue
            target = self._targets(sample, obj_ids)
            total = total + F.cross_entropy(logits, target, ignore_index=-1,
                                            reduction='sum')
            count += int((target >= 0).sum())
        # Keeps every parameter in the graph (DDP) when no pixel counts.
        anchor = sum(p.sum() for p in self.parameters() if p.requires_grad)
        return dict(loss_ce=total / max(count, 1) + 0. * anchor)

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> List[Tensor]:
        """Aggregated logits (T-1, O+1, H, W) of each training clip (None for
        a clip without objects on its reference frame)."""
        return [self._unroll(clip, sample)[0]
                for clip, sample in zip(inputs, data_samples)]

    # ----------------------------------------------------------- inference
    def _step(self, frame: Tensor, sample: VideoDataSample, t: int) -> Tensor:
        """Advance the state by one frame; return (O+1, H, W) probabilities.
        """
        state = self.state
        probs = None
        if state.obj_ids:
            probs = self.propagate(frame, state.ref_frames, state.ref_masks,
                                   state.prev_probs).sigmoid()
        new, masks = objects_given_on_frame(sample, t, state.obj_ids)
        if new:
            masks = masks.float()  # (K, H, W)
            if probs is not None:
                # a given mask overrides every propagated object under it
                probs = probs * (1 - masks.amax(0, keepdim=True))
            state.add(new, frame, masks)
            probs = masks if probs is None else torch.cat([probs, masks])
        if probs is None:
            return frame.new_ones((1, *frame.shape[-2:]))
        dist = soft_aggregate(probs).softmax(0)  # (O+1, H, W)
        state.prev_probs = dist[1:]
        return dist

    def predict(self, inputs: Tensor,
                data_samples: SampleList) -> SampleList:
        """Segment a chunk frame by frame; ``pred_obj_masks`` (T, H0, W0)
        holds object ids at the original size (``ori_shape``).

        Args:
            inputs (Tensor): (1, T, 3, H, W) chunk.
            data_samples (list[VideoDataSample]): one sample with
                ``frame_ids``, ``img_shape``, ``ori_shape`` and the given
                masks (``gt_obj_masks`` on each object's first frame).
        """
        results = []
        for clip, sample in zip(inputs, data_samples):
            sample.pred_obj_masks = label_clip(
                clip, sample.metainfo,
                lambda t, clip=clip, sample=sample: self._step(
                    clip[t], sample, t),
                lambda: self.state.obj_ids)
            results.append(sample)
        return results
