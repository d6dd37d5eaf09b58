"""Reading and writing index PNGs, and prediction folders or zips.

Masks are decoded straight to ``(H, W)`` uint8 id maps: PIL gives the palette
indices of a ``P`` image (or the values of an ``L`` image) without any colour
conversion, which is all the evaluators need, and writes them into a numpy
buffer recycled from frame to frame (:func:`decode_to_array`).
"""
import io
import os
import os.path as osp
import sys
import threading
import zipfile
import zlib
from typing import Dict, Iterator, List, Optional, Tuple, Union

import numpy as np
from PIL import Image

from vostoolkit.utils import DataError, davis_palette

PathLike = Union[str, os.PathLike]
INDEX_MODES = ('P', 'L')


_PALETTE_BYTES = davis_palette().tobytes()


PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
# what zipfile raises on a damaged archive (bad CRC or header, unknown
# compression method, truncated data)
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError,
              NotImplementedError, ValueError, KeyError)


def open_zip(path: PathLike) -> zipfile.ZipFile:
    """Open a zip for reading; DataError naming it when it is damaged."""
    try:
        return zipfile.ZipFile(os.fspath(path))
    except ZIP_ERRORS as err:
        raise DataError(os.fspath(path), f'not a readable zip ({err})') \
            from None


def read_zip_member(zf: zipfile.ZipFile, name: str,
                    where: Optional[str] = None) -> bytes:
    """The bytes of ``name`` in ``zf``, checked against the stored CRC.

    Raises:
        DataError: naming ``where`` (default ``<zip>:<name>``) when the
            member is missing or damaged.
    """
    where = where or f'{zf.filename}:{name}'
    try:
        return zf.read(name)
    except KeyError:
        raise DataError(where, 'missing from the zip') from None
    except ZIP_ERRORS as err:
        raise DataError(where, f'damaged zip member ({err})') from None


def png_problem(data: bytes) -> Optional[str]:
    """Why ``data`` is not a complete PNG file, or None.

    Checks the signature, then walks the chunks (length, type, data, CRC)
    up to ``IEND``, checking every chunk's CRC: a JPEG renamed ``.png``, a
    truncated file or a flipped byte is caught before decoding (PIL would
    decode some of these to plausible ids).

    Args:
        data (bytes): The file's bytes.
    """
    if not data.startswith(PNG_MAGIC):
        kind = 'a JPEG' if data.startswith(b'\xff\xd8\xff') else \
            'empty' if not data else 'not a PNG'
        return f'{kind} file (no PNG signature)'
    end = len(data)
    view = memoryview(data)
    for kind, pos, length in _chunks(view):
        chunk_end = pos + 12 + length
        if length > 0x7fffffff or chunk_end > end:
            return 'truncated or corrupt PNG (a chunk runs past the end)'
        crc = int.from_bytes(view[chunk_end - 4:chunk_end], 'big')
        if zlib.crc32(view[pos + 4:chunk_end - 4]) != crc:
            return (f'corrupt PNG (CRC mismatch in chunk '
                    f'{kind.decode("latin-1")!r})')
        if kind == b'IEND':
            return None
    return 'truncated PNG (no IEND chunk)'


def _chunks(data) -> Iterator[Tuple[bytes, int, int]]:
    """(type, offset, data length) of each chunk of a PNG after its
    signature, up to ``IEND`` or a chunk header cut short; lengths are not
    checked against the file's size."""
    pos, end = len(PNG_MAGIC), len(data)
    while pos + 12 <= end:
        length = int.from_bytes(data[pos:pos + 4], 'big')
        kind = bytes(data[pos + 4:pos + 8])
        yield kind, pos, length
        if kind == b'IEND':
            return
        pos += 12 + length


# decoded masks are written into recycled buffers: allocating a fresh
# frame-sized array per PNG lets the C allocator hand the memory back to the
# system and fault it in again on the next frame, which costs about half a
# decode at 720p
_POOL: Dict[Tuple[int, int], List[np.ndarray]] = {}
_POOL_PER_SHAPE = 8
_POOL_SHAPES = 4
_POOL_LOCK = threading.Lock()


def _free_buffer(shape: Tuple[int, int]) -> np.ndarray:
    """An (H, W) uint8 buffer nothing else refers to (no MaskImage, view or
    crop of it is alive), from a small per-process pool or new."""
    with _POOL_LOCK:
        bufs = _POOL.get(shape)
        if bufs is None:
            if len(_POOL) >= _POOL_SHAPES:
                _POOL.clear()
            bufs = _POOL[shape] = []
        for buf in bufs:
            # references: the pool's list, `buf` and getrefcount's argument
            if sys.getrefcount(buf) == 3:
                return buf
        buf = np.empty(shape, np.uint8)
        if len(bufs) < _POOL_PER_SHAPE:
            bufs.append(buf)
        return buf


