"""Test (or write a submission for) any vostoolkit model.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--cfg-options key=value ...] [--submit OUT.zip]
        [--launcher none|pytorch|slurm] [--show-dir DIR]

``--submit OUT.zip`` replaces the config's ``test_evaluator`` with its
``submit_evaluator`` writing ``OUT.zip`` (the layout the benchmark server
expects) instead of scoring. ``--show-dir DIR`` also writes each test
video with its predictions drawn as ``DIR/<video>.mp4``
(:class:`~vostoolkit.engine.VideoVisualizationHook`; VIS: the instances
scoring at least ``--show-score-thr``).
"""
import argparse
import sys

from mmengine.dist import is_main_process

from vostoolkit.apis import (build_runner, check_checkpoint_fits,
                             load_config, prepare_test_cfg)
from vostoolkit.utils.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test a video segmentation model from a config.')
    parser.add_argument('config', help='config file (.py)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs go (default: '
                        'work_dirs/<config stem>)')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE', help='override config entries')
    parser.add_argument('--submit', metavar='OUT.zip', default=None,
                        help='write a benchmark submission zip')
    parser.add_argument('--show-dir', metavar='DIR', default=None,
                        help='write each video with its predictions drawn '
                        'as DIR/<video>.mp4')
    parser.add_argument('--show-score-thr', type=float, default=0.3,
                        help='VIS: draw instances scoring at least this')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def add_show_hook(cfg, show_dir, score_thr: float) -> None:
    """Add a ``VideoVisualizationHook`` writing to ``show_dir`` (if given)
    to the config's ``custom_hooks``."""
    if show_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(
            type='VideoVisualizationHook', out_dir=show_dir,
            score_thr=score_thr)]


def _main(argv) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    cfg = prepare_test_cfg(cfg, args.config, args.checkpoint,
                           work_dir=args.work_dir, submit=args.submit,
                           launcher=args.launcher)
    add_show_hook(cfg, args.show_dir, args.show_score_thr)
    runner = build_runner(cfg)
    check_checkpoint_fits(runner.model, args.checkpoint)
    metrics = runner.test()
    if not is_main_process():
        return 0
    if args.submit:
        print(f'submission written to {args.submit}')
    elif metrics:
        print(' '.join(f'{k}: {v:.4f}' if isinstance(v, float) else
                       f'{k}: {v}' for k, v in metrics.items()))
    return 0


def main(argv=None) -> int:
    """Exit status 0, or 2 after one error line (130 on Ctrl-C); see
    :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'test.py')


if __name__ == '__main__':
    sys.exit(main())
