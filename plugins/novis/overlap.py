"""NOVIS clip overlap embeddings (section 4.3, eq. 1).

Two adjacent clips are matched on the frames they share, tau. Each clip's
output queries are re-decoded by the last decoder layer with the attention
mask of eq. 1: the query's own last mask tube M_L, kept on the frames of tau
and zeroed elsewhere. A query whose M_L is empty on every frame of tau keeps
its whole-clip output embedding (the paper's fallback).
"""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from vostoolkit.models.heads import Mask2FormerVideoHead
from vostoolkit.registry import HEADS


def overlap_attention_mask(mask_logits: Tensor, overlap: Sequence[int],
                           size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
    """Eq. 1: the binary tube M_L restricted to the overlap frames.

    Args:
        mask_logits (Tensor): (B, N, T, H, W) last-layer tube logits.
        overlap (Sequence[int]): clip-frame indices of tau (0-based within
            the clip).
        size (tuple[int, int]): (h, w) of the attended feature level.

    Returns:
        tuple[Tensor, Tensor]: ``attend`` (B, N, T, h, w) bool, M_hat of
        eq. 1 at the level's size (True where the query may attend), and
        ``has_overlap`` (B, N) bool, False for queries whose M_hat is zero
        everywhere (the fallback case).
    """
    b, n, t = mask_logits.shape[:3]
    bad = [i for i in overlap if not 0 <= i < t]
    if bad or not len(overlap):
        raise ValueError(f'overlap frames {list(overlap)} must be a non-empty '
                         f'subset of the clip frames 0..{t - 1}')
    with torch.no_grad():
        m = F.interpolate(mask_logits.detach().flatten(1, 2).float(),
                          size=size, mode='bilinear', align_corners=False)
        # (B, N*T, h, w) -> (B, N, T, h, w)
        fg = (m.sigmoid() >= 0.5).view(b, n, t, *size)
        in_tau = torch.zeros(t, dtype=torch.bool, device=fg.device)
        in_tau[list(overlap)] = True
        attend = fg & in_tau.view(1, 1, t, 1, 1)
        has_overlap = attend.flatten(2).any(-1)  # (B, N)
    return attend, has_overlap


@HEADS.register_module()
class NOVISVideoDecoder(Mask2FormerVideoHead):
    """The NOVIS video instance decoder: the Mask2Former-style video decoder
    (learned temporal encoding by default) plus overlap embeddings."""

    def overlap_embeddings(self, outputs: Dict[str, object],
                           overlap: Sequence[int]) -> Tensor:
        """Embeddings of each query with respect to the overlap frames tau.

        Re-runs the last decoder layer (cross-attention on its level,
        self-attention, FFN) on the output queries Q_L with the eq. 1 mask,
        then the decoder norm, as for the output embeddings. The result
        depends on the features of tau only (given Q_L).

        Args:
            outputs (dict): a :meth:`forward` result of the clip.
            overlap (Sequence[int]): clip-frame indices of tau.

        Returns:
            Tensor: (B, N, C); rows of fallback queries are exactly
            ``outputs['embeds']``.
        """
        last = self.num_layers - 1
        memory = outputs['memory'][self.level_of_layer(last)]
        attend, has_overlap = overlap_attention_mask(
            outputs['mask_logits'][-1], overlap, memory.shape[1:])
        # Fallback queries keep their whole-clip embedding, but in this pass
        # they see all of tau (and nothing else), so that through the
        # self-attention no query's overlap embedding depends on frames
        # outside tau.
        in_tau = torch.zeros_like(attend[0, 0])  # (T, h, w)
        in_tau[list(overlap)] = True
        attend = torch.where(has_overlap[..., None, None, None], attend,
                             in_tau)
        blocked = ~attend.flatten(2)  # (B, N, T, h, w) -> (B, N, T*h*w)
        blocked = blocked[:, None].expand(-1, self.num_heads, -1, -1)
        queries = self.decode_layer(last, outputs['queries'], memory,
                                    blocked.flatten(0, 1))  # (B*M, N, S) mask
        embeds = self.decoder_norm(queries)
        return torch.where(has_overlap[..., None], embeds, outputs['embeds'])
