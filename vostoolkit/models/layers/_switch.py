"""A module-level on / off switch for a block of code."""
from contextlib import contextmanager
from typing import Iterator, List


@contextmanager
def switched(flag: List[bool], enabled: bool) -> Iterator[None]:
    """Set ``flag[0]`` to ``enabled`` inside the block, then restore it."""
    previous = flag[0]
    flag[0] = enabled
    try:
        yield
    finally:
        flag[0] = previous
