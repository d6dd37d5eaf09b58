"""Each kind of bad input raises one DataError line naming the file."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from vostoolkit.datasets import (DAVISDataset, YouTubeVISDataset,
                                 YouTubeVOSDataset)
from vostoolkit.utils import DataError

VOS_PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVOSAnnotations')]
VIS_PIPE = [dict(type='LoadVideoFrames'), dict(type='LoadVISAnnotations')]


@pytest.fixture
def davis(toy_davis_root, tmp_path):
    root = str(tmp_path / 'davis')
    shutil.copytree(toy_davis_root, root)
    return root


@pytest.fixture
def ytvos(toy_ytvos_root, tmp_path):
    root = str(tmp_path / 'ytvos')
    shutil.copytree(toy_ytvos_root, root)
    return root


@pytest.fixture
def ytvis(toy_ytvis_root, tmp_path):
    root = str(tmp_path / 'ytvis')
    shutil.copytree(toy_ytvis_root, root)
    return root


def _raises(path, fn, *words):
    with pytest.raises(DataError) as info:
        fn()
    msg = str(info.value)
    assert '\n' not in msg
    assert osp.normpath(path) in msg, msg
    assert info.value.path is not None
    for w in words:
        assert w in msg, msg
    return msg


def _first_seq(root):
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt')) as f:
        return f.readline().strip()


# ------------------------------------------------------ missing split file
def test_davis_missing_split_file(davis):
    path = osp.join(davis, 'ImageSets', '2017', 'val.txt')
    os.remove(path)
    _raises(path, lambda: DAVISDataset(davis, split='val'), 'split file')


def test_youtube_vos_missing_meta(ytvos):
    path = osp.join(ytvos, 'train', 'meta.json')
    os.remove(path)
    _raises(path, lambda: YouTubeVOSDataset(ytvos, split='train'),
            'meta.json')


def test_vis_missing_ann_file(tmp_path):
    path = osp.join(str(tmp_path), 'train.json')
    _raises(path, lambda: YouTubeVISDataset(str(tmp_path)), 'missing')


# ------------------------------------------------- listed frame is missing
def test_davis_missing_frame(davis):
    seq = _first_seq(davis)
    path = osp.join(davis, 'JPEGImages', '480p', seq, '00002.jpg')
    os.remove(path)
    _raises(path, lambda: DAVISDataset(davis, split='val'), 'missing')


def test_davis_missing_annotation(davis):
    seq = _first_seq(davis)
    path = osp.join(davis, 'Annotations', '480p', seq, '00003.png')
    os.remove(path)
    _raises(path, lambda: DAVISDataset(davis, split='val'), 'missing')


def test_davis_missing_sequence_folder(davis):
    seq = _first_seq(davis)
    path = osp.join(davis, 'JPEGImages', '480p', seq)
    shutil.rmtree(path)
    _raises(path, lambda: DAVISDataset(davis, split='val'), 'missing')


def test_youtube_vos_missing_listed_frame(ytvos):
    with open(osp.join(ytvos, 'train', 'meta.json')) as f:
        meta = json.load(f)
    vid = sorted(meta['videos'])[0]
    stem = meta['videos'][vid]['objects']['1']['frames'][-1]
    path = osp.join(ytvos, 'train', 'JPEGImages', vid, f'{stem}.jpg')
    os.remove(path)
    _raises(path, lambda: YouTubeVOSDataset(ytvos, split='train'),
            'missing')


def test_vis_missing_frame_at_construction(ytvis):
    with open(osp.join(ytvis, 'train.json')) as f:
        name = json.load(f)['videos'][0]['file_names'][3]
    path = osp.join(ytvis, 'train', 'JPEGImages', name)
    os.remove(path)
    _raises(path, lambda: YouTubeVISDataset(ytvis), 'missing')


def test_missing_frame_at_first_access(ytvis):
    ds = YouTubeVISDataset(ytvis, pipeline=VIS_PIPE, check_files=False,
                           test_mode=True)
    path = ds.get_video_info(0)['img_paths'][2]
    os.remove(path)
    _raises(path, lambda: ds[0], 'missing')


# ------------------------------------------ annotation PNG: RGB, wrong size
def _rewrite_png(path, fn):
    with Image.open(path) as img:
        out = fn(img)
    out.save(path)


def test_rgb_annotation_at_first_access(davis):
    seq = _first_seq(davis)
    path = osp.join(davis, 'Annotations', '480p', seq, '00004.png')
    _rewrite_png(path, lambda im: im.convert('RGB'))
    ds = DAVISDataset(davis, split='val', test_mode=True, pipeline=VOS_PIPE)
    _raises(path, lambda: ds[0], 'RGB', 'palette')


def test_rgb_annotation_at_construction(ytvos):
    with open(osp.join(ytvos, 'valid', 'meta.json')) as f:
        meta = json.load(f)
    vid = sorted(meta['videos'])[0]
    stem = meta['videos'][vid]['objects']['1']['frames'][0]
    path = osp.join(ytvos, 'valid', 'Annotations', vid, f'{stem}.png')
    _rewrite_png(path, lambda im: im.convert('RGB'))
    _raises(path, lambda: YouTubeVOSDataset(ytvos, split='valid'), 'RGB')


def test_grayscale_annotation_refused_for_2017(davis):
    seq = _first_seq(davis)
    path = osp.join(davis, 'Annotations', '480p', seq, '00001.png')
    _rewrite_png(path, lambda im: Image.fromarray(np.array(im)))  # 'L'
    ds = DAVISDataset(davis, split='val', test_mode=True, pipeline=VOS_PIPE)
    _raises(path, lambda: ds[0], 'grayscale')


def test_annotation_size_differs_from_frame(davis):
    seq = _first_seq(davis)
    path = osp.join(davis, 'Annotations', '480p', seq, '00002.png')
    _rewrite_png(path, lambda im: im.resize((32, 24), Image.NEAREST))
    ds = DAVISDataset(davis, split='val', test_mode=True, pipeline=VOS_PIPE)
    _raises(path, lambda: ds[0], 'size', '24x32')


def test_first_annotation_size_at_construction(davis):
    seq = _first_seq(davis)
    path = osp.join(davis, 'Annotations', '480p', seq, '00000.png')
    _rewrite_png(path, lambda im: im.resize((32, 24), Image.NEAREST))
    _raises(path, lambda: DAVISDataset(davis, split='val'), 'differs')


def test_davis_2016_original_release(davis):
    """The original 2016 release: grayscale masks (255 = object) and
    ``ImageSets/480p/val.txt`` listing frame / mask pairs."""
    seq = _first_seq(davis)
    ann_dir = osp.join(davis, 'Annotations', '480p', seq)
    expect, lines = [], []
    for name in sorted(os.listdir(ann_dir)):
        path = osp.join(ann_dir, name)
        ids = np.array(Image.open(path))
        expect.append((ids > 0).astype(np.uint8))
        Image.fromarray(expect[-1] * 255).save(path)  # mode 'L'
        stem = name[:-4]
        lines.append(f'/JPEGImages/480p/{seq}/{stem}.jpg '
                     f'/Annotations/480p/{seq}/{stem}.png\n')
    os.remove(osp.join(davis, 'ImageSets', '2016', 'val.txt'))
    os.makedirs(osp.join(davis, 'ImageSets', '480p'))
    with open(osp.join(davis, 'ImageSets', '480p', 'val.txt'), 'w') as f:
        f.writelines(lines)
    ds = DAVISDataset(davis, year='2016', split='val', test_mode=True,
                      pipeline=VOS_PIPE)
    assert len(ds) == 1
    r = ds[0]
    assert r['obj_ids'] == [1]
    for mask, exp in zip(r['gt_obj_masks'], expect):
        np.testing.assert_array_equal(mask, exp)


# ------------------------------------------------------- JSON consistency
def _edit_json(path, fn):
    with open(path) as f:
        data = json.load(f)
    fn(data)
    with open(path, 'w') as f:
        json.dump(data, f)


def test_vis_length_disagrees_with_file_names(ytvis):
    path = osp.join(ytvis, 'train.json')
    _edit_json(path, lambda d: d['videos'][1].update(length=99))
    _raises(path, lambda: YouTubeVISDataset(ytvis), "'length'", '99')


def test_vis_segmentations_count_disagrees(ytvis):
    path = osp.join(ytvis, 'train.json')
    _edit_json(path, lambda d: d['annotations'][0]['segmentations'].pop())
    _raises(path, lambda: YouTubeVISDataset(ytvis), 'segmentations')


def test_vis_train_split_without_annotations(ytvis):
    path = osp.join(ytvis, 'valid.json')
    _edit_json(path, lambda d: d.pop('annotations'))
    kw = dict(ann_file='valid.json', data_prefix=dict(img='valid/JPEGImages'))
    _raises(path, lambda: YouTubeVISDataset(ytvis, **kw), 'test_mode')
    ds = YouTubeVISDataset(ytvis, test_mode=True, pipeline=VIS_PIPE, **kw)
    assert len(ds[0]['gt_instance_ids']) == 0


# ------------------------------------------ segmentation that won't decode
def _first_present(ann):
    return next(t for t, s in enumerate(ann['segmentations'])
                if s is not None)


BAD_SEGMENTATIONS = {
    'rle_sum': lambda h, w: dict(size=[h, w], counts=[3, h * w]),
    'rle_size': lambda h, w: dict(size=[h + 1, w], counts=[(h + 1) * w]),
    'compressed_long': lambda h, w: dict(size=[h, w], counts='0`h9'),
    'polygon_odd': lambda h, w: [[1.0, 2.0, 5.0, 2.0, 5.0, 7.0, 1.0]],
    'polygon_text': lambda h, w: [['a', 'b', 'c', 'd', 'e', 'f']],
    'bad_type': lambda h, w: 17,
}


@pytest.mark.parametrize('kind', sorted(BAD_SEGMENTATIONS))
def test_segmentation_does_not_decode(ytvis, kind):
    path = osp.join(ytvis, 'train.json')
    with open(path) as f:
        data = json.load(f)
    ann = data['annotations'][0]
    t = _first_present(ann)
    video = next(v for v in data['videos'] if v['id'] == ann['video_id'])
    ann['segmentations'][t] = BAD_SEGMENTATIONS[kind](video['height'],
                                                      video['width'])
    with open(path, 'w') as f:
        json.dump(data, f)
    ds = YouTubeVISDataset(ytvis, test_mode=True, pipeline=VIS_PIPE)
    idx = [ds.get_video_info(i)['video_id']
           for i in range(ds.num_videos)].index(ann['video_id'])
    _raises(path, lambda: ds[idx], 'does not decode', f'frame {t}')
