"""Run every benchmark script in tools/benchmarks/ (``make bench``).

    python tools/benchmarks/run_all.py [--only NAME ...] [--list]

Core benchmarks run first (``data_loading.py``, ``eval_bench.py``), then any
other ``tools/benchmarks/*.py`` (plugin benchmarks) in name order. A listed
core script that does not exist yet is skipped with a note. Each script runs
in its own process; the exit status is non-zero if any script failed.
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
CORE = ('data_loading.py', 'eval_bench.py')


def discover() -> List[str]:
    """Benchmark scripts in run order (core first, then the rest)."""
    found = sorted(osp.basename(p) for p in glob.glob(osp.join(HERE, '*.py'))
                   if not osp.basename(p).startswith('_'))
    found = [f for f in found if f != osp.basename(__file__)]
    return [f for f in CORE if f in found] + [f for f in found
                                               if f not in CORE]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='script names to run (with or without .py)')
    parser.add_argument('--list', action='store_true',
                        help='print the scripts that would run')
    args = parser.parse_args(argv)
    scripts = discover()
    for name in CORE:
        if name not in scripts:
            print(f'[bench] {name}: not present, skipped', flush=True)
    if args.only:
        wanted = {n if n.endswith('.py') else f'{n}.py' for n in args.only}
        unknown = sorted(wanted - set(scripts))
        if unknown:
            print(f'run_all.py: error: no benchmark {unknown} in '
                  f'{HERE}', file=sys.stderr)
            return 2
        scripts = [s for s in scripts if s in wanted]
    if args.list:
        print('\n'.join(scripts))
        return 0
    failed = []
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    for name in scripts:
        print(f'[bench] ===== {name} =====', flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, osp.join(HERE, name)],
                               cwd=ROOT, env=env)
        took = time.perf_counter() - start
        status = 'ok' if code == 0 else f'FAILED (exit {code})'
        print(f'[bench] {name}: {status} in {took:.1f} s', flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f'[bench] failed: {", ".join(failed)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
