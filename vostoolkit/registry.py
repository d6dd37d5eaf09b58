"""Every registry of vostoolkit, in one file.

The general registries (``MODELS``, ``DATASETS``, ``TRANSFORMS`` ...) are mmengine
child registries with the scope ``vostoolkit``, so the Runner, ``custom_imports``
and ``default_scope='vostoolkit'`` behave as mmengine users expect.

The *role* registries (``BACKBONES``, ``NECKS``, ``HEADS``, ``CRITICS``,
``TARGET_MODELS``, ``TRACKERS``, ``LOSSES``, ``MATCHERS``) are children of
``MODELS`` with a scope of their own (``vostoolkit.<role>`` is not usable as a
scope name, so they are named ``vostoolkit-<role>``). How a config reaches them:

* A class registered in a role registry is registered in ``MODELS`` as well,
  under the same name. A bare ``type='ResNet'`` therefore resolves from any
  model config, top-level or nested, whatever the default scope.
* ``ROLE.build(cfg)`` checks the role before building: the class must be a
  subclass of the role's base class (``vostoolkit.models.base``), otherwise a
  ``TypeError`` names the config's type, its actual role and the role expected.
* ``ROLE.module_dict`` lists only that role's members (``print_registry.py``).
"""
from typing import Any, Dict, Optional, Type

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'vostoolkit'


def _child(name: str, parent: Registry) -> Registry:
    return Registry(name, parent=parent, scope=SCOPE,
                    locations=['vostoolkit.all_modules'])


# --------------------------------------------------------------------- general
MODELS = _child('model', MMENGINE_MODELS)
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS)
DATASETS = _child('dataset', MMENGINE_DATASETS)
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS)
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS)
METRICS = _child('metric', MMENGINE_METRICS)
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR)
HOOKS = _child('hook', MMENGINE_HOOKS)
LOOPS = _child('loop', MMENGINE_LOOPS)
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS)
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS)
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS)
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS)
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS)
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS)


# ----------------------------------------------------------------------- roles
class RoleRegistry(Registry):
    """A registry for one model role that checks the role when building.

    Members are registered here *and* in :data:`MODELS` under the same name,
    so a bare type name resolves from any model config. :meth:`build` refuses
    a class that is not a subclass of the role's base class.

    Args:
        role (str): Role name, e.g. ``'backbone'``.
        base_class (str): Dotted path of the role's base class, resolved
            lazily (the base classes import this module).
    """

    def __init__(self, role: str, base_class: str):
        super().__init__(role, parent=MODELS, scope=f'{SCOPE}-{role}',
                         locations=['vostoolkit.all_modules'])
        self.role = role
        self._base_class_path = base_class

    @property
    def base_class(self) -> Type:
        module_name, _, cls_name = self._base_class_path.rpartition('.')
        module = __import__(module_name, fromlist=[cls_name])
        return getattr(module, cls_name)

    def _register_module(self, module: Type, module_name=None,
                         force: bool = False) -> None:
        super()._register_module(module, module_name, force)
        names = module_name if module_name is not None else module.__name__
        names = [names] if isinstance(names, str) else names
        for name in names:
            existing = self.parent._module_dict.get(name)
            if existing is None or existing is module or force:
                self.parent._module_dict[name] = module
            else:
                raise KeyError(
                    f'{name} is already registered in {self.parent.name} '
                    f'at {existing.__module__}; cannot register the '
                    f'{self.role} {module.__module__}.{name} under it')

    def get(self, key: str) -> Optional[Type]:
        # The default scope would switch a child with its own scope to the
        # parent's registry; a role registry always looks itself up first.
        if isinstance(key, str) and key in self._module_dict:
            return self._module_dict[key]
        return super().get(key)

    def build(self, cfg: Any, *args, **kwargs) -> Any:
        """Build ``cfg`` after checking that its type plays this role.

        Raises:
            TypeError: if the type is registered but is not a ``role``.
            KeyError: if the type is not registered anywhere.
        """
        if isinstance(cfg, dict) and 'type' in cfg:
            obj_type = cfg['type']
            cls = obj_type if isinstance(obj_type, type) else self.get(obj_type)
            if cls is None:
                raise KeyError(
                    f'{obj_type!r} is not registered as a {self.role} (nor in '
                    f'any registry reachable from it); registered '
                    f'{self.role}s: {sorted(self._module_dict)}. Is the '
                    f'plugin listed in custom_imports?')
            if not issubclass(cls, self.base_class):
                shown = obj_type if isinstance(obj_type, str) else cls.__name__
                raise TypeError(
                    f'config type {shown!r} ({_role_of(cls)}) was '
                    f'given where a {self.role} is expected '
                    f'(a subclass of {self.base_class.__name__})')
            if not isinstance(obj_type, type):
                cfg = dict(cfg)
                cfg['type'] = cls
        return super().build(cfg, *args, **kwargs)


def _role_of(cls: Type) -> str:
    roles = [r.role for r in ROLE_REGISTRIES.values()
             if issubclass(cls, r.base_class)]
    return 'a ' + ' / '.join(roles) if roles else 'not a model role'


_BASE = 'vostoolkit.models.base'
BACKBONES = RoleRegistry('backbone', f'{_BASE}.BaseBackbone')
NECKS = RoleRegistry('neck', f'{_BASE}.BaseNeck')
HEADS = RoleRegistry('head', f'{_BASE}.BaseHead')
CRITICS = RoleRegistry('critic', f'{_BASE}.BaseCritic')
TARGET_MODELS = RoleRegistry('target model', f'{_BASE}.BaseTargetModel')
TRACKERS = RoleRegistry('tracker', f'{_BASE}.BaseTracker')
LOSSES = RoleRegistry('loss', f'{_BASE}.BaseLoss')
MATCHERS = RoleRegistry('matcher', f'{_BASE}.BaseMatcher')

ROLE_REGISTRIES: Dict[str, RoleRegistry] = {
    'BACKBONES': BACKBONES, 'NECKS': NECKS, 'HEADS': HEADS,
    'CRITICS': CRITICS, 'TARGET_MODELS': TARGET_MODELS,
    'TRACKERS': TRACKERS, 'LOSSES': LOSSES, 'MATCHERS': MATCHERS,
}

GENERAL_REGISTRIES: Dict[str, Registry] = {
    'MODELS': MODELS, 'MODEL_WRAPPERS': MODEL_WRAPPERS,
    'WEIGHT_INITIALIZERS': WEIGHT_INITIALIZERS, 'DATASETS': DATASETS,
    'DATA_SAMPLERS': DATA_SAMPLERS, 'TRANSFORMS': TRANSFORMS,
    'METRICS': METRICS, 'EVALUATOR': EVALUATOR, 'HOOKS': HOOKS,
    'LOOPS': LOOPS, 'OPTIMIZERS': OPTIMIZERS, 'OPTIM_WRAPPERS': OPTIM_WRAPPERS,
    'OPTIM_WRAPPER_CONSTRUCTORS': OPTIM_WRAPPER_CONSTRUCTORS,
    'PARAM_SCHEDULERS': PARAM_SCHEDULERS, 'TASK_UTILS': TASK_UTILS,
    'VISUALIZERS': VISUALIZERS, 'VISBACKENDS': VISBACKENDS,
    'LOG_PROCESSORS': LOG_PROCESSORS, 'FUNCTIONS': FUNCTIONS,
}
