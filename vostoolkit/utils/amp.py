"""Float32 islands inside mixed precision.

Under ``torch.autocast`` some computations must stay in float32: iterative
solvers whose problem is badly conditioned, bilinear sampling whose
coordinates lose their sub-pixel part in half precision, the norms of a
gradient penalty. :func:`float32_island` turns autocast off for the
devices where it is on and casts the floating inputs to float32, as
Mask2Former's ``custom_fwd(cast_inputs=torch.float32)`` does for its
deformable attention; outside autocast it changes nothing::

    @float32_island
    def solve(a, b):                     # half inputs cast to float32
        ...

    y = float32_island(self.attn)(q, v)  # wrap a callable (a module)

    with autocast_off():                 # a block; cast inputs yourself
        x = solver(to_float32(a), to_float32(b))
"""
import functools
from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterator

import torch

__all__ = ['float32_island', 'autocast_off', 'autocast_enabled', 'to_float32']

_DEVICE_TYPES = ('cuda', 'cpu')
_HALF = (torch.float16, torch.bfloat16)


def autocast_enabled() -> bool:
    """Whether autocast is on for any device type (CUDA or CPU)."""
    return any(torch.is_autocast_enabled(d) for d in _DEVICE_TYPES)


def to_float32(obj: Any) -> Any:
    """Cast half-precision tensors in ``obj`` (a tensor or nested lists,
    tuples and dicts of them) to float32; other values pass unchanged
    (float64 stays float64, integer and bool tensors stay as they are)."""
    if isinstance(obj, torch.Tensor):
        return obj.float() if obj.dtype in _HALF else obj
    if isinstance(obj, (list, tuple)):
        out = [to_float32(x) for x in obj]
        return type(obj)(out) if not hasattr(obj, '_fields') else \
            type(obj)(*out)
    if isinstance(obj, dict):
        return type(obj)((k, to_float32(v)) for k, v in obj.items())
    return obj


@contextmanager
def autocast_off() -> Iterator[None]:
    """Turn autocast off, inside this block, on every device type where it
    is on (the caller casts its half-precision tensors, e.g. with
    :func:`to_float32`)."""
    with ExitStack() as stack:
        for device in _DEVICE_TYPES:
            if torch.is_autocast_enabled(device):
                stack.enter_context(torch.autocast(device, enabled=False))
        yield


def float32_island(fn: Callable) -> Callable:
    """Wrap ``fn`` so that, under autocast, it runs with autocast off and
    its half-precision tensor arguments cast to float32 (so it computes
    and returns float32); outside autocast ``fn`` runs unchanged.

    Args:
        fn (callable): A function or module.

    Returns:
        callable: The wrapped ``fn``.
    """

    @functools.wraps(fn, updated=())
    def island(*args, **kwargs):
        if not autocast_enabled():
            return fn(*args, **kwargs)
        with autocast_off():
            return fn(*to_float32(args), **to_float32(kwargs))

    return island
