"""A Mask2Former-style video instance decoder over T x H_l x W_l volumes.

One set of N queries segments a whole clip: each layer computes masked
cross-attention from the queries to the full spatio-temporal volume of one
pixel-decoder level (cycling coarse to fine), then self-attention, then an
FFN; after each layer the queries predict a class (K + 1 logits) and a mask
tube (dot product with the stride-4 mask features of every frame), and the
tube, thresholded, masks the next layer's cross-attention (Cheng et al.,
CVPR 2022; Mask2Former-VIS; NOVIS section 4.1).
"""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vostoolkit.models.base import BaseVISQueryHead
from vostoolkit.models.layers import (CrossAttentionLayer, FFNLayer,
                                      LearnedTemporalEncoding,
                                      SelfAttentionLayer,
                                      SinePositionalEncoding,
                                      SineTemporalEncoding)
from vostoolkit.registry import HEADS

from .video_mask_loss import VideoMaskLossMixin

ConfigType = dict


class Memory(NamedTuple):
    """One level's flattened clip volume: ``feat`` and ``pos`` (B, T*h*w, C),
    and ``shape`` (T, h, w)."""
    feat: Tensor
    pos: Tensor
    shape: Tuple[int, int, int]


class MLP(nn.Module):
    """Linear layers with ReLU between them."""

    def __init__(self, in_dims: int, hidden: int, out_dims: int,
                 num_layers: int):
        super().__init__()
        dims = [in_dims] + [hidden] * (num_layers - 1) + [out_dims]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


