"""The mmengine metrics and submission writers, fed like the video loop
feeds them (``VideoDataSample`` chunks through an ``Evaluator``)."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from eval_testdata import (gt_as_results, make_davis, make_vis_gt, make_ytvos,
                           moving_objects)
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from vostoolkit.evaluation import (validate_davis_zip, validate_vis_zip,
                                   validate_ytvos_zip)
from vostoolkit.registry import METRICS
from vostoolkit.structures.video_data_sample import VideoDataSample


def vos_chunks(name, masks, names, chunk=2, scale=1):
    """Chunks of ``masks`` (T, H, W) as VideoDataSamples; predictions
    optionally down-scaled by ``scale`` (the metric resizes them back)."""
    t_all = len(masks)
    out = []
    for start in range(0, t_all, chunk):
        ids = list(range(start, min(start + chunk, t_all)))
        s = VideoDataSample(metainfo=dict(
            video_name=name, video_id=name, frame_ids=ids,
            frame_names=[names[i] for i in ids], video_length=t_all,
            ori_shape=masks.shape[1:], is_first=start == 0,
            is_last=ids[-1] == t_all - 1))
        s.pred_obj_masks = torch.from_numpy(
            np.ascontiguousarray(masks[ids][:, ::scale, ::scale]))
        out.append(s)
    return out


def blocky(masks):
    """Ground truth constant on aligned 2x2 blocks (exact after a nearest
    down- and up-scaling by 2)."""
    return np.kron(masks, np.ones((1, 2, 2), np.uint8))


def run_evaluator(metric_cfg, samples):
    evaluator = Evaluator(METRICS.build(metric_cfg))
    for s in samples:
        evaluator.process(data_samples=[s], data_batch=None)
    return evaluator.evaluate(len(samples))


@pytest.fixture
def davis(tmp_path):
    seqs = {'s1': blocky(moving_objects(5, 12, 16, 2, seed=0)),
            's2': blocky(moving_objects(4, 12, 16, 1, seed=1))}
    root = str(tmp_path / 'davis')
    make_davis(root, seqs)
    return root, seqs


def test_davis_metric_chunks_and_resized_predictions(davis):
    root, seqs = davis
    names = [f'{t:05d}' for t in range(5)]
    samples = vos_chunks('s1', seqs['s1'], names, chunk=2, scale=2) + \
        vos_chunks('s2', seqs['s2'], names, chunk=3)
    res = run_evaluator(dict(type='DAVISMetric', gt_root=root), samples)
    assert res['davis/J&F-Mean'] == 1.0 and res['davis/J-Decay'] == 0.0
    bad = seqs['s2'].copy()
    bad[1] = 0  # 4 frames: frames 1 (missed) and 2 (perfect) are evaluated
    res = run_evaluator(dict(type='DAVISMetric', gt_root=root),
                        vos_chunks('s2', bad, names))
    assert res['davis/J-Mean'] == 0.5


def test_davis_submission_is_accepted_by_the_validator(davis, tmp_path):
    root, seqs = davis
    out = str(tmp_path / 'sub' / 'davis.zip')
    names = [f'{t:05d}' for t in range(5)]
    samples = vos_chunks('s1', seqs['s1'], names, scale=2) + \
        vos_chunks('s2', seqs['s2'], names)
    res = run_evaluator(dict(type='DAVISSubmission', out_file=out), samples)
    assert res == {'submission/num_videos': 2, 'submission/num_frames': 9}
    assert osp.isfile(out) and not osp.exists(out + '.parts')
    assert [f for f in os.listdir(osp.dirname(out))] == ['davis.zip']
    assert validate_davis_zip(out, root) == []


@pytest.fixture
def ytvos(tmp_path):
    root = str(tmp_path / 'ytvos')
    videos = {'v0': moving_objects(4, 12, 16, 2, seed=3, late={2: 1})}
    names = make_ytvos(root, 'valid', videos, {'v0': {1: 'a', 2: 'b'}})
    return root, videos, names


def test_youtube_vos_metric_and_submission(ytvos, tmp_path):
    root, videos, names = ytvos
    samples = vos_chunks('v0', videos['v0'], names['v0'], chunk=3)
    res = run_evaluator(dict(type='YouTubeVOSMetric', data_root=root,
                             split='valid'), samples)
    assert res['youtube_vos/G'] == 1.0
    # all-frames inference: frames between the listed ones are dropped
    dense = videos['v0'][np.arange(16) // 5]
    dense_names = [f'{t:05d}' for t in range(16)]
    out = str(tmp_path / 'ytvos.zip')
    res = run_evaluator(
        dict(type='YouTubeVOSSubmission', out_file=out,
             meta_file=osp.join(root, 'valid', 'meta.json')),
        vos_chunks('v0', dense, dense_names, chunk=3))
    assert res['submission/num_frames'] == len(names['v0']) == 4
    assert validate_ytvos_zip(out, osp.join(root, 'valid')) == []


def vis_chunks(gt, video_id, chunk, use_rles=False):
    video = next(v for v in gt['videos'] if v['id'] == video_id)
    h, w, n = video['height'], video['width'], video['length']
    anns = [a for a in gt['annotations'] if a['video_id'] == video_id]
    masks = np.zeros((len(anns), n, h, w), bool)
    for i, a in enumerate(anns):
        for t, s in enumerate(a['segmentations']):
            if s is not None:
                masks[i, t] = mask_utils.decode(s).astype(bool)
    cats = sorted(c['id'] for c in gt['categories'])
    out = []
    for start in range(0, n, chunk):
        ids = list(range(start, min(start + chunk, n)))
        s = VideoDataSample(metainfo=dict(
            video_id=video_id, frame_ids=ids, video_length=n,
            ori_shape=(h, w), is_last=ids[-1] == n - 1))
        inst = InstanceData()
        inst.scores = torch.linspace(1, 0.5, len(anns))
        inst.labels = torch.tensor([cats.index(a['category_id'])
                                    for a in anns])
        if use_rles:
            inst.rles = [[mask_utils.encode(np.asfortranarray(
                m.astype(np.uint8))) for m in masks[i, ids]]
                for i in range(len(anns))]
        else:
            inst.masks = torch.from_numpy(masks[:, ids])
        s.pred_instances = inst
        out.append(s)
    return out


@pytest.fixture
def vis_gt(tmp_path):
    def box(y, x, h, w):
        m = np.zeros((16, 24), bool)
        m[y:y + h, x:x + w] = True
        return m
    gt = make_vis_gt({
        1: [dict(category_id=1,
                 masks=[box(1, 1, 5, 5), None, box(2, 2, 5, 5)]),
            dict(category_id=2, masks=[box(8, 8, 6, 9)] * 3)],
        2: [dict(category_id=1, masks=[None, box(3, 3, 4, 4),
                                       box(3, 4, 4, 4)]),
            dict(category_id=2, masks=[box(0, 10, 5, 5)] * 3)]}, 16, 24)
    path = str(tmp_path / 'ann.json')
    import json
    with open(path, 'w') as f:
        json.dump(gt, f)
    return path, gt


def test_youtube_vis_metric_with_masks_or_rles(vis_gt):
    path, gt = vis_gt
    samples = vis_chunks(gt, 1, chunk=2) + vis_chunks(gt, 2, chunk=3,
                                                      use_rles=True)
    res = run_evaluator(dict(type='YouTubeVISMetric', ann_file=path), samples)
    assert res['vis/AP'] == 1.0 and res['vis/AR1'] == 1.0


def test_youtube_vis_submission_topk_and_validator(vis_gt, tmp_path):
    path, gt = vis_gt
    out = str(tmp_path / 'vis.zip')
    samples = vis_chunks(gt, 1, chunk=3) + vis_chunks(gt, 2, chunk=1)
    res = run_evaluator(dict(type='YouTubeVISSubmission', out_file=out,
                             ann_file=path, topk=1), samples)
    assert res == {'submission/num_videos': 2, 'submission/num_results': 2}
    assert validate_vis_zip(out, path) == []
    assert gt_as_results(gt)  # the fixture is a valid ground truth
