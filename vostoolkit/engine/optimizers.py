"""Optimizer-wrapper constructor for models trained with several optimizers.

Adversarial training (a generator against critics) steps separate optimizers
over separate submodules. :class:`MultiOptimWrapperConstructor` builds one
optim wrapper per named submodule and returns mmengine's
``OptimWrapperDict``; the model's own ``train_step(data, optim_wrapper)``
decides when each one steps, so the Runner needs nothing special::

    optim_wrapper = dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-5,
                                      betas=(0.5, 0.999))),
        critic_spatial=dict(type='OptimWrapper',
                            optimizer=dict(type='Adam', lr=1e-5),
                            paramwise_cfg=dict(norm_decay_mult=0.)),
    )
    # optional, one list per optimizer name (mmengine's convention):
    param_scheduler = dict(generator=[...], critic_spatial=[...])
"""
import logging
from typing import Dict, Optional, Set

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from vostoolkit.registry import OPTIM_WRAPPER_CONSTRUCTORS


def _unwrap(module: nn.Module) -> nn.Module:
    while is_model_wrapper(module):
        module = module.module
    return module


def resolve_submodule(model: nn.Module, path: str) -> Optional[nn.Module]:
    """Find the submodule at a dotted attribute ``path`` of ``model``.

    Model wrappers (DDP) met on the way are looked through.

    Returns:
        nn.Module | None: The submodule, or None if ``path`` names none.
    """
    module = _unwrap(model)
    for part in path.split('.'):
        child = getattr(module, part, None) if part else None
        if not isinstance(child, nn.Module):
            return None
        module = _unwrap(child)
    return module


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build one optim wrapper per submodule; return an ``OptimWrapperDict``.

    Args:
        optim_wrapper_cfg (dict): Maps a submodule path of the model
            (attribute name, dotted paths allowed: ``'generator.decoder'``)
            to an optim wrapper config (``type``, ``optimizer``, and optional
            ``paramwise_cfg`` and ``constructor`` for that key).
        paramwise_cfg (dict, optional): Default ``paramwise_cfg`` for keys
            that do not set their own.

    Raises:
        ValueError: If a key names no submodule, a value is not an optim
            wrapper config, or two keys share parameters.
    """

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict) or not optim_wrapper_cfg:
            raise ValueError(
                'MultiOptimWrapperConstructor needs optim_wrapper entries '
                '{submodule: dict(type=..., optimizer=...)}, got '
                f'{optim_wrapper_cfg!r}')
        for key, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'optim_wrapper[{key!r}] must be an optim wrapper config '
                    f'with an "optimizer", got {cfg!r}')
        self.optim_wrapper_cfg = optim_wrapper_cfg
        self.paramwise_cfg = paramwise_cfg

    def _build_one(self, key: str, module: nn.Module, cfg: dict):
        cfg = dict(cfg)
        paramwise_cfg = cfg.pop('paramwise_cfg', self.paramwise_cfg)
        constructor_type = cfg.pop('constructor', None)
        if constructor_type is None:
            constructor = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)
        else:
            constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(type=constructor_type, optim_wrapper_cfg=cfg,
                     paramwise_cfg=paramwise_cfg))
        return constructor(module)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the optim wrappers for ``model``.

        Args:
            model (nn.Module): The model (possibly DDP-wrapped).

        Returns:
            OptimWrapperDict: One ``OptimWrapper`` per configured key.
        """
        bare = _unwrap(model)
        wrappers = {}
        owner: Dict[int, str] = {}
        for key, cfg in self.optim_wrapper_cfg.items():
            module = resolve_submodule(bare, key)
            if module is None:
                children = [n for n, _ in bare.named_children()]
                raise ValueError(
                    f'optim_wrapper key {key!r} names no submodule of '
                    f'{type(bare).__name__}; its submodules: {children}')
            for param in module.parameters():
                if id(param) in owner:
                    raise ValueError(
                        f'optim_wrapper keys {owner[id(param)]!r} and {key!r} '
                        'share parameters; each parameter may have one '
                        'optimizer')
                owner[id(param)] = key
            wrappers[key] = self._build_one(key, module, cfg)
        self._report_uncovered(bare, set(owner))
        return OptimWrapperDict(**wrappers)

    @staticmethod
    def _report_uncovered(model: nn.Module, covered: Set[int]) -> None:
        missing = [name for name, p in model.named_parameters()
                   if p.requires_grad and id(p) not in covered]
        if missing:
            shown = ', '.join(missing[:8])
            more = f' and {len(missing) - 8} more' if len(missing) > 8 else ''
            print_log(
                f'MultiOptimWrapperConstructor: {len(missing)} trainable '
                f'parameters of {type(model).__name__} are in no optimizer '
                f'and will not be trained: {shown}{more}',
                logger='current', level=logging.WARNING)
