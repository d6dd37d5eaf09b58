"""SA-V rules against hand-computed values: overlapping objects scored
apart, the first and last annotated frames skipped, each object scored from
its first appearance in the ground truth or the prediction, the DAVIS
layout (objects reported only if shown on an evaluated frame), x100 means
over objects; the metric, the writer, the validator and the CLI agree."""
import json
import os
import os.path as osp
import zipfile

import numpy as np
import pytest

from vostoolkit.evaluation import (SAVMetric, SAVSubmission,
                                   encode_index_png, evaluate_sav,
                                   validate_sav_zip)
from vostoolkit.testing import load_tool
from vostoolkit.utils import DataError

H, W = 16, 20
STEMS = ['00000', '00004', '00008', '00012', '00016']


def _box(y0, y1, x0, x1, value=1):
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = value
    return m


SMALL = _box(4, 8, 4, 8)      # object 000
BIG = _box(2, 12, 2, 14)      # object 001: holds object 000
LATE = _box(10, 14, 14, 18)   # object 002: enters on frame 00012
EMPTY = np.zeros((H, W), np.uint8)


def _write(path, arr):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(encode_index_png(arr))


# video A (SA-V layout): per object, ground truth and prediction per frame
A_GT = {'000': [SMALL] * 5, '001': [BIG] * 5,
        '002': [EMPTY, EMPTY, EMPTY, LATE, LATE]}
A_PRED = {
    # first and last frames wrong (not evaluated); missed on 00008
    '000': [EMPTY, SMALL, EMPTY, SMALL, EMPTY],
    # perfect, overlap with 000 included (0 / 255 values are fine)
    '001': [BIG * 255] * 5,
    # shown one frame early: scored from 00008, where it is wrong
    '002': [EMPTY, EMPTY, LATE, LATE, LATE],
}


def _davis_maps():
    """Video B (DAVIS layout) id maps: gt object 1 everywhere, object 2
    enters on frame 3, object 4 only on frame 0 (never evaluated)."""
    gt, pred = [], []
    for t in range(5):
        g = SMALL.copy()
        if t == 0:
            g[12:15, 2:5] = 4
        if t >= 3:
            g[LATE > 0] = 2
        p = SMALL.copy()
        if t in (2, 3, 4):
            p[LATE > 0] = 2  # object 2 predicted early on frame 2
        if t == 1:
            p[0:2, 0:2] = 3  # an id the ground truth never has
        gt.append(g)
        pred.append(p)
    return gt, pred


@pytest.fixture
def sav(tmp_path):
    gt, pred = tmp_path / 'Annotations_6fps', tmp_path / 'pred'
    for obj in A_GT:
        for t, stem in enumerate(STEMS):
            _write(str(gt / 'A' / obj / f'{stem}.png'), A_GT[obj][t])
            _write(str(pred / 'A' / obj / f'{stem}.png'), A_PRED[obj][t])
    for t, (g, p) in enumerate(zip(*_davis_maps())):
        _write(str(gt / 'B' / f'{t:05d}.png'), g)
        _write(str(pred / 'B' / f'{t:05d}.png'), p)
    return str(tmp_path), str(gt), str(pred)


# J = F on every frame here (a perfect, empty or fully wrong mask)
PER_OBJECT = {'A/000': 200 / 3, 'A/001': 100.0, 'A/002': 50.0,
              'B/001': 100.0, 'B/002': 50.0}


def test_sav_hand_computed(sav):
    root, gt, pred = sav
    res = evaluate_sav(root, pred, num_workers=1)  # finds Annotations_6fps
    assert set(res['per_object']) == set(PER_OBJECT)  # not B/003, B/004
    for obj, value in PER_OBJECT.items():
        for key in ('J&F', 'J', 'F'):
            assert res['per_object'][obj][key] == pytest.approx(
                value, abs=1e-9), (obj, key)
    mean = sum(PER_OBJECT.values()) / 5
    for key in ('J&F', 'J', 'F'):
        assert res[key] == pytest.approx(mean, abs=1e-9)
    assert res['unpredicted'] == []
    # the objects of a video run in different workers: same numbers
    assert evaluate_sav(root, pred, num_workers=2) == res


def test_sav_all_frames_and_video_sets(sav, tmp_path):
    root, gt, pred = sav
    res = evaluate_sav(gt, pred, videos=['A'], skip_first_and_last=False,
                       num_workers=1)
    # 000: wrong on 00000, 00008, 00016 -> 2/5; 002 from 00008: 2/3 right
    assert res['per_object']['A/000']['J'] == pytest.approx(40.0)
    assert res['per_object']['A/002']['J'] == pytest.approx(200 / 3)
    import shutil
    shutil.rmtree(osp.join(pred, 'B'))
    res = evaluate_sav(gt, pred, num_workers=1)  # the official default
    assert res['unpredicted'] == ['B'] and len(res['per_object']) == 3
    with pytest.raises(DataError, match='strict: 1 videos without'):
        evaluate_sav(gt, pred, strict=True, num_workers=1)


