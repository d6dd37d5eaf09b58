"""ResNet: torchvision parameter names, checkpoint loading, freezing."""
import pytest
import torch

from vostoolkit.models.backbones import FrozenBatchNorm2d, ResNet
from vostoolkit.registry import BACKBONES

# A sample of torchvision's resnet50 state-dict entries with their shapes.
TORCHVISION_R50 = {
    'conv1.weight': (64, 3, 7, 7),
    'bn1.running_var': (64,),
    'layer1.0.conv1.weight': (64, 64, 1, 1),
    'layer1.0.downsample.0.weight': (256, 64, 1, 1),
    'layer1.0.downsample.1.weight': (256,),
    'layer2.0.conv2.weight': (128, 128, 3, 3),
    'layer3.5.bn3.bias': (1024,),
    'layer4.2.conv3.weight': (2048, 512, 1, 1),
    'layer4.0.downsample.0.weight': (2048, 1024, 1, 1),
}


def _torchvision_like_state_dict(depth):
    """A state dict with torchvision's names: ours plus fc and counters."""
    sd = {k: torch.randn(v.shape) if v.is_floating_point() else v.clone()
          for k, v in ResNet(depth).state_dict().items()}
    sd['fc.weight'] = torch.randn(1000, 2048 if depth >= 50 else 512)
    sd['fc.bias'] = torch.randn(1000)
    return sd


def test_parameter_names_match_torchvision():
    sd = ResNet(50).state_dict()
    for name, shape in TORCHVISION_R50.items():
        assert tuple(sd[name].shape) == shape, name
    assert not any(k.startswith('fc.') for k in sd)
    assert sum(k.startswith('layer3.') and k.endswith('conv1.weight')
               for k in ResNet(101).state_dict()) == 23


@pytest.mark.parametrize('depth', [18, 50])
def test_pretrained_checkpoint_loads_through_init_cfg(tmp_path, depth):
    sd = _torchvision_like_state_dict(depth)
    path = tmp_path / f'resnet{depth}.pth'
    torch.save(sd, path)
    model = BACKBONES.build(dict(
        type='ResNet', depth=depth, frozen_bn=True,
        init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    model.init_weights()
    got = model.state_dict()
    for k, v in got.items():
        assert torch.equal(v, sd[k]), k


def test_extra_input_channels_take_rgb_weights(tmp_path):
    sd = _torchvision_like_state_dict(18)
    path = tmp_path / 'r18.pth'
    torch.save(sd, path)
    model = ResNet(18, in_channels=4,
                   init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    w = model.conv1.weight
    assert torch.equal(w[:, :3], sd['conv1.weight'])
    assert torch.count_nonzero(w[:, 3]) == 0


def test_outputs_strides_and_channels():
    model = ResNet(50, out_indices=('maxpool', 'layer1', 'layer2', 'layer3',
                                    'layer4'))
    feats = model(torch.zeros(1, 3, 64, 96))
    assert model.out_strides == (4, 4, 8, 16, 32)
    for f, c, s in zip(feats, model.out_channels, model.out_strides):
        assert f.shape == (1, c, 64 // s, 96 // s)


def test_frozen_stages_and_frozen_bn():
    model = ResNet(18, frozen_stages=1, frozen_bn=True)
    model.train()
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert isinstance(model.bn1, FrozenBatchNorm2d)
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    y1 = model(x)[-1]
    model.train()
    y2 = model(x)[-1]
    assert torch.allclose(y1, y2)  # frozen BN: train and eval agree


def test_bad_depth_and_out_index():
    with pytest.raises(ValueError, match='depth'):
        ResNet(42)
    with pytest.raises(ValueError, match='out_indices'):
        ResNet(18, out_indices=('layer9',))
