"""Print a config after inheritance and ``--cfg-options``.

    python tools/misc/print_config.py CONFIG [--cfg-options key=value ...]
"""
import argparse
import sys

from vostoolkit.apis import ToolError, load_config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file (.py)')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE', help='override config entries')
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.cfg_options)
    except ToolError as err:
        print(f'print_config.py: error: {err}', file=sys.stderr)
        return 2
    print(cfg.pretty_text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
