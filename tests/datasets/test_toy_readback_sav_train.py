"""SA-V train as released (mp4 + JSON masklets): the toy generator writes
it, ``tools/dataset_converters/sav_train.py`` converts it, and the SA-V
reader reads it back: masks exactly as generated (manual, auto or both,
with the documented object numbering), frames exactly as OpenCV decodes
the mp4 (then JPEG-encoded); bad input is one line naming the file, exit 2,
and leaves nothing of that video behind."""
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from vostoolkit.datasets import SAVDataset
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.datasets.toy.sav_train_writer import encode_rle
from vostoolkit.testing import load_tool

PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]


@pytest.fixture(scope='module')
def toy_raw(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_sav_train'))
    # video 0: manual and auto masks overlap; video 2: an auto JSON with no
    # masklet; video 3: no auto JSON
    gt = generate_toy_dataset(root, 'sav-train', videos=4, frames=4,
                              size=(32, 48), seed=7, return_gt=True)
    assert gt['train'][2].auto == [] and gt['train'][3].auto is None
    return osp.join(root, 'sav_train_mp4'), gt['train']


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/dataset_converters/sav_train.py')


def _decoded_frames(mp4):
    cap = cv2.VideoCapture(mp4)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def _expected_objects(g, mode):
    if mode == 'manual':
        return g.manual
    if mode == 'auto':
        return g.auto
    return g.manual + (g.auto or [])


@pytest.mark.parametrize('mode', ['manual', 'both', 'auto'])
def test_convert_then_read_back(toy_raw, tool, tmp_path, mode, capsys):
    src, gts = toy_raw
    out = str(tmp_path / 'sav' / 'sav_train')
    assert tool.main([src, out, '--masklets', mode]) == 0
    # 'auto' skips, with a note, the videos without an auto masklet
    kept = [g for g in gts if mode != 'auto' or g.auto]
    assert len(kept) == (2 if mode == 'auto' else 4)
    if mode == 'auto':
        notes = capsys.readouterr().out
        for g in gts[2:]:
            assert f'{g.name}: no auto masklet, not converted' in notes
    ds = SAVDataset(str(tmp_path / 'sav'), split='train', test_mode=True,
                    pipeline=PIPE)
    assert ds.num_videos == len(kept)
    for i, g in enumerate(kept):
        r = ds[i]
        assert r['video_id'] == g.name
        decoded = _decoded_frames(osp.join(src, 'sav_000', f'{g.name}.mp4'))
        n_all = (len(g.frame_names) - 1) * 4 + 1
        assert len(decoded) == n_all
        assert r['frame_names'] == [f'{t:05d}' for t in range(n_all)]
        for t in range(n_all):
            _, jpg = cv2.imencode('.jpg', decoded[t],
                                  [cv2.IMWRITE_JPEG_QUALITY, 95])
            np.testing.assert_array_equal(
                r['imgs'][t], cv2.imdecode(jpg, cv2.IMREAD_COLOR))
        # masklet k of the (manual, then auto) JSONs is object k + 1
        objs = _expected_objects(g, mode)
        assert r['obj_ids'] == list(range(1, len(objs) + 1))
        for t in range(n_all):
            assert r['gt_frame_valid'][t] == (t % 4 == 0)
            if t % 4:
                continue
            for n, toy_id in enumerate(objs):
                np.testing.assert_array_equal(
                    r['gt_masks'][t][n] > 0, g.obj_masks[toy_id][t // 4])


def test_frames_follow_the_video_and_overlaps_survive(toy_raw, tool,
                                                      tmp_path):
    """The mp4 (lossy) stays close to the rendered frames in order, and
    'both' keeps manual and auto masks that overlap as separate layers."""
    src, gts = toy_raw
    g = gts[0]
    assert any((g.obj_masks[a] & g.obj_masks[b]).any()
               for a in g.manual for b in g.auto), 'toy video 0: no overlap'
    out = str(tmp_path / 'sav_train')
    assert tool.main([src, out, '--masklets', 'both', '--videos',
                      gts[0].name, '--annotated-only']) == 0
    ds = SAVDataset(str(tmp_path), split='train', test_mode=True,
                    pipeline=PIPE)
    r = ds[0]
    assert r['frame_names'] == ['00000', '00004', '00008', '00012']
    assert open(osp.join(out, 'sav_train.txt')).read() == f'{gts[0].name}\n'
    objs = g.manual + g.auto
    for t, layers in enumerate(r['gt_masks']):
        for n, toy_id in enumerate(objs):
            np.testing.assert_array_equal(layers[n] > 0,
                                          g.obj_masks[toy_id][t])
    assert any(((layers > 0).sum(0) > 1).any() for layers in r['gt_masks'])
    # the frames are the video's, in order (the mp4 is lossy)
    for t in range(4):
        err = np.abs(r['imgs'][t].astype(int) - g.frames[4 * t]).max(axis=2)
        others = np.abs(r['imgs'][t].astype(int) - g.frames[4 * t - 2])
        assert np.median(err) < 10 <= others.max()
    # converted again: skipped unless --overwrite
    assert tool.main([src, out, '--videos', '1']) == 0
    assert tool.main([src, out, '--videos', '1', '--overwrite']) == 0
    assert len(os.listdir(osp.join(out, 'JPEGImages_24fps', gts[0].name))) \
        == 13


def _one_line(capsys, code):
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture
def one_video(toy_raw, tmp_path):
    """A private copy of toy video 0 (mp4 + both JSONs)."""
    src, gts = toy_raw
    copy = tmp_path / 'src'
    copy.mkdir()
    name = gts[0].name
    for suffix in ('.mp4', '_manual.json', '_auto.json'):
        shutil.copy(osp.join(src, 'sav_000', name + suffix),
                    copy / (name + suffix))
    return copy, name


def _edit_json(path, **changes):
    with open(path) as f:
        ann = json.load(f)
    ann.update(changes)
    with open(path, 'w') as f:
        json.dump(ann, f)
    return ann


def _nothing_written(out, name):
    for sub in ('JPEGImages_24fps', 'Annotations_6fps'):
        assert not osp.exists(osp.join(out, sub, name))
    assert not [n for n in os.listdir(out) if n.startswith('.tmp')]


def test_missing_json(one_video, tool, tmp_path, capsys):
    src, name = one_video
    os.remove(src / f'{name}_manual.json')
    out = str(tmp_path / 'out')
    code = tool.main([str(src), out])
    err = _one_line(capsys, code)
    assert f'{name}_manual.json: missing' in err
    _nothing_written(out, name)


def test_undecodable_mp4(one_video, tool, tmp_path, capsys):
    src, name = one_video
    (src / f'{name}.mp4').write_bytes(b'not a video' * 20)
    out = str(tmp_path / 'out')
    err = _one_line(capsys, tool.main([str(src), out]))
    assert f'{name}.mp4: OpenCV' in err
    _nothing_written(out, name)


def test_frame_count_mismatch(one_video, tool, tmp_path, capsys):
    src, name = one_video
    path = src / f'{name}_manual.json'
    ann = json.load(open(path))
    # one more frame, still the same number of annotated frames (13 -> 14
    # frames: ceil(14 / 4) = 4), so only the mp4 check can catch it
    _edit_json(path, video_frame_count=ann['video_frame_count'] + 1)
    out = str(tmp_path / 'out')
    err = _one_line(capsys, tool.main([str(src), out]))
    assert f'{name}.mp4: decodes to 13 frames' in err
    assert 'video_frame_count 14' in err
    _nothing_written(out, name)
    # a masklet list that does not match the frame count
    _edit_json(path, video_frame_count=ann['video_frame_count'] + 8)
    err = _one_line(capsys, tool.main([str(src), out]))
    assert f"{name}_manual.json: 'masklet' has 4 frames, expected 6" in err
    _nothing_written(out, name)


def test_frame_size_mismatch(one_video, tool, tmp_path, capsys):
    src, name = one_video
    for suffix in ('_manual.json', '_auto.json'):
        path = src / f'{name}{suffix}'
        ann = json.load(open(path))
        empty = encode_rle(np.zeros((32, 40), bool))
        ann['masklet'] = [[empty] * len(objs) for objs in ann['masklet']]
        _edit_json(path, masklet=ann['masklet'], video_width=40.0)
    out = str(tmp_path / 'out')
    err = _one_line(capsys, tool.main([str(src), out, '--masklets',
                                       'both']))
    assert f'{name}.mp4: frame 0 is 32x48, the JSON says 32x40' in err
    _nothing_written(out, name)
    # an RLE of another size than the video's
    _edit_json(src / f'{name}_auto.json', video_width=48.0)
    err = _one_line(capsys, tool.main([str(src), out, '--masklets',
                                       'auto']))
    assert f'{name}_auto.json: masklet frame 0, object 0: not an RLE of ' \
        'size [32, 48]' in err
    _nothing_written(out, name)


def test_rle_that_does_not_decode(one_video, tool, tmp_path, capsys):
    src, name = one_video
    out = str(tmp_path / 'out')
    ann = json.load(open(src / f'{name}_manual.json'))
    ann['masklet'][1][0]['counts'] = '!!'
    _edit_json(src / f'{name}_manual.json', masklet=ann['masklet'])
    err = _one_line(capsys, tool.main([str(src), out]))
    assert f'{name}_manual.json: masklet frame 1, object 0: the RLE does ' \
        'not decode' in err
    _nothing_written(out, name)


def test_bad_arguments(toy_raw, tool, tmp_path, capsys):
    src, _ = toy_raw
    err = _one_line(capsys, tool.main([str(tmp_path / 'none'),
                                       str(tmp_path / 'out')]))
    assert 'none: SRC_DIR is not a folder' in err
    err = _one_line(capsys, tool.main([src, str(tmp_path / 'out'),
                                       '--videos', 'sav_999999']))
    assert 'sav_999999.mp4: no such video' in err
    err = _one_line(capsys, tool.main([src, str(tmp_path / 'out'),
                                       '--masklets', 'all']))
    assert '--masklets' in err


def test_base_config_trains_on_converted_train(toy_raw, tool, tmp_path):
    """configs/_base_/datasets/sav.py's train_dataloader reads the
    converted set: packed clips of 3 frames with per-object masks."""
    from mmengine.config import Config

    from vostoolkit.registry import DATASETS
    src, gts = toy_raw
    assert tool.main([src, str(tmp_path / 'sav_train'), '--annotated-only',
                      '--masklets', 'both']) == 0
    cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'configs', '_base_', 'datasets',
        'sav.py'))
    ds_cfg = dict(cfg.train_dataloader.dataset, data_root=str(tmp_path))
    train = DATASETS.build(ds_cfg)
    assert train.num_videos == len(gts)
    item = train[0]
    sample = item['data_samples']
    assert item['inputs'].shape[:2] == (3, 3)
    assert sample.gt_instances.masks.shape[:2] == (len(sample.obj_ids), 3)
    # --annotated-only: the stored frames are the 4 annotated ones
    assert set(sample.metainfo['frame_ids']) <= set(range(4))
