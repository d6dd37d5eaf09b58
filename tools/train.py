"""Train any vostoolkit model from its config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--tensorboard] [--cfg-options key=value ...]
        [--launcher none|pytorch|slurm]

Distributed: ``tools/dist_train.sh CONFIG GPUS`` (torchrun, also on CPU with
gloo) or ``tools/slurm_train.sh``. ``--amp`` is CUDA-only: without a GPU the
tool stops with one error line (exit status 2) instead of silently training
in float32.

A multi-stage recipe is one call per stage config, each starting from the
previous stage's weights (``load_from`` or a backbone ``init_cfg``); a
weight file the config starts from that does not exist stops the tool with
one line naming it.
"""
import argparse
import sys

from vostoolkit.apis import (build_runner, check_resume_fits, load_config,
                             prepare_train_cfg)
from vostoolkit.utils.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train a video segmentation model from a config.')
    parser.add_argument('config', help='config file (.py)')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config stem>)')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CKPT',
        help='resume training; with no CKPT, from the last checkpoint of '
        'the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (needs CUDA)')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also log scalars to TensorBoard (needs the '
                        'tensorboard package: pip install '
                        '"vostoolkit[tensorboard]")')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE',
                        help='override config entries, e.g. '
                        'train_cfg.max_iters=100')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _main(argv) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    cfg = prepare_train_cfg(cfg, args.config, work_dir=args.work_dir,
                            resume=args.resume, amp=args.amp,
                            tensorboard=args.tensorboard,
                            launcher=args.launcher)
    runner = build_runner(cfg)
    check_resume_fits(runner, cfg)
    runner.train()
    return 0


def main(argv=None) -> int:
    """Exit status 0, or 2 after one error line (130 on Ctrl-C); see
    :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'train.py')


if __name__ == '__main__':
    sys.exit(main())
