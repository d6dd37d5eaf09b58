"""Trackers that associate the queries of consecutive clips (or frames).

Each tracker gives every query of the newest clip a track id: a query matched
to a query of the previous clip inherits its id; an unmatched query opens a
new track. Matching maximises the total similarity with the Hungarian
algorithm (``scipy.optimize.linear_sum_assignment``). With the same number of
queries in every clip (the usual case) every query is matched, as in MinVIS,
and the ids of a video are ``0 .. N-1`` throughout.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from vostoolkit.models.base import BaseTracker, ClipQueries
from vostoolkit.registry import TRACKERS


def cosine_similarity_matrix(a: Tensor, b: Tensor) -> Tensor:
    """(P, C) x (Q, C) -> (P, Q) cosine similarities."""
    return F.normalize(a.float(), dim=-1) @ F.normalize(b.float(), dim=-1).T


def volumetric_iou(a: Tensor, b: Tensor) -> Tensor:
    """IoU of every pair of binary tubes over all their frames.

    Args:
        a (Tensor): (P, T, H, W) bool.
        b (Tensor): (Q, T, H, W) bool.

    Returns:
        Tensor: (P, Q); 0 where both tubes are empty.
    """
    a, b = a.flatten(1).float(), b.flatten(1).float()  # (P, T*H*W), (Q, T*H*W)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1),
                       torch.zeros_like(inter))


class _AssignmentTracker(BaseTracker):
    """Keeps the previous clip's track ids and assigns new ones by
    similarity."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget the previous video."""
        self._prev_ids: Optional[Tensor] = None
        self._next_id = 0

    def _assign(self, similarity: Optional[Tensor], num_queries: int
                ) -> Tensor:
        """Track ids (num_queries,) long from a (P, Q) similarity to the
        previous clip's P queries (None on the first clip)."""
        ids = torch.full((num_queries,), -1, dtype=torch.long)
        if similarity is not None and self._prev_ids is not None:
            sim = torch.nan_to_num(similarity.detach().float().cpu(), nan=-1e4)
            rows, cols = linear_sum_assignment(sim.numpy(), maximize=True)
            ids[torch.as_tensor(cols)] = self._prev_ids[torch.as_tensor(rows)]
        new = ids < 0
        ids[new] = torch.arange(self._next_id,
                                self._next_id + int(new.sum()))
        self._next_id += int(new.sum())
        self._prev_ids = ids.clone()
        return ids


@TRACKERS.register_module()
class CosineClipTracker(_AssignmentTracker):
    """Clip-to-clip matching of query embeddings by cosine similarity
    (MinVIS between frames; NOVIS section 4.2 between clips).

    With NOVIS overlap embeddings (section 4.3), a clip is matched to the
    previous one with its embeddings computed on the frames the two share
    (``match_embeds``) and carries forward its embeddings on the frames it
    shares with the next clip (``carry_embeds``).
    """

    requires = ('embeds', )
    uses = ('match_embeds', 'carry_embeds')

    def reset(self) -> None:
        """Forget the previous video."""
        super().reset()
        self._prev_embeds: Optional[Tensor] = None

    def assign(self, clip: ClipQueries) -> Tensor:
        """Assign track ids to the queries of a new clip.

        Reads ``match_embeds`` (Q, C), compared with the previous clip's
        carried embeddings, and ``carry_embeds`` (Q, C), which the next
        clip is compared with; each defaults to ``embeds``.

        Returns:
            Tensor: (Q,) long track ids.
        """
        match_embeds = (clip.embeds if clip.match_embeds is None
                        else clip.match_embeds)
        sim = None
        if self._prev_embeds is not None:
            sim = cosine_similarity_matrix(self._prev_embeds, match_embeds)
        ids = self._assign(sim, match_embeds.shape[0])
        carry = clip.embeds if clip.carry_embeds is None else clip.carry_embeds
        self._prev_embeds = carry.detach()
        return ids


@TRACKERS.register_module()
class IoUClassClipTracker(_AssignmentTracker):
    """The handcrafted near-online tracker of the NOVIS ablation (Table 3):
    similarity = volumetric IoU of the two clips' masks on their shared
    frames + ``class_weight`` x the dot product of their class probabilities.

    Args:
        class_weight (float): Weight of the class agreement term.
    """

    requires = ('embeds', 'front_masks', 'class_probs')
    uses = ('back_masks', )

    def __init__(self, class_weight: float = 1.0):
        self.class_weight = class_weight
        super().__init__()

    def reset(self) -> None:
        """Forget the previous video."""
        super().reset()
        self._prev_masks: Optional[Tensor] = None
        self._prev_probs: Optional[Tensor] = None

    def assign(self, clip: ClipQueries) -> Tensor:
        """Assign track ids to the queries of a new clip.

        Reads ``front_masks`` (Q, tau, h, w) bool, the clip's masks on the
        frames it shares with the previous clip, ``class_probs`` (Q, K),
        and ``back_masks`` (Q, tau', h, w), its masks on the frames shared
        with the next clip (without them the next clip opens new tracks).

        Returns:
            Tensor: (Q,) long track ids.
        """
        front_masks, class_probs = clip.front_masks, clip.class_probs
        sim = None
        if self._prev_masks is not None:
            if self._prev_masks.shape[1:] != front_masks.shape[1:]:
                raise ValueError(
                    f'overlap masks {tuple(front_masks.shape[1:])} do not '
                    f'match the previous clip\'s '
                    f'{tuple(self._prev_masks.shape[1:])}')
            sim = volumetric_iou(self._prev_masks, front_masks)
            sim = sim + self.class_weight * (
                self._prev_probs.float() @ class_probs.float().T)
        ids = self._assign(sim, front_masks.shape[0])
        self._prev_masks = (None if clip.back_masks is None
                            else clip.back_masks.bool())
        self._prev_probs = class_probs.detach()
        return ids
