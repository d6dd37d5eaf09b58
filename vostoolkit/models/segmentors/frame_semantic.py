"""Frame-level semantic pretraining of a backbone on an instance-labelled
video dataset.

Video instance segmentation methods start from a backbone pretrained on
images (NOVIS: a Mask2Former pretrained on COCO, itself from ImageNet). Where
no such weights can be had (our machines, the toy data), this model gives a
backbone the same head start from the training videos themselves: each
frame's pixels are classified into background or their instance's category,
a dense task that teaches the features at an object's location what the
object is. Train it with ``tools/train.py``; an :class:`~vostoolkit.engine.
ExportModuleHook` writes the backbone under its own parameter names, and the
next stage's config loads it with ``init_cfg=dict(type='Pretrained', ...)``
(``configs/pretrain/pretrain_r18_toy-ytvis.py`` then
``novis_r18_toy-ytvis.py``).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from vostoolkit.registry import BACKBONES, HEADS, MODELS
from vostoolkit.structures import VideoDataSample

from .base import BaseVideoSegmentor, SampleList


@MODELS.register_module()
class FrameSemanticPretrainer(BaseVideoSegmentor):
    """Backbone + :class:`~vostoolkit.models.heads.SemanticFPNHead` on
    every frame of the training clips.

    Args:
        backbone (dict): ``BACKBONES`` config.
        head (dict): ``HEADS`` config (a semantic head with ``loss`` and
            ``predict``); its ``in_channels`` match the chosen levels.
        in_levels (Sequence[int]): Backbone outputs given to the head.
        data_preprocessor (dict, optional): As in
            :class:`BaseVideoSegmentor`.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, backbone: dict, head: dict, *,
                 in_levels: Sequence[int] = (1, 2, 3),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = BACKBONES.build(backbone)
        self.head = HEADS.build(head)
        self.in_levels = tuple(in_levels)

    @staticmethod
    def frame_labels(sample: VideoDataSample, t: int,
                     hw: Tuple[int, int]) -> Tensor:
        """(t, H, W) long class map of a clip: 0 background, category + 1
        under each instance's mask, -1 on the padding beyond ``img_shape``.
        """
        labels = torch.zeros(t, *hw, dtype=torch.long)
        gt = sample.get('gt_instances')
        if gt is not None and len(gt):
            masks = gt.masks.bool()  # (G, t, h, w), h <= H and w <= W
            h, w = masks.shape[-2:]
            if h > hw[0] or w > hw[1]:
                raise ValueError(f'ground-truth masks {(h, w)} are larger '
                                 f'than the input {tuple(hw)}')
            for mask, label in zip(masks, gt.labels.tolist()):
                labels[:, :h, :w][mask] = int(label) + 1
        img_h, img_w = sample.metainfo.get('img_shape', hw)[:2]
        labels[:, img_h:] = -1
        labels[:, :, img_w:] = -1
        return labels

    @classmethod
    def batch_labels(cls, data_samples: SampleList, t: int,
                     hw: Tuple[int, int], device=None) -> Tensor:
        """(N*T, H, W) class maps of a batch of clips (see
        :meth:`frame_labels`), on ``device``."""
        return torch.cat([cls.frame_labels(s, t, hw)
                          for s in data_samples]).to(device)

    def _head_inputs(self, inputs: Tensor) -> List[Tensor]:
        """The chosen backbone levels of every frame, (N*T, C_i, H_i, W_i)."""
        frames = inputs.flatten(0, 1)  # (N, T, 3, H, W) -> (N*T, 3, H, W)
        feats = self.backbone(frames)
        return [feats[i] for i in self.in_levels]

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> Tensor:
        """(N*T, K + 1, h, w) logits of every frame."""
        return self.head(self._head_inputs(inputs))

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Per-pixel cross-entropy over all frames of the batch."""
        t, hw = inputs.shape[1], tuple(inputs.shape[-2:])
        labels = self.batch_labels(data_samples, t, hw, inputs.device)
        return self.head.loss(self._forward(inputs), labels)

    def predict(self, inputs: Tensor,
                data_samples: SampleList) -> SampleList:
        """Set ``pred_sem_seg`` (T, h, w) long on each sample: the class map
        (0 background, category + 1) cropped to ``img_shape``."""
        n, t = inputs.shape[:2]
        maps = self.head.predict(self._head_inputs(inputs), inputs.shape[-2:])
        maps = maps.view(n, t, *maps.shape[-2:])  # (N*T, H, W) -> (N, T, ..)
        results: List[VideoDataSample] = []
        for clip_map, sample in zip(maps, data_samples):
            h, w = sample.metainfo.get('img_shape', clip_map.shape[-2:])[:2]
            sample.pred_sem_seg = clip_map[:, :h, :w]
            results.append(sample)
        return results
