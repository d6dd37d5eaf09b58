"""DAVIS J&F: protocol rules, exactness, errors and the CLI."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from eval_testdata import (REPO, load_tool, make_davis, moving_objects,
                           write_pred_folder)

from vostoolkit.evaluation import evaluate_davis
from vostoolkit.evaluation.vos_measures import (db_statistics, f_measure,
                                                jaccard)
from vostoolkit.utils import DataError


@pytest.fixture
def davis(tmp_path):
    seqs = {'aaa': moving_objects(6, 24, 32, 2, seed=1),
            'bbb': moving_objects(5, 24, 32, 1, seed=2)}
    make_davis(str(tmp_path / 'gt'), seqs)
    return str(tmp_path / 'gt'), seqs


def reference_semi(seqs, preds):
    """Whole-frame, all-at-once reference of the semi-supervised rules."""
    cols = {k: [] for k in ('JM', 'JR', 'JD', 'FM', 'FR', 'FD')}
    for name, gt in seqs.items():
        gt = np.where(gt == 255, 0, gt)
        n_obj = int(gt[0].max())
        for k in range(1, n_obj + 1):
            js = [jaccard(gt[t] == k, preds[name][t] == k)
                  for t in range(1, len(gt) - 1)]
            fs = [f_measure(gt[t] == k, preds[name][t] == k)
                  for t in range(1, len(gt) - 1)]
            for key, val in zip(cols, db_statistics(js) + db_statistics(fs)):
                cols[key].append(val)
    jm, fm = np.mean(cols['JM']), np.mean(cols['FM'])
    return {'J&F-Mean': (jm + fm) / 2, 'J-Mean': jm,
            'J-Recall': np.mean(cols['JR']), 'J-Decay': np.mean(cols['JD']),
            'F-Mean': fm, 'F-Recall': np.mean(cols['FR']),
            'F-Decay': np.mean(cols['FD'])}


def test_ground_truth_as_prediction_scores_one(davis, tmp_path):
    root, seqs = davis
    pred = write_pred_folder(str(tmp_path / 'pred'), seqs)
    res = evaluate_davis(root, pred, num_workers=1)
    assert res['J&F-Mean'] == 1.0 and res['J-Mean'] == 1.0
    assert res['F-Mean'] == 1.0 and res['J-Recall'] == 1.0
    assert res['J-Decay'] == 0.0 and res['F-Decay'] == 0.0
    assert sorted(res['per_object']) == ['aaa_1', 'aaa_2', 'bbb_1']
    assert res['per_sequence']['bbb']['J&F-Mean'] == 1.0


def test_matches_whole_frame_reference_exactly(davis, tmp_path):
    root, seqs = davis
    rng = np.random.default_rng(3)
    preds = {}
    for name, gt in seqs.items():
        p = np.roll(gt, rng.integers(-2, 3), axis=2).copy()
        p[rng.random(p.shape) < 0.02] = 0
        preds[name] = p
    pred = write_pred_folder(str(tmp_path / 'pred'), preds)
    res = evaluate_davis(root, pred, num_workers=2)
    ref = reference_semi(seqs, preds)
    for key, value in ref.items():
        assert res[key] == value, key  # bit-identical, not approximately
    assert 0 < res['J&F-Mean'] < 1
    assert evaluate_davis(root, pred, num_workers=1) == res


def test_hand_computed_sequence(tmp_path):
    gt = np.zeros((5, 8, 8), np.uint8)
    gt[:, 2:6, 2:6] = 1  # 16 px
    pred = gt.copy()
    pred[2] = 0  # frame 2: J = 0
    pred[3, 2:6, 4:6] = 0  # frame 3: J = 8/16
    pred[0] = 7  # first and last frames are never read
    pred[4] = 9
    make_davis(str(tmp_path / 'gt'), {'s': gt})
    res = evaluate_davis(str(tmp_path / 'gt'),
                         write_pred_folder(str(tmp_path / 'p'), {'s': pred}),
                         num_workers=1)
    row = res['per_object']['s_1']
    assert row['J-Mean'] == 0.5  # (1 + 0 + 0.5) / 3
    assert row['J-Recall'] == 1 / 3  # exactly 0.5 does not count
    # n = 3: edges [0, 1, 1, 2, 2]: first bin (1, 0), last bin (0.5)
    assert row['J-Decay'] == 0.5 - 0.5


def test_void_is_background_and_ids_follow_first_frame(tmp_path):
    gt = np.zeros((4, 6, 8), np.uint8)
    gt[:, 1:3, 1:3] = 1  # object: 4 px
    gt[:, 1:3, 3:5] = 255  # void: 4 px
    gt[2, 4:6, 6:8] = 2  # object 2 is not in the first frame: ignored
    pred = gt.copy()
    pred[pred == 255] = 1  # the void region predicted as the object
    pred[pred == 2] = 0
    make_davis(str(tmp_path / 'gt'), {'s': gt})
    res = evaluate_davis(str(tmp_path / 'gt'),
                         write_pred_folder(str(tmp_path / 'p'), {'s': pred}),
                         num_workers=1)
    assert list(res['per_object']) == ['s_1']
    assert res['J-Mean'] == 0.5  # 4 / 8: void counted as background


def test_absent_prediction_id_is_an_empty_mask(davis, tmp_path):
    root, seqs = davis
    preds = {k: v.copy() for k, v in seqs.items()}
    preds['aaa'][preds['aaa'] == 2] = 0
    res = evaluate_davis(root, write_pred_folder(str(tmp_path / 'p'), preds),
                         num_workers=1)
    assert res['per_object']['aaa_1']['J-Mean'] == 1.0
    assert res['per_object']['aaa_2']['J-Mean'] == 0.0
    assert res['per_object']['aaa_2']['F-Mean'] == 0.0


@pytest.mark.parametrize('defect', ['id', 'missing', 'size', 'rgb'])
def test_errors_name_the_file(davis, tmp_path, defect):
    root, seqs = davis
    pred = write_pred_folder(str(tmp_path / 'p'), seqs)
    bad = osp.join(pred, 'aaa', '00002.png')
    if defect == 'id':
        ids = seqs['aaa'][2].copy()
        ids[0, 0] = 3  # the sequence has 2 objects
        write_pred_folder(pred, {'aaa': ids[None]},
                          frames={'aaa': ['00002']})
    elif defect == 'missing':
        os.remove(bad)
    elif defect == 'size':
        write_pred_folder(pred, {'aaa': np.zeros((1, 24, 30), np.uint8)},
                          frames={'aaa': ['00002']})
    else:
        from PIL import Image
        Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(bad)
    with pytest.raises(DataError) as err:
        evaluate_davis(root, pred, num_workers=2)
    assert bad in str(err.value) and '\n' not in str(err.value)


def test_unsupervised_matches_proposals(tmp_path):
    gt = moving_objects(4, 20, 28, 2, seed=5)
    gt[:, 0:2, :] = 255  # void band
    make_davis(str(tmp_path / 'gt'), {'u': gt}, ann='Annotations_unsupervised')
    pred = np.zeros_like(gt)
    pred[gt == 1] = 3  # proposal 3 is object 1
    pred[gt == 2] = 1  # proposal 1 is object 2
    pred[gt == 255] = 2  # proposal 2 lies in void only: harmless
    p = write_pred_folder(str(tmp_path / 'p'), {'u': pred})
    res = evaluate_davis(str(tmp_path / 'gt'), p, task='unsupervised',
                         num_workers=1)
    assert res['J&F-Mean'] == 1.0
    assert sorted(res['per_object']) == ['u_1', 'u_2']
    pred[0, 5, 5] = 21  # more than 20 proposals
    write_pred_folder(p, {'u': pred})
    with pytest.raises(DataError, match='00000.png'):
        evaluate_davis(str(tmp_path / 'gt'), p, task='unsupervised',
                       num_workers=1)


def test_unsupervised_prefers_empty_over_bad_proposal(tmp_path):
    gt = np.zeros((3, 10, 10), np.uint8)
    gt[:, 2:5, 2:5] = 1
    make_davis(str(tmp_path / 'gt'), {'u': gt}, ann='Annotations_unsupervised')
    pred = np.zeros_like(gt)
    pred[:, 6:9, 6:9] = 2  # proposal 2 misses; proposal 1 is empty
    res = evaluate_davis(
        str(tmp_path / 'gt'),
        write_pred_folder(str(tmp_path / 'p'), {'u': pred}),
        task='unsupervised', num_workers=1)
    assert res['J-Mean'] == 0.0 and res['F-Mean'] == 0.0


def test_cli_table_json_and_error_exit(davis, tmp_path, capsys):
    root, seqs = davis
    pred = write_pred_folder(str(tmp_path / 'p'), seqs)
    out = str(tmp_path / 'res.json')
    args = ['davis', '--gt-root', root, '--pred', pred, '--json', out,
            '--workers', '1']
    assert load_tool('eval').main(args) == 0
    assert 'J&F-Mean' in capsys.readouterr().out
    with open(out) as f:
        data = json.load(f)
    assert data['J&F-Mean'] == 1.0 and 'aaa_2' in data['per_object']
    os.remove(osp.join(pred, 'bbb', '00001.png'))
    run = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'eval.py')]
                         + args, capture_output=True, text=True)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and osp.join('bbb', '00001.png') in lines[0]
