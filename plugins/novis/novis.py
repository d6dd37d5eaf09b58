"""The NOVIS model: per-frame backbone and pixel decoder, a video instance
decoder over clips, and near-online tracking between clips."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.segmentors import (BaseVideoSegmentor,
                                          FrameSemanticPretrainer)
from vostoolkit.models.base import ClipQueries
from vostoolkit.registry import BACKBONES, HEADS, MODELS, NECKS, TRACKERS
from vostoolkit.structures import VideoDataSample

from .inference import NOVISVideoState
from .tta import logits_to_reference, match_queries, tta_views, view_input

SampleList = List[VideoDataSample]


@MODELS.register_module()
class NOVIS(BaseVideoSegmentor):
    """Near-Online Video Instance Segmentation (Meinhardt et al., 2023).

    Training: a batch of clips (N, T, 3, H, W); each clip's ground-truth
    tubes (objects present on at least one of its frames, fully occluded
    frames as empty masks) are matched to the decoder's queries and the
    set losses of the decoder are returned.

    Inference (batch of one chunk of a video at a time): each frame's
    features are computed once and cached; clips of ``clip_len`` frames every
    ``stride`` frames (the last clip ends at the last frame) are decoded as
    soon as their frames have arrived; the tracker orders each clip's
    queries into tracks (with overlap embeddings, section 4.3, by default);
    mask logits are averaged over overlapping clips, and every frame, once
    final, is up-sampled to the original size and kept as RLE. At the end of
    the video the ``top_k`` (track, class) pairs by class probability x
    mask score are returned in ``pred_instances``. With test-time
    augmentation (``test_cfg['tta']``), every clip is also decoded on
    flipped / rescaled copies of its frames and the copies' outputs are
    averaged into the clip's before tracking.

    Args:
        backbone (dict): ``BACKBONES`` config (multi-scale maps, strides 4 to
            32).
        pixel_decoder (dict): ``NECKS`` config, e.g.
            ``MSDeformAttnPixelDecoder``.
        decoder (dict): ``HEADS`` config, ``NOVISVideoDecoder``.
        tracker (dict, optional): ``TRACKERS`` config, any tracker of the
            role (``BaseTracker.update(ClipQueries)``); default
            ``CosineClipTracker``. ``IoUClassClipTracker`` gives the
            heuristic ablation, ``EmbeddingBufferTracker`` the online buffer
            (use it with ``clip_len=stride=1``).
        clip_len (int): T at test time.
        stride (int): S at test time.
        overlap_embeddings (bool): Match clips with overlap embeddings
            (else with the whole-clip output embeddings).
        auxiliary_head (dict, optional): ``HEADS`` config of a per-pixel
            semantic head (``SemanticFPNHead``) trained on the backbone
            levels ``auxiliary_levels`` of every training frame, each pixel
            labelled with its instance's category or background (as
            mmseg's auxiliary heads: a training loss only, unused at test
            time). Default none (the paper's model).
        auxiliary_levels (Sequence[int]): Backbone outputs given to the
            auxiliary head, finest first.
        test_cfg (dict, optional): Test-time options (mmdet's
            ``model.test_cfg``): ``top_k`` (int, default 10), the
            predictions kept per video; ``tta`` (dict, default None: one
            view, the paper's inference), test-time augmentation
            ``dict(scales=(1.0, 1.25), flip=True)``: the clip is decoded
            on every rescaled and / or horizontally flipped copy of its
            frames too; each copy's queries are matched to the plain
            clip's (Hungarian on mask IoU plus embedding cosine) and their
            mask logits, mapped back onto the plain grid, and class
            probabilities are averaged; tracking uses the plain clip's
            embeddings; ``score`` (str): ``'class_mask'`` (default: class
            probability times mask score, Mask2Former's) or ``'class'``
            (the class probability alone, Mask2Former-VIS's).
        data_preprocessor (dict, optional): Defaults to
            ``VideoDataPreprocessor``.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, backbone: dict, pixel_decoder: dict, decoder: dict, *,
                 tracker: Optional[dict] = None, clip_len: int = 4,
                 stride: int = 2, overlap_embeddings: bool = True,
                 auxiliary_head: Optional[dict] = None,
                 auxiliary_levels: Sequence[int] = (1, 2, 3),
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = BACKBONES.build(backbone)
        self.pixel_decoder = NECKS.build(pixel_decoder)
        self.decoder = HEADS.build(decoder)
        if overlap_embeddings and not hasattr(self.decoder,
                                              'overlap_embeddings'):
            raise TypeError(f'overlap_embeddings=True needs a decoder with '
                            f'overlap_embeddings() (NOVISVideoDecoder), got '
                            f'{type(self.decoder).__name__}')
        self.tracker = TRACKERS.build(tracker or dict(
            type='CosineClipTracker'))
        self.clip_len, self.stride = clip_len, stride
        self.use_overlap_embeddings = overlap_embeddings
        self.test_cfg = dict(top_k=10, tta=None, score='class_mask')
        unknown = set(test_cfg or {}) - set(self.test_cfg)
        if unknown:
            raise TypeError(f'NOVIS test_cfg: unknown keys {sorted(unknown)}'
                            f' (known: {sorted(self.test_cfg)})')
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['score'] not in ('class_mask', 'class'):
            raise ValueError(f"NOVIS test_cfg.score must be 'class_mask' or "
                             f"'class', got {self.test_cfg['score']!r}")
        self.test_views = tta_views(**(self.test_cfg['tta'] or {}))
        self.auxiliary_head = (HEADS.build(auxiliary_head)
                               if auxiliary_head is not None else None)
        self.auxiliary_levels = tuple(auxiliary_levels)
        self.state = NOVISVideoState(clip_len, stride, self.tracker)

    def video_states(self) -> List[NOVISVideoState]:
        """Per-video state reset by the video loop (tracker included)."""
        return [self.state]

    # ------------------------------------------------------------ features
    def extract_feats(self, frames: Tensor,
                      backbone_feats: Optional[list] = None
                      ) -> Tuple[List[Tensor], Tensor]:
        """Backbone and pixel decoder, frame by frame.

        Args:
            frames (Tensor): (F, 3, H, W).
            backbone_feats (list, optional): the backbone outputs (F, ...)
                are appended to it when it is given.

        Returns:
            tuple: levels, a list of (F, C, h_l, w_l) coarse to fine, and
            mask features (F, C_m, H / 4, W / 4).
        """
        feats = self.backbone(frames)
        if backbone_feats is not None:
            backbone_feats.extend(feats)
        mask_features, levels = self.pixel_decoder(feats)
        return levels, mask_features

    def _clip_feats(self, inputs: Tensor, backbone_feats: Optional[list] = None
                    ) -> Tuple[List[Tensor], Tensor]:
        """Levels (N, T, C, h, w) and mask features of a batch of clips;
        the backbone outputs (N*T, ...) are appended to ``backbone_feats``
        when it is given."""
        b, t = inputs.shape[:2]
        # (N, T, 3, H, W) -> (N*T, 3, H, W)
        levels, mask_feats = self.extract_feats(inputs.flatten(0, 1),
                                                backbone_feats)
        # (N*T, C, h, w) -> (N, T, C, h, w)
        levels = [x.view(b, t, *x.shape[1:]) for x in levels]
        return levels, mask_feats.view(b, t, *mask_feats.shape[1:])

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> Dict:
        """Raw network outputs of a batch of clips (``mode='tensor'``).

        Args:
            inputs (Tensor): (B, T, 3, H, W) preprocessed clips.
            data_samples (list, optional): Unused.

        Returns:
            dict: ``backbone_feats``, the backbone maps (B, T, C_i, h_i,
            w_i) finest first; ``mask_features`` (B, T, C_m, H/4, W/4) and
            ``multi_scale_feats`` (the pixel decoder's encoder maps
            (B, T, C, h_l, w_l), coarse to fine); ``cls_logits`` and
            ``mask_logits``, lists of L + 1 predictions (before the first
            decoder layer, then after each layer) of (B, Q, K + 1) and
            (B, Q, T, H/4, W/4); ``embeds`` (B, Q, C), the normalised
            last-layer queries.
        """
        feats: List[Tensor] = []
        levels, mask_feats = self._clip_feats(inputs, feats)
        out = self.decoder(levels, mask_feats)
        b, t = inputs.shape[:2]
        # (B*T, C, h, w) -> (B, T, C, h, w)
        feats = [x.view(b, t, *x.shape[1:]) for x in feats]
        return dict(backbone_feats=feats, mask_features=mask_feats,
                    multi_scale_feats=levels, cls_logits=out['cls_logits'],
                    mask_logits=out['mask_logits'], embeds=out['embeds'])

    # ------------------------------------------------------------ training
    @staticmethod
    def _targets(sample: VideoDataSample, t: int, hw: Tuple[int, int]
                 ) -> dict:
        """Tubes present on at least one of the clip's t frames, padded to
        hw."""
        gt = sample.get('gt_instances')
        if gt is None or len(gt) == 0:
            return dict(labels=torch.zeros(0, dtype=torch.long),
                        masks=torch.zeros(0, t, *hw, dtype=torch.bool))
        masks = gt.masks.bool()
        pad_h, pad_w = hw[0] - masks.shape[-2], hw[1] - masks.shape[-1]
        if pad_h < 0 or pad_w < 0:
            raise ValueError(f'ground-truth masks {tuple(masks.shape[-2:])} '
                             f'are larger than the input {hw}')
        if pad_h or pad_w:
            masks = F.pad(masks, (0, pad_w, 0, pad_h))
        present = masks.flatten(1).any(1)
        return dict(labels=gt.labels[present].long(), masks=masks[present])

    def loss(self, inputs: Tensor, data_samples: SampleList
             ) -> Dict[str, Tensor]:
        """Set losses of a batch of clips (see :meth:`Mask2FormerVideoHead.
        loss`), plus ``aux.loss_sem`` with an auxiliary head."""
        feats: List[Tensor] = []
        outputs = self.decoder(*self._clip_feats(inputs, feats))
        t, hw = inputs.shape[1], tuple(inputs.shape[-2:])
        targets = [self._targets(s, t, hw) for s in data_samples]
        for target in targets:
            target['labels'] = target['labels'].to(inputs.device)
            target['masks'] = target['masks'].to(inputs.device)
        losses = self.decoder.loss(outputs, targets)
        if self.auxiliary_head is not None:
            labels = FrameSemanticPretrainer.batch_labels(
                data_samples, t, hw, inputs.device)  # (N*T, H, W)
            logits = self.auxiliary_head(
                [feats[i] for i in self.auxiliary_levels])
            aux = self.auxiliary_head.loss(logits, labels)
            losses.update({f'aux.{k}': v for k, v in aux.items()})
        return losses

    # ----------------------------------------------------------- inference
    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: SampleList
                ) -> SampleList:
        """Stream a chunk of a video; return the video's predictions with
        its last chunk (see the class docstring)."""
        finished = []
        for clip, sample in zip(inputs, data_samples):
            meta = sample.metainfo
            if 'video_length' not in meta:
                raise ValueError(
                    f'NOVIS.predict needs the video_length meta of video '
                    f'{meta.get("video_name", meta.get("video_id", "?"))} '
                    f'to plan its clips (see docs/data_pipeline.md)')
            if meta.get('is_first', True) or not self.state.started:
                self.state.start(meta, self.decoder.num_queries)
            views = [self.extract_feats(clip)]
            divisor = getattr(self.data_preprocessor, 'pad_size_divisor', 1)
            for view in self.test_views[1:]:
                views.append(self.extract_feats(
                    view_input(clip, view, divisor)))
            frame_ids = meta.get('frame_ids', range(clip.shape[0]))
            for i, frame in enumerate(frame_ids):
                self.state.add_frame_features(
                    int(frame), *[([x[i] for x in levels], mask_feats[i])
                                  for levels, mask_feats in views])
            for start, end in self.state.ready_clips():
                self._run_clip(start, end)
            if meta.get('is_last', True):
                sample.pred_instances = self.state.finish_video(
                    self.test_cfg['top_k'],
                    self.test_cfg['score'] == 'class_mask')
                # the predictions cover the whole video, not just this chunk
                sample.set_metainfo(dict(frame_ids=list(
                    range(self.state.meta['video_length']))))
                finished.append(sample)
        return finished

    def _run_clip(self, start: int, end: int) -> None:
        out = self.decoder(*self.state.clip_features(start, end),
                           all_masks=False)
        cls_logits = out['cls_logits'][-1][0]  # (N, K + 1)
        mask_logits = out['mask_logits'][-1][0]  # (N, T, h, w)
        probs = cls_logits.softmax(-1)[:, :-1]  # drop "no object"
        if len(self.test_views) > 1:
            mask_logits, probs = self._average_views(
                out['embeds'][0], mask_logits, probs, start, end)
        ids = self._track(out, start, end).to(mask_logits.device)
        n = ids.numel()
        order = torch.arange(n, device=ids.device)
        if not torch.equal(ids.sort().values, order):
            raise RuntimeError(f'{type(self.tracker).__name__} returned track '
                               f'ids {ids.tolist()}; NOVIS needs every clip '
                               f'to map its N queries onto tracks 0..N-1')
        inverse = torch.empty_like(ids)
        inverse[ids] = order
        self.state.finish_clip(mask_logits[inverse], probs[inverse])

    def _average_views(self, embeds: Tensor, mask_logits: Tensor,
                       probs: Tensor, start: int, end: int
                       ) -> Tuple[Tensor, Tensor]:
        """The plain clip's (N, T, h, w) mask logits and (N, K) class
        probabilities averaged with those of the other test views."""
        sum_logits, sum_probs = mask_logits.clone(), probs.clone()
        for v, view in enumerate(self.test_views[1:], 1):
            out = self.decoder(*self.state.clip_features(start, end, v),
                               all_masks=False)
            logits = logits_to_reference(out['mask_logits'][-1][0], view,
                                         mask_logits.shape[-2:])
            perm = match_queries(mask_logits, embeds, logits,
                                 out['embeds'][0])
            sum_logits += logits[perm]
            sum_probs += out['cls_logits'][-1][0].softmax(-1)[perm, :-1]
        n = len(self.test_views)
        return sum_logits / n, sum_probs / n

    def _track(self, out: Dict, start: int, end: int) -> Tensor:
        """Track ids (N,) of the clip's queries.

        The tracker gets the clip's :class:`ClipQueries`: the output
        embeddings, the class probabilities, the binary masks on the frames
        shared with the previous and the next clip and, with
        ``overlap_embeddings``, the overlap embeddings on those frames
        (computed only for a tracker that reads them).
        """
        prev, nxt = self.state.neighbours()
        front = prev[1] - start if prev is not None else 0  # shared frames
        back = nxt[0] - start if nxt is not None else end - start
        clip = ClipQueries(embeds=out['embeds'][0])
        tracker = self.tracker
        if self.use_overlap_embeddings:
            if front > 0 and tracker.wants('match_embeds'):
                clip.match_embeds = self.decoder.overlap_embeddings(
                    out, range(front))[0]
            if back < end - start and tracker.wants('carry_embeds'):
                clip.carry_embeds = self.decoder.overlap_embeddings(
                    out, range(back, end - start))[0]
        binary = out['mask_logits'][-1][0] > 0  # (N, T, h, w)
        clip.front_masks = binary[:, :front]
        clip.back_masks = binary[:, back:]
        clip.class_probs = out['cls_logits'][-1][0].softmax(-1)[:, :-1]
        return tracker.update(clip)
