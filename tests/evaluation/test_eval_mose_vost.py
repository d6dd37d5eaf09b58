"""MOSE v1 / v2 and VOST evaluation: each rule that differs from DAVIS
against hand-computed values, the skipped frames, the metrics against the
library functions, and the command-line tools."""
import json
import math
import os
import os.path as osp

import numpy as np
import pytest
from eval_testdata import load_tool, write_png
from test_eval_metrics import run_evaluator, vos_chunks

from vostoolkit.evaluation import (evaluate_davis, evaluate_mose,
                                   evaluate_mose_v2, evaluate_vost)
from vostoolkit.evaluation.mose_rules import (adaptive_radius,
                                              boundary_kernels,
                                              frame_values_v2,
                                              object_summary_v2,
                                              smoothed_jaccard)
from vostoolkit.evaluation.vos_measures import (db_statistics, disk,
                                                f_measure)
from vostoolkit.evaluation.vost_eval import last_window, object_ious
from vostoolkit.testing.vos_eval_sets import write_set
from vostoolkit.utils import DataError

H, W = 480, 854  # DAVIS cap: 0.008 * ||(480, 854)|| = 7.8357


def test_smoothed_jaccard():
    assert smoothed_jaccard(2, 4) == 3 / 5  # (2 + 1) / (4 + 1), not 0.5
    assert smoothed_jaccard(0, 2) == 1 / 3
    assert smoothed_jaccard(0, 0) == 1.0


def test_fractional_disk_is_skimage_footprint():
    # arange(-1.7, 2.7) = [-1.7, -0.7, 0.3, 1.3, 2.3]; x**2 + y**2 <= 2.89
    np.testing.assert_array_equal(disk(1.7), [[0, 0, 0, 0, 0],
                                              [0, 1, 1, 1, 0],
                                              [0, 1, 1, 1, 0],
                                              [0, 1, 1, 0, 0],
                                              [0, 0, 0, 0, 0]])
    assert disk(1.5).sum() == 4 and disk(0.5).sum() == 0
    assert disk(7.3).shape == (16, 16) and disk(8.0).shape == (17, 17)


def test_adaptive_tolerance_small_and_large_object():
    cap = 0.008 * math.hypot(H, W)
    assert adaptive_radius(100, (H, W)) == (1.0, cap)  # ceil(0.1 * 10)
    assert adaptive_radius(2500, (H, W)) == (5.0, cap)  # ceil(0.1 * 50)
    assert adaptive_radius(40000, (H, W)) == (cap, cap)  # 20 capped
    small = boundary_kernels(100, (H, W))
    np.testing.assert_array_equal(small[0], disk(8))  # classic F: ceil(cap)
    np.testing.assert_array_equal(small[1], disk(1))
    (large, ) = boundary_kernels(40000, (H, W))  # both F: unrounded cap
    assert large.shape == (17, 17)
    assert not np.array_equal(large, disk(8))


def test_frame_values_small_object_shifted():
    """One-pixel object, prediction two pixels to the right: boundaries
    {(4,4),(4,5),(5,4),(5,5)} and {(4,6),(4,7),(5,6),(5,7)}; at radius 1
    half of each is matched (F_new = 0.5), at radius 8 all (F = 1)."""
    gt = np.zeros((H, W), np.uint8)
    pred = np.zeros((H, W), np.uint8)
    gt[5, 5] = 1
    pred[5, 7] = 1
    j, f_new, f_old, empty = frame_values_v2(gt, pred, [1])
    assert j[0] == 1 / 3 and f_new[0] == 0.5 and f_old[0] == 1.0
    assert not empty[0]


def test_frame_values_large_object_uses_cap_for_both():
    gt = np.zeros((H, W), np.uint8)
    gt[100:300, 100:300] = 2
    pred = np.roll(gt, 9, axis=1)
    j, f_new, f_old, empty = frame_values_v2(gt, pred, [2])
    assert f_new[0] == f_old[0]
    # a 9-pixel shift is beyond the 7.84 cap: columns do not match
    assert f_old[0] < f_measure(gt == 2, pred == 2, bound_th=9)
    assert j[0] == (200 * 191 + 1) / (200 * 209 + 1)


