"""Submission writers and the validator: one test per defect, and the
acceptance of what the writers produce."""
import io
import json
import os.path as osp
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from eval_testdata import (REPO, gt_as_results, load_tool, make_davis,
                           make_vis_gt, make_ytvos, moving_objects)
from PIL import Image

from vostoolkit.evaluation import (encode_index_png, validate_davis_zip,
                                   validate_vis_zip, validate_ytvos_zip,
                                   write_davis_submission,
                                   write_vis_submission,
                                   write_ytvos_submission)


def rewrite(src, dst, drop=(), put=None, rename=None):
    """Copy zip ``src`` to ``dst`` without ``drop``, with ``put`` entries
    added or replaced and entries renamed."""
    put, rename = put or {}, rename or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w') as zout:
        for name in zin.namelist():
            if name in drop or name in put:
                continue
            zout.writestr(rename.get(name, name), zin.read(name))
        for name, data in put.items():
            zout.writestr(name, data)
    return dst


def png(ids, mode='P', palette=None):
    if mode == 'P' and palette is None:
        return encode_index_png(ids)
    img = Image.fromarray(np.asarray(ids, np.uint8))
    if mode == 'P':
        img = img.convert('P')
        img.putpalette(palette)
    elif mode == 'RGB':
        img = img.convert('RGB')
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    return buf.getvalue()


