"""Base class of every top-level video segmentation model.

Plugins subclass :class:`BaseVideoSegmentor`, build their components from
their role registries in ``__init__`` and implement :meth:`loss`,
:meth:`predict` and :meth:`_forward`. Per-video state (memories, online
target models, track buffers) lives in objects with ``reset()`` returned by
:meth:`video_states`; the video loops call :meth:`reset_video_state` before
every video.
"""
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

import torch.nn as nn
from mmengine.model import BaseModel
from torch import Tensor

from vostoolkit.models.base import VideoStateMixin
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample

SampleList = List[VideoDataSample]


@dataclass
class AdversarialBatch:
    """What a segmentor shows critics for one training batch (see
    :meth:`BaseVideoSegmentor.adversarial_batch`).

    Attributes:
        losses (dict[str, Tensor]): The segmentor's own (supervised) losses,
            as :meth:`BaseVideoSegmentor.loss` returns them.
        frames (Tensor): (N, K, 3, H, W) the normalised frames the masks
            belong to.
        pred_masks (Tensor): (N, K, H, W) predicted mask probabilities in
            [0, 1], with a graph to the segmentor when grad is enabled.
        gt_masks (Tensor): (N, K, H, W) the matching ground truth in
            {0, 1} (float).
        frame_valid (Tensor): (N, K) bool, the frames with an annotation
            and a prediction (only those reach the critics).
        pixel_valid (Tensor, optional): (N, K, H, W) bool, pixels that
            count (False: void, padding); None when all count.
    """
    losses: Dict[str, Tensor]
    frames: Tensor
    pred_masks: Tensor
    gt_masks: Tensor
    frame_valid: Tensor
    pixel_valid: Optional[Tensor] = None


class BaseVideoSegmentor(BaseModel, VideoStateMixin, metaclass=ABCMeta):
    """A video segmentor: data preprocessor + ``loss`` / ``predict``.

    ``forward(inputs, data_samples, mode)`` dispatches on ``mode``:

    * ``'loss'``: :meth:`loss`, a dict of scalar loss tensors (and logged
      values); used by ``train_step``.
    * ``'predict'``: :meth:`predict`, a (possibly empty) list of
      ``VideoDataSample`` with predictions for the frames the model has
      finished; used by ``val_step`` / ``test_step`` in the video loops.
    * ``'tensor'``: :meth:`_forward`, raw network outputs.
    * ``'adversarial'``: :meth:`adversarial_batch`, for segmentors trained
      against critics (through ``forward``, so that a distributed wrapper
      synchronises the gradients).

    Args:
        data_preprocessor (dict | nn.Module, optional): Built from
            ``MODELS``; defaults to ``dict(type='VideoDataPreprocessor')``,
            which normalises and pads clips to (N, T, 3, H, W).
        init_cfg (dict | list, optional): mmengine initialisation config.
    """

    def __init__(self,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VideoDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)

    def forward(self, inputs: Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], SampleList,
                                               Any]:
        """Dispatch to :meth:`loss`, :meth:`predict` or :meth:`_forward`.

        Args:
            inputs (Tensor): (N, T, 3, H, W) preprocessed clips.
            data_samples (list[VideoDataSample], optional): One per clip.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        if mode == 'adversarial':
            return self.adversarial_batch(inputs, data_samples)
        raise ValueError(f'{type(self).__name__}.forward: mode must be '
                         f"'loss', 'predict', 'tensor' or 'adversarial', got "
                         f'{mode!r}')

    @abstractmethod
    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of a training batch.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips.
            data_samples (list[VideoDataSample]): Ground truth of each clip.

        Returns:
            dict[str, Tensor]: Scalar tensors; keys containing ``loss`` are
            summed into the optimised loss by ``parse_losses``.
        """

    @abstractmethod
    def predict(self, inputs: Tensor,
                data_samples: SampleList) -> SampleList:
        """Predictions for a test chunk (batch of one at test time).

        Args:
            inputs (Tensor): (1, T, 3, H, W) chunk of a video.
            data_samples (list[VideoDataSample]): Its meta (``is_first``,
                ``frame_ids``...) and the given masks.

        Returns:
            list[VideoDataSample]: Samples with ``pred_obj_masks`` (VOS) or
            ``pred_instances`` (VIS) for the frames finished so far; may be
            empty.
        """

    def adversarial_batch(self, inputs: Tensor,
                          data_samples: SampleList) -> AdversarialBatch:
        """The supervised losses of a training batch, and the masks to show
        critics (the contract of adversarial training,
        :class:`~vostoolkit.models.segmentors.AdversarialSegmentor`).

        Called with grad enabled on iterations that step the segmentor and
        without on critic-only iterations.

        Args:
            inputs (Tensor): (N, T, 3, H, W) training clips.
            data_samples (list[VideoDataSample]): Ground truth of each clip.

        Returns:
            AdversarialBatch: ``losses`` as :meth:`loss` returns them, and
            K predicted masks per clip with their frames and ground truth
            (K is the segmentor's: FRTM and FaSTGAN predict the T - 1
            frames after a reference frame).
        """
        raise NotImplementedError(
            f'{type(self).__name__} does not define adversarial_batch(): '
            'it cannot be trained against critics')

    @abstractmethod
    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> Any:
        """Raw network outputs (no post-processing)."""
