"""The toy SA-V layout reads back exactly as generated: every 24-fps frame,
per-object masks on every 4th frame with their overlaps kept, an id map
where the smaller object stays on top, each object given on its first
shown frame; train clips carry the same per-object masks; the toy ground
truth scores 100 with the official rules."""
import numpy as np
import pytest
import torch

from vostoolkit.datasets import SAVDataset
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.evaluation import evaluate_sav
from vostoolkit.models.segmentors.vos_utils import objects_given_on_frame

PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]


@pytest.fixture(scope='module')
def toy_sav(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_sav'))
    gt = generate_toy_dataset(root, 'sav', videos=0, val_videos=2,
                              frames=4, size=(32, 48), seed=0,
                              return_gt=True)
    return root, gt['val']


def test_sav_readback(toy_sav):
    root, gts = toy_sav
    ds = SAVDataset(root, split='val', test_mode=True, pipeline=PIPE)
    assert ds.num_videos == len(gts)
    overlaps = 0
    for i, g in enumerate(gts):
        r = ds[i]  # whole video
        n_all = (len(g.frame_names) - 1) * 4 + 1
        assert r['frame_names'] == [f'{t:05d}' for t in range(n_all)]
        assert r['obj_ids'] == sorted(g.obj_masks)
        for n, oid in enumerate(r['obj_ids']):
            shown = np.flatnonzero(g.obj_masks[oid].any(axis=(1, 2)))
            assert r['obj_first_frames'][n] == 4 * shown[0]
        for t in range(n_all):
            assert r['gt_frame_valid'][t] == (t % 4 == 0)
            layers = r['gt_masks'][t]  # (O, H, W)
            if t % 4:
                assert not layers.any()
                continue
            for n, oid in enumerate(r['obj_ids']):
                np.testing.assert_array_equal(layers[n] > 0,
                                              g.obj_masks[oid][t // 4])
            both = (layers > 0).sum(0) > 1
            overlaps += int(both.any())
            # the id map: the smaller of two overlapping objects on top
            ids = r['gt_obj_masks'][t]
            area = layers.reshape(len(layers), -1).sum(1, dtype=np.int64)
            for y, x in zip(*np.nonzero(both)):
                on = np.flatnonzero(layers[:, y, x])
                assert ids[y, x] == r['obj_ids'][on[np.argmin(area[on])]]
    assert overlaps, 'the toy SA-V set should hold overlapping masks'


def test_sav_train_clips_and_given_masks(toy_sav):
    root, gts = toy_sav
    pipe = PIPE + [dict(type='ClipRandomFlip', prob=1.0),
                   dict(type='PackVideoInputs')]
    ds = SAVDataset(root, split='val', pipeline=pipe,
                    clip_sampler=dict(type='VOSClipSampler', num_frames=2,
                                      max_skip=2))
    out = ds[0]
    sample = out['data_samples']
    inst = sample.gt_instances
    assert inst.masks.shape[:2] == (len(sample.obj_ids), 2)
    assert torch.equal(inst.instance_ids, sample.obj_ids)
    # the flip reached the per-object masks like the frames and the id map
    g = gts[0]
    t = sample.metainfo['frame_ids'][0] // 4
    for n, oid in enumerate(sample.obj_ids.tolist()):
        assert torch.equal(inst.masks[n, 0],
                           torch.from_numpy(g.obj_masks[oid][t][:, ::-1]
                                            .copy()))
    # a model is given each object's own (overlapping) mask
    test = SAVDataset(root, split='val', test_mode=True,
                      pipeline=PIPE + [dict(type='PackVideoInputs')])
    sample = test[0]['data_samples']
    first = sample.obj_first_frames.tolist()
    ids, masks = objects_given_on_frame(sample, first[0], [])
    for oid, m in zip(ids, masks):
        n = sample.obj_ids.tolist().index(oid)
        assert torch.equal(m, sample.gt_instances.masks[n, first[0]])


def test_sav_toy_ground_truth_scores_100(toy_sav):
    root, _ = toy_sav
    ann = f'{root}/sav_val/Annotations_6fps'
    res = evaluate_sav(root, ann, num_workers=1)
    assert res['J&F'] == 100.0 and len(res['per_object']) >= 3
