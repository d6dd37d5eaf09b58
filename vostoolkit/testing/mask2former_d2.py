"""The state-dict layout of detectron2 Mask2Former checkpoints, built from a
compact description of the reference modules, for tests of
``tools/model_converters/mask2former_d2.py``.

Read off Mask2Former's ``MaskFormer`` / ``VideoMaskFormer`` models:
detectron2's ResNet (``stem.conv1`` and ``resN.i.conv1..3`` with FrozenBN
``norm``, a ``shortcut`` on each stage's first block), the
``MSDeformAttnPixelDecoder`` (``input_proj`` conv + GroupNorm per encoder
level, ``transformer.level_embed``, deformable encoder layers with
``self_attn`` / ``norm1`` / ``linear1`` / ``linear2`` / ``norm2``,
``mask_features``, ``adapter_1`` / ``layer_1`` convs with GroupNorm), the
(Video)``MultiScaleMaskedTransformerDecoder`` (``query_feat``,
``query_embed``, ``level_embed``, per layer a self-attention, a
cross-attention (``multihead_attn``) and an FFN block each with a ``norm``,
``decoder_norm``, ``class_embed``, a 3-layer ``mask_embed`` MLP; no
``input_proj`` weights when the pixel decoder's width equals the decoder's)
and the criterion's ``empty_weight`` buffer. The image and the video models
hold the same keys; only the class count differs.
"""
from collections import OrderedDict
from typing import Dict, Tuple

import numpy as np

BN = ('weight', 'bias', 'running_mean', 'running_var')
BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


