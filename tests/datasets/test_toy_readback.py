"""The toy generator writes datasets that the readers load, and every mask
read back equals the generated one (every frame, every object, absent frames
and late objects included)."""
import json
import os.path as osp

import numpy as np
import pytest

from vostoolkit.datasets import (DAVISDataset, OVISDataset,
                                 YouTubeVISDataset, YouTubeVOSDataset)
from vostoolkit.datasets.toy import vos_first_masks

VOS_PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]
VIS_PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVISAnnotations')]


def _videos(dataset):
    """Whole videos of a test-mode dataset, chunks concatenated."""
    videos, cur = [], None
    for i in range(len(dataset)):
        r = dataset[i]
        if r['is_first']:
            cur = dict(r)
            videos.append(cur)
        else:
            for key in ('frame_ids', 'imgs', 'gt_obj_masks', 'gt_void',
                        'gt_frame_valid', 'gt_masks'):
                if key in r:
                    cur[key] = list(cur[key]) + list(r[key])
            if 'gt_instance_valid' in r:
                cur['gt_instance_valid'] = np.concatenate(
                    [cur['gt_instance_valid'], r['gt_instance_valid']], 1)
        assert r['is_last'] == (r['frame_ids'][-1] == r['video_length'] - 1)
    return videos


@pytest.mark.parametrize('split', ['train', 'val'])
@pytest.mark.parametrize('chunk', [None, 4])
def test_davis_2017_readback(toy_data, split, chunk):
    root, gt = toy_data('davis')
    ds = DAVISDataset(root, split=split, test_mode=True, pipeline=VOS_PIPE,
                      test_chunk_len=chunk)
    videos = _videos(ds)
    assert [v['video_name'] for v in videos] == [g.name for g in gt[split]]
    for v, g in zip(videos, gt[split]):
        assert v['frame_ids'] == list(range(len(g.frame_names)))
        assert v['obj_ids'] == sorted(g.first_frames)
        assert v['obj_first_frames'] == [0] * len(v['obj_ids'])
        assert all(v['gt_frame_valid'])
        for t, (mask, void) in enumerate(zip(v['gt_obj_masks'],
                                             v['gt_void'])):
            np.testing.assert_array_equal(mask, g.id_maps[t])
            assert not void.any()
            assert v['imgs'][t].shape == g.id_maps[t].shape + (3, )


def test_davis_2016_binarised_and_test_dev(toy_data):
    root, gt = toy_data('davis')
    ds = DAVISDataset(root, year='2016', split='val', test_mode=True,
                      pipeline=VOS_PIPE)
    for v, g in zip(_videos(ds), gt['val']):
        assert v['obj_ids'] == [1]
        for t, mask in enumerate(v['gt_obj_masks']):
            np.testing.assert_array_equal(mask, (g.id_maps[t] > 0))
    ds = DAVISDataset(root, split='test-dev', test_mode=True,
                      pipeline=VOS_PIPE)
    (v, ), (g, ) = _videos(ds), gt['test-dev']
    assert v['gt_frame_valid'] == [True] + [False] * (len(g.frame_names) - 1)
    np.testing.assert_array_equal(v['gt_obj_masks'][0], g.id_maps[0])
    assert not any(m.any() for m in v['gt_obj_masks'][1:])


def test_youtube_vos_train_readback(toy_data):
    root, gt = toy_data('youtube-vos')
    ds = YouTubeVOSDataset(root, split='train', test_mode=True,
                           pipeline=VOS_PIPE, test_chunk_len=4)
    by_name = {g.name: g for g in gt['train']}
    videos = _videos(ds)
    assert sorted(v['video_name'] for v in videos) == sorted(by_name)
    for v in videos:
        g = by_name[v['video_name']]
        assert v['frame_names'] == g.frame_names
        assert v['obj_ids'] == sorted(g.first_frames)
        assert v['obj_first_frames'] == [g.first_frames[i]
                                         for i in v['obj_ids']]
        assert v['categories'] == g.categories
        for t, mask in enumerate(v['gt_obj_masks']):
            np.testing.assert_array_equal(mask, g.id_maps[t])


def test_youtube_vos_valid_first_masks_and_all_frames(toy_data):
    root, gt = toy_data('youtube-vos')
    by_name = {g.name: g for g in gt['valid']}
    ds = YouTubeVOSDataset(root, split='valid', test_mode=True,
                           pipeline=VOS_PIPE)
    late = 0
    for v in _videos(ds):
        g = by_name[v['video_name']]
        first = vos_first_masks(g)
        late += sum(f > 0 for f in g.first_frames.values())
        assert v['obj_first_frames'] == [g.first_frames[i]
                                         for i in v['obj_ids']]
        for t, mask in enumerate(v['gt_obj_masks']):
            assert v['gt_frame_valid'][t] == (t in first)
            expect = first.get(t, np.zeros_like(g.id_maps[t]))
            np.testing.assert_array_equal(mask, expect)
    assert late > 0, 'toy valid split should have a late object'
    ds = YouTubeVOSDataset(root, split='valid', test_mode=True,
                           use_all_frames=True, pipeline=VOS_PIPE)
    for i in range(ds.num_videos):
        info = ds.get_video_info(i)
        g = by_name[info['video_name']]
        n = len(g.frame_names)
        assert info['video_length'] == (n - 1) * 5 + 1
        assert [info['frame_names'][5 * t] for t in range(n)] == \
            g.frame_names
        assert info['obj_first_frames'] == {
            k: 5 * t for k, t in g.first_frames.items()}


def _check_vis(ds, gt_split):
    classes = ds.metainfo['classes']
    by_name = {g.name: g for g in gt_split}
    absent = 0
    for v in _videos(ds):
        g = by_name[v['video_name']]
        oids = sorted(g.first_frames)
        assert len(v['gt_instance_ids']) == len(oids)
        assert [classes[lb] for lb in v['gt_labels']] == \
            [g.categories[o] for o in oids]
        for n, oid in enumerate(oids):
            for t in range(len(g.frame_names)):
                expect = (g.id_maps[t] == oid).astype(np.uint8)
                np.testing.assert_array_equal(v['gt_masks'][t][n], expect)
                assert v['gt_instance_valid'][n, t] == bool(expect.any())
                absent += not expect.any()
    assert absent > 0, 'toy VIS data should have absent frames'


@pytest.mark.parametrize('split', ['train', 'valid'])
def test_youtube_vis_readback(toy_data, split):
    root, gt = toy_data('youtube-vis')
    ds = YouTubeVISDataset(root, ann_file=f'{split}.json',
                           data_prefix=dict(img=f'{split}/JPEGImages'),
                           test_mode=True, pipeline=VIS_PIPE,
                           test_chunk_len=4)
    assert ds.metainfo['classes'] == ('disc', 'square', 'triangle')
    _check_vis(ds, gt[split])


def test_ovis_readback(toy_data):
    root, gt = toy_data('ovis')
    ds = OVISDataset(root, test_mode=True, pipeline=VIS_PIPE)
    assert ds.get_video_info(0)['frame_names'][0] == 'img_0000001'
    _check_vis(ds, gt['train'])


def test_vis_json_uses_every_segmentation_encoding(toy_ytvis_root):
    with open(osp.join(toy_ytvis_root, 'train.json')) as f:
        data = json.load(f)
    kinds = set()
    for ann in data['annotations']:
        for seg in ann['segmentations']:
            if seg is None:
                kinds.add('null')
            elif isinstance(seg, list):
                kinds.add('polygon')
            else:
                kinds.add(type(seg['counts']).__name__)
    assert kinds == {'null', 'polygon', 'list', 'str'}
