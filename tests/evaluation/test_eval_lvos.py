"""LVOS rules against hand-computed values: each object is scored only on
every 5th frame of its meta frame_range (first frame and ``end`` not read),
unreached slots count 0, V, and the seen / unseen averaging; the metric,
the CLI, the writer and the validator agree with the library function."""
import json
import math
import os.path as osp
import zipfile

import numpy as np
import pytest

from vostoolkit.evaluation import (LVOSMetric, LVOSSubmission,
                                   encode_index_png, evaluate_lvos,
                                   validate_lvos_zip)
from vostoolkit.evaluation.lvos_eval import scored_slots, spread_v
from vostoolkit.testing import load_tool
from vostoolkit.utils import DataError

H = W = 16


def _square(ids=(1, ), empty=False):
    m = np.zeros((H, W), np.uint8)
    if not empty:
        for k in ids:
            m[2 + 6 * (k - 1):6 + 6 * (k - 1), 3:9] = k
    return m


def _write(path, ids):
    import os
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(encode_index_png(ids))


@pytest.fixture
def lvos(tmp_path):
    """Video A (seen): object 1 frames 1..21 (frame_nums 5), object 2
    enters on frame 11 (frame_nums 4: one slot no frame reaches). Video B
    (unseen): one object, predicted perfectly."""
    gt, pred = tmp_path / 'valid', tmp_path / 'pred'
    meta = {'videos': {
        'A': {'objects': {
            '1': {'frame_range': {'start': 1, 'end': 21, 'frame_nums': 5}},
            '2': {'frame_range': {'start': 11, 'end': 21,
                                  'frame_nums': 4}}}},
        'B': {'objects': {
            '1': {'frame_range': {'start': 1, 'end': 16,
                                  'frame_nums': 4}}}}}}
    gt.mkdir()
    (gt / 'valid_meta.json').write_text(json.dumps(meta))
    (gt / 'unseen_videos.txt').write_text('B\n')
    for n in (1, 6, 11, 16, 21):
        ids = (1, 2) if n >= 11 else (1, )
        _write(str(gt / 'Annotations' / 'A' / f'{n:08d}.png'), _square(ids))
        # frame 1 (given) and 21 (end) are wrong: they must not count;
        # object 1 missed on frame 11; object 2 predicted early on frame 6
        p = {1: _square(empty=True), 6: _square((1, 2)), 11: _square((2, )),
             16: _square((1, 2)), 21: _square(empty=True)}[n]
        _write(str(pred / 'A' / f'{n:08d}.png'), p)
    for n in (1, 6, 11):
        _write(str(gt / 'Annotations' / 'B' / f'{n:08d}.png'), _square())
        _write(str(pred / 'B' / f'{n:08d}.png'), _square())
    return str(gt), str(pred)


V_A1 = math.sqrt(round(6 / 9 / 3, 4))  # JF [1, 0, 1]
V_A2 = 0.5  # JF [1, 0]: slot 1 is never reached
EXPECTED = {
    'J-seen-Mean': (2 / 3 + 1 / 2) / 2, 'J-unseen-Mean': 1.0,
    'V-seen-Mean': (V_A1 + V_A2) / 2, 'V-unseen-Mean': 0.0,
}


def test_scored_slots_follow_the_official_loop():
    # range(1, 21, 5) = 1, 6, 11, 16: the first is skipped, 21 not reached
    assert scored_slots(dict(start=1, end=21, frame_nums=5)) == [
        (0, 6), (1, 11), (2, 16)]
    # a counter reaching frame_nums - 1 is skipped too
    assert scored_slots(dict(start=1, end=21, frame_nums=4)) == [
        (0, 6), (1, 11)]
    with pytest.raises(ValueError, match='more than frame_nums'):
        scored_slots(dict(start=1, end=26, frame_nums=4))
    assert spread_v(np.array([1., 0, 1]), np.array([1., 0, 1])) == V_A1


