"""Print a config after inheritance and ``--cfg-options``.

    python tools/misc/print_config.py CONFIG [--cfg-options key=value ...]
"""
import argparse
import sys

from vostoolkit.apis import load_config
from vostoolkit.utils.cli import run_tool


def _main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file (.py)')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE', help='override config entries')
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    print(cfg.pretty_text)
    return 0


def main(argv=None) -> int:
    """Exit status 0, or 2 after one error line; see
    :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'print_config.py')


if __name__ == '__main__':
    sys.exit(main())
