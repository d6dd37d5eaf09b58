"""Base class of every top-level video segmentation model.

Plugins subclass :class:`BaseVideoSegmentor`, build their components from
their role registries in ``__init__`` and implement :meth:`loss`,
:meth:`predict` and :meth:`_forward`. Per-video state (memories, online
target models, track buffers) lives in objects with ``reset()`` returned by
:meth:`video_states`; the video loops call :meth:`reset_video_state` before
every video.
"""
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Optional, Union

import torch.nn as nn
from mmengine.model import BaseModel
from torch import Tensor

from vostoolkit.models.base import VideoStateMixin
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample

SampleList = List[VideoDataSample]


class BaseVideoSegmentor(BaseModel, VideoStateMixin, metaclass=ABCMeta):
    """A video segmentor: data preprocessor + ``loss`` / ``predict``.

    ``forward(inputs, data_samples, mode)`` dispatches on ``mode``:

    * ``'loss'``: :meth:`loss`, a dict of scalar loss tensors (and logged
      values); used by ``train_step``.
    * ``'predict'``: :meth:`predict`, a (possibly empty) list of
      ``VideoDataSample`` with predictions for the frames the model has
      finished; used by ``val_step`` / ``test_step`` in the video loops.
    * ``'tensor'``: :meth:`_forward`, raw network outputs.

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
        raise ValueError(f'{type(self).__name__}.forward: mode must be '
                         f"'loss', 'predict' or 'tensor', got {mode!r}")

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

    @abstractmethod
    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> Any:
        """Raw network outputs (no post-processing)."""