def test_disappearance_and_reappearance_segments():
    j = np.array([.1, .2, .3, .4, .5, .6])
    f = j * 10
    empty = np.array([False, True, True, False, False, True])
    out = object_summary_v2(j, f, f / 10, empty)
    assert out[:3] == pytest.approx([.35, 3.5, .35])
    # disappear [1, 3) and [5, 6); reappear [3, 5)
    assert out[3] == pytest.approx(((.2 + .3) / 2 + .6) / 2)
    assert out[4] == pytest.approx(((2 + 3) / 2 + 6) / 2)
    assert out[5:] == pytest.approx([(.4 + .5) / 2, (4 + 5) / 2])
    # absent on the first evaluated frame: that segment is not counted
    out = object_summary_v2(j[:3], f[:3], f[:3], np.array([True, False,
                                                           True]))
    assert out[3:] == pytest.approx([.3, 3., .2, 2.])
    out = object_summary_v2(j[:2], f[:2], f[:2], np.array([False, False]))
    assert out[3:] == [None] * 4


def test_j_last_window_and_uint8_decay(tmp_path):
    assert [last_window(n) for n in (1, 3, 4, 10)] == [0, 2, 3, 7]
    vals = np.linspace(0, 1, 300)
    assert math.isnan(db_statistics(vals, wrap_uint8=True)[2])  # edge 299->43
    assert not math.isnan(db_statistics(vals)[2])
    # 12 frames, 10 evaluated: J = 1 on the first 7, 0 on the last 3
    root = str(tmp_path / 'vost')
    obj = np.zeros((8, 8), np.uint8)
    obj[2:4, 2:4] = 1
    for t in range(12):
        write_png(osp.join(root, 'Annotations', 's', f'frame{t:05d}.png'), obj)
        pred = obj if t < 8 else np.zeros_like(obj)
        if t not in (0, 11):  # first and last never read
            write_png(osp.join(root, 'pred', 's', f'frame{t:05d}.png'), pred)
    os.makedirs(osp.join(root, 'ImageSets'))
    with open(osp.join(root, 'ImageSets', 'val.txt'), 'w') as f:
        f.write('s\n')
    res = evaluate_vost(root, osp.join(root, 'pred'), num_workers=1)
    assert res['J-Mean'] == pytest.approx(0.7)
    assert res['J_last-Mean'] == 0.0 and res['J_last-Recall'] == 0.0
    # decay bins over 10 values: [0..2] (all 1) and [7..9] (all 0)
    assert res['per_object']['s_1']['J-Decay'] == 1.0


def test_vost_void_is_background_and_extra_ids_ignored():
    gt = np.zeros((6, 6), np.uint8)
    gt[0:2, 0:2] = 1
    gt[4:6, 4:6] = 255
    pred = np.zeros_like(gt)
    pred[0:2, 0:2] = 1
    pred[4:6, 4:6] = 1  # on void: a false positive in VOST
    pred[3, 3] = 7  # above the object count: ignored
    assert object_ious(gt, pred, 1).tolist() == [0.5]
    assert object_ious(gt, np.zeros_like(gt), 2).tolist() == [0.0, 1.0]


@pytest.fixture(scope='module')
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp('mv')
    mose = write_set(str(root / 'mose'), 'mose', 3, 8, (40, 56), seed=3)
    vost = write_set(str(root / 'vost'), 'vost', 3, 8, (40, 56), seed=4)
    return str(root), mose, vost


def _chunks(pred_root, info):
    from vostoolkit.evaluation.mask_io import decode_index_png
    out = []
    for name, v in info.items():
        masks = np.stack([decode_index_png(osp.join(pred_root, name,
                                                    f'{s}.png'))
                          for s in v['frames']])
        out += vos_chunks(name, masks, v['frames'], chunk=3)
    return out


