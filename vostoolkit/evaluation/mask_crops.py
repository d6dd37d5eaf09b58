"""Decoded masks kept as images, read back only around their foreground.

An evaluator that compares one object at a time needs the pixels of the
two masks near the object only: J and F of a pair are the same on the
pair's bounding box grown by one pixel (see :func:`vos_measures.pair_jf`).
:class:`MaskImage` decodes a PNG once, finds its foreground box in C
(``PIL.Image.getbbox``) and hands out numpy arrays of a region, with the
values that occur there, so the per-object work scales with the object,
not with the frame.
"""
import io
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from vostoolkit.utils import DataError
from .mask_io import (INDEX_MODES, checked_png_bytes, decode_plain_png,
                      decode_to_array, png_problem, read_bytes)

Box = Tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 excluded)
_UNSET = object()
_PIL_MODES = ('P', 'L', '1')
_INDEX_MODES = ('P', 'L')  # decoded straight to uint8 arrays


class MaskImage:
    """One decoded single-channel mask PNG (palette indices or values).

    Args:
        data (str | bytes): A file path or the PNG bytes.
        where (str): Name used in error messages.
        checked (bool): ``data`` are bytes already checked by
            :func:`.mask_io.png_problem` (not checked again).

    Attributes:
        shape (tuple): (H, W).
        bbox (tuple | None): ``(x0, y0, x1, y1)`` of the non-zero pixels
            (ends excluded), None for an empty mask.

    Raises:
        DataError: missing file, not an image, or more than one channel.
    """
    __slots__ = ('where', 'img', 'arr', 'shape', '_bbox', 'mode')

    def __init__(self, data: Union[str, bytes], where: str,
                 checked: bool = False) -> None:
        self.where = where
        data = read_bytes(data, where)
        # most masks decode with zlib alone; any other PNG, and one that is
        # damaged, goes through PIL (which reports what is wrong with it)
        plain = decode_plain_png(data, copy=False) \
            if checked or png_problem(data) is None else None
        if plain is not None:  # a read-only view: crops are never written
            self.arr, self.mode = plain
            self.img, self.shape = None, self.arr.shape
            self._bbox = _UNSET  # found when asked (or by pair_box)
            return
        try:
            img = Image.open(io.BytesIO(data))
            self.mode = img.mode
            if img.mode in _INDEX_MODES:
                self.arr = decode_to_array(img)
                self.img = None
                self._bbox = img.getbbox()
            else:
                img.load()
                if img.mode in _PIL_MODES:
                    self.img, self.arr = img, None
                    self._bbox = img.getbbox()
                else:
                    self.img, self.arr = None, np.array(img)
        except (OSError, ValueError, SyntaxError) as err:
            raise DataError(where, f'cannot decode PNG ({err})') from None
        if self.img is not None:
            self.shape = (self.img.height, self.img.width)
        else:
            if self.arr.ndim != 2:
                raise DataError(where, f'PNG mode {self.mode}: expected a '
                                'single-channel mask (palette or grayscale)')
            self.shape = self.arr.shape
            if self.mode not in _INDEX_MODES:
                self._bbox = _array_bbox(self.arr)

    @classmethod
    def index_png(cls, data: Union[str, bytes], where: str) -> 'MaskImage':
        """Decode an index PNG (mode ``P`` or ``L``) with the checks of
        :func:`.mask_io.decode_index_png`: a complete PNG (every chunk's
        CRC, :func:`.mask_io.png_problem`) and a single-channel index mode.

        Raises:
            DataError: naming ``where``: missing, unreadable, not a
                complete PNG, or not an index PNG.
        """
        self = cls(checked_png_bytes(data, where), where, checked=True)
        if self.mode not in INDEX_MODES:
            raise DataError(where, f'PNG mode {self.mode}, expected an index '
                            'PNG (mode P with a palette, or L)')
        return self

    @classmethod
    def from_array(cls, arr: np.ndarray, where: str) -> 'MaskImage':
        """Wrap an (H, W) array (a prediction already in memory)."""
        self = cls.__new__(cls)
        self.where, self.img, self.mode = where, None, 'array'
        self.arr = np.asarray(arr)
        self.shape = self.arr.shape
        self._bbox = _array_bbox(self.arr)
        return self

    @property
    def bbox(self) -> Optional[Box]:
        """``(x0, y0, x1, y1)`` of the non-zero pixels (ends excluded),
        None for an empty mask."""
        if self._bbox is _UNSET:
            self._bbox = _array_bbox(self.arr)
        return self._bbox

    @property
    def empty(self) -> bool:
        """No non-zero pixel."""
        if self._bbox is _UNSET:
            return not cv2.hasNonZero(self.arr)
        return self._bbox is None

    def region(self, box: Box) -> Tuple[np.ndarray, List[int]]:
        """Pixel values inside ``box`` and the distinct values there.

        Returns:
            tuple: (h, w) array (uint8 for palette / grayscale PNGs, bool
            for 1-bit ones) and the sorted distinct values (ints).
        """
        x0, y0, x1, y1 = box
        if self.img is None:
            arr = self.arr[y0:y1, x0:x1]
            if arr.dtype == np.uint8 and arr.size:
                hist = cv2.calcHist([arr], [0], None, [256], [0, 256])
                return arr, np.flatnonzero(hist.ravel()).tolist()
            return arr, np.unique(arr).tolist()
        crop = self.img.crop(box)
        hist = crop.histogram()
        arr = np.asarray(crop)
        if self.mode == '1':
            return arr, [v for v, c in zip((0, 1), (hist[0], hist[255]))
                         if c]
        return arr, [v for v, c in enumerate(hist) if c]

    def crop(self, box: Box) -> np.ndarray:
        """Pixel values inside ``box``: an (h, w) array (uint8 for palette /
        grayscale PNGs, bool for 1-bit ones), without the distinct values
        :meth:`region` also finds."""
        x0, y0, x1, y1 = box
        if self.img is None:
            return self.arr[y0:y1, x0:x1]
        return np.asarray(self.img.crop(box))

    def full(self) -> np.ndarray:
        """The whole (H, W) array."""
        return self.arr if self.img is None else np.asarray(self.img)

    def distinct_values(self, box: Optional[Box] = None) -> List[int]:
        """Distinct values of the whole mask; ``box`` must contain the
        mask's non-zero pixels (defaults to its own box)."""
        box = box or self.bbox
        if box is None:
            return [0]
        _, values = self.region(box)
        if 0 not in values and not covers(box, self.shape):
            values = [0] + values
        return values


