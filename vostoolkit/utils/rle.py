"""Checks on COCO run-length encodings before pycocotools sees them.

pycocotools trusts its input: a compressed RLE whose runs do not add up to
``H * W`` (a mask encoded at another size) makes ``mask.iou`` loop forever,
and a string of arbitrary characters decodes to some mask without
complaint. Every reader of user RLEs (the YouTube-VIS evaluator, the
submission validator, the dataset loader) checks them here first.
"""
import math
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['rle_total', 'rle_totals', 'rle_problem', 'rle_problems',
           'is_finite_number']


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
    return rle_totals([counts])[0]


def rle_totals(counts: Sequence[Any]) -> List[Optional[int]]:
    """:func:`rle_total` of many strings at once (a video's frames, a
    result's masks), in one vectorised pass: the numpy calls are paid once
    for all of them, not once per string.

    Args:
        counts (Sequence): ``counts`` strings (anything else gives None).

    Returns:
        list[int | None]: One total per string, as :func:`rle_total`.
    """
    out: List[Optional[int]] = [None] * len(counts)
    enc, where = [], []
    for i, c in enumerate(counts):
        try:
            b = c.encode('ascii')
        except (UnicodeEncodeError, AttributeError):
            continue
        if not b:
            out[i] = 0
            continue
        enc.append(b)
        where.append(i)
    if not enc:
        return out
    lens = np.fromiter(map(len, enc), np.int64, len(enc))
    v = np.frombuffer(b''.join(enc), np.uint8).astype(np.int64) - 48
    starts = np.cumsum(lens) - lens
    # a character out of range, or a number cut short at the string's end
    bad = np.add.reduceat((v < 0) | (v > 63), starts) > 0
    bad |= (v[starts + lens - 1] & 0x20) != 0
    if bad.all():
        return out
    keep = ~bad
    v = v[np.repeat(keep, lens)]
    lens = lens[keep]
    where = [i for i, k in zip(where, keep) if k]
    n = len(where)
    # numbers never cross strings now: each string ends a number
    ends = np.flatnonzero((v & 0x20) == 0)  # last char of every number
    first = np.concatenate(([0], ends[:-1] + 1))
    number = np.repeat(np.arange(ends.size), ends - first + 1)
    shift = 5 * (np.arange(v.size) - first[number])
    vals = np.add.reduceat((v & 0x1f) << np.minimum(shift, 58), first)
    negative = (v[ends] & 0x10) != 0
    vals[negative] -= np.left_shift(1, np.minimum(shift[ends][negative] + 5,
                                                  62))
    char_starts = np.cumsum(lens) - lens
    too_long = np.maximum.reduceat(shift, char_starts) > 55
    string = np.repeat(np.arange(n), lens)[ends]  # of every number
    first_number = np.searchsorted(string, np.arange(n))
    pos = np.arange(ends.size) - first_number[string]
    # runs from the third on are stored relative to the run two before:
    # running sums over each string's odd runs and over its even runs from
    # the third on (the first run stands alone)
    group = 3 * string + np.where(pos == 0, 0, np.where(pos % 2, 1, 2))
    order = np.argsort(group, kind='stable')
    g, x = group[order], vals[order]
    total = np.cumsum(x)
    heads = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
    total -= np.repeat(total[heads] - x[heads],
                       np.diff(np.concatenate((heads, [x.size]))))
    runs = np.empty_like(total)
    runs[order] = total
    sums = np.add.reduceat(runs, first_number)
    negative_run = np.minimum.reduceat(runs, first_number) < 0
    for i, ok, total in zip(where, (~(too_long | negative_run)).tolist(),
                            sums.tolist()):
        if ok:
            out[i] = total
    return out


def rle_problem(seg: Any, h: int, w: int) -> Optional[str]:
    """What is wrong with one frame's compressed RLE, or None if it is fine.

    Args:
        seg: ``{'size': [H, W], 'counts': str | bytes}``.
        h (int): Frame height the RLE must have.
        w (int): Frame width.

    Returns:
        str | None: The cause, for a message that names the file.
    """
    counts, cause = _counts_or_problem(seg, h, w)
    if cause is not None:
        return cause
    return _total_problem(rle_total(counts), h, w)


def _counts_or_problem(seg: Any, h: int, w: int) -> Tuple[Optional[str],
                                                            Optional[str]]:
    """(counts string, None) for an RLE of the right size, else (None,
    cause)."""
    if not isinstance(seg, dict) or 'counts' not in seg or 'size' not in seg:
        return None, "not an RLE (needs 'size' and 'counts')"
    size, counts = seg['size'], seg['counts']
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in size):
        return None, f'RLE size {size!r} is not [height, width]'
    if list(size) != [h, w]:
        return None, f'mask size {list(size)} != video size {[h, w]}'
    if isinstance(counts, bytes):
        try:
            counts = counts.decode('ascii')
        except UnicodeDecodeError:
            return None, 'RLE counts are not ASCII'
    if not isinstance(counts, str):
        return None, (f'RLE counts must be a string (compressed RLE), got '
                      f'{type(counts).__name__}')
    return counts, None


def _total_problem(total: Optional[int], h: int, w: int) -> Optional[str]:
    if total is None:
        return (f'RLE counts do not decode to {h}x{w}: not a compressed '
                'RLE string')
    if total != h * w:
        return (f'RLE counts do not decode to {h}x{w}: the runs add up to '
                f'{total} pixels, not {h * w} (encoded at another size?)')
    return None


def rle_problems(segs: Sequence[Any], h: int, w: int
                 ) -> List[Tuple[int, str]]:
    """:func:`rle_problem` of every RLE of a list (None entries skipped),
    the runs of all of them summed in one pass (:func:`rle_totals`).

    Returns:
        list[tuple]: (index, cause) of each RLE with a problem, by index.
    """
    found, strings, at = [], [], []
    for i, seg in enumerate(segs):
        if seg is None:
            continue
        counts, cause = _counts_or_problem(seg, h, w)
        if cause is not None:
            found.append((i, cause))
            continue
        strings.append(counts)
        at.append(i)
    for i, total in zip(at, rle_totals(strings)):
        cause = _total_problem(total, h, w)
        if cause is not None:
            found.append((i, cause))
    return sorted(found)


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not bool) that is neither NaN nor inf."""
    return isinstance(value, (int, float)) and not isinstance(
        value, bool) and math.isfinite(value)