def test_metrics_equal_library(sets):
    root, mose, vost = sets
    gt, pred = osp.join(root, 'mose', 'gt'), osp.join(root, 'mose', 'pred')
    ref = evaluate_mose_v2(gt, pred, meta=osp.join(gt, 'meta.json'),
                           num_workers=1)
    got = run_evaluator(dict(type='MOSEv2Metric', gt_root=gt,
                             meta_file=osp.join(gt, 'meta.json')),
                        _chunks(pred, mose))
    for k, v in got.items():
        assert v == pytest.approx(ref[k.split('/', 1)[1]], abs=1e-12), k
    ref = evaluate_mose(gt, pred, num_workers=1)
    got = run_evaluator(dict(type='MOSEMetric', gt_root=gt),
                        _chunks(pred, mose))
    assert got['mose/J&F-Mean'] == pytest.approx(ref['J&F-Mean'], abs=1e-12)
    gt, pred = osp.join(root, 'vost', 'gt'), osp.join(root, 'vost', 'pred')
    ref = evaluate_vost(gt, pred, num_workers=1)
    got = run_evaluator(dict(type='VOSTMetric', gt_root=gt),
                        _chunks(pred, vost))
    for k, v in got.items():
        assert v == pytest.approx(ref[k.split('/', 1)[1]], abs=1e-12), k


def test_mose_v1_is_davis_rules(sets, tmp_path):
    """MOSE v1 = DAVIS 2017 semi-supervised on the same masks."""
    root, mose, _ = sets
    davis = tmp_path / 'davis'
    for name, v in mose.items():
        os.makedirs(davis / 'Annotations' / '480p')
        os.symlink(osp.join(root, 'mose', 'gt', 'Annotations', name),
                   davis / 'Annotations' / '480p' / name)
        break
    os.makedirs(davis / 'ImageSets' / '2017')
    (davis / 'ImageSets' / '2017' / 'val.txt').write_text(f'{name}\n')
    pred = osp.join(root, 'mose', 'pred')
    ref = evaluate_davis(str(davis), pred, num_workers=1)
    got = evaluate_mose(osp.join(root, 'mose', 'gt'), pred, videos=[name],
                        num_workers=1)
    assert got['J&F-Mean'] == ref['J&F-Mean']


def test_eval_tool_and_bad_input(sets, tmp_path):
    root, mose, _ = sets
    tool = load_tool('eval')
    gt, pred = osp.join(root, 'mose', 'gt'), osp.join(root, 'mose', 'pred')
    out = str(tmp_path / 'r.json')
    assert tool.main(['mosev2', '--gt', gt, '--pred', pred, '--meta',
                      osp.join(gt, 'meta.json'), '--json', out,
                      '--workers', '1']) == 0
    res = json.load(open(out))
    assert set(res['printed']) >= {'J&F_new', 'disappear_J&F_new'}
    assert res['printed']['J'] == round(res['J'] * 100, 2)
    # a missing video: an error by default, 0 as on the server if asked
    name = sorted(mose)[0]
    os.rename(osp.join(pred, name), osp.join(pred, name + '_x'))
    try:
        with pytest.raises(DataError, match='prediction folder'):
            evaluate_mose_v2(gt, pred, num_workers=1)
        res = evaluate_mose_v2(gt, pred, num_workers=1,
                               allow_missing_videos=True)
        assert all(v['J'] == 0 for k, v in res['per_object'].items()
                   if k.startswith(name))
    finally:
        os.rename(osp.join(pred, name + '_x'), osp.join(pred, name))
    assert tool.main(['vost', '--gt-root', str(tmp_path), '--pred',
                      pred]) == 2


