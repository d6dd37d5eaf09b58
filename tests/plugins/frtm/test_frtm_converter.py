"""tools/model_converters/frtm_official.py on synthetic checkpoints with the
authors' complete key list and shapes (rn101 and rn18)."""
import os

import pytest
import torch

from plugins.frtm import FRTMRefinementHead
from vostoolkit.models.backbones.resnet import ResNet
from vostoolkit.testing import load_tool

# the authors' SegNetwork levels (deepest first) and the backbone channels
# they read: layer5 = conv5_x ... layer2 = conv2_x
WIDTHS = {101: dict(layer5=2048, layer4=1024, layer3=512, layer2=256),
          18: dict(layer5=512, layer4=256, layer3=128, layer2=64)}


def official_keys(depth, oc=64):
    """{key: shape} of ``Tracker.state_dict()`` in the authors' code:
    ``refiner.`` + SegNetwork(in_channels=1, out_channels=64, use_bn=True).
    """
    keys = {}

    def conv(name, cin, cout, k, bias=True):
        keys[f'{name}.weight'] = (cout, cin, k, k)
        if bias:
            keys[f'{name}.bias'] = (cout, )

    def rrb(name):
        conv(f'{name}.conv1x1', oc, oc, 1)
        conv(f'{name}.bblock.0', oc, oc, 3)
        for stat in ('weight', 'bias', 'running_mean', 'running_var'):
            keys[f'{name}.bblock.1.{stat}'] = (oc, )
        keys[f'{name}.bblock.1.num_batches_tracked'] = ()
        conv(f'{name}.bblock.3', oc, oc, 3, bias=False)

    for level, fc in WIDTHS[depth].items():
        conv(f'TSE.{level}.reduce.0', fc, oc, 1)
        conv(f'TSE.{level}.reduce.2', oc, oc, 1)
        conv(f'TSE.{level}.transform.0', oc + 1, oc + 1, 3)
        conv(f'TSE.{level}.transform.2', oc + 1, oc + 1, 3)
        conv(f'TSE.{level}.transform.4', oc + 1, oc, 3)
        rrb(f'RRB1.{level}')
        conv(f'CAB.{level}.convreluconv.0', 2 * oc, oc, 1)
        conv(f'CAB.{level}.convreluconv.2', oc, oc, 1)
        rrb(f'RRB2.{level}')
    conv('project.conv1', oc, oc // 2, 3)
    conv('project.conv2', oc // 2, 1, 3)
    return {f'refiner.{k}': v for k, v in keys.items()}


def _official(depth, seed=0):
    g = torch.Generator().manual_seed(seed)
    model = {}
    for key, shape in official_keys(depth).items():
        if key.endswith('num_batches_tracked'):
            model[key] = torch.tensor(7)
        else:
            model[key] = torch.randn(shape, generator=g) * 0.01
    return {'model': model, 'epoch': 250}


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/model_converters/frtm_official.py')


@pytest.mark.parametrize('depth', [101, 18])
def test_converts_the_complete_official_key_list(tool, tmp_path, depth):
    src, dst = tmp_path / 'rn.pth', tmp_path / 'out' / 'frtm.pth'
    ckpt = _official(depth)
    assert len(ckpt['model']) == 140
    torch.save(ckpt, src)
    assert tool.main([str(src), str(dst)]) == 0
    out = torch.load(dst, map_location='cpu')
    assert out['meta']['backbone_depth'] == depth
    state = out['state_dict']
    assert len(state) == 140 and all(k.startswith('head.') for k in state)
    head = FRTMRefinementHead(tuple(reversed(WIDTHS[depth].values())))
    head.load_state_dict({k[5:]: v for k, v in state.items()}, strict=True)
    model = ckpt['model']
    pairs = [('TSE.layer5.reduce.0.weight', 'encoders.3.project.0.weight'),
             ('TSE.layer2.transform.4.bias', 'encoders.0.encode.4.bias'),
             ('RRB1.layer4.bblock.1.running_var',
              'refiners.2.pre.body.1.running_var'),
             ('RRB2.layer3.conv1x1.weight', 'refiners.1.post.reduce.weight'),
             ('CAB.layer5.convreluconv.2.weight',
              'refiners.3.attention.attend.2.weight'),
             ('project.conv2.weight', 'upsampler.conv2.weight')]
    for theirs, ours in pairs:
        assert torch.equal(head.state_dict()[ours], model[f'refiner.{theirs}'])
    assert not [p for p in os.listdir(dst.parent) if p != 'frtm.pth']


def test_embeds_the_backbone(tool, tmp_path):
    src, dst = tmp_path / 'rn18.pth', tmp_path / 'frtm.pth'
    torch.save(_official(18), src)
    resnet = ResNet(18).state_dict()
    torch.save({**resnet, 'fc.weight': torch.zeros(1000, 512),
                'fc.bias': torch.zeros(1000)}, tmp_path / 'r18.pth')
    assert tool.main([str(src), str(dst), '--backbone',
                      str(tmp_path / 'r18.pth')]) == 0
    state = torch.load(dst, map_location='cpu')['state_dict']
    assert torch.equal(state['backbone.layer4.1.conv2.weight'],
                       resnet['layer4.1.conv2.weight'])
    assert 'backbone.fc.weight' not in state
    # a ResNet-101 file does not fit a ResNet-18 checkpoint
    torch.save({'conv1.weight': torch.zeros(64, 3, 7, 7),
                'layer3.22.conv1.weight': torch.zeros(256, 1024, 1, 1)},
               tmp_path / 'r101.pth')
    assert tool.main([str(src), str(tmp_path / 'x.pth'), '--backbone',
                      str(tmp_path / 'r101.pth')]) == 1
    assert not (tmp_path / 'x.pth').exists()


def test_bad_inputs_one_line_and_nothing_written(tool, tmp_path, capsys):
    dst = tmp_path / 'frtm.pth'
    dst.write_bytes(b'kept')
    cases = {}
    torch.save({'state_dict': {'a': torch.zeros(1)}}, tmp_path / 'other.pth')
    cases['other.pth'] = 'not an FRTM-VOS checkpoint'
    (tmp_path / 'junk.pth').write_bytes(b'not a checkpoint')
    cases['junk.pth'] = 'not a readable PyTorch checkpoint'
    ckpt = _official(101)
    del ckpt['model']['refiner.CAB.layer3.convreluconv.0.bias']
    torch.save(ckpt, tmp_path / 'short.pth')
    cases['short.pth'] = 'missing'
    ckpt = _official(101)
    ckpt['model']['refiner.TSE.layer4.reduce.0.weight'] = torch.zeros(
        64, 512, 1, 1)
    torch.save(ckpt, tmp_path / 'width.pth')
    cases['width.pth'] = 'neither ResNet-101'
    cases['absent.pth'] = 'no such file'
    for name, cause in cases.items():
        assert tool.main([str(tmp_path / name), str(dst)]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert name in err and cause in err
        assert dst.read_bytes() == b'kept'
