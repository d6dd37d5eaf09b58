"""Convert an official FRTM-VOS checkpoint (andr345/frtm-vos) to vostoolkit.

    python tools/model_converters/frtm_official.py IN.pth OUT.pth
        [--backbone TORCHVISION_RESNET.pth]

``IN.pth`` is one of the authors' files (``rn101_ytvos.pth``,
``rn101_all.pth``, ``rn18_all.pth``, ...): a dict whose ``'model'`` holds the
refinement network as ``refiner.*`` tensors. The backbone depth is read from
the weights as the authors' evaluation script does (the input channels of
the conv4_x encoder: 1024 for ResNet-101, 256 for ResNet-18). ``OUT.pth``
holds ``state_dict`` with the ``head.*`` weights of ``FRTMRefinementHead``
(and ``meta.backbone_depth``). The authors' backbone is torchvision's
ImageNet ResNet, not stored in their files: ``--backbone`` adds that file's
weights as ``backbone.*`` so that ``tools/test.py`` runs with ``OUT.pth``
alone (testing does not apply the configs' ``init_cfg``). The output is
written to a temporary name and renamed when complete.
"""
import argparse
import os.path as osp
import re
import sys
from typing import Dict, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402

from vostoolkit.engine.checkpoint import save_checkpoint_atomic  # noqa: E402

# the authors' level names (deepest first) -> our head's level index
LEVELS = {'layer2': 0, 'layer3': 1, 'layer4': 2, 'layer5': 3}
DEPTHS = {1024: 101, 256: 18}
# backbone channels of conv2_x..conv5_x
HEAD_CHANNELS = {101: (256, 512, 1024, 2048), 18: (64, 128, 256, 512)}
RULES = [
    (r'TSE\.(\w+)\.reduce\.(.+)', 'encoders.{n}.project.{rest}'),
    (r'TSE\.(\w+)\.transform\.(.+)', 'encoders.{n}.encode.{rest}'),
    (r'RRB1\.(\w+)\.conv1x1\.(.+)', 'refiners.{n}.pre.reduce.{rest}'),
    (r'RRB1\.(\w+)\.bblock\.(.+)', 'refiners.{n}.pre.body.{rest}'),
    (r'CAB\.(\w+)\.convreluconv\.(.+)',
     'refiners.{n}.attention.attend.{rest}'),
    (r'RRB2\.(\w+)\.conv1x1\.(.+)', 'refiners.{n}.post.reduce.{rest}'),
    (r'RRB2\.(\w+)\.bblock\.(.+)', 'refiners.{n}.post.body.{rest}'),
]


class ConvertError(Exception):
    """A file that cannot be converted (the message names it)."""


def _load(path: str):
    if not osp.isfile(path):
        raise ConvertError(f'{path}: no such file')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: BLE001 (any unreadable file)
        raise ConvertError(f'{path}: not a readable PyTorch checkpoint '
                           f'({type(err).__name__})') from None


def rename(key: str) -> Optional[str]:
    """Our head's name of one official ``refiner.*`` key (without the
    prefix), or None when it is not part of the refinement network."""
    for pattern, target in RULES:
        m = re.fullmatch(pattern, key)
        if m and m.group(1) in LEVELS:
            return target.format(n=LEVELS[m.group(1)], rest=m.group(2))
    m = re.fullmatch(r'project\.(conv[12]\.(weight|bias))', key)
    return f'upsampler.{m.group(1)}' if m else None


def convert_head(ckpt, path: str = 'IN') -> Dict:
    """``{'state_dict': head.* tensors, 'meta': ...}`` from an official
    checkpoint dict (``ConvertError`` when it is not one)."""
    from plugins.frtm import FRTMRefinementHead
    model = ckpt.get('model') if isinstance(ckpt, dict) else None
    probe = 'refiner.TSE.layer4.reduce.0.weight'
    if not isinstance(model, dict) or probe not in model:
        raise ConvertError(f'{path}: not an FRTM-VOS checkpoint (no '
                           f"'model' dict with {probe})")
    channels = model[probe].shape[1]
    if channels not in DEPTHS:
        raise ConvertError(f'{path}: conv4_x encoder reads {channels} '
                           'channels, neither ResNet-101 (1024) nor '
                           'ResNet-18 (256)')
    depth = DEPTHS[channels]
    own = FRTMRefinementHead(HEAD_CHANNELS[depth]).state_dict()
    out = {}
    for key, value in model.items():
        if not key.startswith('refiner.'):
            raise ConvertError(f'{path}: unexpected weight {key} (an FRTM-VOS'
                               ' checkpoint holds refiner.* only)')
        new = rename(key[len('refiner.'):])
        if new not in own:
            raise ConvertError(f'{path}: unexpected weight {key}')
        if tuple(value.shape) != tuple(own[new].shape):
            raise ConvertError(f'{path}: {key} is {tuple(value.shape)}, '
                               f'expected {tuple(own[new].shape)}')
        out[f'head.{new}'] = value.clone()
    missing = sorted(set(own) - {k[len('head.'):] for k in out})
    if missing:
        raise ConvertError(f'{path}: {len(missing)} weight(s) of the '
                           f'refinement network missing, e.g. {missing[0]}')
    return dict(state_dict=out,
                meta=dict(backbone_depth=depth,
                          converted_from=osp.basename(path)))


def backbone_weights(path: str, depth: int) -> Dict:
    """torchvision ResNet weights as ``backbone.*`` (checked against our
    ResNet of ``depth``)."""
    from vostoolkit.models.backbones.resnet import ResNet
    state = _load(path)
    state = state.get('state_dict', state) if isinstance(state, dict) else {}
    own = ResNet(depth).state_dict()
    out = {}
    for key, value in state.items():
        if key.startswith('fc.'):
            continue
        if key not in own or tuple(value.shape) != tuple(own[key].shape):
            raise ConvertError(f'{path}: {key} does not fit a torchvision '
                               f'ResNet-{depth}')
        out[f'backbone.{key}'] = value
    if not out or len(out) != len([k for k in own if k in state]):
        raise ConvertError(f'{path}: not a torchvision ResNet-{depth} '
                           'checkpoint')
    missing = [k for k in own if k not in state]
    if missing:
        raise ConvertError(f'{path}: {len(missing)} ResNet-{depth} weight(s) '
                           f'missing, e.g. {missing[0]}')
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Convert an official FRTM-VOS checkpoint')
    parser.add_argument('src', help="the authors' .pth (rn101_all.pth, ...)")
    parser.add_argument('dst', help='output .pth')
    parser.add_argument('--backbone', help="torchvision's ImageNet ResNet "
                        'of the same depth, embedded as backbone.*')
    args = parser.parse_args(argv)
    try:
        out = convert_head(_load(args.src), args.src)
        depth = out['meta']['backbone_depth']
        if args.backbone:
            out['state_dict'].update(backbone_weights(args.backbone, depth))
        save_checkpoint_atomic(out, args.dst)
    except ConvertError as err:
        print(f'frtm_official.py: error: {err}', file=sys.stderr)
        return 1
    print(f'{args.dst}: FRTM-VOS ResNet-{depth}, '
          f'{len(out["state_dict"])} tensors')
    return 0


if __name__ == '__main__':
    sys.exit(main())
