"""The toy LVOS layout reads back exactly as generated: every frame of the
30-fps numbering, masks on every 5th, each object's first mask on its
``frame_range`` start (objects enter part-way), and the toy ground truth
scores 1 with the official rules."""
import numpy as np
import pytest

from vostoolkit.datasets import LVOSDataset
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.evaluation import evaluate_lvos

PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]


@pytest.fixture(scope='module')
def toy_lvos(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_lvos'))
    gt = generate_toy_dataset(root, 'lvos', videos=2, val_videos=3,
                              frames=5, size=(32, 48), return_gt=True)
    return root, gt


@pytest.mark.parametrize('split', ['train', 'valid'])
def test_lvos_readback(toy_lvos, split):
    root, gt = toy_lvos
    ds = LVOSDataset(root, split=split, test_mode=True, pipeline=PIPE)
    assert ds.num_videos == len(gt[split])
    late = 0
    for i, g in enumerate(gt[split]):
        r = ds[i]  # whole video
        n_all = (len(g.frame_names) - 1) * 5 + 1
        assert r['frame_names'] == [f'{t + 1:08d}' for t in range(n_all)]
        assert r['obj_ids'] == sorted(g.first_frames)
        # the first mask of an object is on its first visible stored frame
        assert r['obj_first_frames'] == [5 * g.first_frames[o]
                                         for o in r['obj_ids']]
        late += sum(f > 0 for f in r['obj_first_frames'])
        for t in range(n_all):
            assert r['gt_frame_valid'][t] == (t % 5 == 0)
            if t % 5 == 0:
                np.testing.assert_array_equal(r['gt_obj_masks'][t],
                                              g.id_maps[t // 5])
            assert r['imgs'][t].shape == g.id_maps[0].shape + (3, )
    if split == 'valid':
        assert late, 'the toy valid split should hold a late object'


def test_lvos_toy_ground_truth_scores_one(toy_lvos):
    root, _ = toy_lvos
    res = evaluate_lvos(root, f'{root}/valid/Annotations', num_workers=1)
    assert res['J&F-Mean'] == 1.0 and res['V-Mean'] == 0.0