# glibc's mallopt parameters
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
# inflate into an exactly sized buffer (set with keep_freed_memory)
_SIZED_INFLATE = [False]


def keep_freed_memory() -> bool:
    """Let glibc keep freed memory for reuse in this process (the
    evaluators' worker initializer); returns whether it could.

    An evaluator allocates and frees frame-sized buffers (inflated PNG rows,
    masks, boundary maps) for every frame. By default glibc serves such
    sizes by ``mmap`` and returns them to the kernel when freed, so the
    next frame faults every page in again. With the thresholds raised (64
    MiB per allocation, 256 MiB kept free) the memory stays mapped: the
    same numbers with fewer page faults, the memory still bounded. Then
    PNG rows are also inflated into one buffer of the exact size (which
    without it costs more than letting zlib grow its buffer).
    """
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    if not (mallopt(_M_MMAP_THRESHOLD, 64 << 20)
            and mallopt(_M_TRIM_THRESHOLD, 256 << 20)):
        return False
    _SIZED_INFLATE[0] = True
    return True


def decode_to_array(img: Image.Image) -> np.ndarray:
    """Decode an opened (not yet loaded) 8-bit single-channel PNG straight
    into an (H, W) uint8 array (a recycled buffer, :func:`_free_buffer`).

    Pillow decodes into the image memory it finds attached to the image;
    attaching one mapped on a numpy array (``Image.core.map_buffer``, what
    ``Image.frombuffer`` uses) spares the copies of ``np.asarray(img)``
    (``tobytes`` and a join, about as slow as the decoding at 720p). Should
    a Pillow version decode elsewhere, the pixels are converted the usual
    way: the values are the same either way.
    """
    arr = _free_buffer((img.height, img.width))
    try:
        core = Image.core.map_buffer(arr, img.size, 'raw', 0,
                                     (img.mode, 0, 1))
        img.im = core
    except (AttributeError, TypeError, ValueError):
        core = None
    img.load()  # decodes and closes a file it opened itself
    if core is None or img.im is not core:
        return np.asarray(img)
    return arr


def decode_plain_png(data: bytes, copy: bool = True
                     ) -> Optional[Tuple[np.ndarray, str]]:
    """Decode a checked PNG with zlib alone when that is all it takes: 8-bit
    palette (``P``) or grayscale (``L``), not interlaced, every row
    unfiltered (PIL writes palette PNGs so; most masks are). Skips PIL's
    per-file set-up, about a third of its decoding time for a 480p mask.

    Args:
        data (bytes): A complete PNG (:func:`png_problem` is None).
        copy (bool): Copy the pixels into a recycled buffer (as
            :func:`decode_to_array`); False returns a read-only view of the
            decompressed rows (rows strided by W + 1 bytes), one copy less.

    Returns:
        tuple | None: (H, W) uint8 pixels and the mode, or None for any
        other PNG (decode it with PIL, which also reports what is wrong
        with it).
    """
    ihdr, palette, idat = None, False, []
    for kind, pos, length in _chunks(data):
        if kind == b'IHDR':
            ihdr = data[pos + 8:pos + 8 + length]
        elif kind == b'PLTE':
            palette = True
        elif kind == b'IDAT':
            idat.append(data[pos + 8:pos + 8 + length])
    if ihdr is None or len(ihdr) != 13 or not idat:
        return None
    w, h = int.from_bytes(ihdr[:4], 'big'), int.from_bytes(ihdr[4:8], 'big')
    depth, color, compression, filtering, interlace = ihdr[8:13]
    if depth != 8 or color not in (0, 3) or (color == 3 and not palette) \
            or compression or filtering or interlace or not w or not h:
        return None
    try:
        raw = zlib.decompress(b''.join(idat), bufsize=h * (w + 1)
                              if _SIZED_INFLATE[0] else zlib.DEF_BUF_SIZE)
    except zlib.error:
        return None
    if len(raw) != h * (w + 1):
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(h, w + 1)
    if rows[:, 0].any():  # a filtered row: PIL undoes the filters
        return None
    if not copy:
        return rows[:, 1:], 'P' if color == 3 else 'L'
    arr = _free_buffer((h, w))
    np.copyto(arr, rows[:, 1:])
    return arr, 'P' if color == 3 else 'L'


