"""Streaming overlay writers: mp4, GIF, PNG folder (tiny frames)."""
import tracemalloc

import cv2
import numpy as np
import pytest
from PIL import Image

from vostoolkit.visualization import (FrameFolderWriter, GIFWriter,
                                      MP4Writer, open_video_writer,
                                      resize_long_edge)

COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)]


def _frame(k: int, h: int = 33, w: int = 47) -> np.ndarray:
    frame = np.full((h, w, 3), 60, np.uint8)
    frame[8:24, 10:30] = COLOURS[k % len(COLOURS)]
    return frame


def _read_mp4(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img[..., ::-1])  # BGR -> RGB
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return frames, fps


def _leftovers(folder, keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_mp4_frames_colours_and_odd_size(tmp_path):
    path = tmp_path / 'v.mp4'
    with MP4Writer(str(path), fps=5) as writer:
        for k in range(4):
            writer.write(_frame(k))
    frames, fps = _read_mp4(path)
    assert len(frames) == 4 and fps == 5
    # odd sizes padded by one edge pixel (the codec needs even sizes)
    assert frames[0].shape == (34, 48, 3)
    for k, frame in enumerate(frames):  # RGB in, RGB out (no channel swap)
        got = frame[16, 20].astype(int)
        assert np.abs(got - COLOURS[k]).max() <= 24, (k, got)
    assert _leftovers(tmp_path, {'v.mp4'}) == []


def test_video_writers_leave_nothing_on_error(tmp_path):
    for name in ('v.mp4', 'v.gif'):
        with pytest.raises(RuntimeError, match='boom'):
            with open_video_writer(str(tmp_path / name)) as writer:
                writer.write(_frame(0))
                raise RuntimeError('boom')
    assert list(tmp_path.iterdir()) == []


def test_frame_size_must_not_change_and_empty_video(tmp_path):
    writer = GIFWriter(str(tmp_path / 'a.gif'))
    writer.write(_frame(0))
    with pytest.raises(ValueError, match=r'a\.gif: frame 1 is \(16, 16\)'):
        writer.write(_frame(0, 16, 16))
    with pytest.raises(ValueError, match='uint8'):
        writer.write(_frame(0).astype(np.float32))
    writer.abort()
    with pytest.raises(ValueError, match='no frames'):
        MP4Writer(str(tmp_path / 'b.mp4')).close()
    assert list(tmp_path.iterdir()) == []


def test_gif_frames_delay_loop_and_colours(tmp_path):
    path = tmp_path / 'v.gif'
    with GIFWriter(str(path), fps=4) as writer:
        for k in range(5):
            writer.write(_frame(k))
    with Image.open(path) as gif:
        assert gif.n_frames == 5 and gif.size == (47, 33)
        assert gif.info['loop'] == 0
        for k in range(5):
            gif.seek(k)
            assert gif.info['duration'] == 250
            rgb = np.asarray(gif.convert('RGB')).astype(int)
            assert np.abs(rgb - _frame(k)).max() <= 8, k
    assert _leftovers(tmp_path, {'v.gif'}) == []


def test_gif_scales_to_max_size(tmp_path):
    path = tmp_path / 's.gif'
    with GIFWriter(str(path), max_size=24) as writer:
        writer.write(_frame(0, 32, 48))
    with Image.open(path) as gif:
        assert gif.size == (24, 16)
    assert resize_long_edge(_frame(0), None).shape == (33, 47, 3)
    assert resize_long_edge(_frame(0), 100).shape == (33, 47, 3)


def _gif_peak(path, frames: int) -> int:
    tracemalloc.start()
    with GIFWriter(str(path)) as writer:
        for k in range(frames):
            writer.write(_frame(k, 96, 128))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_gif_memory_does_not_grow_with_length(tmp_path):
    """Writing 120 frames peaks no higher than writing 12 (a writer that
    kept its frames would hold 10x more), and each frame is on disk once
    written."""
    _gif_peak(tmp_path / 'warm.gif', 2)  # first-use allocations
    short = _gif_peak(tmp_path / 'short.gif', 12)
    long = _gif_peak(tmp_path / 'long.gif', 120)
    assert long < 1.5 * short + 65536, (short, long)
    with Image.open(tmp_path / 'long.gif') as gif:
        assert gif.n_frames == 120
    folder = tmp_path / 'grow'
    folder.mkdir()
    sizes = []
    with GIFWriter(str(folder / 'g.gif')) as writer:
        for k in range(4):
            writer.write(_frame(k, 96, 128))
            sizes.append(sum(p.stat().st_size for p in folder.iterdir()))
    assert sizes == sorted(set(sizes)) and sizes[0] > 100, sizes


def test_frame_folder_names_and_dispatch(tmp_path):
    folder = tmp_path / 'frames'
    writer = open_video_writer(str(folder))
    assert isinstance(writer, FrameFolderWriter)
    with writer:
        writer.write(_frame(0), 'a')
        writer.write(_frame(1))
    assert sorted(p.name for p in folder.iterdir()) == ['00001.png', 'a.png']
    np.testing.assert_array_equal(np.asarray(Image.open(folder / 'a.png')),
                                  _frame(0))
    assert isinstance(open_video_writer(str(tmp_path / 'x.MP4')), MP4Writer)
    assert isinstance(open_video_writer(str(tmp_path / 'x.gif')), GIFWriter)
