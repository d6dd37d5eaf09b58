"""The online track buffer of NOVIS section 5.5."""
from typing import Optional

import torch
from torch import Tensor

from vostoolkit.models.base import ClipQueries
from vostoolkit.registry import TRACKERS

from .clip_trackers import _AssignmentTracker, cosine_similarity_matrix


@TRACKERS.register_module()
class EmbeddingBufferTracker(_AssignmentTracker):
    """Frame-to-frame (or clip-to-clip) matching against the mean of each
    track's last ``buffer_len`` embeddings, by cosine similarity and the
    Hungarian algorithm.

    Args:
        buffer_len (int): Embeddings kept per track (NOVIS finds 4 best on
            OVIS); 1 is plain matching to the previous frame.
    """

    def __init__(self, buffer_len: int = 4):
        if buffer_len < 1:
            raise ValueError(f'buffer_len must be >= 1, got {buffer_len}')
        self.buffer_len = buffer_len
        super().__init__()

    def reset(self) -> None:
        """Forget the previous video."""
        super().reset()
        self._bank: Optional[Tensor] = None  # (num_tracks, buffer_len, C)
        self._count: Optional[Tensor] = None  # (num_tracks,) filled slots

    def track_embeddings(self) -> Optional[Tensor]:
        """(num_tracks, C) mean of each track's buffered embeddings."""
        if self._bank is None:
            return None
        slots = torch.arange(self.buffer_len)[None, :] < self._count[:, None]
        total = (self._bank * slots[..., None]).sum(1)
        return total / self._count.clamp(min=1)[:, None].to(total.dtype)

    def assign(self, clip: ClipQueries) -> Tensor:
        """Assign track ids to new queries and push them into the buffer.

        Reads ``embeds`` (Q, C), the embeddings of the new frame or clip.

        Returns:
            Tensor: (Q,) long track ids.
        """
        embeds = clip.embeds.detach().float().cpu()
        means = self.track_embeddings()
        if means is not None:
            # previous ids of the assignment are the track rows themselves
            self._prev_ids = torch.arange(means.shape[0])
        sim = None if means is None else cosine_similarity_matrix(means,
                                                                  embeds)
        ids = self._assign(sim, embeds.shape[0])
        num_tracks = self._next_id
        if self._bank is None:
            self._bank = embeds.new_zeros(0, self.buffer_len, embeds.shape[1])
            self._count = torch.zeros(0, dtype=torch.long)
        grow = num_tracks - self._bank.shape[0]
        if grow > 0:
            fresh = self._bank.new_zeros(grow, *self._bank.shape[1:])
            self._bank = torch.cat([self._bank, fresh])
            self._count = torch.cat([self._count, self._count.new_zeros(grow)])
        # shift each updated track's buffer and write the newest embedding
        self._bank[ids] = torch.roll(self._bank[ids], 1, dims=1)
        self._bank[ids, 0] = embeds
        self._count[ids] = (self._count[ids] + 1).clamp(max=self.buffer_len)
        return ids
