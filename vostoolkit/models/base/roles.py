"""Base classes of the model roles: the interface each role promises.

Every class registered in a role registry (``vostoolkit.registry``) derives
from the matching base class here; ``ROLE.build`` checks it. The tracker
role and what it is given (``ClipQueries``) live in ``tracking.py``; the
heads by task (and the pixel-decoder neck) in ``heads.py``.
"""
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor

from .tracking import BaseTracker  # noqa: F401 (a role of this module)


class BaseBackbone(BaseModule, metaclass=ABCMeta):
    """Image feature extractor applied frame by frame.

    Subclasses set ``out_channels`` and ``out_strides`` (one entry per output
    map, in the order :meth:`forward` returns them).
    """

    out_channels: Sequence[int] = ()
    out_strides: Sequence[int] = ()

    @abstractmethod
    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Extract features.

        Args:
            x (Tensor): (N, C_in, H, W) images (N may be batch x frames).

        Returns:
            tuple[Tensor]: feature maps, the i-th of shape
            (N, out_channels[i], H / out_strides[i], W / out_strides[i]).
        """


class BaseNeck(BaseModule, metaclass=ABCMeta):
    """Feature transformer between a backbone and a head (FPN, pixel decoder).
    """

    @abstractmethod
    def forward(self, feats: Sequence[Tensor]) -> Any:
        """Transform multi-scale features (each (N, C_i, H_i, W_i))."""


class BaseHead(BaseModule, metaclass=ABCMeta):
    """Task head: turns features into predictions and computes its losses.

    A head computes raw outputs in :meth:`forward`; models call
    :meth:`loss` during training and :meth:`predict` at test time.
    """

    @abstractmethod
    def forward(self, *args, **kwargs) -> Any:
        """Raw outputs (logits, embeddings) from features."""

    def loss(self, *args, **kwargs) -> Dict[str, Tensor]:
        """Losses from features and targets, as a dict of scalar tensors."""
        raise NotImplementedError(
            f'{type(self).__name__} does not define loss()')

    def predict(self, *args, **kwargs) -> Any:
        """Post-processed predictions from features."""
        raise NotImplementedError(
            f'{type(self).__name__} does not define predict()')


class BaseCritic(BaseModule, metaclass=ABCMeta):
    """An adversarial critic (discriminator) scoring masks against frames.

    What a critic promises its users (adversarial training, e.g.
    :class:`~vostoolkit.models.segmentors.AdversarialSegmentor`): given a
    batch of N clips of K frames with masks, :meth:`score` scores it. It is
    :meth:`critic_inputs`, which lays the batch out as this critic's
    samples (each critic knows its own layout: one sample per annotated
    frame, one per annotated window of K frames, ...), followed by
    :meth:`forward` on those samples. Trainers that need the samples
    themselves (the WGAN-GP penalty differentiates the scores with respect
    to them) call the two steps separately.

    Critics are built only for training; a test-time model holds none.
    """

    @abstractmethod
    def forward(self, x: Tensor) -> Tensor:
        """Score samples laid out by :meth:`critic_inputs`.

        Args:
            x (Tensor): (B, ...) samples, e.g. (B, 3, H, W) masked frames
                or (B, 3, K, H, W) masked windows.

        Returns:
            Tensor: (B, 1, h, w) critic scores (a PatchGAN map, or h=w=1);
            samples are scored independently (no batch statistics).
        """

    def critic_inputs(self, frames: Tensor, masks: Tensor,
                      valid: Tensor) -> Optional[Tensor]:
        """Lay a batch of (frames, masks) out as this critic's samples.

        Args:
            frames (Tensor): (N, K, 3, H, W) normalised frames.
            masks (Tensor): (N, K, H, W) or (N, K, 1, H, W) object masks
                in [0, 1] (ground truth, or predicted probabilities).
            valid (Tensor): (N, K) bool, the annotated frames (only those
                may enter a sample).

        Returns:
            Tensor | None: (B, ...) samples for :meth:`forward`; None when
            the batch holds none (e.g. no fully annotated window).
        """
        raise NotImplementedError(
            f'{type(self).__name__} does not define critic_inputs(frames, '
            'masks, valid): a critic states how it lays out its samples')

    def score(self, frames: Tensor, masks: Tensor,
              valid: Tensor) -> Optional[Tensor]:
        """Score a batch of (frames, masks): :meth:`forward` of
        :meth:`critic_inputs` (shapes as there).

        Returns:
            Tensor | None: (B, 1, h, w) scores, None without samples.
        """
        samples = self.critic_inputs(frames, masks, valid)
        return None if samples is None else self(samples)

    @staticmethod
    def masked_frames(frames: Tensor, masks: Tensor,
                      valid: Tensor) -> Tensor:
        """``X * Y``: frames times their masks, after checking the shapes.

        Args:
            frames (Tensor): (N, K, C, H, W).
            masks (Tensor): (N, K, H, W) or (N, K, 1, H, W).
            valid (Tensor): (N, K) bool.

        Returns:
            Tensor: (N, K, C, H, W) masked frames.
        """
        if masks.dim() == 5 and masks.shape[2] == 1:
            masks = masks[:, :, 0]  # (N, K, 1, H, W) -> (N, K, H, W)
        if (frames.dim() != 5 or masks.shape != frames.shape[:2] +
                frames.shape[3:] or tuple(valid.shape) != tuple(
                    frames.shape[:2])):
            raise ValueError(
                'a critic takes frames (N, K, C, H, W), masks (N, K, H, W) '
                f'and valid (N, K); got {tuple(frames.shape)}, '
                f'{tuple(masks.shape)} and {tuple(valid.shape)}')
        return frames * masks[:, :, None]  # (N, K, C, H, W)


class BaseTargetModel(BaseModule, metaclass=ABCMeta):
    """A per-object model learned online, inside inference.

    The *weights learned online* are not parameters of this module: they live
    in a state object returned by :meth:`init_state` (and reset per video),
    so that one module serves any number of objects and videos. Callers use
    exactly these three calls:

    * :meth:`init_state` on the first-frame samples of an object,
    * :meth:`predict` on every later frame,
    * :meth:`update` with the frame's predicted mask, after :meth:`predict`.
    """

    @abstractmethod
    def init_state(self, feats: Tensor, masks: Tensor, *,
                   weights: Optional[Tensor] = None,
                   generator: Optional[torch.Generator] = None) -> Any:
        """Learn a new per-object state from the first-frame samples.

        Args:
            feats (Tensor): (S, C, h, w) features of the S training samples
                (the first frame and, optionally, augmented copies).
            masks (Tensor): (S, 1, H, W) target masks of the samples, float
                in [0, 1].
            weights (Tensor, optional): (S,) sample weights; None: the
                model's default.
            generator (torch.Generator, optional): Source of any random
                initialisation, so that a seeded caller is reproducible;
                None draws from the global generator.

        Returns:
            Any: the object's state (learned weights and sample memory),
            given back to :meth:`predict` and :meth:`update`.
        """

    @abstractmethod
    def predict(self, state: Any, feats: Tensor) -> Tensor:
        """Target scores of the object in new frames.

        Args:
            state: A state returned by :meth:`init_state`.
            feats (Tensor): (N, C, h, w) features.

        Returns:
            Tensor: (N, 1, h, w) scores (higher: the object).
        """

    def update(self, state: Any, feats: Tensor, mask: Tensor) -> bool:
        """Add a frame to ``state`` and, when due, re-optimise it.

        The default learns nothing online after :meth:`init_state`.

        Args:
            state: A state returned by :meth:`init_state`.
            feats (Tensor): (1, C, h, w) features of the frame last given to
                :meth:`predict`.
            mask (Tensor): (1, 1, H, W) the frame's predicted mask in [0, 1].

        Returns:
            bool: whether the state's weights were re-optimised.
        """
        return False


class BaseLoss(torch.nn.Module, metaclass=ABCMeta):
    """A loss term. ``loss_weight`` scales the returned value."""

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    @abstractmethod
    def forward(self, *args, **kwargs) -> Tensor:
        """Return the weighted loss as a scalar tensor."""


class BaseMatcher(metaclass=ABCMeta):
    """Assigns predictions to ground truth (e.g. Hungarian matching)."""

    @abstractmethod
    def match(self, *args, **kwargs) -> Tuple[Tensor, Tensor]:
        """Return (pred_indices, gt_indices), two 1-D long tensors."""


class VideoStateMixin:
    """A model that keeps per-video state at test time.

    The video test loop calls :meth:`reset_video_state` before the first
    frame or clip of every video.
    """

    def reset_video_state(self) -> None:
        """Clear per-video state (memories, target models, track buffers)."""
        for state in self.video_states():
            state.reset()

    def video_states(self) -> List[Any]:
        """Objects with ``reset()`` holding this model's per-video state."""
        return []