def test_lvos_hand_computed(lvos):
    res = evaluate_lvos(*lvos, num_workers=1)
    for key, value in EXPECTED.items():
        assert res[key] == pytest.approx(value, abs=1e-12), key
    assert res['F-seen-Mean'] == pytest.approx(7 / 12, abs=1e-12)
    # the means average seen and unseen, not all objects
    assert res['J-Mean'] == pytest.approx((7 / 12 + 1) / 2, abs=1e-12)
    assert res['J&F-Mean'] == pytest.approx((7 / 12 * 2 + 2) / 4, abs=1e-12)
    assert res['V-Mean'] == pytest.approx((V_A1 + V_A2) / 4, abs=1e-12)
    assert list(res['per_object']) == ['A_1', 'A_2', 'B_1']
    assert res['per_object']['A_2']['J-Mean'] == pytest.approx(0.5)


def test_lvos_video_split_across_workers(lvos, monkeypatch):
    """A video split into runs of frames over the workers gives the same
    numbers as one worker reading it whole."""
    from vostoolkit.evaluation import lvos_eval
    monkeypatch.setattr(lvos_eval, 'FRAMES_PER_JOB', 1)
    assert evaluate_lvos(*lvos, num_workers=2) == \
        evaluate_lvos(*lvos, num_workers=1)


def test_lvos_errors(lvos, tmp_path):
    gt, pred = lvos
    import os
    os.remove(osp.join(pred, 'A', '00000016.png'))
    with pytest.raises(DataError, match='00000016.png'):
        evaluate_lvos(gt, pred, num_workers=1)
    with pytest.raises(DataError, match='none.txt'):
        evaluate_lvos(gt, pred, unseen=str(tmp_path / 'none.txt'))


def _samples(pred_dir, video, frames):
    from PIL import Image
    masks = np.stack([np.array(Image.open(
        osp.join(pred_dir, video, f'{n:08d}.png'))) for n in frames])
    return dict(video_name=video, frame_ids=list(range(len(frames))),
                frame_names=[f'{n:08d}' for n in frames],
                ori_shape=(H, W), pred_obj_masks=masks)


def test_metric_writer_validator_and_cli(lvos, tmp_path, capsys):
    gt, pred = lvos
    metric = LVOSMetric(gt)
    writer = LVOSSubmission(str(tmp_path / 'sub.zip'),
                            meta_file=osp.join(gt, 'valid_meta.json'))
    for video, frames in (('A', [1, 6, 11, 16, 21]), ('B', [1, 6, 11])):
        for chunk in (frames[:2], frames[2:]):  # two chunks per video
            sample = _samples(pred, video, chunk)
            metric.process(None, [sample])
            writer.process(None, [sample])
    got = metric.compute_metrics(metric.results)
    ref = evaluate_lvos(gt, pred, num_workers=1)
    for key, value in got.items():
        assert value == pytest.approx(ref[key], abs=1e-12)
    writer.compute_metrics(writer.results)
    assert validate_lvos_zip(str(tmp_path / 'sub.zip'), gt) == []
    with zipfile.ZipFile(tmp_path / 'sub.zip') as zf:
        assert 'Annotations/A/00000016.png' in zf.namelist()
    zipped = evaluate_lvos(gt, str(tmp_path / 'sub.zip'), num_workers=1)
    assert zipped['J&F-Mean'] == ref['J&F-Mean']
    # a zip without a scored frame is refused
    with zipfile.ZipFile(tmp_path / 'bad.zip', 'w') as zf:
        zf.writestr('Annotations/A/00000006.png', encode_index_png(
            _square()))
    problems = validate_lvos_zip(str(tmp_path / 'bad.zip'), gt)
    assert any('00000011.png: missing' in p for p in problems)
    assert any('Annotations/B/' in p for p in problems)
    tool = load_tool('tools/eval.py')
    out = tmp_path / 'r.json'
    assert tool.main(['lvos', '--gt-root', gt, '--pred', pred,
                      '--workers', '1', '--json', str(out)]) == 0
    assert json.loads(out.read_text())['J-seen-Mean'] == pytest.approx(
        EXPECTED['J-seen-Mean'])
    assert tool.main(['lvos', '--gt-root', str(tmp_path / 'nope'),
                      '--pred', pred]) == 2
