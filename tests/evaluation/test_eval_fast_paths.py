"""The fast paths of the J / F computation give the plain computation's
numbers: boundary matches counted without a disk dilation, uint8 boundary
maps, masks decoded into recycled buffers, and PNGs decoded with zlib
alone."""
import io
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from vostoolkit.evaluation import decode_index_png, encode_index_png
from vostoolkit.evaluation.boundary_match import matched_count
from vostoolkit.evaluation.mask_crops import MaskImage
from vostoolkit.evaluation.mask_io import decode_plain_png
from vostoolkit.evaluation.vos_measures import (boundary_u8, disk,
                                                pair_counts_fs, seg2bmap)
from vostoolkit.utils import DataError


def _reference(src, at, kernel):
    return int(np.count_nonzero(at & cv2.dilate(src, kernel)))


@pytest.mark.parametrize('radius', [0, 1, 2, 5.5, 7.3, 8, 12])
def test_matched_count_equals_dilation(radius):
    # sparse maps take the one-by-one check, dense ones the fallback
    # dilation; fractional radii give MOSE v2's off-centre disks
    rng = np.random.default_rng(int(radius * 10))
    kernel = disk(radius)
    for _ in range(150):
        h, w = rng.integers(1, 70, 2)
        src = (rng.random((h, w)) < rng.choice([.002, .02, .3])).astype(
            np.uint8)
        at = (rng.random((h, w)) < rng.choice([.002, .02, .3])).astype(
            np.uint8)
        assert matched_count(src, at, kernel) == _reference(src, at, kernel)


def test_matched_count_any_footprint():
    rng = np.random.default_rng(1)
    for _ in range(100):
        kernel = (rng.random(tuple(rng.integers(1, 8, 2))) < .6).astype(
            np.uint8)  # centre may be 0: plain dilation then
        src = (rng.random((30, 40)) < .05).astype(np.uint8)
        at = (rng.random((30, 40)) < .05).astype(np.uint8)
        assert matched_count(src, at, kernel) == _reference(src, at, kernel)


def test_boundary_u8_equals_seg2bmap_on_views():
    rng = np.random.default_rng(2)
    for _ in range(300):
        h, w = rng.integers(1, 14, 2)
        m = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        big = np.zeros((h + 2, w + 3), np.uint8)
        big[1:h + 1, 2:w + 2] = m
        ref = seg2bmap(m).view(np.uint8)
        assert np.array_equal(boundary_u8(m), ref)
        assert np.array_equal(boundary_u8(big[1:h + 1, 2:w + 2]), ref)


def test_pair_counts_bool_and_uint8_agree():
    rng = np.random.default_rng(3)
    for _ in range(50):
        g = rng.random((40, 50)) < .3
        p = rng.random((40, 50)) < .3
        a = pair_counts_fs(g, p, (disk(3), disk(2.5)))
        b = pair_counts_fs(g.astype(np.uint8), p.astype(np.uint8),
                           (disk(3), disk(2.5)))
        assert a == b


def test_decoded_masks_never_share_memory(tmp_path):
    """A mask (or a crop of it) that is still referenced keeps its pixels
    while later PNGs are decoded into recycled buffers."""
    rng = np.random.default_rng(4)
    arrays = [rng.integers(0, 4, (24, 32)).astype(np.uint8)
              for _ in range(30)]
    paths = []
    for i, a in enumerate(arrays):
        paths.append(str(tmp_path / f'{i}.png'))
        with open(paths[-1], 'wb') as f:
            f.write(encode_index_png(a))
    kept = MaskImage(paths[0], 'a')
    crop = MaskImage(paths[1], 'b').crop((0, 0, 32, 24))
    for i, path in enumerate(paths[2:], start=2):
        m = MaskImage(path, path)
        assert np.array_equal(m.full(), arrays[i])
        assert m.bbox == Image.open(path).getbbox()
    assert np.array_equal(kept.full(), arrays[0])
    assert np.array_equal(crop, arrays[1])
    alive = [MaskImage(p, p) for p in paths]  # more than the pool holds
    for m, a in zip(alive, arrays):
        assert np.array_equal(m.full(), a)
    ids = [decode_index_png(p) for p in paths]  # the same for id maps
    for got, a in zip(ids, arrays):
        assert np.array_equal(got, a)


