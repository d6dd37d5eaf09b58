"""Timing an evaluator against its PNG-decode floor, interleaved.

The machine the benchmarks run on is often shared, so the evaluator and
the floor run alternately ``repeat`` times and the medians are compared.
"""
import json
import os
import statistics
import subprocess
import sys
from typing import Callable, Dict, List, Tuple

Timing = Tuple[float, float]  # wall seconds, CPU seconds


def interleaved(ours: Callable[[], Timing], floor: Callable[[], Timing],
                repeat: int) -> Dict[str, List[Timing]]:
    """Run ``ours()`` then ``floor()``, ``repeat`` times."""
    runs: Dict[str, List[Timing]] = {'ours': [], 'floor': []}
    for _ in range(max(repeat, 1)):
        runs['ours'].append(ours())
        runs['floor'].append(floor())
    return runs


def report(runs: Dict[str, List[Timing]], workers: int = 2) -> str:
    """Medians of wall and CPU time and the ratios ours / floor."""
    med = {k: (statistics.median(r[0] for r in v),
               statistics.median(r[1] for r in v)) for k, v in runs.items()}
    (ow, oc), (fw, fc) = med['ours'], med['floor']
    walls = ' '.join(f'{r[0]:.2f}/{f[0]:.2f}' for r, f in
                     zip(runs['ours'], runs['floor']))
    return (f'ours: {ow:.2f} s wall, {oc:.2f} s CPU ({workers} workers); '
            f'decode floor: {fw:.2f} s wall, {fc:.2f} s CPU ({workers} '
            f'processes); ratio {ow / fw:.2f}x the floor (wall), '
            f'{oc / fc:.2f}x (CPU); medians of {len(runs["ours"])} '
            f'interleaved runs (wall ours/floor: {walls})')


def time_script_against_floor(script: str, args: List[str], out_json: str,
                              floor: Callable[[], Timing], repeat: int,
                              root: str) -> Tuple[dict, float]:
    """Run ``python -c script *args out_json`` (an evaluation that writes its
    results with ``_time``, ``_cpu``, ``_rss_mb`` and ``_rss_worker_mb`` to
    ``out_json``) interleaved with ``floor``; print the medians and the peak
    memory.

    Returns:
        tuple: the last run's results, the median wall seconds of ours.
    """
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS='1')
    last = {}

    def run_ours() -> Timing:
        subprocess.run([sys.executable, '-c', script, *args, out_json],
                       check=True, env=env)
        with open(out_json) as f:
            last['res'] = json.load(f)
        return last['res']['_time'], last['res']['_cpu']

    runs = interleaved(run_ours, floor, repeat)
    ours = last['res']
    print(report(runs))
    print(f'peak RSS: main process {ours["_rss_mb"]:.0f} MB (mostly the '
          f'imported libraries), largest worker {ours["_rss_worker_mb"]:.0f} '
          'MB')
    return ours, statistics.median(r[0] for r in runs['ours'])
