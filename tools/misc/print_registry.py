"""Print every registry of vostoolkit and its members.

    python tools/misc/print_registry.py [--plugins] [--only NAME ...]

Role registries (BACKBONES, NECKS, HEADS, CRITICS, TARGET_MODELS, TRACKERS,
LOSSES, MATCHERS) come first, then the general ones (MODELS, DATASETS, ...).
Only vostoolkit's own members are listed; mmengine's built-ins (reachable
through the parent registries) are counted. ``--plugins`` imports every
``plugins.*`` package first, so their components are listed too.
"""
import argparse
import importlib
import pkgutil
import sys
from typing import Dict, List, Optional, Tuple

from mmengine.registry import Registry

from vostoolkit.utils import ToolError
from vostoolkit.utils.cli import run_tool


def import_plugins() -> List[str]:
    """Import every ``plugins.*`` package; return one line per failure."""
    import plugins
    failures = []
    for info in pkgutil.iter_modules(plugins.__path__):
        if not info.ispkg:
            continue
        try:
            importlib.import_module(f'plugins.{info.name}')
        except Exception as err:  # report every plugin, keep listing
            failures.append(f'plugins.{info.name}: {type(err).__name__}: '
                            f'{err}')
    return failures


def _members(registry: Registry) -> List[Tuple[str, str]]:
    return sorted((name, getattr(obj, '__module__', '?'))
                  for name, obj in registry.module_dict.items())


def _inherited(registry: Registry) -> int:
    parent = registry.parent
    return len(parent.module_dict) if parent is not None else 0


def format_registries(only: Optional[List[str]] = None) -> str:
    """Text listing of the role and general registries."""
    from vostoolkit.registry import GENERAL_REGISTRIES, ROLE_REGISTRIES
    wanted = {n.upper() for n in only} if only else None
    lines = []
    groups: List[Tuple[str, Dict[str, Registry]]] = [
        ('Role registries', ROLE_REGISTRIES),
        ('General registries', GENERAL_REGISTRIES)]
    for title, registries in groups:
        selected = {k: v for k, v in registries.items()
                    if wanted is None or k in wanted}
        if not selected:
            continue
        lines.append(f'== {title} ==')
        for key, registry in selected.items():
            members = _members(registry)
            if title.startswith('Role'):
                head = (f'{key} (role {registry.role!r}, base class '
                        f'{registry.base_class.__name__}): {len(members)}')
            else:
                head = (f'{key} ({registry.name!r}): {len(members)} '
                        f'(+{_inherited(registry)} from mmengine)')
            lines.append(head)
            lines += [f'    {name:<40s} {module}' for name, module in members]
        lines.append('')
    return '\n'.join(lines)


def _main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--plugins', action='store_true',
                        help='import every plugins.* package first')
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='registries to print, e.g. BACKBONES MODELS')
    args = parser.parse_args(argv)
    import vostoolkit.all_modules  # noqa: F401
    from vostoolkit.registry import GENERAL_REGISTRIES, ROLE_REGISTRIES
    if args.only:
        known = set(GENERAL_REGISTRIES) | set(ROLE_REGISTRIES)
        bad = [n for n in args.only if n.upper() not in known]
        if bad:
            raise ToolError(f'unknown registries {bad}; choose from '
                            f'{sorted(known)}')
    failures = import_plugins() if args.plugins else []
    print(format_registries(args.only))
    for failure in failures:
        print(f'print_registry.py: error: cannot import {failure}',
              file=sys.stderr)
    return 1 if failures else 0


def main(argv=None) -> int:
    """0; 1 when a plugin fails to import (one line each); 2 after one
    error line for a bad option; see :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'print_registry.py')


if __name__ == '__main__':
    sys.exit(main())
