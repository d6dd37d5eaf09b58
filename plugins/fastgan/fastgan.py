"""FaSTGAN (Caelles, Pumarola et al.): a fast siamese regressor trained
against spatial and temporal WGAN-GP critics."""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from torch import Tensor

from vostoolkit.models.segmentors import (AdversarialBatch,
                                          AdversarialTrainMixin,
                                          BaseVideoSegmentor, label_clip,
                                          objects_given_on_frame,
                                          soft_aggregate)
from vostoolkit.models.segmentors.adversarial import bare
from vostoolkit.models.segmentors.base import SampleList
from vostoolkit.registry import CRITICS, LOSSES, MODELS
from vostoolkit.structures import VideoDataSample

from .inference import FaSTGANVideoState
from .targets import binary_clip_targets


@MODELS.register_module()
class FaSTGAN(AdversarialTrainMixin, BaseVideoSegmentor):
    """FaSTGAN: regressor phi (``generator``) and optional critics.

    Training clips are (reference frame, K following frames); the regressor
    is unrolled over the K frames, each step fed its own previous prediction
    (back-propagation through time), for one random object of the
    reference frame.

    * Without critics (stage 1, and the "CE only" ablation) the loss is
      ``lambda_CE * L_CE`` and the generator steps every iteration.
    * With ``critic_spatial`` and/or ``critic_temporal`` (stage 2) every
      iteration is one step of each critic (WGAN-GP, eqs. 3-4, on real
      masks made with the ground-truth trick) and every ``n_critic``-th
      iteration also a generator step on eq. 5.

    The training step is the core's (``AdversarialTrainMixin``); the
    optim wrapper is an ``OptimWrapperDict`` keyed ``generator``,
    ``critic_spatial``, ``critic_temporal`` (built by the core's
    ``MultiOptimWrapperConstructor``); without critics a plain optim wrapper
    also works. A test model is built with no critics: a checkpoint from
    GAN training loads into it, its critic weights being dropped.

    Args:
        generator (dict): ``FaSTGANRegressor`` config.
        critic_spatial (dict, optional): ``CRITICS`` config of D_S.
        critic_temporal (dict, optional): ``CRITICS`` config of D_T; its
            ``num_frames`` must equal the clips' K.
        loss_ce (dict): Balanced BCE config (weight lambda_CE = 100).
        loss_critic (dict): WGAN-GP critic objective (lambda_gp = 10).
        loss_adv_spatial (dict): Generator term of D_S (weight lambda_S).
        loss_adv_temporal (dict): Generator term of D_T (weight lambda_T).
        n_critic (int): Critic steps per generator step. Default: 5.
        gt_uncertainty (float): Ground-truth trick threshold. Default: 0.25.
        gt_noise (str | None): Noise of the real masks, ``'prediction'``
            (default), ``'residual'`` or None (see ``critic_real_masks``).
        data_preprocessor (dict, optional): Defaults to
            ``VideoDataPreprocessor``.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, generator: dict, *,
                 critic_spatial: Optional[dict] = None,
                 critic_temporal: Optional[dict] = None,
                 loss_ce: dict = dict(type='FaSTGANBalancedBCELoss',
                                      loss_weight=100.0),
                 loss_critic: dict = dict(type='FaSTGANCriticLoss',
                                          lambda_gp=10.0),
                 loss_adv_spatial: dict = dict(type='FaSTGANAdversarialLoss',
                                               loss_weight=1.0),
                 loss_adv_temporal: dict = dict(
                     type='FaSTGANAdversarialLoss', loss_weight=1.0),
                 n_critic: int = 5, gt_uncertainty: float = 0.25,
                 gt_noise: Optional[str] = 'prediction',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.init_adversarial(n_critic=n_critic, loss_critic=loss_critic,
                              gt_uncertainty=gt_uncertainty,
                              gt_noise=gt_noise)
        self.generator = MODELS.build(generator)
        # critic_* children are the critics (AdversarialTrainMixin.critics)
        self.critic_spatial = (CRITICS.build(critic_spatial)
                               if critic_spatial else None)
        self.critic_temporal = (CRITICS.build(critic_temporal)
                                if critic_temporal else None)
        self.loss_ce = LOSSES.build(loss_ce)
        self.loss_adv_spatial = LOSSES.build(loss_adv_spatial)
        self.loss_adv_temporal = LOSSES.build(loss_adv_temporal)
        self.state = FaSTGANVideoState()

    # ------------------------------------------------------------ structure
    def adversarial_loss(self, name: str) -> nn.Module:
        """``loss_adv_spatial`` or ``loss_adv_temporal`` (eq. 5's lambda_S,
        lambda_T) for critic ``name``."""
        return getattr(self, f'loss_adv_{name[len("critic_"):]}')

    def video_states(self) -> List[FaSTGANVideoState]:
        return [self.state]

    # ------------------------------------------------------------- training
    def _prepare(self, inputs: Tensor,
                 data_samples: SampleList) -> Dict[str, Tensor]:
        """Split clips (N, 1+K, 3, H, W) into reference and window and draw
        one object per clip (see ``binary_clip_targets``)."""
        if inputs.shape[1] < 2:
            raise ValueError(f'FaSTGAN training clips need a reference and '
                             f'at least one frame, got T={inputs.shape[1]}')
        batch = binary_clip_targets(data_samples, inputs.device)
        batch.update(ref_img=inputs[:, 0], frames=inputs[:, 1:])
        return batch

    def _unroll(self, batch: Dict[str, Tensor]) -> Tensor:
        """(N, K, H, W) logits of the window (BPTT)."""
        return self.generator(batch['frames'], batch['ref_img'],
                              batch['ref_mask'])

    def adversarial_batch(self, inputs: Tensor,
                          data_samples: SampleList) -> AdversarialBatch:
        """``loss_ce`` and the window's masks for the critics.

        Args:
            inputs (Tensor): (N, 1+K, 3, H, W) clips, frame 0 the reference.
            data_samples (list[VideoDataSample]): ``gt_obj_masks`` and
                optionally ``gt_void``, ``gt_frame_valid``.

        Returns:
            AdversarialBatch: ``loss_ce``; the K window frames, the
            regressor's (N, K, H, W) probabilities (BPTT graph) and the
            drawn object's targets.
        """
        batch = self._prepare(inputs, data_samples)
        logits = self._unroll(batch)  # (N, K, H, W)
        losses = dict(loss_ce=self.loss_ce(logits, batch['targets'],
                                           batch['valid']))
        return AdversarialBatch(
            losses=losses, frames=batch['frames'],
            pred_masks=logits.sigmoid(), gt_masks=batch['targets'],
            frame_valid=batch['frame_valid'], pixel_valid=batch['valid'])

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """The regressor's losses on a batch of clips (no critic update).

        Args:
            inputs (Tensor): (N, 1+K, 3, H, W) clips, frame 0 the reference.
            data_samples (list[VideoDataSample]): ``gt_obj_masks`` and
                optionally ``gt_void``, ``gt_frame_valid``.

        Returns:
            dict[str, Tensor]: ``loss_ce`` and, with critics, the
            adversarial terms.
        """
        batch = self.adversarial_batch(inputs, data_samples)
        return {**batch.losses, **self.adversarial_losses(batch)}

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> Tensor:
        """(N, K, H, W) logits of the training windows."""
        return self._unroll(self._prepare(inputs, data_samples))

    # ------------------------------------------------------------ inference
    @torch.no_grad()
    def segment_frame(self, frame: Tensor, sample: VideoDataSample,
                      t: int) -> Tensor:
        """Advance the video state by one frame.

        Every started object is segmented by one pass of the regressor (the
        objects are batched), objects given on this frame are started, and
        the probabilities are merged by soft aggregation; the merged masks
        are the next frame's previous estimates.

        Args:
            frame (Tensor): (3, H, W) normalised frame.
            sample (VideoDataSample): The chunk's sample (given masks).
            t (int): Index of the frame in the chunk.

        Returns:
            Tensor: (O+1, H, W) probabilities, background first.
        """
        gen, state = bare(self.generator), self.state
        probs = None
        if state.num_objects:
            n = state.num_objects
            logits, feats = gen.step(frame[None].expand(n, -1, -1, -1),
                                     state.prev_masks, state.ref_feats,
                                     state.prev_feats)
            state.prev_feats = feats
            probs = logits.sigmoid()[:, 0]  # (O, 1, H, W) -> (O, H, W)
        new, masks = objects_given_on_frame(sample, t, state.obj_ids)
        if new:
            masks = masks.to(frame.device).float()  # (K, H, W)
            ref = gen.encode_reference(
                frame[None].expand(len(new), -1, -1, -1), masks[:, None])
            if probs is not None:
                # a given mask overrides the propagated objects under it
                probs = probs * (1 - masks.amax(0, keepdim=True))
            state.add(new, ref, masks[:, None])
            probs = masks if probs is None else torch.cat([probs, masks])
        if probs is None:
            return frame.new_ones((1, *frame.shape[-2:]))
        dist = soft_aggregate(probs).softmax(0)  # (O+1, H, W)
        state.prev_masks = dist[1:, None]  # (O, H, W) -> (O, 1, H, W)
        return dist

    def predict(self, inputs: Tensor,
                data_samples: SampleList) -> SampleList:
        """Segment a chunk frame by frame.

        Args:
            inputs (Tensor): (1, T, 3, H, W) chunk of a video.
            data_samples (list[VideoDataSample]): ``frame_ids``,
                ``img_shape``, ``ori_shape`` and the given masks
                (``gt_obj_masks`` on each object's first frame).

        Returns:
            list[VideoDataSample]: ``pred_obj_masks`` (T, H0, W0) uint8
            object ids at the original size.
        """
        for clip, sample in zip(inputs, data_samples):
            meta = sample.metainfo
            if meta.get('is_first', False):
                self.state.reset()
            sample.pred_obj_masks = label_clip(
                clip, meta,
                lambda t, clip=clip, sample=sample: self.segment_frame(
                    clip[t], sample, t),
                lambda: self.state.obj_ids)
        return list(data_samples)