def read_bytes(data: Union[bytes, PathLike], name: Optional[str]) -> bytes:
    """``data`` itself, or the bytes of the file it names.

    Raises:
        DataError: naming ``name``: the file is missing or unreadable.
    """
    if isinstance(data, bytes):
        return data
    try:
        with open(data, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        raise DataError(name, 'file not found') from None
    except OSError as err:
        raise DataError(name, f'cannot read file ({err})') from None


def checked_png_bytes(data: Union[bytes, PathLike],
                      name: Optional[str]) -> bytes:
    """The bytes of a complete PNG: ``data`` itself, or the file it names.

    Raises:
        DataError: naming ``name``: the file is missing or unreadable, or
            the bytes are not a complete PNG (:func:`png_problem`).
    """
    data = read_bytes(data, name)
    cause = png_problem(data)
    if cause is not None:
        raise DataError(name, cause)
    return data


def decode_index_png(data: Union[bytes, PathLike],
                     name: Optional[str] = None) -> np.ndarray:
    """Decode an index PNG (mode ``P`` or ``L``) to an ``(H, W)`` uint8 map.

    Args:
        data (bytes | str): PNG bytes or a file path.
        name (str, optional): Name used in error messages (defaults to the
            path).

    Returns:
        np.ndarray: (H, W) uint8 ids, decoded straight into the array
        (:func:`decode_to_array`; its memory is reused for a later PNG only
        once nothing refers to it any more).

    Raises:
        DataError: the file is missing, not a complete PNG
            (:func:`png_problem`), or not single-channel.
    """
    name = name or (os.fspath(data) if not isinstance(data, bytes) else None)
    data = checked_png_bytes(data, name)
    plain = decode_plain_png(data)
    if plain is not None:
        return plain[0]
    try:
        src = io.BytesIO(data)
        with Image.open(src) as img:
            mode = img.mode
            if mode not in INDEX_MODES:
                raise DataError(
                    name, f'PNG mode {mode}, expected an index PNG (mode P '
                    'with a palette, or L)')
            arr = decode_to_array(img)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(name, 'file not found') from None
    except (OSError, ValueError, SyntaxError) as err:
        raise DataError(name, f'cannot decode PNG ({err})') from None
    if arr.dtype != np.uint8:
        arr = arr.astype(np.uint8)
    return arr


def encode_index_png(ids: np.ndarray,
                     palette: Optional[np.ndarray] = None) -> bytes:
    """Encode an ``(H, W)`` id map as a palette PNG (DAVIS palette default).

    Args:
        ids (np.ndarray): (H, W) integer ids in [0, 255].
        palette (np.ndarray, optional): (256, 3) uint8 palette.

    Returns:
        bytes: The PNG file.
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f'expected an (H, W) id map, got shape {ids.shape}')
    if ids.dtype != np.uint8:
        if ids.size and (ids.min() < 0 or ids.max() > 255):
            raise ValueError('object ids must lie in [0, 255]')
        ids = ids.astype(np.uint8)
    ids = np.ascontiguousarray(ids)
    img = Image.frombytes('P', (ids.shape[1], ids.shape[0]), ids.tobytes())
    img.putpalette(_PALETTE_BYTES if palette is None else
                   np.asarray(palette, np.uint8).tobytes())
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    return buf.getvalue()


def png_header(data: bytes, name: str) -> Tuple[str, Tuple[int, int],
                                                Optional[bytes]]:
    """Read mode, ``(H, W)`` and palette bytes of a PNG without decoding it.

    Raises:
        DataError: the bytes are not a complete PNG (:func:`png_problem`).
    """
    cause = png_problem(data)
    if cause is not None:
        raise DataError(name, cause)
    try:
        with Image.open(io.BytesIO(data)) as img:
            pal = img.palette.tobytes() if img.mode == 'P' and \
                img.palette is not None else None
            if pal is not None and img.palette.mode != 'RGB':
                pal = None
            return img.mode, (img.height, img.width), pal
    except (OSError, ValueError, SyntaxError) as err:
        raise DataError(name, f'cannot read PNG ({err})') from None


class MaskSource:
    """Index PNGs ``<video>/<frame>.png`` from a folder or a zip file.

    A zip is opened lazily (and re-opened after a fork), so a source can be
    sent to worker processes.

    Args:
        root (str): A folder, or a ``.zip`` file.
        prefix (str): Sub-folder of ``root`` holding the video folders
            (e.g. ``'Annotations'`` for a YouTube-VOS submission); if it does
            not exist, ``root`` itself is used.
    """

    def __init__(self, root: PathLike, prefix: str = '') -> None:
        self.root = os.fspath(root)
        self.is_zip = osp.isfile(self.root) and zipfile.is_zipfile(self.root)
        if osp.isfile(self.root) and not self.is_zip:
            raise DataError(self.root, 'predictions: not a readable zip file '
                            '(nor a folder)')
        if not self.is_zip and not osp.isdir(self.root):
            raise DataError(self.root, 'prediction folder or zip not found')
        self._zip: Optional[zipfile.ZipFile] = None
        self._zip_pid: Optional[int] = None
        self._names: Optional[Dict[str, str]] = None
        self.prefix = ''
        if prefix and self._has_prefix(prefix):
            self.prefix = prefix.strip('/') + '/'

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_zip'] = None
        state['_zip_pid'] = None
        return state

    def _has_prefix(self, prefix: str) -> bool:
        if not self.is_zip:
            return osp.isdir(osp.join(self.root, prefix))
        return any(n.startswith(prefix.strip('/') + '/')
                   for n in self._zip_names())

    def _zip_file(self) -> zipfile.ZipFile:
        if self._zip is None or self._zip_pid != os.getpid():
            self._zip = open_zip(self.root)
            self._zip_pid = os.getpid()
        return self._zip

    def _zip_names(self) -> Dict[str, str]:
        if self._names is None:
            self._names = {n.rstrip('/'): n for n in
                           self._zip_file().namelist()}
        return self._names

    def describe(self, video: str, frame: str) -> str:
        """Human-readable location of one frame (used in error messages)."""
        rel = f'{self.prefix}{video}/{frame}.png'
        if self.is_zip:
            return f'{self.root}:{rel}'
        return osp.join(self.root, *rel.split('/'))

    def exists(self, video: str, frame: str) -> bool:
        """Whether the PNG of ``frame`` of ``video`` is present."""
        rel = f'{self.prefix}{video}/{frame}.png'
        if self.is_zip:
            return rel in self._zip_names()
        return osp.isfile(osp.join(self.root, rel))

    def read(self, video: str, frame: str) -> np.ndarray:
        """Decode one frame to an ``(H, W)`` uint8 id map.

        Raises:
            DataError: naming the file when it is missing or not an index PNG.
        """
        rel = f'{self.prefix}{video}/{frame}.png'
        where = self.describe(video, frame)
        if self.is_zip:
            if rel not in self._zip_names():
                raise DataError(where, 'prediction PNG missing')
            data = read_zip_member(self._zip_file(), rel, where)
            return decode_index_png(data, where)
        if not osp.isfile(where):
            raise DataError(where, 'prediction PNG missing')
        return decode_index_png(where)

    def raw(self, rel: str) -> Union[str, bytes]:
        """The file ``rel`` (a path below the prefix, '/'-separated): its
        path in a folder, its bytes in a zip.

        Raises:
            DataError: naming the file when it is missing.
        """
        rel = self.prefix + rel
        if self.is_zip:
            try:
                return self._zip_file().read(rel)
            except KeyError:
                raise DataError(f'{self.root}:{rel}', 'prediction PNG '
                                'missing') from None
        path = osp.join(self.root, *rel.split('/'))
        if not osp.isfile(path):
            raise DataError(path, 'prediction PNG missing')
        return path

    def videos(self) -> List[str]:
        """Names of the video folders present."""
        if self.is_zip:
            names = set()
            for n in self._zip_names():
                if n.startswith(self.prefix) and '/' in n[len(self.prefix):]:
                    names.add(n[len(self.prefix):].split('/')[0])
            return sorted(names)
        base = osp.join(self.root, self.prefix)
        return sorted(d for d in os.listdir(base)
                      if osp.isdir(osp.join(base, d)))


def read_lines(path: PathLike) -> List[str]:
    """Non-empty stripped lines of a text file (e.g. an ImageSets list)."""
    path = os.fspath(path)
    if not osp.isfile(path):
        raise DataError(path, 'file not found')
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


def list_pngs(folder: PathLike) -> List[str]:
    """Sorted frame stems of the PNGs in ``folder``."""
    folder = os.fspath(folder)
    if not osp.isdir(folder):
        raise DataError(folder, 'annotation folder not found')
    return sorted(f[:-4] for f in os.listdir(folder) if f.endswith('.png'))
