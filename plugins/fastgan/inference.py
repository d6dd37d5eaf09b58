"""FaSTGAN's per-video inference state, kept outside the network."""
from typing import List, Optional

import torch
from torch import Tensor


def _cat(old: Optional[Tensor], new: Tensor) -> Tensor:
    return new if old is None else torch.cat([old, new], dim=0)


class FaSTGANVideoState:
    """What the regressor carries from one frame to the next, per object.

    Only the previous frame is used at test time: each object keeps its
    reference encoding (phi_E of M_n, computed once), its previous soft mask
    (after soft aggregation with the other objects) and the last decoder
    layer's features of the previous frame for the temporal skip. The video
    loop calls :meth:`reset` before every video.

    Attributes:
        obj_ids (list[int]): Objects started so far, in order (O of them).
        ref_feats (Tensor | None): (O, C5, H/32, W/32) reference encodings.
        prev_masks (Tensor | None): (O, 1, H, W) previous soft masks.
        prev_feats (Tensor | None): (O, C, H/4, W/4) previous decoder
            features; None until the objects have been segmented once. An
            object added later starts with zeros (no previous frame).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the previous video."""
        self.obj_ids: List[int] = []
        self.ref_feats: Optional[Tensor] = None
        self.prev_masks: Optional[Tensor] = None
        self.prev_feats: Optional[Tensor] = None

    @property
    def num_objects(self) -> int:
        return len(self.obj_ids)

    def add(self, obj_ids: List[int], ref_feats: Tensor,
            masks: Tensor) -> None:
        """Start objects whose masks are given on the current frame.

        Args:
            obj_ids (list[int]): K new object ids.
            ref_feats (Tensor): (K, C5, h, w) their reference encodings.
            masks (Tensor): (K, 1, H, W) their given masks.
        """
        if self.prev_feats is not None:
            zeros = self.prev_feats.new_zeros(
                (len(obj_ids), *self.prev_feats.shape[1:]))
            self.prev_feats = torch.cat([self.prev_feats, zeros])
        self.obj_ids = self.obj_ids + list(obj_ids)
        self.ref_feats = _cat(self.ref_feats, ref_feats)
        self.prev_masks = _cat(self.prev_masks, masks)