@pytest.fixture(scope='module')
def davis(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('davis')
    seqs = {'s1': moving_objects(3, 10, 14, 2, seed=0),
            's2': moving_objects(3, 10, 14, 1, seed=1)}
    make_davis(str(tmp / 'gt'), seqs)
    good = str(tmp / 'good.zip')
    write_davis_submission(good, [(k, [f'{t:05d}' for t in range(3)], v)
                                  for k, v in seqs.items()])
    return str(tmp / 'gt'), seqs, good


def test_davis_writer_output_is_accepted(davis):
    root, _, good = davis
    assert validate_davis_zip(good, root) == []
    with zipfile.ZipFile(good) as zf:
        assert sorted(zf.namelist())[:2] == ['s1/00000.png', 's1/00001.png']


@pytest.mark.parametrize('defect,expect', [
    ('missing_frame', 's1/00001.png: missing'),
    ('missing_sequence', 's2/: sequence missing'),
    ('nested', "found them under 'results/'"),
    ('size', 'size 7x5, expected 14x10'),
    ('mode', 'PNG mode RGB, expected P'),
    ('palette', 'palette differs from the DAVIS palette'),
    ('ids', 'ids [3] are not objects of s1'),
    ('extra', 's1/00007.png: unexpected file'),
])
def test_davis_defects(davis, tmp_path, defect, expect):
    root, seqs, good = davis
    bad = str(tmp_path / 'bad.zip')
    frame = seqs['s1'][1]
    name = 's1/00001.png'
    if defect == 'missing_frame':
        rewrite(good, bad, drop={name})
    elif defect == 'missing_sequence':
        rewrite(good, bad, drop={f's2/{t:05d}.png' for t in range(3)})
    elif defect == 'nested':
        with zipfile.ZipFile(good) as zf:
            names = zf.namelist()
        rewrite(good, bad, rename={n: 'results/' + n for n in names})
    elif defect == 'size':
        rewrite(good, bad, put={name: png(frame[::2, ::2])})
    elif defect == 'mode':
        rewrite(good, bad, put={name: png(frame, 'RGB')})
    elif defect == 'palette':
        rewrite(good, bad, put={name: png(frame, 'P', [255, 255, 255] * 256)})
    elif defect == 'ids':
        ids = frame.copy()
        ids[0, 0] = 3
        rewrite(good, bad, put={name: png(ids)})
    else:
        rewrite(good, bad, put={'s1/00007.png': png(frame)})
    problems = validate_davis_zip(bad, root)
    assert len(problems) == 1 and expect in problems[0], problems


@pytest.fixture(scope='module')
def ytvos(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('ytvos')
    videos = {'v0': moving_objects(3, 10, 14, 2, seed=2, late={2: 1})}
    names = make_ytvos(str(tmp), 'valid', videos, {'v0': {1: 'a', 2: 'b'}})
    good = str(tmp / 'good.zip')
    write_ytvos_submission(good, [('v0', names['v0'], videos['v0'])],
                           osp.join(str(tmp), 'valid', 'meta.json'))
    return osp.join(str(tmp), 'valid'), videos, good


def test_ytvos_writer_output_is_accepted(ytvos):
    split_dir, _, good = ytvos
    assert validate_ytvos_zip(good, split_dir) == []
    assert validate_ytvos_zip(good, osp.dirname(split_dir)) == []


@pytest.mark.parametrize('defect,expect', [
    ('missing_frame', 'Annotations/v0/00005.png: missing'),
    ('unlisted', 'Annotations/v0/00001.png: unexpected file (not a frame'),
    ('layout', "must be under 'Annotations/', found them at the zip root"),
    ('ids', 'ids [9] are not objects of v0'),
    ('size', 'size 7x5, expected 14x10'),
])
def test_ytvos_defects(ytvos, tmp_path, defect, expect):
    split_dir, videos, good = ytvos
    bad = str(tmp_path / 'bad.zip')
    frame = videos['v0'][1]
    name = 'Annotations/v0/00005.png'
    if defect == 'missing_frame':
        rewrite(good, bad, drop={name})
    elif defect == 'unlisted':
        rewrite(good, bad, put={'Annotations/v0/00001.png': png(frame)})
    elif defect == 'layout':
        with zipfile.ZipFile(good) as zf:
            names = zf.namelist()
        rewrite(good, bad, rename={n: n[len('Annotations/'):] for n in names})
    elif defect == 'ids':
        ids = frame.copy()
        ids[0, 0] = 9
        rewrite(good, bad, put={name: png(ids)})
    else:
        rewrite(good, bad, put={name: png(frame[::2, ::2])})
    problems = validate_ytvos_zip(bad, split_dir)
    assert len(problems) == 1 and expect in problems[0], problems


@pytest.fixture(scope='module')
def vis(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('vis')
    m = np.zeros((8, 12), bool)
    m[2:5, 3:9] = True
    gt = make_vis_gt({1: [dict(category_id=1, masks=[m, None, m])],
                      2: [dict(category_id=2, masks=[None, m, m])]}, 8, 12)
    ann = str(tmp / 'ann.json')
    with open(ann, 'w') as f:
        json.dump(gt, f)
    results = gt_as_results(gt) + [dict(gt_as_results(gt)[0], score=0.3)]
    good = str(tmp / 'good.zip')
    stats = write_vis_submission(good, results, topk=1)
    assert stats == {'num_videos': 2, 'num_results': 2}
    return ann, gt_as_results(gt), good


def test_vis_writer_output_is_accepted(vis):
    ann, _, good = vis
    assert validate_vis_zip(good, ann) == []


def _vis_zip(path, data, name='results.json'):
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr(name, data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.mark.parametrize('defect,expect', [
    ('no_json', 'results.json missing at the zip root'),
    ('nested', "found 'sub/results.json'"),
    ('not_list', 'must be a JSON list'),
    ('bad_json', 'not valid JSON'),
    ('missing_key', "missing keys ['score']"),
    ('video', 'video_id 99 is not a video'),
    ('category', 'category_id 7 is not a category'),
    ('score', 'is not a finite number'),
    ('length', '2 segmentations for a video of 3 frames'),
    ('uncompressed', 'not a compressed RLE with counts as a string'),
    ('rle', 'RLE counts do not decode to 8x12'),
    ('rle_size', 'size [4, 12] != video size [8, 12]'),
])
def test_vis_defects(vis, tmp_path, defect, expect):
    ann, results, _ = vis
    res = json.loads(json.dumps(results))
    bad = str(tmp_path / 'bad.zip')
    seg = res[0]['segmentations']
    if defect == 'no_json':
        _vis_zip(bad, res, name='preds.json')
    elif defect == 'nested':
        _vis_zip(bad, res, name='sub/results.json')
    elif defect == 'not_list':
        _vis_zip(bad, {'results': res})
    elif defect == 'bad_json':
        _vis_zip(bad, '[{"video_id": 1,')
    else:
        if defect == 'missing_key':
            del res[0]['score']
        elif defect == 'video':
            res[0]['video_id'] = 99
        elif defect == 'category':
            res[0]['category_id'] = 7
        elif defect == 'score':
            res[0]['score'] = 'high'
        elif defect == 'length':
            res[0]['segmentations'] = seg[:2]
        elif defect == 'uncompressed':
            seg[0] = {'size': [8, 12], 'counts': [0, 96]}
        elif defect == 'rle':
            seg[0] = dict(seg[0], counts='0000')
        elif defect == 'rle_size':
            seg[0] = dict(seg[0], size=[4, 12])
        _vis_zip(bad, res)
    problems = validate_vis_zip(bad, ann)
    assert len(problems) == 1 and expect in problems[0], problems


def test_cli_exit_codes(vis, tmp_path, capsys):
    ann, results, good = vis
    tool = load_tool('validate_submission')
    assert tool.main(['youtube-vis', good, '--gt', ann]) == 0
    assert 'OK' in capsys.readouterr().out
    bad = _vis_zip(str(tmp_path / 'bad.zip'), [dict(results[0],
                                                    video_id=42)])
    run = subprocess.run([sys.executable,
                          osp.join(REPO, 'tools', 'validate_submission.py'),
                          'youtube-vis', bad, '--gt', ann],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stdout.strip().splitlines() == [
        'results.json[0]: video_id 42 is not a video of the ground truth']
