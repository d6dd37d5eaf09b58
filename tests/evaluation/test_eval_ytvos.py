"""YouTube-VOS G: scored frames, seen/unseen split and errors."""
import numpy as np
import pytest
from eval_testdata import make_ytvos, moving_objects, write_pred_folder

from vostoolkit.evaluation import evaluate_youtube_vos
from vostoolkit.evaluation.ytvos_eval import scored_frames
from vostoolkit.utils import DataError


@pytest.fixture
def ytvos(tmp_path):
    root = str(tmp_path / 'ytvos')
    train = {'t0': moving_objects(3, 16, 24, 1, seed=0)}
    make_ytvos(root, 'train', train, {'t0': {1: 'cat'}})
    videos = {'v0': moving_objects(5, 16, 24, 2, seed=1, late={2: 2}),
              'v1': moving_objects(4, 16, 24, 1, seed=2)}
    cats = {'v0': {1: 'cat', 2: 'dog'}, 'v1': {1: 'dog'}}
    names = make_ytvos(root, 'valid', videos, cats)
    return root, videos, names


def test_scored_frames_start_after_first_appearance(ytvos):
    root, videos, names = ytvos
    video = {'objects': {'1': {'frames': ['00000', '00005', '00010']},
                         '2': {'frames': ['00010', '00015']}}}
    assert scored_frames(video) == {1: ['00005', '00010', '00015'],
                                    2: ['00015']}
    assert scored_frames(video, exclude_last=True) == {
        1: ['00005', '00010'], 2: []}


def test_ground_truth_scores_one(ytvos, tmp_path):
    root, videos, names = ytvos
    pred = write_pred_folder(str(tmp_path / 'p'), videos, names,
                             prefix='Annotations')
    res = evaluate_youtube_vos(root, pred, split='valid', num_workers=1)
    assert res['G'] == 1.0
    assert res['J_seen'] == res['F_unseen'] == 1.0
    assert res['num_objects'] == {'seen': 1, 'unseen': 2}


def test_seen_unseen_and_late_objects(ytvos, tmp_path):
    root, videos, names = ytvos
    preds = {k: v.copy() for k, v in videos.items()}
    preds['v1'][:] = 0  # unseen object 'dog' of v1: missed everywhere
    # the late object 2 of v0 may be anything before and on its first frame
    preds['v0'][:3][preds['v0'][:3] == 2] = 0
    pred = write_pred_folder(str(tmp_path / 'p'), preds, names)
    res = evaluate_youtube_vos(root, pred, split='valid', num_workers=2)
    assert res['J_seen'] == 1.0 and res['F_seen'] == 1.0
    # unseen: v0_2 perfect, v1_1 missed on all its scored frames
    assert res['J_unseen'] == 0.5 and res['F_unseen'] == 0.5
    assert res['G'] == 0.75
    assert res['per_object']['v0_2']['frames'] == 2  # frames 3 and 4


def test_all_seen_when_no_training_meta(ytvos, tmp_path):
    root, videos, names = ytvos
    pred = write_pred_folder(str(tmp_path / 'p'), videos, names)
    res = evaluate_youtube_vos(root, pred, split='valid', num_workers=1,
                               seen_categories=['cat', 'dog'],
                               videos=['v1'])
    assert res['num_objects'] == {'seen': 1, 'unseen': 0}
    assert np.isnan(res['J_unseen']) and res['G'] == 1.0


def test_unknown_id_names_the_file(ytvos, tmp_path):
    root, videos, names = ytvos
    preds = {k: v.copy() for k, v in videos.items()}
    preds['v1'][2, 0, 0] = 5
    pred = write_pred_folder(str(tmp_path / 'p'), preds, names)
    with pytest.raises(DataError, match=r'v1.00010\.png.*ids \[5\]'):
        evaluate_youtube_vos(root, pred, split='valid', num_workers=1)
