"""Errors with one clear line for the user (see :mod:`vostoolkit.utils.cli`
for how the tools report them)."""
import os
from typing import Optional


class ToolError(ValueError):
    """Bad command-line input or config: the message is the whole story."""


class DataError(ValueError):
    """Bad input data: the message names the file and the cause.

    Args:
        path (str | None): The offending file or folder.
        cause (str, optional): What is wrong and, where possible, what to do.
            Without it, ``path`` is taken as the whole message (how PyTorch
            re-raises an error from a DataLoader worker).
    """

    def __init__(self, path: Optional[str], cause: Optional[str] = None):
        if cause is None:
            self.path, self.cause = None, str(path)
            super().__init__(self.cause)
            return
        self.path = None if path is None else os.fspath(path)
        self.cause = cause
        where = f'{self.path}: ' if self.path else ''
        super().__init__(f'{where}{cause}')
