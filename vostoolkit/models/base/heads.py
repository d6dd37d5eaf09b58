"""Heads by task: the calls a segmentor makes on each kind of head.

Every head is a :class:`BaseHead`; a head also derives from the task base
below whose promise its callers rely on, so that a config can put any head
of that task into a segmentor's slot:

* :class:`BaseMaskRefinementHead` (VOS): coarse target scores and backbone
  features -> mask logits (FRTM's refinement network, its D-only head).
* :class:`BasePropagationHead` (VOS): multi-scale features and the
  full-resolution network input -> one mask logit per sample.
* :class:`BaseSemanticHead` (dense): multi-scale features -> per-pixel
  category logits (auxiliary or pretraining heads).
* :class:`BaseVISQueryHead` (VIS): multi-scale clip features -> per-query
  class logits, mask tubes and embeddings (Mask2Former-style decoders).

and, for the necks in front of VIS query heads, :class:`BasePixelDecoder`.
"""
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from .roles import BaseHead, BaseNeck


class BaseMaskRefinementHead(BaseHead):
    """Refines coarse target scores into mask logits (VOS).

    Scores come from a target model (``BaseTargetModel.predict``); the head
    sees the backbone maps of the same images. With O objects per image,
    the score rows of one image are consecutive and share its maps.
    """

    @abstractmethod
    def forward(self, scores: Tensor, feats: Sequence[Tensor],
                out_size: Sequence[int]) -> Tensor:
        """Mask logits from target scores.

        Args:
            scores (Tensor): (B*O, 1, h, w) target scores, O objects per
                image, consecutive.
            feats (Sequence[Tensor]): backbone maps, shallowest first, each
                (B, C_i, H_i, W_i).
            out_size (Sequence[int]): (H, W) of the logits.

        Returns:
            Tensor: (B*O, 1, H, W) mask logits.
        """

    @abstractmethod
    def loss(self, scores: Tensor, feats: Sequence[Tensor], gt_masks: Tensor,
             valid: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses of the refined masks.

        Args:
            scores (Tensor): (N, 1, h, w) target scores.
            feats (Sequence[Tensor]): backbone maps, as in :meth:`forward`.
            gt_masks (Tensor): (N, 1, H, W) target masks in {0, 1}.
            valid (Tensor, optional): (N, 1, H, W) bool; False pixels do not
                count.

        Returns:
            dict[str, Tensor]: scalar losses.
        """

    def predict(self, scores: Tensor, feats: Sequence[Tensor],
                out_size: Sequence[int]) -> Tensor:
        """Mask probabilities (B*O, 1, H, W): the sigmoid of
        :meth:`forward`."""
        return torch.sigmoid(self(scores, feats, out_size))


class BasePropagationHead(BaseHead):
    """Decodes one mask logit per sample from multi-scale features (VOS mask
    propagation); the segmentor computes the losses on the aggregated
    objects."""

    @abstractmethod
    def forward(self, feats: Sequence[Tensor], raw: Tensor) -> Tensor:
        """Mask logits.

        Args:
            feats (Sequence[Tensor]): (N, C_i, H_i, W_i), finest first.
            raw (Tensor): (N, C_raw, H, W) the network input, for
                full-resolution detail.

        Returns:
            Tensor: (N, 1, H, W) mask logits.
        """


class BaseSemanticHead(BaseHead):
    """Per-pixel classification into K categories plus background (index 0).

    Attributes:
        num_classes (int): K foreground categories.
    """

    num_classes: int

    @abstractmethod
    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Logits (N, K + 1, H_0, W_0) at the finest given scale from maps
        (N, C_i, H_i, W_i), finest first."""

    @abstractmethod
    def loss(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """Losses of (N, K + 1, h, w) logits against (N, H, W) long labels
        (0 background, 1..K the category, -1 ignored)."""

    @abstractmethod
    def predict(self, feats: Sequence[Tensor],
                size: Sequence[int]) -> Tensor:
        """(N, H, W) long label maps (0 background) at ``size`` (H, W)."""


class BaseVISQueryHead(BaseHead):
    """Decodes N instance queries from multi-scale clip features (VIS).

    Attributes:
        num_classes (int): K; class logits have K + 1 entries, the last one
            "no object".
        num_queries (int): N.
    """

    num_classes: int
    num_queries: int

    @abstractmethod
    def forward(self, multi_scale_feats: Sequence[Tensor],
                mask_features: Tensor, *, all_masks: bool = True
                ) -> Dict[str, object]:
        """Decode a batch of clips (a frame is a clip of T = 1).

        Args:
            multi_scale_feats (Sequence[Tensor]): maps (B, T, C_in, h_l,
                w_l), coarse to fine.
            mask_features (Tensor): (B, T, C_m, H, W) per-pixel embeddings.
            all_masks (bool): Predict every layer's mask tubes at (H, W)
                (training); False: only the last layer's must be (inference).

        Returns:
            dict: ``cls_logits`` (list of (B, N, K + 1), the last entry the
            final prediction), ``mask_logits`` (list of (B, N, T, H, W),
            idem) and ``embeds`` (B, N, C), the final query embeddings
            trackers match on.
        """

    @abstractmethod
    def loss(self, outputs: Dict[str, List[Tensor]],
             targets: Sequence[dict]) -> Dict[str, Tensor]:
        """Set losses of a forward pass.

        Args:
            outputs (dict): from :meth:`forward`.
            targets (Sequence[dict]): per clip, ``labels`` (G,) long in
                0..K-1 and ``masks`` (G, T, H, W) bool at the mask logits'
                size.

        Returns:
            dict[str, Tensor]: scalar losses.
        """

    def predict(self, multi_scale_feats: Sequence[Tensor],
                mask_features: Tensor) -> Dict[str, Tensor]:
        """The final prediction: ``cls_logits`` (B, N, K + 1),
        ``mask_logits`` (B, N, T, H, W), ``embeds`` (B, N, C)."""
        out = self(multi_scale_feats, mask_features, all_masks=False)
        return dict(cls_logits=out['cls_logits'][-1],
                    mask_logits=out['mask_logits'][-1], embeds=out['embeds'])


class BasePixelDecoder(BaseNeck):
    """Turns backbone maps into per-pixel mask features and the multi-scale
    maps a query decoder attends to (Mask2Former's pixel decoder).

    Attributes:
        num_encoder_levels (int): Number of ``multi_scale_feats`` returned.
    """

    num_encoder_levels: int

    @abstractmethod
    def forward(self, feats: Sequence[Tensor]
                ) -> Tuple[Tensor, List[Tensor]]:
        """Decode backbone maps.

        Args:
            feats (Sequence[Tensor]): maps (N, C_i, H_i, W_i) by increasing
                stride.

        Returns:
            tuple: ``mask_features`` (N, C_m, H_0, W_0) at the finest
            stride, and ``multi_scale_feats``, a list of
            ``num_encoder_levels`` maps (N, C, H_l, W_l), coarse to fine.
        """
