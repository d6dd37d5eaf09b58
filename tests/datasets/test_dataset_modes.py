"""Train mode samples clips; test mode yields videos as ordered chunks;
items are lazy; toy data is generated on first use."""
import multiprocessing as mp
import os
import os.path as osp

import numpy as np
import pytest

from vostoolkit.datasets import (DAVISDataset, YouTubeVISDataset,
                                 YouTubeVOSDataset)
from vostoolkit.datasets.toy import ensure_toy_dataset
from vostoolkit.registry import DATASETS

VOS_PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]


def _has_array(obj) -> bool:
    if isinstance(obj, np.ndarray):
        return True
    if isinstance(obj, dict):
        return any(_has_array(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_has_array(v) for v in obj)
    return False


def test_items_are_lazy(toy_davis_root, toy_ytvos_root, toy_ytvis_root):
    for ds in (DAVISDataset(toy_davis_root),
               YouTubeVOSDataset(toy_ytvos_root),
               YouTubeVISDataset(toy_ytvis_root)):
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            assert not _has_array(info)
            assert len(info['img_paths']) == info['video_length']


def test_registered_and_built_by_name(toy_davis_root):
    ds = DATASETS.build(dict(type='DAVISDataset', data_root=toy_davis_root,
                             split='val'))
    assert isinstance(ds, DAVISDataset) and len(ds) == 2


def test_test_mode_chunks_in_order(toy_davis_root):
    ds = DAVISDataset(toy_davis_root, split='train', test_mode=True,
                      test_chunk_len=4)
    assert ds.num_videos == 3
    assert len(ds) == 6  # 6 frames a video: chunks of 4 + 2
    seen = []
    for i in range(len(ds)):
        info = ds.chunk_info(i)
        seen.append((info['video_name'], info['frame_ids'],
                     info['is_first'], info['is_last']))
    names = [s[0] for s in seen]
    assert names == sorted(names)
    for k in range(0, 6, 2):
        assert seen[k][1:] == ([0, 1, 2, 3], True, False)
        assert seen[k + 1][1:] == ([4, 5], False, True)
    assert ds.chunk_video_ids == [n for n in names]
    whole = DAVISDataset(toy_davis_root, split='train', test_mode=True)
    assert len(whole) == 3
    assert whole.chunk_info(0)['frame_ids'] == list(range(6))


def test_subset_keeps_chunks_consistent(toy_davis_root):
    ds = DAVISDataset(toy_davis_root, split='train', test_mode=True,
                      test_chunk_len=4)
    sub = ds.get_subset([1])
    assert len(sub) == 2 and sub.num_videos == 1
    assert sub.chunk_info(1)['video_name'] == ds.chunk_info(3)['video_name']


def test_train_mode_samples_clips(toy_ytvos_root):
    ds = YouTubeVOSDataset(
        toy_ytvos_root, split='train', pipeline=VOS_PIPE,
        clip_sampler=dict(type='VOSClipSampler', num_frames=3, max_skip=2))
    assert len(ds) == 3
    np.random.seed(0)
    refs = set()
    for _ in range(6):
        r = ds[0]
        assert len(r['imgs']) == len(r['gt_obj_masks']) == 3
        ref = r['frame_ids'][0]
        refs.add(ref)
        assert r['is_first'] and r['is_last']
        assert r['gt_obj_masks'][0].any()  # the reference shows objects
    assert len(refs) > 1
    every = YouTubeVOSDataset(toy_ytvos_root, split='train')  # no sampler
    assert every[0]['frame_ids'] == list(range(6))


def _toy_spec():
    return dict(videos=1, val_videos=1, frames=3, size=(32, 40), seed=3)


def test_toy_spec_generates_missing_root(tmp_path, capsys):
    root = str(tmp_path / 'data' / 'toy' / 'davis')
    ds = DAVISDataset(root, split='val', toy_spec=_toy_spec())
    assert len(ds) == 1 and osp.isfile(osp.join(root, 'toy_spec.json'))
    assert 'Generating toy davis data' in capsys.readouterr().out
    assert sorted(os.listdir(osp.dirname(root))) == ['davis']  # no tmp/lock
    DAVISDataset(root, split='train', toy_spec=_toy_spec())  # reuses it
    assert 'Generating' not in capsys.readouterr().out
    vis = YouTubeVISDataset(str(tmp_path / 'vis'), toy_spec=_toy_spec())
    assert len(vis) == 1


def _race(root, barrier):
    barrier.wait()
    ensure_toy_dataset(root, 'youtube-vis', **_toy_spec())


@pytest.mark.skipif('fork' not in mp.get_all_start_methods(),
                    reason='needs fork')
def test_toy_generation_is_race_safe(tmp_path):
    root = str(tmp_path / 'race')
    ctx = mp.get_context('fork')
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_race, args=(root, barrier))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(os.listdir(str(tmp_path))) == ['race']
    assert len(YouTubeVISDataset(root)) == 1
