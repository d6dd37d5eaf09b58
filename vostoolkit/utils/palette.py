"""The DAVIS / PASCAL VOC colour palette of index PNGs."""
import numpy as np


def davis_palette() -> np.ndarray:
    """The DAVIS / PASCAL VOC palette as a ``(256, 3)`` uint8 array.

    Bit ``3k + c`` of an index sets bit ``7 - k`` of channel ``c`` (red,
    green, blue). Index 0 is black, 1 is (128, 0, 0), 255 (DAVIS void) is
    (224, 224, 192).
    """
    idx = np.arange(256)
    colours = np.zeros((256, 3), dtype=np.int64)
    for k in range(8):
        for channel in range(3):
            colours[:, channel] |= ((idx >> (3 * k + channel)) & 1) << (7 - k)
    return colours.astype(np.uint8)
