"""The toy generator writes the MOSE and VOST layouts; the readers load back
exactly what was generated (every frame and object of train and VOST val,
the first mask only of MOSE valid), in train clips and whole-video test
mode."""
import os.path as osp

import numpy as np
import pytest

from vostoolkit.datasets import MOSEDataset, MOSEv2Dataset, VOSTDataset
from vostoolkit.utils import DataError

VOS_PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]


def _videos(dataset):
    """Whole videos of a test-mode dataset, chunks concatenated."""
    videos = []
    for i in range(len(dataset)):
        r = dataset[i]
        if r['is_first']:
            videos.append(dict(r))
            continue
        for key in ('frame_ids', 'imgs', 'gt_obj_masks', 'gt_frame_valid'):
            videos[-1][key] = list(videos[-1][key]) + list(r[key])
    return videos


@pytest.mark.parametrize('cls', [MOSEDataset, MOSEv2Dataset])
@pytest.mark.parametrize('chunk', [None, 4])
def test_mose_readback(toy_data, cls, chunk):
    root, gt = toy_data('mose')
    assert osp.isfile(osp.join(root, 'train', 'JPEGImages',
                               gt['train'][0].name, '00000.jpg'))
    for split in ('train', 'valid'):
        ds = cls(root, split=split, test_mode=True, pipeline=VOS_PIPE,
                 test_chunk_len=chunk)
        videos = _videos(ds)
        assert [v['video_name'] for v in videos] == sorted(
            g.name for g in gt[split])
        by_name = {g.name: g for g in gt[split]}
        for v in videos:
            g = by_name[v['video_name']]
            assert v['frame_ids'] == list(range(len(g.frame_names)))
            assert v['obj_ids'] == sorted(g.first_frames)
            assert v['gt_frame_valid'] == [True] * len(g.frame_names) \
                if split == 'train' else \
                [True] + [False] * (len(g.frame_names) - 1)
            for t, mask in enumerate(v['gt_obj_masks']):
                want = g.id_maps[t] if v['gt_frame_valid'][t] else \
                    np.zeros_like(g.id_maps[t])
                np.testing.assert_array_equal(mask, want)


@pytest.mark.parametrize('split', ['train', 'val'])
def test_vost_readback(toy_data, split):
    root, gt = toy_data('vost')
    ds = VOSTDataset(root, split=split, test_mode=True, pipeline=VOS_PIPE,
                     test_chunk_len=3)
    videos = _videos(ds)
    assert [v['video_name'] for v in videos] == [g.name for g in gt[split]]
    for v, g in zip(videos, gt[split]):
        assert v['frame_names'] == g.frame_names
        assert g.frame_names[:2] == ['frame00000', 'frame00006']
        assert v['obj_ids'] == sorted(g.first_frames)
        assert all(v['gt_frame_valid'])
        for t, mask in enumerate(v['gt_obj_masks']):
            np.testing.assert_array_equal(mask, g.id_maps[t])


def test_train_clips_and_bad_root(toy_data, tmp_path):
    root, gt = toy_data('mose')
    ds = MOSEDataset(root, split='train', pipeline=VOS_PIPE,
                     clip_sampler=dict(type='VOSClipSampler', num_frames=3))
    item = ds[0]
    assert len(item['frame_ids']) == 3 and len(item['imgs']) == 3
    root, _ = toy_data('vost')
    ds = VOSTDataset(root, split='train', pipeline=VOS_PIPE,
                     clip_sampler=dict(type='VOSClipSampler', num_frames=2))
    assert len(ds[0]['gt_obj_masks']) == 2
    with pytest.raises(DataError, match='MOSE root'):
        MOSEDataset(str(tmp_path), split='valid')
    with pytest.raises(DataError, match='VOST root'):
        VOSTDataset(str(tmp_path), split='val')


def test_vost_denser_frames_folder(toy_data, tmp_path):
    """``image_folder='JPEGImages_10fps'``: frames between the annotated
    ones are read with no annotation."""
    import shutil
    root, gt = toy_data('vost')
    copy = str(tmp_path / 'vost')
    shutil.copytree(root, copy)
    for g in gt['val']:
        dense = osp.join(copy, 'JPEGImages_10fps', g.name)
        shutil.copytree(osp.join(copy, 'JPEGImages', g.name), dense)
        shutil.copy(osp.join(dense, 'frame00000.jpg'),
                    osp.join(dense, 'frame00003.jpg'))
    g = gt['val'][0]
    ds = VOSTDataset(copy, split='val', image_folder='JPEGImages_10fps',
                     test_mode=True, pipeline=VOS_PIPE, indices=[0])
    (v, ) = _videos(ds)
    assert v['frame_names'][:3] == ['frame00000', 'frame00003',
                                    'frame00006']
    assert v['gt_frame_valid'][:3] == [True, False, True]
    np.testing.assert_array_equal(v['gt_obj_masks'][2], g.id_maps[1])
