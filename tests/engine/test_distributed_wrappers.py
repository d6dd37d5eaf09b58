"""CPU distributed pieces: gloo initialisation and the DDP wrappers."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS as MM_MODEL_WRAPPERS

import vostoolkit.engine.distributed as vos_dist
from vostoolkit.engine import (VOSDistributedDataParallel,
                               VOSSeparateDistributedDataParallel,
                               init_cpu_distributed)


class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 1)
        self.critic = nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.net(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out

    def train_step(self, data, optim_wrapper):
        if isinstance(optim_wrapper, OptimWrapperDict):
            loss = self.critic(self.net(torch.stack(data['inputs']))).mean()
            optim_wrapper['critic'].update_params(loss)
            return dict(loss=loss)
        return super().train_step(data, optim_wrapper)


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def gloo_group(monkeypatch):
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(_free_port()))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert init_cpu_distributed('pytorch') is True
    assert dist.get_backend() == 'gloo'
    assert init_cpu_distributed('pytorch') is False  # already initialised
    yield
    dist.destroy_process_group()


def test_wrapper_drops_device_ids_on_cpu(gloo_group):
    model = TinyModel()
    wrapped = VOSDistributedDataParallel(model, device_ids=[0],
                                         broadcast_buffers=False)
    assert isinstance(wrapped, MMDistributedDataParallel)
    before = model.net.weight.detach().clone()
    optim = OptimWrapper(torch.optim.SGD(wrapped.parameters(), lr=0.1))
    log = wrapped.train_step(dict(inputs=[torch.ones(3)] * 2), optim)
    assert 'loss' in log
    assert not torch.equal(before, model.net.weight)


def test_separate_wrapper_calls_the_models_train_step(gloo_group):
    model = TinyModel()
    wrapped = VOSSeparateDistributedDataParallel(model, device_ids=[0])
    assert isinstance(model.net, MMDistributedDataParallel)
    critic = model.critic.module
    optims = OptimWrapperDict(critic=OptimWrapper(
        torch.optim.SGD(critic.parameters(), lr=0.1)))
    before = critic.weight.detach().clone()
    wrapped.train_step(dict(inputs=[torch.ones(3)] * 2), optims)
    assert not torch.equal(before, critic.weight)


def test_cuda_path_keeps_device_ids(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    kwargs = vos_dist._drop_cuda_args(dict(device_ids=[0], output_device=0,
                                           broadcast_buffers=False))
    assert kwargs == dict(device_ids=[0], output_device=0,
                          broadcast_buffers=False)
    # with CUDA, init is left to mmengine's init_dist inside the Runner
    assert init_cpu_distributed('pytorch') is False


def test_runner_resolves_the_scoped_wrapper_name():
    assert MM_MODEL_WRAPPERS.get('vostoolkit.VOSDistributedDataParallel') \
        is VOSDistributedDataParallel


def test_launch_errors_are_one_clear_line(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(name, raising=False)
    assert init_cpu_distributed('none') is False
    with pytest.raises(RuntimeError, match='RANK.*torchrun'):
        init_cpu_distributed('pytorch')
    with pytest.raises(ValueError, match="unknown launcher 'mpx'"):
        init_cpu_distributed('mpx')


def test_slurm_launcher_on_cpu(monkeypatch):
    for name in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR'):
        # setenv first so that teardown removes what the launcher sets
        monkeypatch.setenv(name, 'unset')
        monkeypatch.delenv(name)
    monkeypatch.setenv('SLURM_PROCID', '0')
    monkeypatch.setenv('SLURM_NTASKS', '1')
    monkeypatch.setenv('SLURM_NODELIST', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(_free_port()))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    try:
        assert init_cpu_distributed('slurm') is True
        assert dist.get_world_size() == 1 and dist.get_backend() == 'gloo'
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


_EXIT_SCRIPT = r'''
import atexit, glob, sys
import torch, torch.distributed as dist

def report():  # registered first, so it runs after the toolkit's handler
    names = [open(f).read().strip() for f in glob.glob('/proc/self/task/*/comm')]
    print('gloo threads at exit:', sum('gloo' in n for n in names), flush=True)

atexit.register(report)
torch.cuda.is_available = lambda: False
from vostoolkit.engine import VOSDistributedDataParallel, init_cpu_distributed
assert init_cpu_distributed('pytorch')

class Holder:  # a reference cycle around the wrapper, as in a Runner
    pass

holder = Holder()
holder.me = holder
holder.model = VOSDistributedDataParallel(torch.nn.Linear(2, 1), device_ids=[0])
objs = [{'metric': 1.0}]
dist.broadcast_object_list(objs)
dist.barrier()
del holder
'''


@pytest.mark.skipif(not osp.isdir('/proc/self/task'), reason='needs /proc')
def test_process_group_threads_are_joined_before_interpreter_exit(tmp_path):
    """A rank must not abort after a good run: gloo's worker threads, kept
    alive by a DDP wrapper in a reference cycle, are joined at exit before
    the interpreter finalises (left running, one can abort with SIGABRT)."""
    env = dict(os.environ, RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
               MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()))
    proc = subprocess.run([sys.executable, '-c', _EXIT_SCRIPT], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'gloo threads at exit: 0' in proc.stdout, proc.stdout + proc.stderr
