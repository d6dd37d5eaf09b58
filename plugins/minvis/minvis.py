"""The MinVIS model: a Mask2Former image instance segmentation model trained
on single frames, tracked online by matching query embeddings."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.segmentors import BaseVideoSegmentor
from vostoolkit.registry import BACKBONES, HEADS, MODELS, NECKS, TRACKERS
from vostoolkit.structures import VideoDataSample

from .inference import MinVISVideoState

SampleList = List[VideoDataSample]


@MODELS.register_module()
class MinVIS(BaseVideoSegmentor):
    """Minimal video instance segmentation (Huang et al., NeurIPS 2022).

    The network is Mask2Former for images: backbone, multi-scale deformable
    pixel decoder and a masked-attention query decoder applied to every
    frame on its own. The decoder is a mask-tube head run on clips of one
    frame (``Mask2FormerVideoHead`` without temporal encoding), so the
    checkpoint keys are those of NOVIS (``backbone.``, ``pixel_decoder.``,
    ``decoder.``) and a converted COCO Mask2Former loads into it.

    Training (image-based): every frame of every training sample is an
    independent image; its targets are the instances visible on it. The
    configs sample one frame per video (``VISClipSampler(num_frames=1)``);
    samples of T > 1 frames are split into T images.

    Inference (tracking by query matching), online, a chunk of a video at a
    time: the frames of the chunk are segmented as a batch; frame by frame, the
    tracker matches the N query embeddings to the previous frame's (the
    Hungarian algorithm on cosine similarity, ``CosineClipTracker``), the
    track-ordered class logits are summed and the masks kept as RLE at the
    original size (:class:`MinVISVideoState`). With the last chunk the
    ``top_k`` (track, class) pairs by the softmax of the frame-averaged
    class logits are returned in ``pred_instances``.

    Args:
        backbone (dict): ``BACKBONES`` config (strides 4 to 32).
        pixel_decoder (dict): ``NECKS`` config, ``MSDeformAttnPixelDecoder``.
        decoder (dict): ``HEADS`` config of a mask head taking levels
            (B, T, C, h, w) and mask features (B, T, C_m, H, W) and returning
            ``cls_logits`` (B, N, K + 1), ``mask_logits`` (B, N, T, H, W) and
            ``embeds`` (B, N, C) from ``predict`` (``Mask2FormerVideoHead``
            with ``temporal_encoding='none'``); it sees clips of one frame.
        tracker (dict, optional): ``TRACKERS`` config; each frame gives it
            the ``embeds`` and ``class_probs`` of its ``ClipQueries``;
            default ``CosineClipTracker``.
        test_cfg (dict, optional): ``top_k`` (int, default 10), the
            predictions kept per video.
        data_preprocessor (dict, optional): Defaults to
            ``VideoDataPreprocessor``.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    task = 'vis'

    def __init__(self, backbone: dict, pixel_decoder: dict, decoder: dict, *,
                 tracker: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = BACKBONES.build(backbone)
        self.pixel_decoder = NECKS.build(pixel_decoder)
        self.decoder = HEADS.build(decoder)
        self.tracker = TRACKERS.build(tracker or dict(
            type='CosineClipTracker'))
        self.test_cfg = dict(top_k=10)
        unknown = set(test_cfg or {}) - set(self.test_cfg)
        if unknown:
            raise TypeError(f'MinVIS test_cfg: unknown keys {sorted(unknown)}'
                            f' (known: {sorted(self.test_cfg)})')
        self.test_cfg.update(test_cfg or {})
        self.state = MinVISVideoState(self.tracker)

    def video_states(self) -> List[MinVISVideoState]:
        """Per-video state reset by the video loop (tracker included)."""
        return [self.state]

    # ------------------------------------------------------------ network
    def frame_outputs(self, frames: Tensor) -> Dict[str, object]:
        """Decode every frame on its own.

        Args:
            frames (Tensor): (F, 3, H, W) preprocessed frames.

        Returns:
            dict: the decoder's ``forward`` outputs with batch F and clips
            of one frame: ``cls_logits`` (lists of (F, N, K + 1)),
            ``mask_logits`` (lists of (F, N, 1, H / 4, W / 4)), ``embeds``
            (F, N, C).
        """
        mask_feats, levels = self.pixel_decoder(self.backbone(frames))
        # (F, C, h, w) -> (F, 1, C, h, w): each frame a clip of one frame
        levels = [x[:, None] for x in levels]
        return self.decoder(levels, mask_feats[:, None])

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> Dict:
        """Decoder outputs of the frames of (N, T, 3, H, W) inputs, in
        frame-major order (batch N*T)."""
        return self.frame_outputs(inputs.flatten(0, 1))

    # ------------------------------------------------------------ training
    @staticmethod
    def frame_targets(sample: VideoDataSample, t: int, hw: Tuple[int, int]
                      ) -> List[dict]:
        """Per frame of a sample, the instances visible on it.

        Args:
            sample (VideoDataSample): ``gt_instances`` with ``labels`` (G,)
                and ``masks`` (G, T, h, w), or none.
            t (int): Frames T of the sample.
            hw (tuple[int, int]): Padded input size (H, W).

        Returns:
            list[dict]: T dicts with ``labels`` (G_t,) long and ``masks``
            (G_t, 1, H, W) bool.
        """
        gt = sample.get('gt_instances')
        if gt is None or len(gt) == 0:
            empty = dict(labels=torch.zeros(0, dtype=torch.long),
                         masks=torch.zeros(0, 1, *hw, dtype=torch.bool))
            return [dict(empty) for _ in range(t)]
        masks = gt.masks.bool()
        pad_h, pad_w = hw[0] - masks.shape[-2], hw[1] - masks.shape[-1]
        if pad_h < 0 or pad_w < 0:
            raise ValueError(f'ground-truth masks {tuple(masks.shape[-2:])} '
                             f'are larger than the input {hw}')
        if pad_h or pad_w:
            masks = F.pad(masks, (0, pad_w, 0, pad_h))
        out = []
        for f in range(t):
            frame = masks[:, f:f + 1]  # (G, 1, H, W)
            visible = frame.flatten(1).any(1)
            out.append(dict(labels=gt.labels[visible].long(),
                            masks=frame[visible]))
        return out

    def loss(self, inputs: Tensor, data_samples: SampleList
             ) -> Dict[str, Tensor]:
        """Mask2Former's set losses over all frames of the batch (see
        ``Mask2FormerVideoHead.loss``).

        Args:
            inputs (Tensor): (N, T, 3, H, W).
            data_samples (list[VideoDataSample]): ``gt_instances`` per
                sample (masks (G, T, H', W')).
        """
        t, hw = inputs.shape[1], tuple(inputs.shape[-2:])
        outputs = self._forward(inputs)
        targets = []
        for sample in data_samples:  # frame-major order, as _forward
            for target in self.frame_targets(sample, t, hw):
                targets.append({k: v.to(inputs.device)
                                for k, v in target.items()})
        return self.decoder.loss(outputs, targets)

    # ----------------------------------------------------------- inference
    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: SampleList
                ) -> SampleList:
        """Stream a chunk of a video; return the video's predictions with
        its last chunk (see the class docstring)."""
        finished = []
        for clip, sample in zip(inputs, data_samples):
            meta = sample.metainfo
            if meta.get('is_first', True) or not self.state.started:
                self.state.start(meta)
            out = self.frame_outputs(clip)
            cls_logits = out['cls_logits'][-1]  # (T, N, K + 1)
            mask_logits = out['mask_logits'][-1][:, :, 0]  # (T, N, h, w)
            frame_ids = meta.get('frame_ids', range(clip.shape[0]))
            for i, frame in enumerate(frame_ids):
                self.state.add_frame(int(frame), cls_logits[i],
                                     mask_logits[i], out['embeds'][i])
            if meta.get('is_last', True):
                sample.pred_instances = self.state.finish_video(
                    self.test_cfg['top_k'])
                length = len(self.state.frames)
                # the predictions cover the whole video, not just this chunk
                sample.set_metainfo(dict(frame_ids=list(range(length)),
                                         video_length=length))
                finished.append(sample)
        return finished
