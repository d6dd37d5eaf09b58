"""Convert a detectron2 Mask2Former checkpoint to vostoolkit's names.

    python tools/model_converters/mask2former_d2.py IN.pkl OUT.pth \
        [--config CONFIG] [--num-classes K]

Reads the model zoo's ``.pkl`` files (a pickle of ``{'model': {name: numpy
array}, ...}``) and detectron2 training checkpoints (``.pth`` holding
``{'model': state_dict, ...}``) of Mask2Former (image models, e.g. COCO
instance segmentation) and Mask2Former-VIS (video models): ResNet-50/101
backbones, the multi-scale deformable-attention pixel decoder and the
masked-attention decoder. Keys are renamed to those of the NOVIS model
(``backbone.*`` with torchvision's names, ``pixel_decoder.*``,
``decoder.*``); the training criterion's buffers are dropped. Swin
backbones are not supported yet.

With ``--config`` every converted weight is checked against the model the
config builds (its name and shape); a learned temporal encoding, which
Mask2Former has not, is written as zeros (no encoding at first). With
``--num-classes K`` other than the checkpoint's, the class head is
re-initialised for K classes (``nn.Linear``'s initialisation, seed 0).

The output (``{'state_dict': ..., 'meta': ...}``) is written to a temporary
name and renamed when complete; ``load_from``, ``tools/test.py`` and
``tools/demo.py`` read it. Exit status 0 on success, 1 with one line on
stderr otherwise.
"""
import argparse
import os.path as osp
import pickle
import re
import sys
import zipfile
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn

from vostoolkit.engine.checkpoint import save_checkpoint_atomic

D2_BN = ('weight', 'bias', 'running_mean', 'running_var')
PIXEL_DECODER = 'sem_seg_head.pixel_decoder.'
PREDICTOR = 'sem_seg_head.predictor.'
CLASS_HEAD = 'decoder.cls_embed.'
TEMPORAL = 'decoder.temporal_encoding.embed.weight'
#: keys that are not network weights (detectron2's loss and normalisation
#: buffers); dropped.
DROPPED = re.compile(r'^(criterion\..*|pixel_mean|pixel_std|.*\.'
                     r'num_batches_tracked)$')


class ConvertError(Exception):
    """One line telling what is wrong and where."""


# --------------------------------------------------------------- renaming
def _backbone(rest: str) -> Optional[str]:
    """detectron2 ResNet names (``stem``, ``resN.i.convK[.norm]``,
    ``shortcut``) to torchvision's."""
    m = re.fullmatch(r'stem\.conv1\.(weight|norm\.(\w+))', rest)
    if m:
        return ('conv1.weight' if m[2] is None else f'bn1.{m[2]}')
    m = re.fullmatch(r'res([2-5])\.(\d+)\.(conv[123]|shortcut)\.'
                     r'(weight|norm\.(\w+))', rest)
    if not m or (m[5] is not None and m[5] not in D2_BN):
        return None
    block = f'layer{int(m[1]) - 1}.{m[2]}'
    if m[3] == 'shortcut':
        return f'{block}.downsample.{0 if m[5] is None else 1}.' + (
            'weight' if m[5] is None else m[5])
    k = m[3][-1]
    return (f'{block}.conv{k}.weight' if m[5] is None else
            f'{block}.bn{k}.{m[5]}')


_ENCODER_LAYER = {'norm1': 'norm', 'linear1': 'ffn.linear1',
                  'linear2': 'ffn.linear2', 'norm2': 'ffn.norm'}


