"""The tracker role: what a segmentor gives a tracker, and what it gets back.

A segmentor that decodes queries (a frame's, or a clip's) fills a
:class:`ClipQueries` with what it has and calls ``tracker.update(clip)``;
the tracker answers one track id per query. A tracker names the fields it
needs (``requires``) and the optional ones it reads when given (``uses``);
a segmentor may compute the costly ones only when ``tracker.wants(name)``.
No segmentor branches on the concrete tracker class.
"""
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass, fields
from typing import ClassVar, List, Optional, Tuple

import torch
from torch import Tensor

_EMBED_FIELDS = ('embeds', 'match_embeds', 'carry_embeds')
_MASK_FIELDS = ('front_masks', 'back_masks')


@dataclass
class ClipQueries:
    """The outputs of one clip (or frame) that trackers match on.

    Q is the number of queries of the clip, tau the number of frames it
    shares with the previous clip (``front_masks``) or the next clip
    (``back_masks``; the two may differ), (h, w) the mask size.

    Attributes:
        embeds (Tensor): (Q, C) query embeddings of the whole clip.
        match_embeds (Tensor, optional): (Q, C) embeddings on the frames
            shared with the previous clip (NOVIS overlap embeddings), to be
            matched against the previous clip's ``carry_embeds``; trackers
            fall back to ``embeds``.
        carry_embeds (Tensor, optional): (Q, C) embeddings on the frames
            shared with the next clip, which the next clip is matched
            against; trackers fall back to ``embeds``.
        front_masks (Tensor, optional): (Q, tau, h, w) bool masks on the
            frames shared with the previous clip (tau may be 0 on the first
            clip).
        back_masks (Tensor, optional): (Q, tau', h, w) bool masks on the
            frames shared with the next clip.
        class_probs (Tensor, optional): (Q, K) class probabilities without
            "no object".
    """

    embeds: Tensor
    match_embeds: Optional[Tensor] = None
    carry_embeds: Optional[Tensor] = None
    front_masks: Optional[Tensor] = None
    back_masks: Optional[Tensor] = None
    class_probs: Optional[Tensor] = None

    @property
    def num_queries(self) -> int:
        """Q, the number of queries."""
        return int(self.embeds.shape[0])

    def given(self) -> List[str]:
        """Names of the fields that are set."""
        return [f.name for f in fields(self)
                if getattr(self, f.name) is not None]

    def validate(self) -> None:
        """Check the shapes of the fields that are set.

        Raises:
            ValueError: naming the first field whose shape is wrong.
        """
        q = None
        for name in self.given():
            value = getattr(self, name)
            if not isinstance(value, Tensor):
                raise ValueError(f'ClipQueries.{name} must be a Tensor, got '
                                 f'{type(value).__name__}')
            dims = 2 if name in _EMBED_FIELDS or name == 'class_probs' else 4
            if value.dim() != dims:
                raise ValueError(f'ClipQueries.{name} must have {dims} dims '
                                 f'(Q, ...), got {tuple(value.shape)}')
            q = value.shape[0] if q is None else q
            if value.shape[0] != q:
                raise ValueError(f'ClipQueries.{name} has {value.shape[0]} '
                                 f'queries, the other fields {q}')
            if name in _MASK_FIELDS and value.dtype != torch.bool:
                raise ValueError(f'ClipQueries.{name} must be bool masks, '
                                 f'got {value.dtype}')


class BaseTracker(metaclass=ABCMeta):
    """Associates the queries of consecutive frames or clips of one video.

    A tracker holds per-video state and is not an ``nn.Module``; the video
    loop calls :meth:`reset` at the start of every video. Subclasses
    implement :meth:`assign` and declare the :class:`ClipQueries` fields
    they need in ``requires`` and the optional ones they read in ``uses``.

    Attributes:
        requires (tuple[str]): Fields that must be set.
        uses (tuple[str]): Optional fields read when set.
    """

    requires: ClassVar[Tuple[str, ...]] = ('embeds', )
    uses: ClassVar[Tuple[str, ...]] = ()

    @abstractmethod
    def reset(self) -> None:
        """Forget everything about the previous video."""

    @classmethod
    def wants(cls, name: str) -> bool:
        """Whether the tracker reads field ``name`` of :class:`ClipQueries`
        (callers skip computing the fields nobody reads)."""
        return name in cls.requires or name in cls.uses

    def update(self, clip: ClipQueries) -> Tensor:
        """Assign track ids to the queries of a new clip (or frame).

        Args:
            clip (ClipQueries): The clip's outputs; at least the fields in
                ``requires``.

        Returns:
            Tensor: (Q,) long track ids, one per query: a query matched to a
            track inherits its id, an unmatched one opens a new track.

        Raises:
            TypeError: if ``clip`` is not a :class:`ClipQueries`.
            ValueError: if a required field is missing or a field's shape
                is wrong.
        """
        name = type(self).__name__
        if not isinstance(clip, ClipQueries):
            raise TypeError(f'{name}.update takes a ClipQueries, got '
                            f'{type(clip).__name__}')
        missing = [f for f in self.requires if getattr(clip, f) is None]
        if missing:
            raise ValueError(
                f'{name} needs ClipQueries.{", ".join(missing)}, which the '
                f'caller did not give (given: {", ".join(clip.given())})')
        clip.validate()
        ids = self.assign(clip)
        if ids.dtype != torch.long or tuple(ids.shape) != (
                clip.num_queries, ):
            raise RuntimeError(f'{name}.assign returned {ids.dtype} '
                               f'{tuple(ids.shape)}, not ({clip.num_queries},)'
                               f' long track ids')
        return ids

    @abstractmethod
    def assign(self, clip: ClipQueries) -> Tensor:
        """Track ids (Q,) long of the clip's queries (``clip`` is checked:
        the ``requires`` fields are set and the shapes agree)."""