def _array_bbox(arr: np.ndarray) -> Optional[Box]:
    if arr.dtype == np.uint8 and arr.ndim == 2 and arr.strides[1] == 1:
        x, y, w, h = cv2.boundingRect(arr)  # of the non-zero pixels
        return (x, y, x + w, y + h) if w else None
    rows = np.flatnonzero(arr.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(arr.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def pair_box(a: MaskImage, b: MaskImage, margin: int = 1) -> Optional[Box]:
    """:func:`union_box` of two same-size masks' boxes: for two decoded
    arrays whose boxes nobody asked for, the box of their union, one scan
    instead of two (the masks' own boxes stay unknown)."""
    if a._bbox is _UNSET and b._bbox is _UNSET and a.shape == b.shape:
        x, y, w, h = cv2.boundingRect(cv2.bitwise_or(a.arr, b.arr))
        if not w:
            return None
        rows, cols = a.shape
        return (max(x - margin, 0), max(y - margin, 0),
                min(x + w + margin, cols), min(y + h + margin, rows))
    return union_box([a.bbox, b.bbox], a.shape, margin)


def covers(box: Box, shape: Sequence[int]) -> bool:
    """Whether ``box`` is the whole (H, W) frame."""
    return tuple(box) == (0, 0, int(shape[1]), int(shape[0]))


def union_box(boxes: Sequence[Optional[Box]], shape: Sequence[int],
              margin: int = 1) -> Optional[Box]:
    """Smallest box holding every given box, grown by ``margin`` pixels and
    clipped to the (H, W) frame; None when every box is None."""
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    h, w = int(shape[0]), int(shape[1])
    return (max(min(b[0] for b in boxes) - margin, 0),
            max(min(b[1] for b in boxes) - margin, 0),
            min(max(b[2] for b in boxes) + margin, w),
            min(max(b[3] for b in boxes) + margin, h))