def _pixel_decoder(rest: str, num_fpn: int) -> Optional[str]:
    """Mask2Former's ``MSDeformAttnPixelDecoder`` names to ours."""
    if re.fullmatch(r'input_proj\.\d+\.[01]\.(weight|bias)', rest):
        return rest
    if rest == 'transformer.level_embed':
        return 'level_embed'
    m = re.fullmatch(r'transformer\.encoder\.layers\.(\d+)\.(\w+)\.'
                     r'(weight|bias)', rest)
    if m and m[2] in _ENCODER_LAYER:
        return f'encoder.{m[1]}.{_ENCODER_LAYER[m[2]]}.{m[3]}'
    m = re.fullmatch(r'transformer\.encoder\.layers\.(\d+)\.self_attn\.'
                     r'(sampling_offsets|attention_weights|value_proj|'
                     r'output_proj)\.(weight|bias)', rest)
    if m:
        return f'encoder.{m[1]}.attn.{m[2]}.{m[3]}'
    m = re.fullmatch(r'mask_features\.(weight|bias)', rest)
    if m:
        return f'mask_feature.{m[1]}'
    # adapter_j / layer_j: FPN level j counted from the finest; ours are
    # ordered from the coarsest
    m = re.fullmatch(r'(adapter|layer)_(\d+)\.(weight|norm\.weight|'
                     r'norm\.bias)', rest)
    if m and 1 <= int(m[2]) <= num_fpn:
        convs = 'lateral_convs' if m[1] == 'adapter' else 'output_convs'
        part = '0.weight' if m[3] == 'weight' else f'1.{m[3][5:]}'
        return f'{convs}.{num_fpn - int(m[2])}.{part}'
    return None


_DECODER_LAYERS = {
    'transformer_self_attention_layers': ('self_attn', 'self_attn'),
    'transformer_cross_attention_layers': ('cross_attn', 'multihead_attn'),
}


def _predictor(rest: str) -> Optional[str]:
    """Mask2Former(-VIS)'s masked-attention decoder names to ours."""
    rest = rest.replace('static_query.', 'query_feat.')  # weights before v2
    if re.fullmatch(r'(query_feat|query_embed|level_embed)\.weight|'
                    r'input_proj\.\d+\.(weight|bias)|'
                    r'decoder_norm\.(weight|bias)|'
                    r'mask_embed\.layers\.\d+\.(weight|bias)', rest):
        return rest
    m = re.fullmatch(r'class_embed\.(weight|bias)', rest)
    if m:
        return f'cls_embed.{m[1]}'
    m = re.fullmatch(r'(\w+)\.(\d+)\.(\w+)\.(in_proj_weight|in_proj_bias|'
                     r'out_proj\.weight|out_proj\.bias|weight|bias)', rest)
    if m and m[1] in _DECODER_LAYERS:
        ours, attn = _DECODER_LAYERS[m[1]]
        if m[3] == attn and m[4] not in ('weight', 'bias'):
            return f'{ours}.{m[2]}.attn.{m[4]}'
        if m[3] == 'norm' and m[4] in ('weight', 'bias'):
            return f'{ours}.{m[2]}.norm.{m[4]}'
        return None
    m = re.fullmatch(r'transformer_ffn_layers\.(\d+)\.(linear1|linear2|norm)'
                     r'\.(weight|bias)', rest)
    if m:
        return f'ffn.{m[1]}.{m[2]}.{m[3]}'
    return None


def rename(key: str, num_fpn: int = 1) -> Optional[str]:
    """Our name of a detectron2 Mask2Former key, or None if it has none.

    Args:
        key (str): detectron2 name, e.g. ``backbone.res2.0.conv1.weight``.
        num_fpn (int): FPN levels of the pixel decoder (``adapter_*``).
    """
    if key.startswith('backbone.'):
        ours = _backbone(key[len('backbone.'):])
        return None if ours is None else 'backbone.' + ours
    if key.startswith(PIXEL_DECODER):
        ours = _pixel_decoder(key[len(PIXEL_DECODER):], num_fpn)
        return None if ours is None else 'pixel_decoder.' + ours
    if key.startswith(PREDICTOR):
        ours = _predictor(key[len(PREDICTOR):])
        return None if ours is None else 'decoder.' + ours
    return None


