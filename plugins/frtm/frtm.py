"""FRTM-VOS top-level model: frozen backbone F, online target model D,
offline-trained refinement network R (Robinson et al.)."""
import inspect
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from vostoolkit.models.segmentors.base import BaseVideoSegmentor, SampleList
from vostoolkit.models.segmentors.vos_utils import (id_map_at_original_size,
                                                  objects_given_on_frame)
from vostoolkit.registry import (BACKBONES, HEADS, MODELS, NECKS,
                                 TARGET_MODELS)
from vostoolkit.registry import TASK_UTILS

from .inference import FRTMVideoInference
from .training import FRTMTrainingMixin


def flatten_maps(outputs) -> List[Tensor]:
    """The maps of a neck's outputs in order, depth first: a tensor, or
    nested tuples / lists of tensors (``MSDeformAttnPixelDecoder``'s
    ``(mask_features, [stride 32, 16, 8 maps])`` gives four maps)."""
    if isinstance(outputs, Tensor):
        return [outputs]
    if isinstance(outputs, (list, tuple)):
        return [m for out in outputs for m in flatten_maps(out)]
    raise TypeError(f'a neck output must be a tensor or a list / tuple of '
                    f'them, got {type(outputs).__name__}')


@MODELS.register_module()
class FRTM(FRTMTrainingMixin, BaseVideoSegmentor):
    """FRTM-VOS: a target model learned online feeds a refinement network.

    Training (sec. 3.3): each clip is one reference frame (clip frame 0)
    followed by validation frames. For one object of the reference frame,
    the target model is learned on M0 made from the reference (no gradient
    flows through the optimiser), then the refinement head predicts the
    object on the validation frames and is trained with binary
    cross-entropy. Inference (Algorithm 1) runs frame by frame with one
    target model per object (:class:`FRTMVideoInference`).

    Args:
        backbone (dict): ``BACKBONES`` config returning the maps the head
            reads, shallowest first (the authors' refinement network: ResNet
            ``out_indices=('layer1', 'layer2', 'layer3', 'layer4')``, i.e.
            conv2_x to conv5_x).
        target_model (dict): ``TARGET_MODELS`` config (``FRTMTargetModel``);
            ``in_channels`` defaults to the channels of ``target_level``.
        head (dict): ``HEADS`` config taking ``(scores, feats, out_size)``
            (``FRTMRefinementHead``; ``FRTMScoreHead`` for D-only);
            ``in_channels`` defaults to the backbone's for the refinement
            head.
        augmenter (dict): ``TASK_UTILS`` config making M0 from a frame in
            0..255 RGB (the frames are un-normalised with the data
            preprocessor's mean and std for it, and normalised back).
        neck (dict, optional): ``NECKS`` config between the backbone and
            D / R (e.g. Mask2Former's ``MSDeformAttnPixelDecoder``). The
            maps D and R choose from are then the backbone's followed by
            the neck's outputs (:func:`flatten_maps`); ``in_channels`` of
            the target model and the head must be given for neck maps.
            None (default): the backbone's maps only, the authors' model.
        head_levels (Sequence[int], optional): Indices of the maps R reads,
            shallowest first; None (default): all of them, in order.
        target_level (int): Index of the map D reads (2: conv4_x).
        freeze_backbone (bool): Keep the backbone fixed (the paper). False
            trains it with the head (small configs without pretrained
            weights); D still gets no gradient.
        freeze_neck (bool): Keep the neck fixed (default), as the
            backbone with ``freeze_backbone``.
        train_num_samples (int, optional): Size of M0 during training
            (default: the augmenter's).
        train_target_overrides (dict, optional): Target-model settings
            used only while training R (e.g. fewer Gauss-Newton steps on
            CPU); inference always uses ``target_model`` as given.
        feature_chunk (int): Images per backbone call when extracting M0.
        test_seed (int, optional): Seed of M0's augmentation (restarted for
            every object, as the authors' tracker) and of the target models'
            initialisation (restarted for every video), so results do not
            depend on video order or sharding; ``None``: unseeded.
        data_preprocessor (dict, optional): Defaults to
            ``VideoDataPreprocessor``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, backbone: dict, target_model: dict, head: dict,
                 augmenter: dict = dict(type='FRTMFirstFrameAugmenter'), *,
                 neck: Optional[dict] = None,
                 head_levels: Optional[Sequence[int]] = None,
                 target_level: int = 2, freeze_backbone: bool = True,
                 freeze_neck: bool = True,
                 train_num_samples: Optional[int] = None,
                 train_target_overrides: Optional[dict] = None,
                 feature_chunk: int = 4, test_seed: Optional[int] = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = BACKBONES.build(backbone)
        channels = tuple(self.backbone.out_channels)
        self.neck = NECKS.build(neck) if neck is not None else None
        if self.neck is None and not 0 <= target_level < len(channels):
            raise ValueError(f'target_level {target_level} is not one of the '
                             f'{len(channels)} backbone maps')
        self.head_levels = None if head_levels is None else \
            tuple(int(i) for i in head_levels)
        if target_level < 0 or any(i < 0 for i in self.head_levels or ()):
            raise ValueError(f'target_level {target_level} and head_levels '
                             f'{head_levels} must be map indices (>= 0)')
        if self.neck is None and max(self.head_levels or (0, )) >= len(
                channels):
            raise ValueError(f'head_levels {head_levels}: there are '
                             f'{len(channels)} backbone maps')
        target_model = dict(target_model)
        if target_level < len(channels):
            target_model.setdefault('in_channels', channels[target_level])
        elif 'in_channels' not in target_model:
            raise ValueError(f'target_level {target_level} is a neck map: '
                             'give target_model.in_channels')
        self.target_model = TARGET_MODELS.build(target_model)
        # holds hyper-parameters only: no parameters, nothing to save
        self.train_target_model = self.target_model
        if train_target_overrides:
            self.train_target_model = TARGET_MODELS.build(
                {**target_model, **train_target_overrides})
        head = dict(head)
        head_cls = head['type'] if isinstance(head['type'], type) else \
            HEADS.get(head['type'])
        if head_cls is not None and 'in_channels' in inspect.signature(
                head_cls).parameters and 'in_channels' not in head:
            levels = self.head_levels
            if levels is None and self.neck is None:
                head['in_channels'] = channels
            elif levels is not None and max(levels) < len(channels):
                head['in_channels'] = tuple(channels[i] for i in levels)
            else:
                raise ValueError('the head reads neck maps: give '
                                 'head.in_channels')
        self.head = HEADS.build(head)
        self.augmenter = TASK_UTILS.build(augmenter)
        self.target_level = target_level
        self.freeze_backbone = freeze_backbone
        self.freeze_neck = freeze_neck
        self.train_num_samples = train_num_samples
        self.feature_chunk = feature_chunk
        if freeze_backbone:
            self.backbone.requires_grad_(False)
        if self.neck is not None and freeze_neck:
            self.neck.requires_grad_(False)
        refine = self.head if self.head_levels is None else self.refine
        self.inference = FRTMVideoInference(
            self.target_model, self.first_frame_set, refine, target_level,
            seed=test_seed)
        self._rng = np.random.default_rng(0)
        self._aug_rng = np.random.RandomState(0)

    def train(self, mode: bool = True) -> 'FRTM':
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        if self.neck is not None and self.freeze_neck:
            self.neck.eval()
        return self

    def video_states(self) -> List[FRTMVideoInference]:
        return [self.inference]

    # ------------------------------------------------------------ features
    def extract_feats(self, images: Tensor) -> Tuple[Tensor, ...]:
        """Feature maps of (N, 3, H, W) images: the backbone's, then the
        neck's if any (no graph through a frozen part).

        Returns:
            tuple[Tensor]: maps (N, C_i, H_i, W_i); ``target_level`` and
            ``head_levels`` index them.
        """
        grad = torch.is_grad_enabled()
        with torch.set_grad_enabled(grad and not self.freeze_backbone):
            maps = tuple(self.backbone(images))
        if self.neck is None:
            return maps
        with torch.set_grad_enabled(grad and not self.freeze_neck):
            maps = maps + tuple(flatten_maps(self.neck(maps)))
        if self.target_level >= len(maps) or \
                max(self.head_levels or (0, )) >= len(maps):
            raise ValueError(
                f'target_level {self.target_level} / head_levels '
                f'{self.head_levels}: there are {len(maps)} maps (backbone '
                f'then {type(self.neck).__name__})')
        return maps

    def refine(self, scores: Tensor, feats: Sequence[Tensor],
               out_size: Sequence[int]) -> Tensor:
        """The head on the maps of ``head_levels``.

        Args:
            scores (Tensor): (O, 1, h, w) target-model scores.
            feats (Sequence[Tensor]): all maps of :meth:`extract_feats`.
            out_size (Sequence[int]): (H, W) of the logits.

        Returns:
            Tensor: (O, 1, H, W) logits.
        """
        if self.head_levels is not None:
            feats = [feats[i] for i in self.head_levels]
        return self.head(scores, feats, out_size)

    @torch.no_grad()
    def extract_target_feats(self, images: Tensor) -> Tensor:
        """Target-level features (S, C, h, w) of M0's images (S, 3, H, W),
        ``feature_chunk`` images at a time; a ResNet stops at that stage."""
        outs = [self._target_map(chunk)
                for chunk in images.split(self.feature_chunk)]
        return torch.cat(outs)

    def _target_map(self, images: Tensor) -> Tensor:
        backbone = self.backbone
        names = getattr(backbone, 'out_indices', ())
        if self.target_level >= len(backbone.out_channels):  # a neck map
            return self.extract_feats(images)[self.target_level]
        stage = names[self.target_level] if names else None
        if not (isinstance(stage, str) and stage.startswith('layer')
                and hasattr(backbone, 'maxpool')):
            return backbone(images)[self.target_level]
        if hasattr(backbone, 'stem'):  # folded and fused at inference
            x = backbone.maxpool(backbone.stem(images, keep_format=True))
        else:
            x = backbone.maxpool(backbone.relu(backbone.bn1(
                backbone.conv1(images))))
        for i in range(1, int(stage[len('layer'):]) + 1):
            x = getattr(backbone, f'layer{i}')(x)
        return x.contiguous()

    def _to_pixels(self, images: Tensor) -> Tensor:
        """(N, 3, H, W) normalised frames -> 0..255 RGB (exact bytes)."""
        pre = self.data_preprocessor
        if getattr(pre, 'mean', None) is not None:
            images = images * pre.std.view(1, -1, 1, 1) + \
                pre.mean.view(1, -1, 1, 1)
        return images.round().clamp(0, 255)

    def _from_pixels(self, images: Tensor) -> Tensor:
        pre = self.data_preprocessor
        if getattr(pre, 'mean', None) is None:
            return images
        return (images - pre.mean.view(1, -1, 1, 1)) / pre.std.view(
            1, -1, 1, 1)

    def first_frame_set(self, image: Tensor, mask: Tensor,
                        rng: np.random.RandomState,
                        num_samples: Optional[int] = None
                        ) -> Tuple[Tensor, Tensor]:
        """M0 of one frame: target-level features and masks.

        Args:
            image (Tensor): (3, H, W) normalised frame.
            mask (Tensor): (H, W) object mask.
            rng (np.random.RandomState): The augmenter's draws.
            num_samples (int, optional): Size of M0 (default: the
                augmenter's).

        Returns:
            tuple[Tensor]: features (S, C, h, w) and masks (S, 1, H, W).
        """
        pixels = self._to_pixels(image[None])[0]
        images, masks = self.augmenter(pixels, mask, rng=rng,
                                       num_samples=num_samples)
        feats = self.extract_target_feats(self._from_pixels(images))
        return feats, masks

    def learn_target(self, image: Tensor, mask: Tensor):
        """Augment one frame into M0 and learn a target state on it.

        Args:
            image (Tensor): (3, H, W) frame.
            mask (Tensor): (H, W) object mask.
        """
        feats, masks = self.first_frame_set(image, mask, self._aug_rng,
                                            self.train_num_samples)
        return self.train_target_model.init_state(feats,
                                                  masks.to(feats.dtype))

    # ----------------------------------------------------------- inference
    def predict(self, inputs: Tensor,
                data_samples: SampleList) -> SampleList:
        """Segment a chunk frame by frame; ``pred_obj_masks`` (T, H0, W0)
        holds object ids at the original size (``ori_shape``).

        Args:
            inputs (Tensor): (1, T, 3, H, W) chunk of a video.
            data_samples (list[VideoDataSample]): ``frame_ids``,
                ``img_shape``, ``ori_shape`` and the given masks
                (``gt_obj_masks`` on each object's first frame, with
                ``obj_ids`` / ``obj_first_frames``).
        """
        results = []
        for clip, sample in zip(inputs, data_samples):
            meta = sample.metainfo
            h, w = meta.get('img_shape', clip.shape[-2:])[:2]
            out_hw = tuple(meta.get('ori_shape', (h, w))[:2])
            clip = clip[..., :h, :w]  # D never sees padding
            labels = []
            for t in range(clip.shape[0]):
                feats = self.extract_feats(clip[t:t + 1])
                ids, masks = objects_given_on_frame(sample, t,
                                                    self.inference.obj_ids)
                new = {} if masks is None else dict(
                    zip(ids, masks[:, :h, :w].to(clip.device)))
                probs, ids = self.inference.step(meta['frame_ids'][t],
                                                 clip[t], feats, new)
                labels.append(
                    id_map_at_original_size(probs, ids, (h, w), out_hw))
            sample.pred_obj_masks = torch.stack(labels).to(torch.uint8)
            results.append(sample)
        return results