def _png_variants(arr):
    """The same pixels as a PIL palette PNG (unfiltered rows), a PIL
    grayscale PNG, and OpenCV grayscale PNGs (filtered rows)."""
    out = {'pil_p': encode_index_png(arr)}
    for mode in ('L', ):
        buf = io.BytesIO()
        Image.fromarray(arr, mode).save(buf, 'PNG')
        out['pil_l'] = buf.getvalue()
    for level in (1, 9):
        ok, enc = cv2.imencode('.png', arr,
                               [cv2.IMWRITE_PNG_COMPRESSION, level])
        out[f'cv2_{level}'] = enc.tobytes()
    return out


def test_plain_png_decoding_equals_pil(tmp_path):
    """zlib-only decoding serves unfiltered 8-bit P / L PNGs; every PNG
    decodes to PIL's pixels, whichever path took it."""
    rng = np.random.default_rng(5)
    arr = np.zeros((37, 53), np.uint8)
    arr[5:30, 9:40] = rng.integers(0, 5, (25, 31))
    served = set()
    for name, data in _png_variants(arr).items():
        want = np.asarray(Image.open(io.BytesIO(data)))
        plain = decode_plain_png(data)
        if plain is not None:
            served.add(name)
            assert plain[1] == Image.open(io.BytesIO(data)).mode
            assert np.array_equal(plain[0], want), name
        assert np.array_equal(decode_index_png(data, name), want), name
        path = tmp_path / f'{name}.png'
        path.write_bytes(data)
        for m in (MaskImage(str(path), name), MaskImage(data, name),
                  MaskImage.index_png(data, name)):
            assert np.array_equal(m.full(), want), name
            assert m.bbox == Image.open(io.BytesIO(data)).getbbox()
    assert 'pil_p' in served  # what PIL writes for palette masks
    # an empty mask has no box
    assert MaskImage(encode_index_png(np.zeros((4, 6), np.uint8)),
                     'e').bbox is None


def test_plain_png_decoding_leaves_odd_and_damaged_pngs_to_pil():
    arr = np.arange(48, dtype=np.uint8).reshape(6, 8)
    data = encode_index_png(arr)
    assert decode_plain_png(data) is not None
    # 16-bit grayscale, RGB: PIL's
    for img in (Image.fromarray(arr.astype(np.uint16) * 300),
                Image.fromarray(np.stack([arr] * 3, -1))):
        buf = io.BytesIO()
        img.save(buf, 'PNG')
        assert decode_plain_png(buf.getvalue()) is None
    # image data that fails zlib's check (chunk CRC made to match): PIL
    # reports it, naming the file
    pos = data.index(b'IDAT')
    length = int.from_bytes(data[pos - 4:pos], 'big')
    body = bytearray(data[pos:pos + 4 + length])
    body[-3] ^= 0xFF
    bad = data[:pos] + bytes(body) + zlib.crc32(bytes(body)).to_bytes(
        4, 'big') + data[pos + 8 + length:]
    assert decode_plain_png(bad) is None
    with pytest.raises(DataError, match='bad.png'):
        decode_index_png(bad, 'bad.png')
    with pytest.raises(DataError, match='bad.png'):
        MaskImage(bad, 'bad.png')


def test_worker_memory_setting_keeps_the_decoded_pixels(tmp_path):
    """The evaluator workers' allocator setting (glibc) also inflates into
    exactly sized buffers: same pixels, in a process of its own."""
    import platform
    import subprocess
    import sys
    arr = (np.arange(35 * 61) % 7).astype(np.uint8).reshape(35, 61)
    path = tmp_path / 'm.png'
    path.write_bytes(encode_index_png(arr))
    code = (
        'import sys, numpy as np\n'
        'from PIL import Image\n'
        'from vostoolkit.evaluation import mask_io\n'
        'data = open(sys.argv[1], "rb").read()\n'
        'on = mask_io.keep_freed_memory()\n'
        'assert on == mask_io._SIZED_INFLATE[0]\n'
        'got = mask_io.decode_plain_png(data)[0]\n'
        'assert np.array_equal(got, np.asarray(Image.open(sys.argv[1])))\n'
        'print(on)\n')
    out = subprocess.run([sys.executable, '-c', code, str(path)],
                         capture_output=True, text=True, check=True)
    if platform.libc_ver()[0] == 'glibc':
        assert out.stdout.strip() == 'True'
