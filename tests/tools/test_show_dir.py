"""tools/test.py --show-dir: one overlay mp4 per test video, VOS and VIS
(random-weight checkpoints of the toy maskprop and NOVIS configs on tiny
generated toy data, tested in this process)."""
import os.path as osp

import cv2
import numpy as np
import torch
from PIL import Image

from vostoolkit.testing import load_tool
from vostoolkit.visualization import instance_colour

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VOS_CFG = osp.join(ROOT, 'configs', 'maskprop', 'maskprop_r18_toy-davis.py')
VIS_CFG = osp.join(ROOT, 'configs', 'novis', 'novis_r18_toy-ytvis.py')
FRAMES = 5


def _read(path: str):
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img[..., ::-1])  # BGR -> RGB
    cap.release()
    return frames


def _checkpoint(cfg: str, path) -> str:
    from vostoolkit.apis import init_model
    torch.manual_seed(0)
    torch.save(dict(state_dict=init_model(cfg).state_dict(),
                    meta=dict(iter=0)), str(path))
    return str(path)


def _toy(loaders, spec):
    return [f'{key}.dataset.toy_spec.{k}={v}' for key in loaders
            for k, v in spec.items()]


def test_show_dir_vos_writes_one_overlay_video_per_test_video(tmp_path):
    data = tmp_path / 'davis'
    show = tmp_path / 'show'
    code = load_tool('tools/test.py').main([
        VOS_CFG, _checkpoint(VOS_CFG, tmp_path / 'vos.pth'),
        '--work-dir', str(tmp_path / 'work'), '--show-dir', str(show),
        '--cfg-options', f'data_root={data}',
        'test_dataloader.dataset.test_chunk_len=2',
        *_toy(['test_dataloader'], dict(videos=1, val_videos=2,
                                        frames=FRAMES, size='"(32,48)"'))])
    assert code == 0
    names = (data / 'ImageSets' / '2017' / 'val.txt').read_text().split()
    assert sorted(p.name for p in show.iterdir()) == \
        sorted(f'{n}.mp4' for n in names)
    checked = 0
    for name in names:
        frames = _read(str(show / f'{name}.mp4'))
        assert len(frames) == FRAMES and frames[0].shape == (32, 48, 3)
        # frame 0 carries the given first-frame mask: each object's pixels
        # are tinted half-way to its palette colour (up to the codec's loss)
        gt = np.array(Image.open(data / 'Annotations' / '480p' / name /
                                 '00000.png'))
        img = np.array(Image.open(data / 'JPEGImages' / '480p' / name /
                                  '00000.jpg').convert('RGB'))
        for k in set(np.unique(gt).tolist()) - {0, 255}:
            inner = cv2.erode((gt == k).astype(np.uint8), np.ones((3, 3)))
            inner[:14] = 0  # below the title
            if inner.sum() < 6:
                continue
            want = (img[inner > 0] + np.array(instance_colour(k))) / 2
            got = frames[0][inner > 0]
            assert np.abs(got.mean(0) - want.mean(0)).max() < 20, k
            checked += 1
    assert checked

def test_show_dir_vis_draws_instances_over_the_whole_video(tmp_path):
    data = tmp_path / 'ytvis'
    show = tmp_path / 'show'
    code = load_tool('tools/test.py').main([
        VIS_CFG, _checkpoint(VIS_CFG, tmp_path / 'vis.pth'),
        '--work-dir', str(tmp_path / 'work'), '--show-dir', str(show),
        '--show-score-thr', '0', '--cfg-options', f'data_root={data}',
        *_toy(['test_dataloader'], dict(videos=1, val_videos=1,
                                        frames=FRAMES))])
    assert code == 0
    videos = sorted(p.name for p in show.iterdir())
    assert len(videos) == 1 and videos[0].endswith('.mp4')
    frames = _read(str(show / videos[0]))
    assert len(frames) == FRAMES and frames[0].shape == (64, 96, 3)
    stem = videos[0][:-4]
    img = np.array(Image.open(data / 'valid' / 'JPEGImages' / stem /
                              '00000.jpg').convert('RGB')).astype(int)
    # score threshold 0: every track is drawn, so the frame changes
    assert np.abs(frames[0][20:].astype(int) - img[20:]).mean() > 5
