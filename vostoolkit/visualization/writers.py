"""Streaming writers for overlay videos: mp4, GIF and PNG folders.

Each writer takes ``(H, W, 3)`` uint8 RGB frames one at a time and keeps
none of them: memory does not grow with the video's length. A video file is
written under a temporary name in its folder and renamed when
:meth:`~BaseFrameWriter.close` completes; a writer left by an exception
(``with`` block) removes its temporary file.

* :class:`MP4Writer`: OpenCV's ``VideoWriter`` with the ``mp4v`` codec
  (odd frame sizes are padded by one edge pixel: the codec needs even ones).
* :class:`GIFWriter`: an animated GIF89a written frame by frame. Pillow
  quantises (256 colours, fast octree) and LZW-compresses each frame; the
  frame's image block is copied into the file with its own colour table
  and delay. (Pillow's own ``save_all`` collects every frame before
  writing, so it is not used.)
* :class:`FrameFolderWriter`: one PNG per frame.

:func:`open_video_writer` picks the writer from the path.
"""
import io
import os
import os.path as osp
import struct
from typing import Optional, Tuple

import cv2
import numpy as np
from PIL import Image


def resize_long_edge(frame: np.ndarray, size: Optional[int]) -> np.ndarray:
    """Scale ``frame`` (H, W, C) down so its long edge is at most ``size``
    pixels (area interpolation); smaller frames and ``size=None`` are
    returned as they are."""
    h, w = frame.shape[:2]
    if not size or max(h, w) <= size:
        return frame
    scale = size / max(h, w)
    wh = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(frame, wh, interpolation=cv2.INTER_AREA)


def _temp_path(path: str) -> str:
    """A hidden name next to ``path`` that keeps its extension (OpenCV picks
    the container from it)."""
    folder, name = osp.split(osp.abspath(path))
    stem, ext = osp.splitext(name)
    return osp.join(folder, f'.{stem}.{os.getpid()}.part{ext}')


