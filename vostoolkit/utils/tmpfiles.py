"""Temporary names for files written atomically, and cleaning up after
runs that were killed before they could rename or remove them.

A file is written as ``<path>.tmp-<pid>`` and renamed over ``<path>`` when
complete. A run killed in between (SIGKILL, a lost node) leaves the
temporary file; the next writer of ``<path>`` removes every
``<path>.tmp-<pid>`` whose process no longer exists on this machine
(:func:`remove_stale`). Files are created with the user's umask
(``open``'s default), never ``mkstemp``'s 0600.
"""
import glob
import os
import os.path as osp
import re
import shutil
from typing import List, Optional

__all__ = ['pid_alive', 'tmp_name', 'remove_stale', 'atomic_write_bytes']

_PID_SUFFIX = re.compile(r'\.tmp-(\d+)$')


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def tmp_name(path: str, pid: Optional[int] = None) -> str:
    """``<path>.tmp-<pid>`` (this process by default)."""
    return f'{os.fspath(path)}.tmp-{os.getpid() if pid is None else pid}'


def _remove(path: str) -> bool:
    try:
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    except FileNotFoundError:
        return False
    return True


def remove_stale(path: str) -> List[str]:
    """Remove ``<path>.tmp-<pid>`` files or folders of dead processes.

    Args:
        path (str): The final path whose leftovers to remove.

    Returns:
        list[str]: The paths removed.
    """
    removed = []
    for cand in glob.glob(glob.escape(os.fspath(path)) + '.tmp-*'):
        match = _PID_SUFFIX.search(cand)
        if match and not pid_alive(int(match.group(1))) and _remove(cand):
            removed.append(cand)
    return removed


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name (user's umask);
    leftovers of killed writers of ``path`` are removed first."""
    path = os.fspath(path)
    remove_stale(path)
    tmp = tmp_name(path)
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
