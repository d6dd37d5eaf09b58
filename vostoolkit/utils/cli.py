"""One way for every ``tools/*.py`` entry point to report errors.

A tool's ``main(argv)`` returns ``run_tool(_main, argv, 'name.py')``. Then:

* a user error (:class:`ToolError`, :class:`DataError`, an ``OSError`` such
  as a missing or unwritable file, a bad command-line option) prints one
  line ``name.py: error: <file>: <cause>`` on stderr and exits with
  :data:`EXIT_USER_ERROR` (2, as argparse does for a bad option);
* Ctrl-C prints ``name.py: interrupted`` and exits with
  :data:`EXIT_INTERRUPTED` (130, the shell's code for SIGINT);
* ``--debug`` anywhere on the command line, or ``VOSTOOLKIT_DEBUG=1`` in
  the environment, prints the full traceback before that line;
* any other exception is a bug: Python's traceback, exit status 1.

:data:`EXIT_PROBLEMS` (1) is also what ``validate_submission.py`` returns
when the submission it checked has problems (one line per problem).
"""
import argparse
import contextlib
import os
import sys
import traceback
from typing import Callable, Iterator, List, Optional, Sequence

from .errors import DataError, ToolError

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
DEBUG_ENV = 'VOSTOOLKIT_DEBUG'
USER_ERRORS = (ToolError, DataError, OSError)

__all__ = [
    'EXIT_OK', 'EXIT_PROBLEMS', 'EXIT_USER_ERROR', 'EXIT_INTERRUPTED',
    'DEBUG_ENV', 'USER_ERRORS', 'error_line', 'run_tool', 'debug_enabled'
]


def error_line(err: BaseException) -> str:
    """One line describing a user error.

    An ``OSError`` becomes ``<file>: <strerror>``. A message of several
    lines (an error re-raised from a DataLoader worker carries the worker's
    traceback) is reduced to its last line, without the exception's class
    name.
    """
    if isinstance(err, OSError) and err.strerror:
        names = [n for n in (err.filename, err.filename2) if n is not None]
        where = ' -> '.join(os.fspath(n) if not isinstance(n, int) else
                            str(n) for n in names)
        return f'{where}: {err.strerror}' if where else err.strerror
    lines = [ln.strip() for ln in str(err).strip().splitlines()
             if ln.strip()]
    if not lines:
        return type(err).__name__
    if len(lines) == 1:
        return lines[0]
    last = lines[-1]
    for cls in (ToolError, DataError, FileNotFoundError, OSError,
                ValueError):
        for name in (f'{cls.__module__}.{cls.__qualname__}: ',
                     f'{cls.__qualname__}: '):
            if last.startswith(name):
                return last[len(name):]
    return last


def debug_enabled(argv: Sequence[str] = ()) -> bool:
    """``--debug`` in ``argv`` or ``VOSTOOLKIT_DEBUG`` set to 1/true/yes."""
    env = os.environ.get(DEBUG_ENV, '').strip().lower()
    return '--debug' in argv or env in ('1', 'true', 'yes')


@contextlib.contextmanager
def _argparse_raises() -> Iterator[None]:
    """Make ``ArgumentParser.error`` raise ToolError (one line, exit 2)
    instead of printing the usage and exiting."""
    original = argparse.ArgumentParser.error

    def error(parser: argparse.ArgumentParser, message: str):
        raise ToolError(f'{message} (see {parser.prog} --help)')

    argparse.ArgumentParser.error = error
    try:
        yield
    finally:
        argparse.ArgumentParser.error = original


def run_tool(main: Callable[[List[str]], Optional[int]],
             argv: Optional[Sequence[str]] = None,
             prog: Optional[str] = None) -> int:
    """Run a tool's ``main`` and report errors the one way (module doc).

    Args:
        main (Callable): Takes the argument list (``--debug`` removed) and
            returns an exit status (None counts as 0).
        argv (Sequence[str], optional): Arguments (default ``sys.argv[1:]``).
        prog (str, optional): Name printed before each error line.

    Returns:
        int: The exit status.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug_enabled(argv)
    argv = [a for a in argv if a != '--debug']
    prog = prog or os.path.basename(sys.argv[0] or 'tool')
    try:
        with _argparse_raises():
            code = main(argv)
        return EXIT_OK if code is None else int(code)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print(f'{prog}: interrupted', file=sys.stderr)
        return EXIT_INTERRUPTED
    except USER_ERRORS as err:
        if debug:
            traceback.print_exc()
        print(f'{prog}: error: {error_line(err)}', file=sys.stderr)
        return EXIT_USER_ERROR
