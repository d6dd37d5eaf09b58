"""The FaSTGAN speed benchmark (``tools/benchmarks/fastgan_speed.py``) runs
and prints frames/s (tiny model and frames here)."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from plugins.fastgan.benchmark import main

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def test_benchmark_prints_frames_per_second(capsys):
    assert main(['--size', '64', '--depth', '18', '--frames', '2',
                 '--warmup', '1', '--device', 'cpu']) == 0
    out = capsys.readouterr().out
    match = re.search(r'ResNet-18\), 64x64, 1 object\(s\): ([0-9.]+) '
                      r'frames/s on CPU', out)
    assert match and float(match.group(1)) > 0, out


def test_benchmark_rejects_no_frames(capsys):
    with pytest.raises(SystemExit):
        main(['--frames', '0', '--device', 'cpu'])
    assert 'frames must be >= 1' in capsys.readouterr().err


def test_bench_script_is_found_by_run_all_and_passes_options():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    listed = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'benchmarks', 'run_all.py'),
         '--list'], capture_output=True, text=True, timeout=60, env=env)
    assert 'fastgan_speed.py' in listed.stdout.split()
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'benchmarks',
                                  'fastgan_speed.py'),
         '--size', '64', '--depth', '18', '--frames', '1', '--warmup', '0',
         '--device', 'cpu'], capture_output=True, text=True, timeout=120,
        env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r'64x64, 1 object\(s\): [0-9.]+ frames/s on CPU, 1 '
                     r'threads', proc.stdout), proc.stdout
