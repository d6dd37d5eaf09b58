"""FRTM-VOS training (sec. 3.3): a target model learned on each clip's
reference frame feeds the refinement network on the clip's other frames."""
from typing import Dict, Iterator, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.segmentors.base import AdversarialBatch, SampleList
from vostoolkit.structures import VideoDataSample


class FRTMTrainingMixin:
    """``loss``, ``adversarial_batch`` and ``_forward`` of
    :class:`~plugins.frtm.FRTM`.

    The host provides ``learn_target``, ``extract_feats``, ``refine``,
    ``train_target_model``, ``target_level`` and ``_rng``.
    """

    def _pick_object(self, ref_mask: Tensor) -> Optional[int]:
        ids = [int(i) for i in ref_mask.unique() if i != 0]
        if not ids:
            return None
        return ids[int(self._rng.integers(len(ids)))]

    @staticmethod
    def _valid_pixels(sample: VideoDataSample, shape) -> Tensor:
        """(T, H, W) bool: pixels counted by the loss (not void, padding or
        unannotated frames)."""
        valid = torch.ones(shape, dtype=torch.bool)
        if 'gt_void' in sample:
            valid &= ~sample.gt_void.cpu()
        h, w = sample.metainfo.get('img_shape', shape[-2:])[:2]
        valid[:, h:] = False
        valid[:, :, w:] = False
        if 'gt_frame_valid' in sample:
            valid[~sample.gt_frame_valid.cpu()] = False
        return valid

    def _clip_logits(self, clip: Tensor, sample: VideoDataSample
                     ) -> Optional[Tuple[Tensor, Tensor, Tensor]]:
        """Logits (T-1, 1, H, W) of one object on the validation frames,
        its targets and valid pixels; None without an object."""
        gt = sample.gt_obj_masks.long().to(clip.device)  # (T, H, W)
        obj_id = self._pick_object(gt[0])
        if obj_id is None or clip.shape[0] < 2:
            return None
        state = self.learn_target(clip[0], gt[0] == obj_id)
        feats = self.extract_feats(clip[1:])
        with torch.no_grad():
            scores = self.train_target_model.predict(
                state, feats[self.target_level])
        logits = self.refine(scores, feats, clip.shape[-2:])
        targets = (gt[1:] == obj_id).to(logits.dtype)[:, None]
        valid = self._valid_pixels(sample, gt.shape)[1:, None]
        return logits, targets, valid.to(clip.device)

    def _clips(self, inputs: Tensor, data_samples: SampleList
               ) -> Iterator[Tuple[int, Optional[Tuple[Tensor, Tensor,
                                                       Tensor]]]]:
        """(index, :meth:`_clip_logits`) of every clip of the batch."""
        for i, (clip, sample) in enumerate(zip(inputs, data_samples)):
            yield i, self._clip_logits(clip, sample)

    def _mean_bce(self, outs: List[Tuple[Tensor, Tensor, Tensor]],
                  like: Tensor) -> Dict[str, Tensor]:
        """``loss_mask``: binary cross-entropy over the valid pixels of the
        clips that have an object."""
        total, count = like.new_zeros(()), 0
        for logits, targets, valid in outs:
            bce = F.binary_cross_entropy_with_logits(logits, targets,
                                                     reduction='none')
            total = total + (bce * valid).sum()
            count += int(valid.sum())
        # keeps every trainable parameter in the graph (DDP) when no clip
        # has an object
        anchor = sum(p.sum() for p in self.parameters() if p.requires_grad)
        return dict(loss_mask=total / max(count, 1) + 0. * anchor)

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Binary cross-entropy on the validation frames of each clip.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips, frame 0 the reference.
            data_samples (list[VideoDataSample]): ``gt_obj_masks`` (T, H, W),
                optionally ``gt_void`` and ``gt_frame_valid``.
        """
        outs = [o for _, o in self._clips(inputs, data_samples)
                if o is not None]
        return self._mean_bce(outs, inputs)

    def adversarial_batch(self, inputs: Tensor,
                          data_samples: SampleList) -> AdversarialBatch:
        """``loss_mask`` (as :meth:`loss`) and the refinement network's
        masks on the validation frames, for critics
        (``AdversarialSegmentor``).

        A clip is (reference, K = T - 1 validation frames in time order);
        one object of the reference is segmented on the K frames, each from
        the target model learned on the reference (the frames are
        predicted independently). A clip without an object on its
        reference has no valid frame.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips, frame 0 the reference.
            data_samples (list[VideoDataSample]): ``gt_obj_masks`` (T, H, W),
                optionally ``gt_void`` and ``gt_frame_valid``.

        Returns:
            AdversarialBatch: frames (N, K, 3, H, W), predicted
            probabilities, targets and valid pixels (N, K, H, W), annotated
            frames (N, K).
        """
        n, t = inputs.shape[:2]
        shape = (n, t - 1) + tuple(inputs.shape[-2:])
        targets = inputs.new_zeros(shape)
        pixel_valid = torch.zeros(shape, dtype=torch.bool,
                                  device=inputs.device)
        frame_valid = torch.zeros((n, t - 1), dtype=torch.bool,
                                  device=inputs.device)
        pred_rows, outs = [], []
        for i, out in self._clips(inputs, data_samples):
            if out is None:
                pred_rows.append(inputs.new_zeros(shape[1:]))
                continue
            outs.append(out)
            logits, target, valid = out  # each (K, 1, H, W)
            pred_rows.append(logits.sigmoid()[:, 0])  # (K, H, W)
            targets[i] = target[:, 0]
            pixel_valid[i] = valid[:, 0]
            sample = data_samples[i]
            frame_valid[i] = (sample.gt_frame_valid[1:].to(inputs.device)
                              .bool() if 'gt_frame_valid' in sample else True)
        return AdversarialBatch(
            losses=self._mean_bce(outs, inputs), frames=inputs[:, 1:],
            pred_masks=torch.stack(pred_rows), gt_masks=targets,
            frame_valid=frame_valid, pixel_valid=pixel_valid)

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> List:
        """Validation-frame logits (T-1, 1, H, W) of each training clip
        (None for a clip without an object on its reference frame)."""
        return [None if o is None else o[0]
                for _, o in self._clips(inputs, data_samples)]
