"""Base classes of the model roles: the interface each role promises.

Every class registered in a role registry (``vostoolkit.registry``) derives
from the matching base class here; ``ROLE.build`` checks it.
"""
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor


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
    """An adversarial critic (discriminator) scoring generated samples.

    Critics are built only for training; a test-time model holds none.
    """

    @abstractmethod
    def forward(self, x: Tensor) -> Tensor:
        """Score samples.

        Args:
            x (Tensor): (N, C, H, W) or (N, C, K, H, W) samples.

        Returns:
            Tensor: (N, 1, h, w) critic scores (a PatchGAN map, or h=w=1).
        """


class BaseTargetModel(BaseModule, metaclass=ABCMeta):
    """A per-object model learned online, inside inference.

    The *weights learned online* are not parameters of this module: they live
    in a state object returned by :meth:`init_state` (and reset per video),
    so that one module serves any number of objects and videos.
    """

    @abstractmethod
    def init_state(self, feats: Tensor, masks: Tensor) -> Any:
        """Learn a new per-object state from the first frame.

        Args:
            feats (Tensor): (S, C, h, w) features of the training samples.
            masks (Tensor): (S, 1, H, W) target masks of the samples.

        Returns:
            Any: an object holding the learned weights and sample memory.
        """

    @abstractmethod
    def predict(self, state: Any, feats: Tensor) -> Tensor:
        """Target scores (N, 1, h, w) for features (N, C, h, w)."""

    def update(self, state: Any, feats: Tensor, mask: Tensor) -> None:
        """Add a sample to ``state`` and, when due, re-optimise it."""


class BaseTracker(metaclass=ABCMeta):
    """Associates predictions across frames or clips of one video.

    A tracker holds per-video state and is not an ``nn.Module``; the video
    loop calls :meth:`reset` at the start of every video.
    """

    @abstractmethod
    def reset(self) -> None:
        """Forget everything about the previous video."""

    @abstractmethod
    def update(self, *args, **kwargs) -> Any:
        """Take the predictions of a new frame or clip; return identities."""


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
