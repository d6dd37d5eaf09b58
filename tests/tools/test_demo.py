"""tools/demo.py and vostoolkit.apis.video_inference on tiny videos.

Random-weight checkpoints of the core baseline VOS model and the NOVIS toy
config; 4 frames of 32 x 48 pixels written as a folder and as an .mp4.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from vostoolkit.apis import (VideoFrameReader, inference_video, init_model,
                             read_first_mask)
from vostoolkit.evaluation import davis_palette
from vostoolkit.testing import load_tool
from vostoolkit.utils import DataError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VOS_CFG = osp.join(ROOT, 'configs', 'maskprop', 'maskprop_r18_toy-davis.py')
VIS_CFG = osp.join(ROOT, 'configs', 'novis', 'novis_r18_toy-ytvis.py')
H, W, T = 32, 48, 4


def _load_tool():
    return load_tool('tools/demo.py')


@pytest.fixture(scope='module')
def tool():
    return _load_tool()


def _frame(t: int) -> np.ndarray:
    img = np.full((H, W, 3), 40, np.uint8)
    cv2.rectangle(img, (4 + 3 * t, 4), (18 + 3 * t, 18), (0, 200, 0), -1)
    cv2.circle(img, (36, 26 - t), 4, (200, 0, 0), -1)
    return img


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    frames = root / 'frames'
    frames.mkdir()
    for t in range(T):
        cv2.imwrite(str(frames / f'{t:05d}.png'), _frame(t))
    video = root / 'clip.mp4'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (W, H))
    if writer.isOpened():
        for t in range(T):
            writer.write(_frame(t))
    writer.release()
    ids = np.zeros((H, W), np.uint8)
    ids[4:19, 4:19] = 1
    ids[22:31, 32:41] = 2
    mask = root / 'first.png'
    img = Image.fromarray(ids, 'P')
    img.putpalette(davis_palette().tobytes())
    img.save(mask)
    Image.fromarray(np.zeros((H // 2, W // 2), np.uint8), 'P').save(
        root / 'small.png')
    ckpts = {}
    for name, cfg in (('vos', VOS_CFG), ('vis', VIS_CFG)):
        torch.manual_seed(0)
        ckpts[name] = str(root / f'{name}.pth')
        torch.save(init_model(cfg).state_dict(), ckpts[name])
    video_ok = _video_readable(str(video))
    return dict(root=root, frames=str(frames), mask=str(mask), ids=ids,
                video=str(video) if video_ok else None, ckpt=ckpts)


def _video_readable(path: str) -> bool:
    cap = cv2.VideoCapture(path)
    ok = cap.isOpened() and cap.read()[0]
    cap.release()
    return bool(ok)


def _inputs(data):
    return [data['frames']] + ([data['video']] if data['video'] else [])


# ------------------------------------------------------------------ reader
def test_reader_folder_and_video(data):
    for path in _inputs(data):
        reader = VideoFrameReader(path)
        assert len(reader) == T and reader.hw == (H, W)
        frames = list(reader)
        assert len(frames) == T and frames[0].shape == (H, W, 3)
        # a second pass reads the same frames (the overlays need it)
        assert np.array_equal(next(iter(reader)), frames[0])
    assert VideoFrameReader(data['frames']).frame_names[0] == '00000'


def test_read_first_mask_palette_and_gray(data, tmp_path):
    ids, obj_ids = read_first_mask(data['mask'], (H, W))
    assert obj_ids == [1, 2] and np.array_equal(ids, data['ids'])
    gray = np.where(data['ids'] == 1, 255, 0).astype(np.uint8)
    Image.fromarray(gray, 'L').save(tmp_path / 'gray.png')
    ids, obj_ids = read_first_mask(str(tmp_path / 'gray.png'), (H, W))
    assert obj_ids == [1] and ids.max() == 1
    Image.fromarray(np.zeros((H, W), np.uint8), 'P').save(tmp_path / 'e.png')
    with pytest.raises(DataError, match='no object'):
        read_first_mask(str(tmp_path / 'e.png'), (H, W))


def test_inference_is_lazy_and_chunking_does_not_matter(data, monkeypatch):
    model = init_model(VOS_CFG, data['ckpt']['vos'])
    reader = VideoFrameReader(data['frames'])
    ids, _ = read_first_mask(data['mask'], reader.hw)
    import vostoolkit.apis.video_inference as vi
    reads = []
    real = vi.read_image_bgr
    monkeypatch.setattr(vi, 'read_image_bgr',
                        lambda p: reads.append(p) or real(p))
    stream = inference_video(model, reader, ids, chunk_len=1)
    first = next(stream)
    assert len(reads) == 1  # one frame read for the first chunk
    per_frame = [first] + list(stream)
    assert len(reads) == T
    whole = list(inference_video(model, reader, ids, chunk_len=T))
    a = torch.cat([s.pred_obj_masks for s in per_frame])
    b = torch.cat([s.pred_obj_masks for s in whole])
    assert a.shape == (T, H, W) and torch.equal(a, b)
    assert torch.equal(a[0], torch.from_numpy(ids))  # the given mask


# -------------------------------------------------------------------- tool
def _video_frames(path: str):
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames


def _no_partial_files(out) -> bool:
    return not [p for p in out.rglob('*') if '.part' in p.name]


def test_demo_vos_writes_palette_masks_and_overlay_mp4(tool, data, tmp_path):
    for k, path in enumerate(_inputs(data)):
        out = tmp_path / f'out{k}'
        assert tool.main([VOS_CFG, data['ckpt']['vos'], '--input', path,
                          '--mask', data['mask'], '--out', str(out),
                          '--chunk-len', '3']) == 0
        masks = sorted(os.listdir(out / 'masks'))
        assert masks == [f'{t:05d}.png' for t in range(T)]
        for name in masks:
            with Image.open(out / 'masks' / name) as img:
                assert img.mode == 'P' and img.size == (W, H)
                assert img.getpalette()[:3 * 256] == \
                    davis_palette().reshape(-1).tolist()
                assert set(np.unique(np.array(img))) <= {0, 1, 2}
        first = np.array(Image.open(out / 'masks' / '00000.png'))
        assert np.array_equal(first, data['ids'])
        # the default: one overlay video, no GIF, no per-frame PNGs
        assert sorted(os.listdir(out)) == ['masks', 'overlay.mp4']
        frames = _video_frames(str(out / 'overlay.mp4'))
        assert len(frames) == T and frames[0].shape == (H, W, 3)
        # object 1 (rows / columns 4-18) is tinted half-way to its palette
        # colour, (128, 0, 0) RGB: the green square (0, 200, 0) turns
        # (64, 100, 0), up to the codec's loss
        rgb = frames[0][12, 12, ::-1].astype(int)
        assert np.abs(rgb - [64, 100, 0]).max() <= 16, rgb
        assert _no_partial_files(out)


def test_demo_gif_and_saved_frames_are_options(tool, data, tmp_path):
    out = tmp_path / 'opts'
    assert tool.main([VOS_CFG, data['ckpt']['vos'], '--input', data['frames'],
                      '--mask', data['mask'], '--out', str(out), '--gif',
                      '--save-frames']) == 0
    overlays = sorted(os.listdir(out / 'overlays'))
    assert overlays == [f'{t:05d}.png' for t in range(T)]
    with Image.open(out / 'overlays' / '00000.png') as img:
        assert img.size == (W, H)
        assert tuple(np.array(img.convert('RGB'))[12, 12]) == \
            (64, 100, 0)  # (0, 200, 0) half-way to (128, 0, 0)
    with Image.open(out / 'overlay.gif') as gif:
        assert gif.n_frames == T and gif.size == (W, H)
        assert gif.info['duration'] == 100  # a folder plays at 10 fps
        rgb = np.asarray(gif.convert('RGB')).astype(int)
    assert np.abs(rgb[12, 12] - [64, 100, 0]).max() <= 12
    assert len(_video_frames(str(out / 'overlay.mp4'))) == T
    assert _no_partial_files(out)


def test_demo_vis_writes_results_json_and_overlays(tool, data, tmp_path):
    out = tmp_path / 'vis'
    assert tool.main([VIS_CFG, data['ckpt']['vis'], '--input', data['frames'],
                      '--out', str(out), '--gif', '--gif-size', '24',
                      '--score-thr', '0']) == 0
    with open(out / 'results.json') as f:
        res = json.load(f)
    assert res['video_length'] == T and (res['height'], res['width']) == \
        (H, W)
    assert 0 < len(res['instances']) <= 10
    scores = [i['score'] for i in res['instances']]
    assert scores == sorted(scores, reverse=True)
    for inst in res['instances']:
        assert len(inst['segmentations']) == T
        assert all(s is None or s['size'] == [H, W]
                   for s in inst['segmentations'])
    assert sorted(os.listdir(out)) == ['overlay.gif', 'overlay.mp4',
                                       'results.json']
    assert len(_video_frames(str(out / 'overlay.mp4'))) == T
    with Image.open(out / 'overlay.gif') as gif:
        assert gif.n_frames == T and gif.size == (24, 16)


# ------------------------------------------------------------------ errors
def _error(tool, capsys, argv):
    code = tool.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1, err
    return err[0]


def test_demo_errors_name_file_and_cause(tool, data, tmp_path, capsys):
    vos = [VOS_CFG, data['ckpt']['vos'], '--out', str(tmp_path / 'o')]
    missing = str(tmp_path / 'nope.mp4')
    line = _error(tool, capsys, vos + ['--input', missing, '--mask',
                                       data['mask']])
    assert missing in line and 'not found' in line
    bad = tmp_path / 'bad.mp4'
    bad.write_text('not a video')
    line = _error(tool, capsys, vos + ['--input', str(bad), '--mask',
                                       data['mask']])
    assert str(bad) in line and 'cannot be opened as a video' in line
    small = str(data['root'] / 'small.png')
    line = _error(tool, capsys, vos + ['--input', data['frames'], '--mask',
                                       small])
    assert small in line and 'differs' in line
    line = _error(tool, capsys, vos + ['--input', data['frames']])
    assert '--mask' in line and VOS_CFG in line
    broken = tmp_path / 'broken'
    broken.mkdir()
    (broken / '00000.jpg').write_bytes(b'garbage')
    line = _error(tool, capsys, vos + ['--input', str(broken), '--mask',
                                       data['mask']])
    assert str(broken / '00000.jpg') in line and 'decoded' in line
    no_ckpt = str(tmp_path / 'none.pth')
    line = _error(tool, capsys, [VOS_CFG, no_ckpt, '--input', data['frames'],
                                 '--mask', data['mask']])
    assert no_ckpt in line and 'not found' in line
    assert not (tmp_path / 'o' / 'masks').exists()
