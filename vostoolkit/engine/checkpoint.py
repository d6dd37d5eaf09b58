"""Checkpoint loading and saving that work under torch >= 2.6.

Two fixes to mmengine 0.10.7, installed once when ``vostoolkit.engine`` is
imported (the tools and ``vostoolkit.all_modules`` import it):

* **Loading.** Since torch 2.6, ``torch.load`` defaults to
  ``weights_only=True``, which refuses the objects mmengine pickles into its
  own checkpoints (``HistoryBuffer`` in the message hub, numpy scalars in the
  meta), so ``--resume`` and ``load_from`` fail. The local-file scheme of
  mmengine's ``CheckpointLoader`` (prefix ``''``) is re-registered with
  :func:`load_from_local_trusted`, which loads with ``weights_only=False``.
  This unpickles arbitrary objects: load only checkpoints you trust (your
  own, or ones from a source you trust), as with any pickle file.
* **Saving.** mmengine writes checkpoints in place, so an interrupted save
  leaves a truncated file that a later ``--resume`` picks up.
  :func:`save_checkpoint_atomic` writes local checkpoints to a temporary name
  in the same folder (``.<name>.<pid>.tmp``, with the user's umask) and
  renames it when complete; the Runner's ``save_checkpoint`` uses it. The
  temporary files of killed runs are removed at the next save in the folder.
"""
import io
import os
import os.path as osp
import pickle
import re
from typing import Any, List, Optional

import mmengine.runner as mm_runner_pkg
import mmengine.runner.checkpoint as mm_checkpoint
import mmengine.runner.runner as mm_runner
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from vostoolkit.utils import DataError
from vostoolkit.utils.tmpfiles import pid_alive

_ORIGINAL_SAVE = mm_checkpoint.save_checkpoint
_URI_PREFIXES = ('http://', 'https://', 's3://', 'pavi://', 'open-mmlab:',
                 'openmmlab:', 'modelzoo://', 'torchvision://', 'mmcls://')


def load_from_local_trusted(filename: str, map_location: Any = None) -> Any:
    """Load a trusted local checkpoint, mmengine's pickled objects included.

    Args:
        filename (str): Path of the checkpoint file (``~`` is expanded).
        map_location (Any): As for :func:`torch.load`.

    Returns:
        Any: The loaded checkpoint (usually a dict).

    Raises:
        FileNotFoundError: If ``filename`` is not a file.
        DataError: (a ValueError) If the file is not a readable torch
            checkpoint (truncated, a text file, ...).
    """
    filename = osp.expanduser(os.fspath(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(
            f'{filename}: checkpoint file not found (check the path given to '
            'load_from / --resume / tools/test.py)')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    except (RuntimeError, EOFError, OSError, ValueError,
            pickle.UnpicklingError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ''
        raise DataError(
            filename, f'not a readable torch checkpoint (truncated or '
            f'corrupt?): {type(err).__name__}: {first}') from err


def _is_local(filename: str) -> bool:
    return not str(filename).startswith(_URI_PREFIXES)


# ``.<checkpoint>.<pid>.tmp``; older versions used mkstemp's random tag
_TMP_CHECKPOINT = re.compile(r'^\.(?P<name>.+\.pth)\.(?P<tag>\w+)\.tmp$')


def remove_stale_checkpoint_tmps(folder: str) -> List[str]:
    """Remove the temporary checkpoint files of killed runs in ``folder``
    (``.<name>.pth.<pid>.tmp`` whose process is gone, or a random tag as
    older versions wrote). Returns the paths removed."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TMP_CHECKPOINT.match(name)
        if not match:
            continue
        tag = match.group('tag')
        if tag.isdigit() and pid_alive(int(tag)):
            continue
        try:
            os.remove(osp.join(folder, name))
            removed.append(osp.join(folder, name))
        except OSError:
            pass
    return removed


def save_checkpoint_atomic(checkpoint: dict, filename: str,
                           file_client_args: Optional[dict] = None,
                           backend_args: Optional[dict] = None) -> None:
    """Save ``checkpoint`` to ``filename``, atomically for local paths.

    The file is written as a temporary file next to ``filename``
    (``.<name>.<pid>.tmp``, created with the user's umask so that a shared
    group can read it) and renamed over it once complete, so readers never
    see a partial checkpoint. Leftovers of killed runs are removed first
    (:func:`remove_stale_checkpoint_tmps`).
    Remote paths (or explicit backend arguments) go through mmengine's own
    ``save_checkpoint``.

    Args:
        checkpoint (dict): The checkpoint to save.
        filename (str): Destination path.
        file_client_args (dict, optional): Deprecated mmengine argument.
        backend_args (dict, optional): mmengine file backend arguments.
    """
    filename = os.fspath(filename)
    if (file_client_args is not None or backend_args is not None
            or not _is_local(filename)):
        _ORIGINAL_SAVE(checkpoint, filename, file_client_args=file_client_args,
                       backend_args=backend_args)
        return
    folder = osp.dirname(osp.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    remove_stale_checkpoint_tmps(folder)
    tmp = osp.join(folder, f'.{osp.basename(filename)}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            buffer = io.BytesIO()
            torch.save(checkpoint, buffer)
            f.write(buffer.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def install_checkpoint_io() -> None:
    """Register the local loader and the atomic saver with mmengine.

    Idempotent; called when ``vostoolkit.engine`` is imported. mmengine logs
    the loader as ``Loads checkpoint by local_trusted backend``.
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_trusted, force=True)
    # The Runner and CheckpointHook import ``save_checkpoint`` by name from
    # these modules; replace every binding.
    for module in (mm_runner, mm_checkpoint, mm_runner_pkg):
        module.save_checkpoint = save_checkpoint_atomic


install_checkpoint_io()