def test_sav_bad_masks(sav):
    root, gt, pred = sav
    three = SMALL.copy()
    three[0, 0] = 2  # a third value: not one object
    _write(osp.join(pred, 'A', '000', '00008.png'), three)
    with pytest.raises(DataError, match='000/00008.png: 3 distinct'):
        evaluate_sav(gt, pred, num_workers=1)
    _write(osp.join(pred, 'A', '000', '00008.png'), EMPTY)
    os.remove(osp.join(pred, 'A', '001', '00012.png'))
    with pytest.raises(DataError, match='001/00012.png'):
        evaluate_sav(gt, pred, num_workers=1)
    _write(osp.join(pred, 'A', '001', '00012.png'), BIG)
    # an object never shown on an evaluated frame
    for stem in STEMS[1:4]:
        _write(osp.join(gt, 'A', '002', f'{stem}.png'), EMPTY)
    with pytest.raises(DataError, match='empty on every evaluated'):
        evaluate_sav(gt, pred, videos=['A'], num_workers=1)


def _sample(video, objects, stems, chunk, per_object):
    """A chunk's prediction: per-object tubes (overlaps kept) or one id map
    (object ``k`` of folder ``%03d`` is id k + 1, smaller on top)."""
    ts = [STEMS.index(s) for s in chunk]
    sample = dict(video_name=video, frame_ids=ts, frame_names=chunk,
                  ori_shape=(H, W), obj_ids=np.array(
                      [int(o) + 1 for o in objects]))
    if per_object:
        sample['pred_instances'] = dict(
            instance_ids=np.array([int(o) + 1 for o in objects]),
            masks=np.stack([np.stack([A_PRED[o][t] > 0 for t in ts])
                            for o in objects]))
    else:
        maps = np.zeros((len(ts), H, W), np.uint8)
        for o in ('001', '000', '002'):  # paint the big object first
            for i, t in enumerate(ts):
                maps[i][A_PRED[o][t] > 0] = int(o) + 1
        sample['pred_obj_masks'] = maps
    return sample


@pytest.mark.parametrize('per_object', [True, False])
def test_metric_writer_validator_cli(sav, tmp_path, per_object):
    root, gt, pred = sav
    import shutil
    shutil.rmtree(osp.join(gt, 'B'))
    metric = SAVMetric(root)
    out = str(tmp_path / 'sub.zip')
    writer = SAVSubmission(out, data_root=root)
    for chunk in (STEMS[:2], STEMS[2:]):
        sample = _sample('A', list(A_GT), STEMS, chunk, per_object)
        metric.process(None, [sample])
        writer.process(None, [sample])
    got = metric.compute_metrics(metric.results)
    writer.compute_metrics(writer.results)
    assert validate_sav_zip(out, root) == []
    ref = evaluate_sav(gt, out, num_workers=1)
    if per_object:  # the overlap survives: object 001 scores 100
        assert ref['per_object']['A/001']['J'] == 100.0
        assert got['J&F'] == pytest.approx(
            (200 / 3 + 100 + 50) / 3, abs=1e-9)
    else:  # from an id map the big object loses the small one's pixels
        # where the small one is predicted (00004, 00012; not 00008)
        assert ref['per_object']['A/001']['J'] == pytest.approx(
            100 * (1 + 2 * (120 - 16) / 120) / 3)
    for key in ('J&F', 'J', 'F'):
        assert got[key] == pytest.approx(ref[key], abs=1e-9)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert len(names) == 15 and 'A/001/00016.png' in names
    with zipfile.ZipFile(tmp_path / 'bad.zip', 'w') as zf:
        zf.writestr('A/000/00004.png', encode_index_png(SMALL * 3 - EMPTY))
        zf.writestr('A/000/00008.png', encode_index_png(BIG + SMALL))
        zf.writestr('C/000/00004.png', encode_index_png(SMALL))
    problems = validate_sav_zip(str(tmp_path / 'bad.zip'), root)
    assert any('A/000/00008.png: 3 distinct' in p for p in problems)
    assert any('A/001/00004.png: missing' in p for p in problems)
    assert any(p.startswith('C/: not a video') for p in problems)
    tool = load_tool('tools/eval.py')
    js = tmp_path / 'r.json'
    assert tool.main(['sav', '--gt-root', gt, '--pred', out, '--workers',
                      '1', '--json', str(js)]) == 0
    assert json.loads(js.read_text())['J'] == pytest.approx(ref['J'])
    assert tool.main(['sav', '--gt-root', str(tmp_path / 'no'), '--pred',
                      pred]) == 2
    check = load_tool('tools/validate_submission.py')
    assert check.main(['sav', out, '--gt', root]) == 0