def d2_mask2former_shapes(depth: int = 50, num_classes: int = 80,
                          num_queries: int = 100, stem: int = 64,
                          dims: int = 256, mask_dim: int = 256,
                          enc_layers: int = 6, enc_ffn: int = 1024,
                          dec_layers: int = 9, dec_ffn: int = 2048,
                          heads: int = 8, levels: int = 3, points: int = 4
                          ) -> 'OrderedDict[str, Tuple[int, ...]]':
    """detectron2 name -> shape of a ResNet Mask2Former checkpoint.

    The defaults are the model zoo's R50 COCO instance model
    (``maskformer2_R50_bs16_50ep``); ``num_classes=40`` gives the
    YouTube-VIS video models; smaller widths give tiny test models.
    """
    s: 'OrderedDict[str, Tuple[int, ...]]' = OrderedDict()

    def conv_bn(name, cout, cin, k):
        s[f'{name}.weight'] = (cout, cin, k, k)
        for b in BN:
            s[f'{name}.norm.{b}'] = (cout, )

    conv_bn('backbone.stem.conv1', stem, 3, 7)
    cin = stem
    stage_out = []
    for stage, n in enumerate(BLOCKS[depth]):
        mid = stem * 2**stage
        out = mid * 4
        for i in range(n):
            p = f'backbone.res{stage + 2}.{i}'
            if i == 0:
                conv_bn(f'{p}.shortcut', out, cin, 1)
            conv_bn(f'{p}.conv1', mid, cin, 1)
            conv_bn(f'{p}.conv2', mid, mid, 3)
            conv_bn(f'{p}.conv3', out, mid, 1)
            cin = out
        stage_out.append(out)

    pd = 'sem_seg_head.pixel_decoder'
    for lvl, c in enumerate(stage_out[::-1][:levels]):  # res5, res4, res3
        s[f'{pd}.input_proj.{lvl}.0.weight'] = (dims, c, 1, 1)
        s[f'{pd}.input_proj.{lvl}.0.bias'] = (dims, )
        s[f'{pd}.input_proj.{lvl}.1.weight'] = (dims, )
        s[f'{pd}.input_proj.{lvl}.1.bias'] = (dims, )
    s[f'{pd}.transformer.level_embed'] = (levels, dims)
    for i in range(enc_layers):
        p = f'{pd}.transformer.encoder.layers.{i}'
        for name, rows in (('sampling_offsets', heads * levels * points * 2),
                           ('attention_weights', heads * levels * points),
                           ('value_proj', dims), ('output_proj', dims)):
            s[f'{p}.self_attn.{name}.weight'] = (rows, dims)
            s[f'{p}.self_attn.{name}.bias'] = (rows, )
        s[f'{p}.norm1.weight'] = s[f'{p}.norm1.bias'] = (dims, )
        s[f'{p}.linear1.weight'] = (enc_ffn, dims)
        s[f'{p}.linear1.bias'] = (enc_ffn, )
        s[f'{p}.linear2.weight'] = (dims, enc_ffn)
        s[f'{p}.linear2.bias'] = (dims, )
        s[f'{p}.norm2.weight'] = s[f'{p}.norm2.bias'] = (dims, )
    s[f'{pd}.mask_features.weight'] = (mask_dim, dims, 1, 1)
    s[f'{pd}.mask_features.bias'] = (mask_dim, )
    s[f'{pd}.adapter_1.weight'] = (dims, stage_out[0], 1, 1)
    s[f'{pd}.adapter_1.norm.weight'] = s[f'{pd}.adapter_1.norm.bias'] = (
        dims, )
    s[f'{pd}.layer_1.weight'] = (dims, dims, 3, 3)
    s[f'{pd}.layer_1.norm.weight'] = s[f'{pd}.layer_1.norm.bias'] = (dims, )

    pr = 'sem_seg_head.predictor'
    for i in range(dec_layers):
        for block, attn in (('transformer_self_attention_layers',
                             'self_attn'),
                            ('transformer_cross_attention_layers',
                             'multihead_attn')):
            p = f'{pr}.{block}.{i}'
            s[f'{p}.{attn}.in_proj_weight'] = (3 * dims, dims)
            s[f'{p}.{attn}.in_proj_bias'] = (3 * dims, )
            s[f'{p}.{attn}.out_proj.weight'] = (dims, dims)
            s[f'{p}.{attn}.out_proj.bias'] = (dims, )
            s[f'{p}.norm.weight'] = s[f'{p}.norm.bias'] = (dims, )
        p = f'{pr}.transformer_ffn_layers.{i}'
        s[f'{p}.linear1.weight'] = (dec_ffn, dims)
        s[f'{p}.linear1.bias'] = (dec_ffn, )
        s[f'{p}.linear2.weight'] = (dims, dec_ffn)
        s[f'{p}.linear2.bias'] = (dims, )
        s[f'{p}.norm.weight'] = s[f'{p}.norm.bias'] = (dims, )
    s[f'{pr}.decoder_norm.weight'] = s[f'{pr}.decoder_norm.bias'] = (dims, )
    s[f'{pr}.query_feat.weight'] = (num_queries, dims)
    s[f'{pr}.query_embed.weight'] = (num_queries, dims)
    s[f'{pr}.level_embed.weight'] = (levels, dims)
    s[f'{pr}.class_embed.weight'] = (num_classes + 1, dims)
    s[f'{pr}.class_embed.bias'] = (num_classes + 1, )
    for k in range(3):
        s[f'{pr}.mask_embed.layers.{k}.weight'] = (
            mask_dim if k == 2 else dims, dims)
        s[f'{pr}.mask_embed.layers.{k}.bias'] = (
            mask_dim if k == 2 else dims, )
    s['criterion.empty_weight'] = (num_classes + 1, )
    return s


def zero_arrays(shapes: Dict[str, Tuple[int, ...]]) -> Dict[str, np.ndarray]:
    """Zero float32 arrays of these shapes that take no memory (broadcast
    views), for checks of names and shapes only."""
    return {k: np.broadcast_to(np.float32(0), v) for k, v in shapes.items()}


def random_arrays(shapes: Dict[str, Tuple[int, ...]], seed: int = 0
                  ) -> Dict[str, np.ndarray]:
    """Random float32 arrays (running variances positive), as a model zoo
    ``.pkl`` holds them."""
    rng = np.random.default_rng(seed)
    out = {}
    for k, v in shapes.items():
        a = rng.standard_normal(v).astype(np.float32) * 0.1
        if k.endswith('running_var'):
            a = np.abs(a) + 0.5
        out[k] = a
    return out
