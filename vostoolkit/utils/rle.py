"""Checks on COCO run-length encodings before pycocotools sees them.

pycocotools trusts its input: a compressed RLE whose runs do not add up to
``H * W`` (a mask encoded at another size) makes ``mask.iou`` loop forever,
and a string of arbitrary characters decodes to some mask without
complaint. Every reader of user RLEs (the YouTube-VIS evaluator, the
submission validator, the dataset loader) checks them here first.
"""
import math
from typing import Any, Optional

import numpy as np

__all__ = ['rle_total', 'rle_problem', 'is_finite_number']


def rle_total(counts: str) -> Optional[int]:
    """Total run length of a compressed COCO RLE string.

    Args:
        counts (str): The ``counts`` string (pycocotools' LEB128-like code:
            characters 48..111, 5 bits each, runs from the third on stored
            relative to the run two places before).

    Returns:
        int | None: The sum of the runs (``H * W`` for a valid mask), or
        None when the string is malformed (a character out of range, a
        truncated or oversized number, a negative run).
    """
    try:
        raw = counts.encode('ascii')
    except (UnicodeEncodeError, AttributeError):
        return None
    v = np.frombuffer(raw, np.uint8).astype(np.int64)
    if v.size == 0:
        return 0
    v -= 48
    if v.min() < 0 or v.max() > 63 or v[-1] & 0x20:
        return None
    ends = np.flatnonzero((v & 0x20) == 0)  # last char of every number
    starts = np.concatenate(([0], ends[:-1] + 1))
    token = np.repeat(np.arange(ends.size), ends - starts + 1)
    shift = 5 * (np.arange(v.size) - starts[token])
    if shift.max() > 55:
        return None
    vals = np.add.reduceat((v & 0x1f) << shift, starts)
    negative = (v[ends] & 0x10) != 0
    vals[negative] -= np.left_shift(1, shift[ends][negative] + 5)
    # pycocotools stores run k > 2 as the difference to run k - 2: the
    # odd runs and the even runs from the third on are running sums
    runs = vals.copy()
    runs[1::2] = np.cumsum(vals[1::2])
    runs[2::2] = np.cumsum(vals[2::2])
    if runs.size and runs.min() < 0:
        return None
    return int(runs.sum())


def rle_problem(seg: Any, h: int, w: int) -> Optional[str]:
    """What is wrong with one frame's compressed RLE, or None if it is fine.

    Args:
        seg: ``{'size': [H, W], 'counts': str | bytes}``.
        h (int): Frame height the RLE must have.
        w (int): Frame width.

    Returns:
        str | None: The cause, for a message that names the file.
    """
    if not isinstance(seg, dict) or 'counts' not in seg or 'size' not in seg:
        return "not an RLE (needs 'size' and 'counts')"
    size, counts = seg['size'], seg['counts']
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in size):
        return f'RLE size {size!r} is not [height, width]'
    if list(size) != [h, w]:
        return f'mask size {list(size)} != video size {[h, w]}'
    if isinstance(counts, bytes):
        try:
            counts = counts.decode('ascii')
        except UnicodeDecodeError:
            return 'RLE counts are not ASCII'
    if not isinstance(counts, str):
        return (f'RLE counts must be a string (compressed RLE), got '
                f'{type(counts).__name__}')
    total = rle_total(counts)
    if total is None:
        return (f'RLE counts do not decode to {h}x{w}: not a compressed '
                'RLE string')
    if total != h * w:
        return (f'RLE counts do not decode to {h}x{w}: the runs add up to '
                f'{total} pixels, not {h * w} (encoded at another size?)')
    return None


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not bool) that is neither NaN nor inf."""
    return isinstance(value, (int, float)) and not isinstance(
        value, bool) and math.isfinite(value)
