"""bfloat16 mixed precision on any device autocast supports (CUDA or CPU).

mmengine's ``AmpOptimWrapper`` scales the loss with a CUDA ``GradScaler``
and refuses to be built without a GPU. bfloat16 has float32's exponent
range, so it needs no loss scaling: :class:`AutocastOptimWrapper` is a
plain ``OptimWrapper`` whose ``optim_context`` runs the forward pass under
``torch.autocast`` on the device of the model's parameters. ``tools/train.py
--amp bf16`` selects it; ``--amp`` (float16) keeps ``AmpOptimWrapper``.
"""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from vostoolkit.registry import OPTIM_WRAPPERS


def _device_type(model: nn.Module) -> str:
    """``'cuda'`` or ``'cpu'``: where the model's first parameter lives."""
    for p in model.parameters():
        return p.device.type
    return 'cuda' if torch.cuda.is_available() else 'cpu'


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward passes run under bfloat16 autocast.

    Gradients are not scaled (bfloat16 does not underflow where float32
    does not), so the step is the plain ``OptimWrapper`` step; a model's
    ``train_step`` uses it exactly as it uses an ``OptimWrapper``.

    Args:
        dtype (str | torch.dtype): The autocast dtype; only
            ``'bfloat16'`` (float16 needs loss scaling: use mmengine's
            ``AmpOptimWrapper``).
        **kwargs: ``OptimWrapper``'s arguments (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).

    Raises:
        ValueError: For another dtype.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs):
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, dtype)
        if dtype != torch.bfloat16:
            raise ValueError(
                f'AutocastOptimWrapper runs bfloat16 only, got dtype='
                f'{dtype!r}; float16 needs loss scaling: use '
                "type='AmpOptimWrapper'")
        super().__init__(**kwargs)
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        """``OptimWrapper``'s context (no gradient sync while accumulating)
        plus bfloat16 autocast on the device of ``model``'s parameters.

        Args:
            model (nn.Module): The model (or the submodule) to run.
        """
        with super().optim_context(model), torch.autocast(
                _device_type(model), dtype=self.cast_dtype):
            yield