@HEADS.register_module()
class Mask2FormerVideoHead(VideoMaskLossMixin, BaseVISQueryHead):
    """Video instance decoder predicting class logits and mask tubes.

    Args:
        num_classes (int): K object classes (logits have K + 1, the last
            meaning "no object").
        in_channels (int): Channels of the multi-scale features.
        mask_channels (int): Channels of the mask features.
        embed_dims (int): Query channels C.
        num_queries (int): Queries N.
        num_heads (int): Attention heads.
        num_layers (int): Decoder layers L (each attends to one level).
        num_levels (int): Feature levels cycled through.
        ffn_channels (int): FFN hidden channels.
        dropout (float): Dropout in the decoder layers.
        pre_norm (bool): Pre-norm decoder layers.
        temporal_encoding (str): ``'learned'`` (NOVIS: a learned vector per
            frame position added to the sinusoidal spatial encoding),
            ``'sine'`` (Mask2Former-VIS's 3-D sine encoding: a sinusoid of
            the frame's position normalised by the clip length, see
            :class:`SineTemporalEncoding`) or ``'none'`` (spatial only, the
            ablation baseline).
        max_frames (int): Longest clip the learned encoding supports.
        temporal_init (str): Initial value of the learned encoding:
            ``'normal'`` (N(0, 1)) or ``'zeros'`` (for a decoder that starts
            from weights pretrained without one, e.g. Mask2Former's).
        positional_encoding (dict, optional): Options of the spatial
            :class:`SinePositionalEncoding` (``num_feats`` is
            ``embed_dims // 2``); default Mask2Former's (no offset).
        enforce_input_proj (bool): Project features even when
            ``in_channels == embed_dims``.
        matcher, loss_cls, loss_mask, loss_dice (dict): Configs of the
            matcher and losses (see :class:`VideoMaskLossMixin`).
        num_points (int): PointRend training points per frame.
        oversample_ratio (float): PointRend oversampling.
        importance_sample_ratio (float): PointRend importance share.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, num_classes: int, *, in_channels: int = 256,
                 mask_channels: int = 256, embed_dims: int = 256,
                 num_queries: int = 100, num_heads: int = 8,
                 num_layers: int = 9, num_levels: int = 3,
                 ffn_channels: int = 2048, dropout: float = 0.0,
                 pre_norm: bool = False, temporal_encoding: str = 'learned',
                 max_frames: int = 8, temporal_init: str = 'normal',
                 positional_encoding: Optional[dict] = None,
                 enforce_input_proj: bool = False,
                 matcher: Optional[ConfigType] = None,
                 loss_cls: Optional[ConfigType] = None,
                 loss_mask: Optional[ConfigType] = None,
                 loss_dice: Optional[ConfigType] = None,
                 num_points: int = 12544, oversample_ratio: float = 3.0,
                 importance_sample_ratio: float = 0.75,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if temporal_encoding not in ('learned', 'sine', 'none'):
            raise ValueError(f"temporal_encoding must be 'learned', 'sine' "
                             f"or 'none', got {temporal_encoding!r}")
        self.num_classes, self.num_queries = num_classes, num_queries
        self.num_heads, self.num_layers = num_heads, num_layers
        self.num_levels, self.embed_dims = num_levels, embed_dims
        self.spatial_encoding = SinePositionalEncoding(
            **{'num_feats': embed_dims // 2, **(positional_encoding or {})})
        self.temporal_encoding: Optional[nn.Module] = None
        if temporal_encoding == 'learned':
            self.temporal_encoding = LearnedTemporalEncoding(
                max_frames, embed_dims, init=temporal_init)
        elif temporal_encoding == 'sine':
            self.temporal_encoding = SineTemporalEncoding(embed_dims)
        self.input_proj = nn.ModuleList()
        for _ in range(num_levels):
            if in_channels != embed_dims or enforce_input_proj:
                conv = nn.Conv2d(in_channels, embed_dims, 1)
                nn.init.kaiming_uniform_(conv.weight, a=1)
                nn.init.zeros_(conv.bias)
                self.input_proj.append(conv)
            else:
                self.input_proj.append(nn.Identity())
        self.level_embed = nn.Embedding(num_levels, embed_dims)
        self.query_feat = nn.Embedding(num_queries, embed_dims)
        self.query_embed = nn.Embedding(num_queries, embed_dims)
        self.cross_attn = nn.ModuleList(
            CrossAttentionLayer(embed_dims, num_heads, dropout, pre_norm)
            for _ in range(num_layers))
        self.self_attn = nn.ModuleList(
            SelfAttentionLayer(embed_dims, num_heads, dropout, pre_norm)
            for _ in range(num_layers))
        self.ffn = nn.ModuleList(
            FFNLayer(embed_dims, ffn_channels, dropout, pre_norm)
            for _ in range(num_layers))
        self.decoder_norm = nn.LayerNorm(embed_dims)
        self.cls_embed = nn.Linear(embed_dims, num_classes + 1)
        self.mask_embed = MLP(embed_dims, embed_dims, mask_channels, 3)
        self._init_losses(matcher, loss_cls, loss_mask, loss_dice,
                          num_points, oversample_ratio,
                          importance_sample_ratio)

    # ------------------------------------------------------------ building
    def prepare_memory(self, multi_scale_feats: Sequence[Tensor]
                       ) -> List[Memory]:
        """Flatten each level's clip volume and build its encodings.

        Args:
            multi_scale_feats (Sequence[Tensor]): ``num_levels`` maps
                (B, T, C_in, h_l, w_l), coarse to fine.

        Returns:
            list[Memory]: per level, features with the level embedding and
            the spatial (+ temporal) encoding, both (B, T*h_l*w_l, C).
        """
        if len(multi_scale_feats) != self.num_levels:
            raise ValueError(f'{type(self).__name__} expects '
                             f'{self.num_levels} feature levels, got '
                             f'{len(multi_scale_feats)}')
        memories = []
        for lvl, x in enumerate(multi_scale_feats):
            b, t, _, h, w = x.shape
            # (B, T, Ci, h, w) -> (B*T, C, h, w)
            x = self.input_proj[lvl](x.flatten(0, 1))
            x = x + self.level_embed.weight[lvl][None, :, None, None]
            pos = self.spatial_encoding(x[:1])  # (1, C, h, w)
            pos = pos[:, None].expand(b, t, -1, -1, -1)  # (B, T, C, h, w)
            if self.temporal_encoding is not None:
                temporal = self.temporal_encoding(t, x.device).to(
                    x.dtype)  # (T, C)
                pos = pos + temporal[None, :, :, None, None]
            # (B*T, C, h, w) -> (B, T, h, w, C)
            x = x.view(b, t, -1, h, w).permute(0, 1, 3, 4, 2)
            # (B, T, C, h, w) -> (B, T, h, w, C)
            pos = pos.permute(0, 1, 3, 4, 2)
            memories.append(Memory(x.reshape(b, t * h * w, -1),
                                   pos.reshape(b, t * h * w, -1), (t, h, w)))
        return memories

    def predict_heads(self, queries: Tensor, mask_features: Tensor
                      ) -> Tuple[Tensor, Tensor, Tensor]:
        """Class logits, mask tubes and normalised embeddings of queries.

        Args:
            queries (Tensor): (B, N, C) decoder output.
            mask_features (Tensor): (B, T, C_m, H, W).

        Returns:
            tuple: cls_logits (B, N, K + 1), mask_logits (B, N, T, H, W),
            embeds (B, N, C) (``decoder_norm`` of the queries).
        """
        embeds = self.decoder_norm(queries)
        cls_logits = self.cls_embed(embeds)
        mask_embeds = self.mask_embed(embeds)  # (B, N, C_m)
        mask_logits = torch.einsum('bnc,btchw->bnthw', mask_embeds,
                                   mask_features)
        return cls_logits, mask_logits, embeds

    def attention_mask(self, mask_logits: Tensor, size: Tuple[int, int],
                       frame_keep: Optional[Tensor] = None) -> Tensor:
        """Cross-attention mask from predicted tubes (True: blocked).

        A query attends where its tube, resized to ``size``, has
        probability >= 0.5. A query blocked everywhere attends everywhere.

        Args:
            mask_logits (Tensor): (B, N, T, H, W) tube logits.
            size (tuple[int, int]): (h, w) of the attended level.
            frame_keep (Tensor, optional): (T,) bool; frames outside it are
                blocked for every query (before the all-blocked rule).

        Returns:
            Tensor: (B * num_heads, N, T*h*w) bool.
        """
        b, n, t = mask_logits.shape[:3]
        with torch.no_grad():
            # (B, N, T, H, W) -> (B, N*T, h, w)
            m = mask_logits.detach().flatten(1, 2)
            if tuple(m.shape[-2:]) != tuple(size):
                m = F.interpolate(m, size=size, mode='bilinear',
                                  align_corners=False)
            blocked = (m.sigmoid() < 0.5).view(b, n, t, -1)  # (B, N, T, h*w)
            if frame_keep is not None:
                blocked = blocked | ~frame_keep.view(1, 1, t, 1)
            blocked = blocked.flatten(2)  # (B, N, T, h*w) -> (B, N, T*h*w)
            blocked[blocked.all(-1)] = False
            blocked = blocked[:, None].expand(-1, self.num_heads, -1, -1)
        return blocked.flatten(0, 1)  # (B, M, N, S) -> (B*M, N, S)

    def query_pos(self, batch: int) -> Tensor:
        """Learned query positional embeddings, (B, N, C)."""
        return self.query_embed.weight[None].expand(batch, -1, -1)

    def level_of_layer(self, layer: int) -> int:
        """Index of the feature level attended by decoder layer ``layer``."""
        return layer % self.num_levels

    def decode_layer(self, layer: int, queries: Tensor, memory: Memory,
                     attn_mask: Optional[Tensor],
                     query_pos: Optional[Tensor] = None) -> Tensor:
        """Run decoder layer ``layer``: masked cross-attention, self-attention,
        FFN.

        Args:
            layer (int): Layer index in [0, L).
            queries (Tensor): (B, N, C).
            memory (Memory): the level this layer attends to.
            attn_mask (Tensor, optional): (B * num_heads, N, T*h*w) bool.
            query_pos (Tensor, optional): (B, N, C); default the learned one.

        Returns:
            Tensor: (B, N, C) updated queries.
        """
        if query_pos is None:
            query_pos = self.query_pos(queries.shape[0])
        x = self.cross_attn[layer](queries, memory.feat, attn_mask,
                                   memory.pos, query_pos)
        x = self.self_attn[layer](x, query_pos)
        return self.ffn[layer](x)

    # ------------------------------------------------------------- forward
    def forward(self, multi_scale_feats: Sequence[Tensor],
                mask_features: Tensor, *, all_masks: bool = True
                ) -> Dict[str, object]:
        """Decode a batch of clips.

        Args:
            multi_scale_feats (Sequence[Tensor]): ``num_levels`` maps
                (B, T, C_in, h_l, w_l), coarse to fine.
            mask_features (Tensor): (B, T, C_m, H, W) stride-4 features.
            all_masks (bool): Predict every layer's tubes at the mask
                features' size (the auxiliary losses need them). With False
                (inference), only the last layer's are; each earlier
                prediction serves only the next layer's attention mask and
                is made at that layer's level size, from the mask features
                resized to it (bilinear resizing is linear, so the same
                logits up to float rounding, for 1/4 to 1/64 of the dot
                products).

        Returns:
            dict: ``cls_logits`` and ``mask_logits``, lists of L + 1
            predictions (before the first layer, then after each layer) of
            (B, N, K + 1) and (B, N, T, H, W) (with ``all_masks=False``,
            ``mask_logits`` holds the last layer's only); ``embeds``
            (B, N, C) and ``queries`` (B, N, C), the normalised and raw
            last-layer output; ``memory`` (list[Memory]) and
            ``mask_features`` for re-decoding.
        """
        memory = self.prepare_memory(multi_scale_feats)
        b, t = mask_features.shape[:2]
        resized = {}

        def features_for(layer: int) -> Tensor:
            """Mask features for the prediction after ``layer`` (-1: before
            the first): full size, or the next layer's level size."""
            if all_masks or layer == self.num_layers - 1:
                return mask_features
            size = memory[self.level_of_layer(layer + 1)].shape[1:]
            if size not in resized:
                # (B, T, C, H, W) -> (B*T, C, h, w) -> (B, T, C, h, w)
                x = F.interpolate(mask_features.flatten(0, 1), size=size,
                                  mode='bilinear', align_corners=False)
                resized[size] = x.view(b, t, *x.shape[1:])
            return resized[size]

        query_pos = self.query_pos(b)
        queries = self.query_feat.weight[None].expand(b, -1, -1)  # (B, N, C)
        cls_logits, mask_logits, embeds = self.predict_heads(
            queries, features_for(-1))
        all_cls, tubes = [cls_logits], [mask_logits]
        for layer in range(self.num_layers):
            mem = memory[self.level_of_layer(layer)]
            attn_mask = self.attention_mask(mask_logits, mem.shape[1:])
            queries = self.decode_layer(layer, queries, mem, attn_mask,
                                        query_pos)
            cls_logits, mask_logits, embeds = self.predict_heads(
                queries, features_for(layer))
            all_cls.append(cls_logits)
            tubes.append(mask_logits)
        if not all_masks:
            tubes = tubes[-1:]
        return dict(cls_logits=all_cls, mask_logits=tubes,
                    embeds=embeds, queries=queries, memory=memory,
                    mask_features=mask_features)
