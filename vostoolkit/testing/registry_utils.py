"""Register test-only classes for the duration of a test, leaving nothing.

mmengine's own suite once failed depending on test order because a
teardown popped a shared name; register under unique names and remove
exactly what was added, from the role registry and from ``MODELS``.
"""
import contextlib
import uuid
from typing import Iterator, Optional, Type

from mmengine.registry import Registry

from vostoolkit.registry import RoleRegistry


def unique_name(prefix: str = 'Test') -> str:
    """A registry name no other test uses: ``<prefix>_<12 hex digits>``."""
    return f'{prefix}_{uuid.uuid4().hex[:12]}'


@contextlib.contextmanager
def temporarily_registered(registry: Registry, cls: Type,
                           name: Optional[str] = None) -> Iterator[str]:
    """Register ``cls`` in ``registry`` under a unique name, then remove it.

    For a :class:`~vostoolkit.registry.RoleRegistry` the mirror entry in
    ``MODELS`` is removed too.

    Yields:
        str: The registered name.

    Raises:
        KeyError: If ``name`` is already taken (never overwrite).
    """
    name = name or unique_name(cls.__name__)
    if registry.get(name) is not None:
        raise KeyError(f'{name} is already registered in {registry.name}')
    registry.register_module(name=name, module=cls)
    try:
        yield name
    finally:
        registry._module_dict.pop(name, None)
        if isinstance(registry, RoleRegistry):
            if registry.parent._module_dict.get(name) is cls:
                registry.parent._module_dict.pop(name)
