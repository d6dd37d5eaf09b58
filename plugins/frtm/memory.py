"""The sample memory M of one target object (FRTM-VOS sec. 3.1 and 3.4)."""
from typing import Optional

import torch
from torch import Tensor


def initial_sample_weights(num_samples: int, original_weight: float = 2.0,
                           device=None, dtype=torch.float32) -> Tensor:
    """Weights of the initial set M0: the first sample is the original frame.

    The original carries ``original_weight`` times the weight of each
    augmented copy; the weights sum to one.

    Args:
        num_samples (int): Size of M0 (the original plus its copies).
        original_weight (float): Weight of the original relative to a copy.

    Returns:
        Tensor: (num_samples,) weights.
    """
    if num_samples < 1:
        raise ValueError(f'M0 needs at least one sample, got {num_samples}')
    weights = torch.ones(num_samples, device=device, dtype=dtype)
    weights[0] = original_weight
    return weights / weights.sum()


class FRTMSampleMemory:
    """Training samples of one object's target model, with their weights.

    Holds up to ``capacity`` samples ``(x_k, y_k, v_k, gamma_k)``: features
    (already projected by the fixed first layer ``w1`` when used for
    updates), labels, pixel weights and the sample weight. Storage is
    allocated once, so memory stays flat however long the video is.

    Weight rules (sec. 3.4): a new sample gets ``gamma_i = gamma_{i-1} /
    (1 - eta)`` where ``gamma_{i-1}`` is the (normalised) weight of the
    previously added sample and ``gamma_0 = eta``; the weights are then
    normalised to sum to one, so each new frame carries ``eta`` of the total
    and older samples decay geometrically. When full, the sample with the
    smallest weight is evicted before the new one is inserted.

    Args:
        capacity (int): K_max, the most samples kept (80 in the paper).
        learning_rate (float): eta, the update rate (0.1 in the paper).
    """

    def __init__(self, capacity: int = 80, learning_rate: float = 0.1):
        if capacity < 1:
            raise ValueError(f'memory capacity must be >= 1, got {capacity}')
        if not 0.0 < learning_rate < 1.0:
            raise ValueError(f'learning_rate (eta) must be in (0, 1), got '
                             f'{learning_rate}')
        self.capacity = capacity
        self.learning_rate = learning_rate
        self.reset()

    def reset(self) -> None:
        """Forget every sample."""
        self.feats: Optional[Tensor] = None
        self.labels: Optional[Tensor] = None
        self.pixel_weights: Optional[Tensor] = None
        self.weights: Optional[Tensor] = None
        self.size = 0
        self.last_weight = self.learning_rate  # gamma_0 = eta
        self.last_index: Optional[int] = None

    def __len__(self) -> int:
        return self.size

    def initialize(self, feats: Tensor, labels: Tensor, pixel_weights: Tensor,
                   weights: Tensor) -> None:
        """Fill the memory with the initial set M0.

        Args:
            feats (Tensor): (S, C, h, w) sample features.
            labels (Tensor): (S, 1, H, W) labels in [0, 1].
            pixel_weights (Tensor): (S, 1, H, W) pixel weights v_k.
            weights (Tensor): (S,) sample weights gamma_k (normalised here).
        """
        num = feats.shape[0]
        if num > self.capacity:
            raise ValueError(f'M0 has {num} samples, more than the memory '
                             f'capacity {self.capacity}')
        if not (labels.shape[0] == pixel_weights.shape[0] == weights.shape[0]
                == num):
            raise ValueError('feats, labels, pixel_weights and weights must '
                             'have the same number of samples')
        self.reset()
        cap = self.capacity
        self.feats = feats.new_zeros((cap, *feats.shape[1:]))
        self.labels = labels.new_zeros((cap, *labels.shape[1:]),
                                       dtype=feats.dtype)
        self.pixel_weights = torch.zeros_like(self.labels)
        self.weights = feats.new_zeros(cap)
        self.feats[:num] = feats.detach()
        self.labels[:num] = labels.detach()
        self.pixel_weights[:num] = pixel_weights.detach()
        self.weights[:num] = weights.detach() / weights.sum()
        self.size = num

    def add(self, feats: Tensor, label: Tensor, pixel_weights: Tensor) -> int:
        """Insert one sample, evicting the lightest one when full.

        Args:
            feats (Tensor): (1, C, h, w) or (C, h, w) features.
            label (Tensor): (1, 1, H, W) or (1, H, W) label in [0, 1].
            pixel_weights (Tensor): same shape as ``label``.

        Returns:
            int: The slot the sample was written to.
        """
        if self.weights is None:
            raise RuntimeError('FRTMSampleMemory.add() before initialize()')
        if self.size < self.capacity:
            index = self.size
            self.size += 1
        else:
            index = int(torch.argmin(self.weights[:self.size]))
            self.weights[index] = 0.0  # evicted
        self.feats[index] = feats.detach().reshape(self.feats.shape[1:])
        self.labels[index] = label.detach().reshape(self.labels.shape[1:])
        self.pixel_weights[index] = pixel_weights.detach().reshape(
            self.labels.shape[1:])
        self.weights[index] = self.last_weight / (1.0 - self.learning_rate)
        self.weights[:self.size] /= self.weights[:self.size].sum()
        self.last_weight = float(self.weights[index])
        self.last_index = index
        return index

    def samples(self):
        """The stored samples: views of the used slots.

        Returns:
            tuple[Tensor]: feats (K, C, h, w), labels (K, 1, H, W),
            pixel weights (K, 1, H, W) and sample weights (K,).
        """
        k = self.size
        return (self.feats[:k], self.labels[:k], self.pixel_weights[:k],
                self.weights[:k])
