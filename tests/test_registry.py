"""Registries: role checks, reachability of plugin classes by name, and
print_registry's listing. Test classes are registered under unique names in
fixtures and removed afterwards."""
import pytest
import torch
from mmengine.registry import MODELS as MM_MODELS
from mmengine.registry import DefaultScope

import vostoolkit.all_modules  # noqa: F401
from vostoolkit.models import base as roles
from vostoolkit.registry import (BACKBONES, CRITICS, GENERAL_REGISTRIES,
                                 HEADS, MODELS, ROLE_REGISTRIES)
from vostoolkit.testing import (load_tool, temporarily_registered,
                                unique_name)


# One minimal concrete class per role, built by the role registry.
class _Backbone(roles.BaseBackbone):
    out_channels, out_strides = (8, ), (4, )

    def __init__(self, in_channels=8, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.conv = torch.nn.Conv2d(in_channels, 8, 3, 4, 1)

    def forward(self, x):
        return (self.conv(x), )


class _Neck(roles.BaseNeck):

    def forward(self, feats):
        return feats


class _Head(roles.BaseHead):

    def forward(self, x):
        return x


class _Critic(roles.BaseCritic):

    def forward(self, x):
        return x.mean(dim=(1, 2, 3), keepdim=True)


class _TargetModel(roles.BaseTargetModel):

    def init_state(self, feats, masks, *, weights=None, generator=None):
        return {}

    def predict(self, state, feats):
        return feats[:, :1]


class _Tracker(roles.BaseTracker):

    def reset(self):
        pass

    def assign(self, clip):
        return torch.arange(clip.num_queries)


class _Loss(roles.BaseLoss):

    def forward(self, x):
        return self.loss_weight * x.mean()


class _Matcher(roles.BaseMatcher):

    def match(self, *args, **kwargs):
        return torch.zeros(0, dtype=torch.long), torch.zeros(0,
                                                             dtype=torch.long)


ROLE_CLASSES = {
    'BACKBONES': _Backbone, 'NECKS': _Neck, 'HEADS': _Head,
    'CRITICS': _Critic, 'TARGET_MODELS': _TargetModel,
    'TRACKERS': _Tracker, 'LOSSES': _Loss, 'MATCHERS': _Matcher,
}


def _load_print_registry():
    return load_tool('tools/misc/print_registry.py')


@pytest.mark.parametrize('key', sorted(ROLE_CLASSES))
def test_role_registry_builds_its_members(key):
    registry = ROLE_REGISTRIES[key]
    cls = ROLE_CLASSES[key]
    with temporarily_registered(registry, cls) as name:
        obj = registry.build(dict(type=name))
        assert isinstance(obj, registry.base_class)
        assert MODELS.get(name) is cls  # mirrored for bare names
        assert name in registry.module_dict
    assert name not in registry.module_dict
    assert MODELS.get(name) is None
    # every member registered by the core and loaded plugins plays its role
    for member, member_cls in registry.module_dict.items():
        assert issubclass(member_cls, registry.base_class), member
        assert MODELS.get(member) is member_cls


def test_core_members_build():
    backbone = BACKBONES.build(dict(type='ResNet', depth=18, base_channels=8,
                                    out_indices=('layer1', )))
    assert backbone(torch.zeros(1, 3, 16, 16))[0].shape == (1, 8, 4, 4)
    head = HEADS.build(dict(type='MaskPropagationHead', in_channels=(8, )))
    assert isinstance(head, roles.BaseHead)


def test_wrong_role_names_type_and_expected_role():
    # a class whose name is its (unique) registered name, like a plugin's
    critic = type(unique_name('PluginCritic'), (_Critic, ), {})
    with temporarily_registered(CRITICS, critic, critic.__name__) as name:
        with pytest.raises(TypeError) as err:
            BACKBONES.build(dict(type=name))
    message = str(err.value)
    assert name in message and 'critic' in message
    assert 'backbone' in message and 'BaseBackbone' in message
    with pytest.raises(KeyError, match='not registered as a head'):
        HEADS.build(dict(type='NoSuchHead_1f3a'))


def test_plugin_component_reachable_from_top_level_model_config():
    with temporarily_registered(BACKBONES, _Backbone) as name:
        cfg = dict(type='MaskPropagationBaseline',
                   backbone=dict(type=name, in_channels=8),
                   head=dict(type='MaskPropagationHead', channels=4))
        # as the Runner builds it: mmengine's root MODELS, default scope
        with DefaultScope.overwrite_default_scope('vostoolkit'):
            model = MM_MODELS.build(cfg)
        assert type(model.backbone) is _Backbone
        assert type(MODELS.build(cfg).backbone) is _Backbone
        # a wrong role in the slot is refused by the model's role registry
        bad = dict(cfg, head=dict(type=name))
        with pytest.raises(TypeError, match='head'):
            MODELS.build(bad)
    with pytest.raises(KeyError, match=name):
        MODELS.build(cfg)


def test_print_registry_lists_roles_and_members():
    tool = _load_print_registry()
    with temporarily_registered(ROLE_REGISTRIES['TRACKERS'],
                                _Tracker) as name:
        text = tool.format_registries()
    for key, registry in ROLE_REGISTRIES.items():
        assert f'{key} (role {registry.role!r}' in text
    for key in GENERAL_REGISTRIES:
        assert f'\n{key} (' in text
    assert name in text
    assert 'ResNet' in text.split('NECKS')[0]  # under BACKBONES
    assert 'MaskPropagationBaseline' in text.split('== General')[1]
    assert 'VideoTestLoop' in text and 'MultiOptimWrapperConstructor' in text
    assert tool.main(['--only', 'BACKBONES']) == 0
    assert tool.main(['--only', 'NOPE']) == 2
