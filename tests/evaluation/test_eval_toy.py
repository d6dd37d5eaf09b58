"""Acceptance on the toy datasets: the ground truth written as predictions
scores J&F-Mean = 1.0, G = 1.0 and AP = 1.0 exactly, and the submission
zips built from it pass the validator.

Uses the session toy fixtures of ``tests/conftest.py``; without them, falls
back to ground truth generated here in the same on-disk formats.
"""
import json
import os
import os.path as osp

import numpy as np
import pytest
from eval_testdata import (gt_as_results, load_tool, make_davis, make_vis_gt,
                          make_ytvos, moving_objects)

from vostoolkit.evaluation import (evaluate_davis, evaluate_vis,
                                   evaluate_youtube_vos, validate_davis_zip,
                                   validate_vis_zip, validate_ytvos_zip,
                                   write_davis_submission,
                                   write_vis_submission,
                                   write_ytvos_submission)
from vostoolkit.evaluation.davis_eval import first_frame_objects
from vostoolkit.evaluation.mask_io import decode_index_png, list_pngs
from vostoolkit.evaluation.ytvos_eval import load_meta, video_frames


def _fixture(request, name):
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return None


@pytest.fixture
def davis_root(request, tmp_path):
    root = _fixture(request, 'toy_davis_root')
    if root is None:
        root = str(tmp_path / 'davis')
        make_davis(root, {f'v{i}': moving_objects(6, 48, 64, 3, seed=i,
                                                  late={3: 2})
                          for i in range(2)})
    return root


def test_toy_davis_ground_truth_scores_one(davis_root, tmp_path):
    seqs = [s for s in open(osp.join(davis_root, 'ImageSets', '2017',
                                      'val.txt')).read().split() if s]
    videos = []
    for seq in seqs:
        ann = osp.join(davis_root, 'Annotations', '480p', seq)
        frames = list_pngs(ann)
        masks = np.stack([decode_index_png(osp.join(ann, f + '.png'))
                          for f in frames])
        n_obj = first_frame_objects(masks[0])
        # what a method outputs: void is background, and objects absent
        # from the first frame are unknown to it
        masks[(masks == 255) | (masks > n_obj)] = 0
        videos.append((seq, frames, masks))
    out = str(tmp_path / 'davis.zip')
    write_davis_submission(out, videos)
    assert validate_davis_zip(out, davis_root) == []
    res = evaluate_davis(davis_root, out, num_workers=2)
    assert res['J&F-Mean'] == 1.0 and res['J-Mean'] == 1.0
    assert res['F-Mean'] == 1.0
    tool = load_tool('eval')
    assert tool.main(['davis', '--gt-root', davis_root, '--pred', out,
                      '--workers', '1']) == 0


@pytest.fixture
def ytvos(request, tmp_path):
    """(root, {split: {video: (frames, (T, H, W) ids)}})."""
    toy = _fixture(request, 'toy_data')
    if toy is not None:
        root, gt = toy('youtube-vos')
        return root, {split: {v.name: (list(v.frame_names),
                                       np.asarray(v.id_maps))
                              for v in videos}
                      for split, videos in gt.items()}
    root = str(tmp_path / 'ytvos')
    out = {}
    for split, seed in (('train', 0), ('valid', 10)):
        videos = {f'{split}{i}': moving_objects(4, 48, 64, 2, seed=seed + i,
                                                late={2: 1})
                  for i in range(2)}
        names = make_ytvos(root, split, videos,
                           {v: {1: 'a', 2: 'b'} for v in videos})
        out[split] = {v: (names[v], videos[v]) for v in videos}
    return root, out


def test_toy_ytvos_ground_truth_scores_one(ytvos, tmp_path):
    root, gt = ytvos
    train = gt['train']
    pred = str(tmp_path / 'train.zip')
    # the labelled training split evaluated as a held-out set
    write_ytvos_submission(pred, [(v, f, m) for v, (f, m) in train.items()])
    res = evaluate_youtube_vos(root, pred, split='train', num_workers=2)
    assert res['G'] == 1.0 and res['J_seen'] == 1.0
    meta = load_meta(osp.join(root, 'valid', 'meta.json'))
    listed = {v: set(video_frames(info)) for v, info in meta.items()}
    valid = [(v, f, m) for v, (f, m) in gt['valid'].items()]
    sub = str(tmp_path / 'valid.zip')
    write_ytvos_submission(sub, valid, osp.join(root, 'valid', 'meta.json'))
    assert validate_ytvos_zip(sub, osp.join(root, 'valid')) == []
    assert sum(len(s) for s in listed.values()) > 0


@pytest.fixture
def vis_ann(request, tmp_path):
    root = _fixture(request, 'toy_ytvis_root')
    if root is not None:
        return osp.join(root, 'valid.json')

    def blob(t, k):
        m = np.zeros((48, 64), bool)
        m[4 + 9 * k:12 + 9 * k, 3 + 5 * t:20 + 5 * t] = True
        return m
    gt = make_vis_gt({v: [dict(category_id=1 + k % 3,
                               masks=[blob(t, k) for t in range(5)])
                          for k in range(3)] for v in (1, 2)}, 48, 64)
    path = str(tmp_path / 'valid.json')
    with open(path, 'w') as f:
        json.dump(gt, f)
    return path


def test_toy_vis_ground_truth_gives_ap_one(vis_ann, tmp_path):
    with open(vis_ann) as f:
        gt = json.load(f)
    results = gt_as_results(gt)
    res = evaluate_vis(vis_ann, results)
    assert res['AP'] == 1.0 and res['AP50'] == 1.0 and res['AR10'] == 1.0
    out = str(tmp_path / 'sub' / 'vis.zip')
    write_vis_submission(out, results, topk=10)
    assert validate_vis_zip(out, vis_ann) == []
    assert evaluate_vis(vis_ann, load_tool('eval').load_vis_results(out)) \
        == res
    assert os.listdir(osp.dirname(out)) == ['vis.zip']
