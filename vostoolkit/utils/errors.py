"""Errors with one clear line for the user."""
import os
from typing import Optional


class DataError(ValueError):
    """Bad input data: the message names the file and the cause.

    Args:
        path (str | None): The offending file or folder.
        cause (str): What is wrong and, where possible, what to do.
    """

    def __init__(self, path: Optional[str], cause: str):
        self.path = None if path is None else os.fspath(path)
        self.cause = cause
        where = f'{self.path}: ' if self.path else ''
        super().__init__(f'{where}{cause}')