class BaseFrameWriter:
    """Frame-by-frame writer; subclasses implement ``_open``, ``_write``,
    ``_finish`` and ``_discard``.

    Args:
        path (str): Output file (or folder, for PNG frames).
        fps (float): Frames per second of the video.
    """

    def __init__(self, path: str, fps: float = 10.0) -> None:
        if not fps or fps <= 0:
            raise ValueError(f'{path}: fps must be positive, got {fps}')
        self.path = path
        self.fps = float(fps)
        self.size: Optional[Tuple[int, int]] = None  # (H, W) of frames
        self.frames_written = 0
        self.closed = False

    def write(self, frame: np.ndarray, name: Optional[str] = None) -> None:
        """Append one frame.

        Args:
            frame (np.ndarray): (H, W, 3) uint8 RGB, the size of the first.
            name (str, optional): The frame's name (PNG folders use it as
                the file stem; video writers ignore it).
        """
        if self.closed:
            raise ValueError(f'{self.path}: writer already closed')
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f'{self.path}: frames must be (H, W, 3) uint8, '
                             f'got {frame.shape} {frame.dtype}')
        if self.size is None:
            self.size = frame.shape[:2]
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            self._open(*self.size)
        elif frame.shape[:2] != self.size:
            raise ValueError(f'{self.path}: frame {self.frames_written} is '
                             f'{frame.shape[:2]}, the first was {self.size}')
        self._write(np.ascontiguousarray(frame), name)
        self.frames_written += 1

    def close(self) -> str:
        """Finish the file and move it to ``path``; return ``path``.

        Raises:
            ValueError: When no frame was written.
        """
        if self.closed:
            return self.path
        self.closed = True
        if not self.frames_written:
            raise ValueError(f'{self.path}: no frames to write')
        try:
            self._finish()
        except BaseException:
            self._discard()
            raise
        return self.path

    def abort(self) -> None:
        """Drop what was written (the temporary file)."""
        if not self.closed:
            self.closed = True
            if self.size is not None:
                self._discard()

    def __enter__(self) -> 'BaseFrameWriter':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # subclass hooks
    def _open(self, h: int, w: int) -> None:
        raise NotImplementedError

    def _write(self, frame: np.ndarray, name: Optional[str]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _discard(self) -> None:
        raise NotImplementedError


class MP4Writer(BaseFrameWriter):
    """An mp4 video (``mp4v``) written with OpenCV, frame by frame.

    Raises:
        OSError: On the first frame, when OpenCV cannot write mp4 here.
    """

    def _open(self, h: int, w: int) -> None:
        self._tmp = _temp_path(self.path)
        self._pad = (h % 2, w % 2)  # mp4v needs even sizes
        self._cap = cv2.VideoWriter(
            self._tmp, cv2.VideoWriter_fourcc(*'mp4v'), self.fps,
            (w + self._pad[1], h + self._pad[0]))
        if not self._cap.isOpened():
            self._discard()
            raise OSError(f'{self.path}: OpenCV cannot write an mp4 video '
                          '(no mp4v encoder in this OpenCV build?)')

    def _write(self, frame: np.ndarray, name: Optional[str]) -> None:
        if any(self._pad):
            frame = cv2.copyMakeBorder(frame, 0, self._pad[0], 0,
                                       self._pad[1], cv2.BORDER_REPLICATE)
        self._cap.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def _finish(self) -> None:
        self._cap.release()
        os.replace(self._tmp, self.path)

    def _discard(self) -> None:
        cap = getattr(self, '_cap', None)
        if cap is not None:
            cap.release()
        if osp.exists(self._tmp):
            os.remove(self._tmp)


def _sub_blocks_end(data: bytes, pos: int) -> int:
    """Position just past the GIF data sub-blocks starting at ``pos``."""
    while data[pos]:
        pos += data[pos] + 1
    return pos + 1


def _gif_image_block(data: bytes) -> bytes:
    """The image block of a one-frame GIF, with the file's global colour
    table moved into it as a local table.

    Returns:
        bytes: image descriptor, colour table, LZW code size and data
        sub-blocks.
    """
    flags = data[10]
    pos = 13
    table = b''
    if flags & 0x80:
        size = 3 * (2 << (flags & 7))
        table, pos = data[pos:pos + size], pos + size
    while data[pos] == 0x21:  # extensions (comments, ...): skipped
        pos = _sub_blocks_end(data, pos + 2)
    if data[pos] != 0x2C:
        raise ValueError('unexpected GIF block from the encoder')
    desc = bytearray(data[pos:pos + 10])
    pos += 10
    if desc[9] & 0x80:  # the frame already has a local table
        size = 3 * (2 << (desc[9] & 7))
        table, pos = data[pos:pos + size], pos + size
    elif table:
        desc[9] = (desc[9] & 0x40) | 0x80 | (flags & 7)
    end = _sub_blocks_end(data, pos + 1)  # +1: LZW minimum code size
    return bytes(desc) + table + data[pos:end]


class GIFWriter(BaseFrameWriter):
    """An animated GIF written frame by frame (memory flat in its length).

    Args:
        path (str): Output ``.gif``.
        fps (float): Frames per second (GIF delays are in 1/100 s, 2 at
            least: browsers slow faster GIFs down).
        max_size (int, optional): Scale frames down to this long edge.
        loop (int): Times to play; 0 = forever.
    """

    def __init__(self, path: str, fps: float = 10.0,
                 max_size: Optional[int] = None, loop: int = 0) -> None:
        super().__init__(path, fps)
        self.max_size = max_size
        self.loop = loop
        self._delay = max(2, int(round(100 / self.fps)))

    def write(self, frame: np.ndarray, name: Optional[str] = None) -> None:
        super().write(resize_long_edge(np.asarray(frame), self.max_size),
                      name)

    def _open(self, h: int, w: int) -> None:
        self._tmp = _temp_path(self.path)
        self._file = open(self._tmp, 'wb')
        # header, logical screen (no global colour table), looping
        self._file.write(b'GIF89a' + struct.pack('<HHBBB', w, h, 0x70, 0, 0))
        self._file.write(b'\x21\xff\x0bNETSCAPE2.0\x03\x01' +
                         struct.pack('<H', self.loop) + b'\x00')

    def _write(self, frame: np.ndarray, name: Optional[str]) -> None:
        img = Image.fromarray(frame, 'RGB').quantize(
            256, method=Image.Quantize.FASTOCTREE)
        buf = io.BytesIO()
        img.save(buf, format='GIF')
        # graphic control: no disposal, this frame's delay
        self._file.write(b'\x21\xf9\x04\x04' +
                         struct.pack('<H', self._delay) + b'\x00\x00')
        self._file.write(_gif_image_block(buf.getvalue()))
        self._file.flush()

    def _finish(self) -> None:
        self._file.write(b'\x3b')
        self._file.close()
        os.replace(self._tmp, self.path)

    def _discard(self) -> None:
        f = getattr(self, '_file', None)
        if f is not None:
            f.close()
        if osp.exists(self._tmp):
            os.remove(self._tmp)


class FrameFolderWriter(BaseFrameWriter):
    """One PNG per frame, ``path/<name>.png`` (``name`` defaults to the
    frame's index, ``%05d``), each written under a temporary name and
    renamed. ``fps`` is unused. :meth:`abort` keeps the frames already
    complete."""

    def _open(self, h: int, w: int) -> None:
        os.makedirs(self.path, exist_ok=True)

    def _write(self, frame: np.ndarray, name: Optional[str]) -> None:
        name = name if name is not None else f'{self.frames_written:05d}'
        out = osp.join(self.path, f'{name}.png')
        Image.fromarray(frame, 'RGB').save(out + '.part', format='PNG')
        os.replace(out + '.part', out)

    def _finish(self) -> None:
        pass

    def _discard(self) -> None:
        pass


def open_video_writer(path: str, fps: float = 10.0,
                      gif_size: Optional[int] = None) -> BaseFrameWriter:
    """A writer for ``path``: :class:`MP4Writer` for ``.mp4``,
    :class:`GIFWriter` for ``.gif`` (frames scaled to ``gif_size`` on the
    long edge), else a :class:`FrameFolderWriter` folder."""
    ext = osp.splitext(path)[1].lower()
    if ext == '.mp4':
        return MP4Writer(path, fps)
    if ext == '.gif':
        return GIFWriter(path, fps, max_size=gif_size)
    return FrameFolderWriter(path, fps)
