"""FaSTGAN (Caelles, Pumarola et al.): a fast siamese regressor trained
against spatial and temporal WGAN-GP critics."""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper
from torch import Tensor

from vostoolkit.models.segmentors import (BaseVideoSegmentor, label_clip,
                                          objects_given_on_frame,
                                          soft_aggregate)
from vostoolkit.models.segmentors.base import SampleList
from vostoolkit.registry import CRITICS, LOSSES, MODELS
from vostoolkit.structures import VideoDataSample

from .adversarial import AdversarialTrainStepMixin
from .inference import FaSTGANVideoState
from .targets import GT_NOISE_MODES, binary_clip_targets

CRITIC_NAMES = ('critic_spatial', 'critic_temporal')


def bare(module: nn.Module) -> nn.Module:
    """``module`` without its distributed wrappers."""
    while is_model_wrapper(module):
        module = module.module
    return module


@MODELS.register_module()
class FaSTGAN(AdversarialTrainStepMixin, BaseVideoSegmentor):
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

    The optim wrapper is an ``OptimWrapperDict`` keyed ``generator``,
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
        if n_critic < 1:
            raise ValueError(f'FaSTGAN n_critic must be >= 1, got {n_critic}')
        if gt_noise is not None and gt_noise not in GT_NOISE_MODES:
            raise ValueError(f'FaSTGAN gt_noise must be one of '
                             f'{GT_NOISE_MODES} or None, got {gt_noise!r}')
        self.generator = MODELS.build(generator)
        self.critic_spatial = (CRITICS.build(critic_spatial)
                               if critic_spatial else None)
        self.critic_temporal = (CRITICS.build(critic_temporal)
                                if critic_temporal else None)
        self.loss_ce = LOSSES.build(loss_ce)
        self.loss_critic = LOSSES.build(loss_critic)
        self.loss_adv_spatial = LOSSES.build(loss_adv_spatial)
        self.loss_adv_temporal = LOSSES.build(loss_adv_temporal)
        self.n_critic = n_critic
        self.gt_uncertainty = gt_uncertainty
        self.gt_noise = gt_noise
        self.state = FaSTGANVideoState()
        self._register_load_state_dict_pre_hook(self._drop_absent_critics)

    # ------------------------------------------------------------ structure
    def critics(self) -> Dict[str, nn.Module]:
        """The critics that are built, by optim-wrapper name."""
        return {name: getattr(self, name) for name in CRITIC_NAMES
                if getattr(self, name) is not None}

    def video_states(self) -> List[FaSTGANVideoState]:
        return [self.state]

    def _drop_absent_critics(self, state_dict, prefix, *args,
                             **kwargs) -> None:
        """Drop the weights of critics this model does not build, so a GAN
        checkpoint loads (strictly) into a test model."""
        for name in CRITIC_NAMES:
            if getattr(self, name, None) is None:
                for key in [k for k in state_dict
                            if k.startswith(f'{prefix}{name}.')]:
                    del state_dict[key]

    # ------------------------------------------------------------- training
    def _prepare(self, inputs: Tensor,
                 data_samples: SampleList) -> Dict[str, Tensor]:
        """Split clips (N, 1+K, 3, H, W) into reference and window and draw
        one object per clip (see ``binary_clip_targets``)."""
        if inputs.shape[1] < 2:
            raise ValueError(f'FaSTGAN training clips need a reference and '
                             f'at least one frame, got T={inputs.shape[1]}')
        k = inputs.shape[1] - 1
        if (self.critic_temporal is not None
                and bare(self.critic_temporal).num_frames != k):
            raise ValueError(
                f'clips give K={k} frames after the reference but '
                f'critic_temporal.num_frames='
                f'{bare(self.critic_temporal).num_frames}; set the clip '
                f'sampler and the critic to the same K')
        batch = binary_clip_targets(data_samples, inputs.device)
        batch.update(ref_img=inputs[:, 0], frames=inputs[:, 1:])
        return batch

    def _unroll(self, batch: Dict[str, Tensor]) -> Tensor:
        """(N, K, H, W) logits of the window (BPTT)."""
        return self.generator(batch['frames'], batch['ref_img'],
                              batch['ref_mask'])

    def generator_losses(self, batch: Dict[str, Tensor],
                         logits: Tensor) -> Dict[str, Tensor]:
        """The regressor's side of eq. 5: ``loss_ce`` and, per critic,
        ``loss_adv_spatial`` / ``loss_adv_temporal``.

        The critics are called unwrapped with their parameters frozen, so
        the generator's backward leaves no gradient in them.
        """
        losses = dict(loss_ce=self.loss_ce(logits, batch['targets'],
                                           batch['valid']))
        probs = logits.sigmoid()
        for name, critic in self.critics().items():
            fake = self.critic_inputs(name, batch['frames'], probs,
                                      batch['frame_valid'])
            if fake is None:
                continue
            critic = bare(critic)
            flags = [p.requires_grad for p in critic.parameters()]
            for p in critic.parameters():
                p.requires_grad_(False)
            try:
                scores = critic(fake)
            finally:
                for p, flag in zip(critic.parameters(), flags):
                    p.requires_grad_(flag)
            adv = (self.loss_adv_spatial if name == 'critic_spatial' else
                   self.loss_adv_temporal)
            losses[f'loss_adv_{name[7:]}'] = adv(scores)
        return losses

    @staticmethod
    def critic_inputs(name: str, frames: Tensor, masks: Tensor,
                      frame_valid: Tensor) -> Optional[Tensor]:
        """Masked frames X * Y in the layout of critic ``name``.

        Args:
            name (str): ``'critic_spatial'`` or ``'critic_temporal'``.
            frames (Tensor): (N, K, 3, H, W) normalised frames.
            masks (Tensor): (N, K, H, W) masks in [0, 1].
            frame_valid (Tensor): (N, K) bool, annotated frames.

        Returns:
            Tensor | None: (M, 3, H, W) annotated frames for the spatial
            critic, (M, 3, K, H, W) fully annotated windows for the temporal
            one; None when there are none.
        """
        masked = frames * masks[:, :, None]  # (N, K, 3, H, W)
        if name == 'critic_spatial':
            out = masked[frame_valid]  # (N, K, 3, H, W) -> (M, 3, H, W)
        else:
            # (N, K, 3, H, W) -> (M, 3, K, H, W)
            out = masked[frame_valid.all(dim=1)].transpose(1, 2)
        return out if out.shape[0] else None

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
        batch = self._prepare(inputs, data_samples)
        return self.generator_losses(batch, self._unroll(batch))

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
