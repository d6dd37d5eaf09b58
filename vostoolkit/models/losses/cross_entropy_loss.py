"""Class cross-entropy with a down-weighted no-object class."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.base import BaseLoss
from vostoolkit.registry import LOSSES


@LOSSES.register_module()
class CrossEntropyLoss(BaseLoss):
    """Softmax cross-entropy, averaged with per-class weights.

    The value is ``sum_i w[y_i] * CE_i / sum_i w[y_i]`` (PyTorch's weighted
    mean), times ``loss_weight``. DETR-style set prediction down-weights the
    extra "no object" class, the last logit, with ``no_object_weight``
    (Mask2Former: 0.1).

    Args:
        loss_weight (float): Scale of the returned loss.
        no_object_weight (float, optional): Weight of the last class, all
            others weighing 1. Exclusive with ``class_weight``.
        class_weight (Sequence[float], optional): One weight per class.
    """

    def __init__(self, loss_weight: float = 1.0,
                 no_object_weight: Optional[float] = None,
                 class_weight: Optional[Sequence[float]] = None):
        super().__init__(loss_weight)
        if no_object_weight is not None and class_weight is not None:
            raise ValueError('give no_object_weight or class_weight, not both')
        self.no_object_weight = no_object_weight
        self.class_weight = None if class_weight is None else list(
            class_weight)

    def _weights(self, num_classes: int, ref: Tensor) -> Optional[Tensor]:
        if self.class_weight is not None:
            if len(self.class_weight) != num_classes:
                raise ValueError(f'class_weight has {len(self.class_weight)} '
                                 f'entries for {num_classes} classes')
            return ref.new_tensor(self.class_weight)
        if self.no_object_weight is not None:
            w = ref.new_ones(num_classes)
            w[-1] = self.no_object_weight
            return w
        return None

    def forward(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Args:
            logits (Tensor): (N, C) class logits.
            labels (Tensor): (N,) long targets in [0, C).

        Returns:
            Tensor: scalar loss.
        """
        logits = logits.float()
        weight = self._weights(logits.shape[-1], logits)
        if labels.numel() == 0:
            return logits.sum() * 0.0
        loss = F.cross_entropy(logits, labels.long(), weight=weight)
        return self.loss_weight * loss
