"""``make quickstart``: toy data, a short training, J&F on the toy val split.

    python tools/quickstart.py [--config CONFIG] [--work-dir DIR]
        [--minutes M] [--cfg-options key=value ...]

1. Generates the toy DAVIS-format videos if missing (the config's
   ``data_root`` and ``toy_spec``).
2. Trains the config (default: the core demo model,
   ``configs/demo/baseline_toy_davis.py``) for at most ``--minutes`` of
   wall-clock time (``TrainTimeBudgetHook``) or its ``max_iters``.
3. Evaluates on the toy val split with the config's test evaluator
   (``DAVISMetric``: the official DAVIS J&F protocol) and prints the result.
"""
import argparse
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'demo', 'baseline_toy_davis.py')


def ensure_data(cfg) -> None:
    """Generate every toy dataset the config's dataloaders point at."""
    from vostoolkit.datasets.toy import ensure_toy_dataset
    done = set()
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(key) or {}).get('dataset') or {}
        spec, root = dataset.get('toy_spec'), dataset.get('data_root')
        if spec is None or root is None or root in done:
            continue
        spec = dict(spec)
        fmt = spec.pop('fmt', 'davis')
        ensure_toy_dataset(root, fmt, **spec)
        done.add(root)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--work-dir', default=osp.join('work_dirs',
                                                       'quickstart'))
    parser.add_argument('--minutes', type=float, default=4.0,
                        help='training time budget (default 4)')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE')
    args = parser.parse_args(argv)

    from vostoolkit.apis import (ToolError, build_runner, load_config,
                                 prepare_train_cfg)
    from vostoolkit.utils import DataError
    try:
        cfg = load_config(args.config, args.cfg_options)
        ensure_data(cfg)
        cfg = prepare_train_cfg(cfg, args.config, work_dir=args.work_dir)
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='TrainTimeBudgetHook', max_minutes=args.minutes)]
        cfg.default_hooks.logger.interval = 50
        runner = build_runner(cfg)
        start = time.perf_counter()
        runner.train()
        train_s = time.perf_counter() - start
        metrics = runner.test()
    except (ToolError, DataError) as err:
        print(f'quickstart.py: error: {err}', file=sys.stderr)
        return 2 if isinstance(err, ToolError) else 1
    scores = ', '.join(f'{k.split("/")[-1]} {v:.3f}'
                       for k, v in metrics.items()
                       if isinstance(v, float) and 'Mean' in k)
    print(f'\nquickstart: {osp.basename(args.config)}: {runner.iter} '
          f'iterations in {train_s / 60:.1f} min; toy val: {scores}')
    print(f'quickstart: checkpoints and logs in {cfg.work_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
