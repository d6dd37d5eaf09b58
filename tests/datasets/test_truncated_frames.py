"""A truncated JPEG frame (OpenCV decodes its missing part grey, with only
a warning) stops reading with one line naming the file: in the core's frame
reader, so in training, browse_dataset and the demo alike."""
import glob
import logging
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from vostoolkit.datasets.file_io import read_image_bgr, truncation_problem
from vostoolkit.testing import load_tool
from vostoolkit.utils import DataError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'maskprop', 'maskprop_r18_toy-davis.py')
SPEC = dict(videos=2, val_videos=1, frames=4, size=(32, 48), seed=0)


def _jpeg(h=32, w=48, **params) -> bytes:
    img = (np.random.default_rng(0).random((h, w, 3)) * 255).astype(np.uint8)
    flags = []
    for key, value in params.items():
        flags += [getattr(cv2, key), value]
    return cv2.imencode('.jpg', img, flags)[1].tobytes()


@pytest.mark.parametrize('params', [{}, {'IMWRITE_JPEG_PROGRESSIVE': 1}])
def test_truncated_jpeg_is_refused(tmp_path, params):
    data = _jpeg(**params)
    good = tmp_path / 'good.jpg'
    good.write_bytes(data + b'\x00' * 7)  # bytes after the end are allowed
    assert read_image_bgr(str(good)).shape == (32, 48, 3)
    for cut in (len(data) - 2, len(data) // 2, 700):
        bad = tmp_path / f'cut{cut}.jpg'
        bad.write_bytes(data[:cut])
        with pytest.raises(DataError, match=f'^{bad}: frame file is '
                           'corrupt: truncated JPEG'):
            read_image_bgr(str(bad))


def test_thumbnail_end_marker_does_not_hide_truncation():
    """An EXIF thumbnail holds an FFD9 of its own before the image data."""
    data = _jpeg()
    thumb = _jpeg(8, 8)
    app1 = b'Exif\x00\x00' + thumb
    segment = b'\xff\xe1' + (len(app1) + 2).to_bytes(2, 'big') + app1
    with_thumb = data[:2] + segment + data[2:]
    assert cv2.imdecode(np.frombuffer(with_thumb, np.uint8), 1) is not None
    assert truncation_problem(with_thumb) is None
    assert 'truncated JPEG' in truncation_problem(with_thumb[:-100])


def test_truncated_png_frame_is_refused(tmp_path):
    data = cv2.imencode('.png', np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    bad = tmp_path / 'f.png'
    bad.write_bytes(data[:-12])
    with pytest.raises(DataError, match='truncated PNG'):
        read_image_bgr(str(bad))


@pytest.fixture(scope='module')
def broken_davis(tmp_path_factory):
    """Toy DAVIS data whose JPEG frames are all cut in half."""
    from vostoolkit.datasets.toy import ensure_toy_dataset
    root = str(tmp_path_factory.mktemp('broken') / 'davis')
    ensure_toy_dataset(root, 'davis', **SPEC)
    for path in glob.glob(osp.join(root, 'JPEGImages', '480p', '*',
                                   '*.jpg')):
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data[:len(data) // 2])
    options = ['--cfg-options', f'data_root={root}'] + [
        f'toy_spec.{k}={v}' if k != 'size' else 'toy_spec.size=(32,48)'
        for k, v in SPEC.items()]
    return root, options


@pytest.fixture(autouse=True)
def no_stale_log_streams():
    """Drop mmengine log handlers bound to a stream pytest has closed."""
    from mmengine.logging import MMLogger
    for logger in list(MMLogger._instance_dict.values()):
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and getattr(
                    getattr(handler, 'stream', None), 'closed', False):
                logger.removeHandler(handler)


def _one_line(tool, argv, capsys) -> str:
    code = tool.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, (code, err[-5:])
    return err[0]


def _names_a_frame(line: str, root: str) -> bool:
    return f'{root}/JPEGImages/480p/' in line and \
        '.jpg: frame file is corrupt: truncated JPEG' in line


def test_training_stops_on_a_truncated_frame(broken_davis, tmp_path, capsys):
    root, options = broken_davis
    line = _one_line(load_tool('tools/train.py'), [
        CONFIG, '--work-dir', str(tmp_path)] + options + [
        'train_cfg.max_iters=1', 'experiment_name=truncated'], capsys)
    assert line.startswith('train.py: error: ') and _names_a_frame(line, root)


def test_browse_dataset_stops_on_a_truncated_frame(broken_davis, tmp_path,
                                                   capsys):
    root, options = broken_davis
    line = _one_line(load_tool('tools/misc/browse_dataset.py'), [
        CONFIG, '--num', '1', '--out', str(tmp_path)] + options, capsys)
    assert _names_a_frame(line, root)


def test_demo_stops_on_a_truncated_frame(tmp_path, capsys):
    from PIL import Image

    from vostoolkit.apis import init_model
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=init_model(CONFIG).state_dict()), ckpt)
    frames = tmp_path / 'frames'
    frames.mkdir()
    for t in range(3):
        (frames / f'{t:05d}.jpg').write_bytes(_jpeg())
    cut = frames / '00002.jpg'
    cut.write_bytes(cut.read_bytes()[:500])
    mask = tmp_path / 'mask.png'
    Image.fromarray(np.ones((32, 48), np.uint8), 'L').save(mask)
    line = _one_line(load_tool('tools/demo.py'), [
        CONFIG, str(ckpt), '--input', str(frames), '--mask', str(mask),
        '--out', str(tmp_path / 'out')], capsys)
    assert line.startswith(f'demo.py: error: {cut}: frame file is corrupt')