# ------------------------------------------------------------ conversion
def read_checkpoint(path: str) -> Dict[str, object]:
    """The ``model`` dict of a detectron2 checkpoint (.pkl or .pth)."""
    if not osp.isfile(path):
        raise ConvertError(f'{path}: no such file')
    try:
        if zipfile.is_zipfile(path):
            ckpt = torch.load(path, map_location='cpu', weights_only=True)
        else:
            with open(path, 'rb') as f:
                ckpt = pickle.load(f, encoding='latin1')
    except Exception as err:  # noqa: BLE001  (any unreadable file)
        first = (str(err).strip().splitlines() or [''])[0]
        raise ConvertError(f'{path}: not a detectron2 checkpoint (cannot '
                           f'read it: {type(err).__name__}: {first})')
    model = ckpt.get('model') if isinstance(ckpt, dict) else None
    if not isinstance(model, dict):
        raise ConvertError(f"{path}: not a detectron2 checkpoint (no 'model' "
                           f'dict of weights)')
    if any(k.startswith(('backbone.patch_embed.', 'backbone.layers.'))
           for k in model):
        raise ConvertError(f'{path}: a Swin backbone; only ResNet '
                           f'Mask2Former checkpoints are supported')
    if PREDICTOR + 'class_embed.weight' not in model:
        raise ConvertError(f'{path}: not a Mask2Former checkpoint (no '
                           f'{PREDICTOR}class_embed.weight)')
    return model


def _describe(model: Dict[str, object]) -> str:
    blocks = {int(m[1]) for k in model
              if (m := re.match(r'backbone\.res4\.(\d+)\.', k))}
    depth = {6: 'ResNet-50', 23: 'ResNet-101'}.get(len(blocks), 'ResNet')
    rows = model[PREDICTOR + 'class_embed.weight'].shape[0]
    queries = model.get(PREDICTOR + 'query_embed.weight')
    layers = {int(m[1]) for k in model if (m := re.match(
        re.escape(PREDICTOR) + r'transformer_ffn_layers\.(\d+)\.', k))}
    return (f'Mask2Former, {depth}, {rows - 1} classes, '
            f'{"?" if queries is None else queries.shape[0]} queries, '
            f'{len(layers)} decoder layers')


def convert(model: Dict[str, object], src: str = 'checkpoint'
            ) -> Tuple['OrderedDict[str, object]', List[str]]:
    """Rename a detectron2 Mask2Former ``model`` dict.

    Args:
        model (dict): detectron2 name -> array (numpy or tensor).
        src (str): The file, for error messages.

    Returns:
        tuple: our name -> the same array, and the dropped keys.

    Raises:
        ConvertError: naming the first key that has no place.
    """
    num_fpn = len({k for k in model if re.match(
        re.escape(PIXEL_DECODER) + r'adapter_\d+\.weight$', k)})
    out: 'OrderedDict[str, object]' = OrderedDict()
    dropped = []
    for key, value in model.items():
        if DROPPED.match(key):
            dropped.append(key)
            continue
        ours = rename(key, num_fpn)
        if ours is None:
            raise ConvertError(f'{src}: cannot place key {key} '
                               f'{tuple(getattr(value, "shape", ()))} in '
                               f'the NOVIS model')
        if ours in out:
            raise ConvertError(f'{src}: key {key} maps onto {ours} twice')
        out[ours] = value
    return out, dropped


def to_tensor(value) -> torch.Tensor:
    """A float32 (for floating arrays) CPU tensor of a numpy array or
    tensor."""
    t = value if isinstance(value, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(value))
    return t.float() if t.is_floating_point() else t


def reinit_class_head(state: Dict[str, object], num_classes: int
                      ) -> Tuple[int, int]:
    """Replace the class head by a fresh ``nn.Linear(C, K + 1)`` (seed 0).

    Returns:
        tuple: the old and new class counts.
    """
    old = state[CLASS_HEAD + 'weight'].shape[0] - 1
    dims = state[CLASS_HEAD + 'weight'].shape[1]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        head = nn.Linear(dims, num_classes + 1)
    state[CLASS_HEAD + 'weight'] = head.weight.detach().clone()
    state[CLASS_HEAD + 'bias'] = head.bias.detach().clone()
    return old, num_classes


