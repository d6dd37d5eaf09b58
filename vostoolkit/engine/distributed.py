"""Distributed training and testing on machines without CUDA.

mmengine 0.10.7 assumes CUDA when launched distributed: ``init_dist`` calls
``torch.cuda.set_device`` and the Runner passes ``device_ids=[LOCAL_RANK]``
to the DDP wrapper. Two pieces make ``torchrun ... --launcher pytorch`` work
on CPU while leaving the GPU path exactly as mmengine has it:

* :func:`init_cpu_distributed` starts a ``gloo`` process group from the
  launcher's environment before the Runner is built (the Runner skips
  ``init_dist`` when a process group already exists). On CUDA it does nothing.
* :class:`VOSDistributedDataParallel` and
  :class:`VOSSeparateDistributedDataParallel` (in ``MODEL_WRAPPERS``) drop
  ``device_ids`` / ``output_device`` when CUDA is unavailable and are
  otherwise mmengine's ``MMDistributedDataParallel`` /
  ``MMSeparateDistributedDataParallel``. ``configs/_base_/default_runtime.py``
  selects the first through ``model_wrapper_cfg``; a model with its own
  ``train_step`` over several optimizers (generator + critics) selects the
  second, which wraps each trainable submodule separately.
"""
import atexit
import gc
import os
import subprocess
from datetime import timedelta
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.model import (MMDistributedDataParallel,
                            MMSeparateDistributedDataParallel)

from vostoolkit.registry import MODEL_WRAPPERS

_CUDA_ONLY_ARGS = ('device_ids', 'output_device')


def _require_env(names, launcher: str) -> None:
    missing = [n for n in names if n not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher {launcher} needs the environment variables '
            f'{missing}; start the job with torchrun (tools/dist_train.sh) '
            'or srun (tools/slurm_train.sh)')


def _slurm_env(port: int) -> None:
    """Fill torch's rendezvous variables from SLURM's."""
    _require_env(['SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'], 'slurm')
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    os.environ.setdefault('MASTER_PORT', str(port))
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        try:
            host = subprocess.check_output(
                ['scontrol', 'show', 'hostname', nodes],
                text=True).splitlines()[0]
        except (OSError, subprocess.CalledProcessError, IndexError):
            host = nodes.split(',')[0]
        os.environ['MASTER_ADDR'] = host


def init_cpu_distributed(launcher: str, port: int = 29500,
                         timeout_s: Optional[int] = 1800) -> bool:
    """Start a gloo process group when launched distributed without CUDA.

    Args:
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.
        port (int): Master port used for SLURM when ``MASTER_PORT`` is unset.
        timeout_s (int, optional): Collective timeout in seconds.

    Returns:
        bool: True if this call initialised a process group. False when the
        launcher is ``'none'``, CUDA is available (mmengine's own
        ``init_dist`` then runs inside the Runner), or a group exists already.

    Raises:
        ValueError: For an unknown launcher.
        RuntimeError: When the launcher's environment variables are missing.
    """
    if launcher not in ('none', 'pytorch', 'slurm', 'mpi'):
        raise ValueError(f'unknown launcher {launcher!r}; choose none, '
                         'pytorch or slurm')
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if torch_dist.is_available() and torch_dist.is_initialized():
        return False
    if launcher == 'slurm':
        _slurm_env(port)
    elif launcher == 'mpi':
        raise RuntimeError('--launcher mpi is not supported without CUDA; use '
                           'pytorch (torchrun) or slurm')
    _require_env(['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'],
                 launcher)
    kwargs = {}
    if timeout_s is not None:
        kwargs['timeout'] = timedelta(seconds=timeout_s)
    torch_dist.init_process_group(
        backend='gloo', init_method='env://',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']), **kwargs)
    # Tear the group down before the interpreter does (see _destroy_group).
    atexit.register(_destroy_group)
    return True


def _destroy_group() -> None:
    """Destroy the process group and join gloo's threads, at exit.

    ``destroy_process_group`` only unregisters the group: the DDP wrapper
    (inside the Runner's reference cycles) still holds it, so its worker
    threads live on into interpreter finalisation. There a worker freeing a
    finished collective's tensors needs the GIL, is terminated by Python,
    and the rank aborts ("terminate called without an active exception",
    exit -6) after a good run: about one torchrun test in seven here. A
    collection frees the wrapper, and the group's destructor joins the
    threads while the interpreter is still whole.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
    gc.collect()


def _drop_cuda_args(kwargs: dict) -> dict:
    if not torch.cuda.is_available():
        for name in _CUDA_ONLY_ARGS:
            kwargs.pop(name, None)
    return kwargs


@MODEL_WRAPPERS.register_module()
class VOSDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that also runs on CPU (gloo).

    With CUDA it is exactly ``MMDistributedDataParallel``. Without CUDA the
    ``device_ids`` / ``output_device`` the Runner passes are dropped, as
    PyTorch requires for CPU modules.

    Args:
        module (nn.Module): The model to wrap.
        detect_anomalous_params (bool): See ``MMDistributedDataParallel``.
        **kwargs: Passed to ``torch.nn.parallel.DistributedDataParallel``.
    """

    def __init__(self, module: torch.nn.Module,
                 detect_anomalous_params: bool = False, **kwargs):
        super().__init__(module=module,
                         detect_anomalous_params=detect_anomalous_params,
                         **_drop_cuda_args(kwargs))


@MODEL_WRAPPERS.register_module()
class VOSSeparateDistributedDataParallel(MMSeparateDistributedDataParallel):
    """``MMSeparateDistributedDataParallel`` that also runs on CPU (gloo).

    Each trainable child module is wrapped in its own DDP and the model's own
    ``train_step(data, optim_wrapper)`` is called: the wrapper for models
    trained with several optimizers. Set it in a config with
    ``model_wrapper_cfg = dict(
    type='vostoolkit.VOSSeparateDistributedDataParallel')``.
    The model must call its children through ``forward`` for gradients to
    be synchronised.

    Args:
        module (nn.Module): The model to wrap.
        broadcast_buffers (bool): See DDP.
        find_unused_parameters (bool): See DDP.
        **kwargs: Passed to each child's DDP.
    """

    def __init__(self, module: torch.nn.Module,
                 broadcast_buffers: bool = False,
                 find_unused_parameters: bool = False, **kwargs):
        super().__init__(module=module, broadcast_buffers=broadcast_buffers,
                         find_unused_parameters=find_unused_parameters,
                         **_drop_cuda_args(kwargs))