def test_submission_writers_and_validators(toy_data, tmp_path):
    from vostoolkit.evaluation import (validate_mose_zip, validate_vost_zip,
                                       write_mose_submission,
                                       write_vost_submission)
    root, gt = toy_data('mose')
    videos = [(g.name, g.frame_names, g.id_maps) for g in gt['valid']]
    v1, v2 = str(tmp_path / 'v1.zip'), str(tmp_path / 'v2.zip')
    write_mose_submission(v1, videos, version=1)
    write_mose_submission(v2, videos, version=2)
    assert validate_mose_zip(v1, root, 'valid', version=1) == []
    assert validate_mose_zip(v2, osp.join(root, 'valid'), version=2) == []
    # both servers take the video folders at the zip root
    import zipfile
    with zipfile.ZipFile(v1) as src:
        names = src.namelist()
        assert all(n.split('/')[0] in {v[0] for v in videos} for n in names)
        nested = str(tmp_path / 'nested.zip')
        with zipfile.ZipFile(nested, 'w') as dst:
            for n in names:
                dst.writestr('Annotations/' + n, src.read(n))
    (problem, ) = validate_mose_zip(nested, root, 'valid', version=1)
    assert problem.startswith('zip layout') and "under 'Annotations/'" in \
        problem
    short = [(n, f[:-1], m[:-1]) for n, f, m in videos]
    write_mose_submission(v1, short, version=1)
    assert [p.endswith(': missing') for p in
            validate_mose_zip(v1, root, version=1)] == [True] * len(videos)
    root, gt = toy_data('vost')
    videos = [(g.name, g.frame_names, g.id_maps) for g in gt['val']]
    vz = str(tmp_path / 'vost.zip')
    write_vost_submission(vz, videos)
    assert validate_vost_zip(vz, root) == []
    bad = [(n, f, np.where(m > 0, 9, 0)) for n, f, m in videos[:1]]
    write_vost_submission(vz, bad + videos[1:])
    problems = validate_vost_zip(vz, root)
    assert problems and all('ids [9]' in p for p in problems)


def test_mose_v2_predictions_in_one_top_folder(sets, tmp_path):
    """score.py descends into a lone top folder of the predictions."""
    import shutil
    root, _, _ = sets
    gt, pred = osp.join(root, 'mose', 'gt'), osp.join(root, 'mose', 'pred')
    nested = tmp_path / 'out'
    shutil.copytree(pred, nested / 'my_method')
    ref = evaluate_mose_v2(gt, pred, num_workers=1)
    got = evaluate_mose_v2(gt, str(nested), num_workers=1)
    assert got['J&F_new'] == ref['J&F_new']


def test_mose_v2_skips_first_and_last_frame(tmp_path):
    """Only frame 1 of 3 counts: wrong first and last predictions do not
    change a perfect score; the meta.json length must match the PNGs."""
    obj = np.zeros((16, 16), np.uint8)
    obj[4:9, 4:9] = 1
    for t in range(3):
        write_png(str(tmp_path / 'gt' / 'v' / f'{t:05d}.png'), obj)
        write_png(str(tmp_path / 'pred' / 'v' / f'{t:05d}.png'),
                  obj if t == 1 else np.zeros_like(obj))
    meta = tmp_path / 'meta.json'
    meta.write_text(json.dumps({'videos': {'v': {
        'length': 3, 'height': 16, 'width': 16, 'objects': ['1']}}}))
    res = evaluate_mose_v2(str(tmp_path / 'gt'), str(tmp_path / 'pred'),
                           meta=str(meta), num_workers=1)
    assert res['J'] == res['F_new'] == res['F'] == 1.0
    assert math.isnan(res['disappear_J&F_new'])  # no object disappears
    meta.write_text(json.dumps({'videos': {'v': {
        'length': 4, 'height': 16, 'width': 16, 'objects': ['1']}}}))
    with pytest.raises(DataError, match='length 4'):
        evaluate_mose_v2(str(tmp_path / 'gt'), str(tmp_path / 'pred'),
                         meta=str(meta), num_workers=1)


def test_vost_object_ious_two_ways_agree(monkeypatch):
    """Few objects are scored by per-object counts, many by one confusion
    count: the same J on frames with void (255) and ids above the number
    of objects."""
    from vostoolkit.evaluation import vost_eval
    rng = np.random.default_rng(3)
    for n_obj in (1, 3, 8):
        for _ in range(5):
            gt = rng.integers(0, n_obj + 3, (23, 31)).astype(np.uint8)
            pred = rng.integers(0, n_obj + 3, (23, 31)).astype(np.uint8)
            gt[rng.random(gt.shape) < 0.1] = 255
            if rng.random() < 0.3:
                pred[pred == 1] = 0  # an object missing from both
                gt[gt == 1] = 0
            fast = vost_eval.object_ious(gt, pred, n_obj)
            monkeypatch.setattr(vost_eval, '_PER_OBJECT_MAX', 0)
            slow = vost_eval.object_ious(gt, pred, n_obj)
            monkeypatch.undo()
            assert np.array_equal(fast, slow)
