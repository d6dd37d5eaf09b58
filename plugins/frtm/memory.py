"""The sample memory M of one target object (FRTM-VOS sec. 3.1 and 3.4)."""
from typing import Optional, Tuple

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

    Holds up to ``capacity`` samples: features ``x_k`` (projected by the
    fixed first layer ``w1``), the loss terms of their labels at the
    features' resolution (see :mod:`.upsampled_l2`: a (9, h, w) stencil,
    ``b_k`` (1, h, w) and ``c_k``) and the sample weight ``gamma_k``.
    Storage is allocated once, so memory stays flat however long the video.

    Weight rules (sec. 3.4, as the authors' code): the slot written is the
    one of smallest weight over the whole capacity (an empty slot, weight 0,
    while the memory is not full; else the lightest sample). The first
    sample added after M0 gets ``eta`` against M0's weights divided by
    ``1 - eta``; each later one ``gamma_prev / (1 - eta)``, where
    ``gamma_prev`` is the (normalised) weight of the previous added sample.
    The weights are then normalised to sum to one.

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
        self.stencils: Optional[Tensor] = None
        self.rhs: Optional[Tensor] = None
        self.consts: Optional[Tensor] = None
        self.weights: Optional[Tensor] = None
        self.last_index: Optional[int] = None

    def __len__(self) -> int:
        return 0 if self.weights is None else int((self.weights > 0).sum())

    def initialize(self, feats: Tensor, stencils: Tensor, rhs: Tensor,
                   consts: Tensor, weights: Tensor) -> None:
        """Fill the memory with the initial set M0.

        Args:
            feats (Tensor): (S, c, h, w) projected sample features.
            stencils (Tensor): (S, 9, h, w) label stencils.
            rhs (Tensor): (S, 1, h, w) ``U^T v y`` of each label.
            consts (Tensor): (S,) ``sum v y^2`` of each label.
            weights (Tensor): (S,) sample weights gamma_k (normalised here).
        """
        num = feats.shape[0]
        if num > self.capacity:
            raise ValueError(f'M0 has {num} samples, more than the memory '
                             f'capacity {self.capacity}')
        if not (stencils.shape[0] == rhs.shape[0] == consts.shape[0]
                == weights.shape[0] == num):
            raise ValueError('feats, stencils, rhs, consts and weights must '
                             'have the same number of samples')
        self.reset()
        cap = self.capacity
        self.feats = feats.new_zeros((cap, *feats.shape[1:]))
        self.stencils = stencils.new_zeros((cap, *stencils.shape[1:]))
        self.rhs = rhs.new_zeros((cap, *rhs.shape[1:]))
        self.consts = consts.new_zeros(cap)
        self.weights = feats.new_zeros(cap)
        self.feats[:num] = feats.detach()
        self.stencils[:num] = stencils.detach()
        self.rhs[:num] = rhs.detach()
        self.consts[:num] = consts.detach()
        self.weights[:num] = weights.detach() / weights.sum()

    def add(self, feats: Tensor, stencil: Tensor, rhs: Tensor,
            const: Tensor) -> int:
        """Insert one sample (shapes as one row of :meth:`initialize`'s).

        Returns:
            int: The slot the sample was written to.
        """
        if self.weights is None:
            raise RuntimeError('FRTMSampleMemory.add() before initialize()')
        index = int(torch.argmin(self.weights))
        eta = self.learning_rate
        if self.last_index is None:
            self.weights /= 1.0 - eta
            self.weights[index] = eta
        else:
            self.weights[index] = self.weights[self.last_index] / (1.0 - eta)
        self.weights /= self.weights.sum()
        self.feats[index] = feats.detach().reshape(self.feats.shape[1:])
        self.stencils[index] = stencil.detach().reshape(
            self.stencils.shape[1:])
        self.rhs[index] = rhs.detach().reshape(self.rhs.shape[1:])
        self.consts[index] = const.detach().reshape(())
        self.last_index = index
        return index

    def samples(self) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """The samples of non-zero weight.

        Returns:
            tuple[Tensor]: feats (K, c, h, w), stencils (K, 9, h, w), rhs
            (K, 1, h, w), consts (K,) and weights (K,).
        """
        keep = self.weights > 0
        return (self.feats[keep], self.stencils[keep], self.rhs[keep],
                self.consts[keep], self.weights[keep])
