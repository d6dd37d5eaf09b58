"""The toy generator: deterministic, and its videos have what the issue asks
(categories with own textures, motion, deformation, occlusion, late and
leaving objects, textured backgrounds)."""
import filecmp
import json
import os
import os.path as osp

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from vostoolkit.datasets.toy import (amodal_mask, generate_toy_dataset,
                                     render_frame, render_ids, sample_scene)
from vostoolkit.datasets.toy.writers import (compressed_rle, run_polygons,
                                             uncompressed_rle)
from vostoolkit.testing import load_tool


def _files(root):
    out = []
    for d, _, names in os.walk(root):
        out += [osp.relpath(osp.join(d, n), root) for n in names]
    return sorted(out)


@pytest.mark.parametrize('fmt', ['davis', 'youtube-vos', 'youtube-vis', 'mose',
                                 'vost'])
def test_same_seed_identical_files(tmp_path, fmt):
    kw = dict(videos=2, val_videos=1, frames=3, size=(32, 40))
    a, b, c = (str(tmp_path / n) for n in 'abc')
    generate_toy_dataset(a, fmt, seed=5, **kw)
    generate_toy_dataset(b, fmt, seed=5, **kw)
    generate_toy_dataset(c, fmt, seed=6, **kw)
    files = _files(a)
    assert files == _files(b) and len(files) > 5
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors
    jpgs = [f for f in files if f.endswith('.jpg')]
    if fmt == 'davis':  # same names, other content
        assert _files(c) == files
        assert filecmp.cmpfiles(a, c, jpgs, shallow=False)[1]


def _scenes(kind, n=16, size=(48, 64), frames=8):
    return [sample_scene(np.random.default_rng([11, i]), *size, frames,
                         kind=kind) for i in range(n)]


def test_scene_properties():
    frames = 8
    scenes = _scenes('vis', frames=frames)
    cats, counts = set(), set()
    late = leaving = occluded = 0
    for sc in scenes:
        counts.add(len(sc.objects))
        ids = np.stack([render_ids(sc, float(t)) for t in range(frames)])
        for obj in sc.objects:
            cats.add(obj.category)
            vis = (ids == obj.obj_id).any(axis=(1, 2))
            late += not vis[0]
            leaving += bool(vis.any() and not vis[-1] and vis[0])
            for t in range(frames):
                amodal = amodal_mask(sc, obj, float(t))
                hidden = amodal & (ids[t] != obj.obj_id)
                occluded += bool(hidden.any())
    assert cats == {0, 1, 2}
    assert counts <= {1, 2, 3, 4} and len(counts) >= 3
    assert late > 0 and leaving > 0 and occluded > 0


def test_motion_and_deformation():
    sc = _scenes('davis', n=1)[0]
    obj = sc.objects[0]
    m0, m3 = (amodal_mask(sc, obj, t) for t in (0.0, 3.0))
    c0 = np.argwhere(m0).mean(0)
    c3 = np.argwhere(m3).mean(0)
    assert np.abs(c3 - c0).max() > 1.0  # it moves
    shapes = {int(amodal_mask(sc, obj, float(t)).sum()) for t in range(8)}
    assert len(shapes) > 1  # and deforms


def test_davis_objects_all_on_first_frame():
    for sc in _scenes('davis', n=8):
        ids = render_ids(sc, 0.0)
        assert set(np.unique(ids)) - {0} == {o.obj_id for o in sc.objects}


def test_textured_background_and_object_textures():
    sc = _scenes('vis', n=1)[0]
    img, ids = render_frame(sc, 0.0)
    bg = img[ids == 0].astype(np.float64)
    assert bg.std(0).min() > 5  # not flat
    for obj in sc.objects:
        px = img[ids == obj.obj_id].astype(np.float64)
        if len(px) > 30:
            assert px.std(0).max() > 20  # two-colour texture


@pytest.mark.parametrize('encode', [uncompressed_rle, compressed_rle,
                                    run_polygons])
def test_segmentation_encoders_are_exact(encode):
    rng = np.random.default_rng(0)
    for _ in range(20):
        h, w = (int(v) for v in rng.integers(5, 40, 2))
        mask = (rng.random((h, w)) > 0.6).astype(np.uint8)
        mask[0, 0] = rng.integers(2)
        seg = encode(mask)
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
        elif isinstance(seg['counts'], list):
            rle = mask_utils.frPyObjects(seg, h, w)
        else:
            rle = seg
        np.testing.assert_array_equal(mask_utils.decode(rle), mask)


def _cli():
    return load_tool('tools/make_toy_data.py').main


def test_cli_writes_layout(tmp_path, capsys):
    main = _cli()
    out = str(tmp_path / 'vos')
    args = ['--format', 'youtube-vos', '--out', out, '--videos', '2',
            '--frames', '3', '--size', '32', '40', '--seed', '1']
    assert main(args) == 0
    for rel in ('train/meta.json', 'valid/meta.json', 'train/JPEGImages',
                'train/Annotations', 'valid/Annotations',
                'valid_all_frames/JPEGImages'):
        assert osp.exists(osp.join(out, rel)), rel
    assert main(args) == 2 and 'exists' in capsys.readouterr().err
    assert main(args + ['--force', '--format', 'youtube-vis',
                        '--val-test-json']) == 0
    with open(osp.join(out, 'valid.json')) as f:
        assert 'annotations' not in json.load(f)
    with open(osp.join(out, 'train.json')) as f:
        assert 'annotations' in json.load(f)