def model_shapes(config: str) -> Dict[str, Tuple[int, ...]]:
    """Names and shapes of the state dict of the model ``config`` builds
    (built on the meta device: no memory, no initialisation cost)."""
    from mmengine.registry import DefaultScope

    from vostoolkit.apis import ToolError, load_config
    from vostoolkit.registry import MODELS
    try:
        cfg = load_config(config)
    except ToolError as err:
        raise ConvertError(str(err))
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'vostoolkit')), torch.device('meta'):
        model = MODELS.build(cfg.model)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def fit_to_model(state: Dict[str, object], shapes: Dict[str, tuple],
                 src: str, config: str) -> List[str]:
    """Check names and shapes against a model; add the zero temporal
    encoding it expects. Returns the model's keys left unfilled."""
    for key, value in state.items():
        if key not in shapes:
            raise ConvertError(f'{src}: {key} has no place in the model of '
                               f'{config} (another backbone depth or '
                               f'architecture?)')
        theirs = tuple(value.shape)
        if theirs != shapes[key]:
            hint = (' (pass --num-classes K to re-initialise the class '
                    'head)' if key.startswith(CLASS_HEAD) else '')
            raise ConvertError(f'{src}: {key} is {theirs} in the checkpoint, '
                               f'{shapes[key]} in the model of {config}'
                               f'{hint}')
    if TEMPORAL in shapes and TEMPORAL not in state:
        state[TEMPORAL] = torch.zeros(shapes[TEMPORAL])
    return [k for k in shapes if k not in state
            and not k.startswith('data_preprocessor.')]


def run(src: str, dst: str, config: Optional[str] = None,
        num_classes: Optional[int] = None) -> List[str]:
    """Convert ``src`` into ``dst``; return the summary lines."""
    model = read_checkpoint(src)
    lines = [f'{src}: {_describe(model)}']
    renamed, dropped = convert(model, src)
    parts = {p: sum(k.startswith(p + '.') for k in renamed)
             for p in ('backbone', 'pixel_decoder', 'decoder')}
    lines.append(f'mapped {len(renamed)} keys (backbone {parts["backbone"]},'
                 f' pixel decoder {parts["pixel_decoder"]}, decoder '
                 f'{parts["decoder"]}); dropped {len(dropped)}'
                 + (f' ({", ".join(dropped)})' if dropped else '')
                 + '; unexpected 0')
    state = OrderedDict((k, to_tensor(v)) for k, v in renamed.items())
    old = state[CLASS_HEAD + 'weight'].shape[0] - 1
    if num_classes is not None and num_classes != old:
        if num_classes < 1:
            raise ConvertError(f'--num-classes must be >= 1, got '
                               f'{num_classes}')
        reinit_class_head(state, num_classes)
        lines.append(f'class head re-initialised for {num_classes} classes '
                     f'(the checkpoint has {old})')
    if config is not None:
        had_temporal = TEMPORAL in state
        missing = fit_to_model(state, model_shapes(config), src, config)
        if TEMPORAL in state and not had_temporal:
            lines.append(f'{TEMPORAL}: not in Mask2Former, written as zeros')
        lines.append(f'fits the model of {config}' + (
            f'; {len(missing)} of its weights are not in the checkpoint '
            f'(left to its initialisation): {", ".join(missing[:5])}'
            + (' ...' if len(missing) > 5 else '') if missing else
            ' (every weight)'))
    meta = dict(converted_from=osp.basename(src),
                converter='tools/model_converters/mask2former_d2.py',
                num_classes=state[CLASS_HEAD + 'weight'].shape[0] - 1)
    save_checkpoint_atomic(dict(state_dict=state, meta=meta), dst)
    lines.append(f'written {dst}')
    return lines


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a detectron2 Mask2Former / Mask2Former-VIS '
        'checkpoint (ResNet backbones) to vostoolkit weights.')
    parser.add_argument('src', help='detectron2 checkpoint (.pkl or .pth)')
    parser.add_argument('dst', help='output .pth')
    parser.add_argument('--config', help='check every weight against the '
                        'model this config builds')
    parser.add_argument('--num-classes', type=int, default=None,
                        help='re-initialise the class head for K classes '
                        'when the checkpoint has another number')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        lines = run(args.src, args.dst, args.config, args.num_classes)
    except ConvertError as err:
        print(f'mask2former_d2.py: error: {err}', file=sys.stderr)
        return 1
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
