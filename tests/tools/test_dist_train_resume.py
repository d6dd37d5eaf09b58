"""torchrun --nproc_per_node=2 on CPU: train, checkpoint, --resume, and a
distributed test of the result."""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _torchrun(work_dir, *args, tool='train.py'):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run',
           '--nproc_per_node=2', f'--master_port={_free_port()}',
           osp.join(ROOT, 'tools', tool), CONFIG, *args, '--launcher',
           'pytorch', '--work-dir', str(work_dir)]
    proc = subprocess.run(cmd, cwd=str(work_dir), env=env, timeout=240,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _assert_same(a, b, where=''):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{where}[{i}]')
    else:
        assert a == b, f'{where}: {a!r} != {b!r}'


def test_torchrun_cpu_train_then_resume(tmp_path):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    out = _torchrun(work_dir, '--cfg-options', 'train_cfg.max_iters=4')
    assert 'Distributed training: True' in out, out[-3000:]
    assert re.search(r'Iter\(train\) \[4/4\]', out), out[-3000:]
    saved = torch.load(work_dir / 'iter_4.pth', map_location='cpu',
                       weights_only=False)
    assert saved['meta']['iter'] == 4
    first_start = torch.load(work_dir / 'train_start_rank0.pth',
                             weights_only=False)
    assert first_start['iter'] == 0

    # --resume with no path: the work dir's last checkpoint (iter 4).
    out = _torchrun(work_dir, '--resume', '--cfg-options',
                    'train_cfg.max_iters=6')
    assert 'resumed epoch: 0, iter: 4' in out, out[-3000:]
    assert re.search(r'Iter\(train\) \[5/6\]', out), out[-3000:]
    assert not re.search(r'Iter\(train\) \[[1-4]/6\]', out), out[-3000:]
    for rank in (0, 1):
        start = torch.load(work_dir / f'train_start_rank{rank}.pth',
                           weights_only=False)
        assert start['iter'] == 4
        _assert_same(start['optimizer'], saved['optimizer'], 'optimizer')
        _assert_same(start['param_schedulers'], saved['param_schedulers'],
                     'param_schedulers')
        _assert_same(start['state_dict'], saved['state_dict'], 'state_dict')
    assert saved['optimizer']['state'], 'Adam state should be non-empty'
    final = torch.load(work_dir / 'iter_6.pth', weights_only=False)
    assert final['meta']['iter'] == 6
    assert not [f for f in os.listdir(work_dir) if f.endswith('.tmp')]

    # distributed video test: whole videos per rank, results gathered once
    out = _torchrun(work_dir, str(work_dir / 'iter_6.pth'), tool='test.py')
    assert re.search(r'synthetic/J: [0-9.]+ synthetic/num_results: 24\n',
                     out), out[-2000:]
