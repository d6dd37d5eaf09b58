"""Seeded fuzzing of the three evaluators and the submission validator.

Valid inputs are corrupted at random (bytes flipped, files truncated or
replaced, JSON fields dropped or mistyped, sizes changed). Whatever the
corruption, an evaluator either returns scores or raises the project's
one-line :class:`DataError` (any other exception fails the test), and it
returns scores only when the input is still valid; the validator returns
no problem exactly when the input is still valid. Validity is decided here,
independently of the code under test: a PNG is valid when it is unchanged
or re-encoded with the same ids; a zip when every member reads back
(zipfile, CRC-checked) as before; a results file by the schema below with
its own pure-Python RLE decoder. Only frames an evaluator scores are
corrupted (DAVIS does not score the first and last frames).
"""
import copy
import faulthandler
import io
import json
import math
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from eval_testdata import (REPO, gt_as_results, make_davis, make_vis_gt,
                           make_ytvos, moving_objects, py_rle_total)
from PIL import Image

from vostoolkit.evaluation import (evaluate_davis, evaluate_vis,
                                   evaluate_youtube_vos, validate_davis_zip,
                                   validate_vis_zip, validate_ytvos_zip,
                                   write_davis_submission,
                                   write_vis_submission,
                                   write_ytvos_submission)
from vostoolkit.evaluation.mask_io import davis_palette
from vostoolkit.evaluation.vis_eval import VISGroundTruth
from vostoolkit.utils import DataError

H, W, T = 16, 24, 4
SEED = 22
CASES = dict(davis=80, ytvos=80, vis=150, vis_gt=20, davis_zip=60,
             ytvos_zip=60, vis_zip=60)


@pytest.fixture(autouse=True)
def hang_guard():
    """A hang (pycocotools loops forever on some RLEs) kills the run with
    the stacks printed rather than stalling the suite."""
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


# ------------------------------------------------------------- the oracle
def _is_int(v):
    return type(v) is int


def _result_valid(r, videos, cats, strict):
    keys = ('video_id', 'category_id', 'score', 'segmentations')
    if not isinstance(r, dict) or any(k not in r for k in keys):
        return False
    vid, cat, score, segs = (r[k] for k in keys)
    if not _is_int(vid) or vid not in videos or not _is_int(cat):
        return False
    if strict and cat not in cats:
        return False
    if type(score) not in (int, float) or not math.isfinite(score):
        return False
    h, w, length = videos[vid]
    if not isinstance(segs, list) or (strict and len(segs) != length):
        return False
    for s in segs:
        if s is None:
            continue
        if not isinstance(s, dict) or 'size' not in s or 'counts' not in s:
            return False
        size = s['size']
        if not (isinstance(size, list) and len(size) == 2 and all(
                _is_int(v) for v in size) and size == [h, w]):
            return False
        if not isinstance(s['counts'], str) or \
                py_rle_total(s['counts']) != h * w:
            return False
    return True


def _results_valid(data, gt, strict=False):
    videos = {v['id']: (v['height'], v['width'], v['length'])
              for v in gt['videos']}
    cats = {c['id'] for c in gt['categories']}
    return isinstance(data, list) and all(
        _result_valid(r, videos, cats, strict) for r in data)


def _zip_members(path):
    """{name: bytes} read back with CRC checks, or None if it fails."""
    try:
        with zipfile.ZipFile(path) as zf:
            return {n: zf.read(n) for n in zf.namelist()}
    except Exception:  # any failure to read back means "damaged"
        return None


# -------------------------------------------------------------- mutations
def _png(ids, level=6, mode='P'):
    img = Image.fromarray(np.ascontiguousarray(ids, np.uint8), 'L')
    if mode == 'P':
        img = img.convert('P')
        img.putpalette(davis_palette().tobytes())
    elif mode == 'RGB':
        img = img.convert('RGB')
    buf = io.BytesIO()
    img.save(buf, format='PNG', compress_level=level)
    return buf.getvalue()


def _jpeg(ids):
    buf = io.BytesIO()
    Image.fromarray(ids).save(buf, format='JPEG')
    return buf.getvalue()


def mutate_png(rng, data, ids):
    """(new bytes or None to delete, still valid?)"""
    kind = rng.choice(['flip', 'flip', 'truncate', 'truncate', 'append',
                       'jpeg', 'resize', 'rgb', 'delete', 'empty',
                       'reencode', 'swap'])
    if kind == 'flip':
        out = bytearray(data)
        out[rng.integers(len(out))] ^= int(rng.integers(1, 256))
        return bytes(out), False
    if kind == 'truncate':
        return data[:rng.integers(len(data))], False
    if kind == 'append':  # bytes after IEND are ignored by PNG readers
        return data + rng.bytes(int(rng.integers(1, 20))), True
    if kind == 'jpeg':
        return _jpeg(ids), False
    if kind == 'resize':
        return _png(ids[:-int(rng.integers(1, 4))]), False
    if kind == 'rgb':
        return _png(ids, mode='RGB'), False
    if kind == 'delete':
        return None, False
    if kind == 'empty':
        return b'', False
    if kind == 'reencode':
        return _png(ids, level=int(rng.integers(0, 10))), True
    swapped = ids.copy()  # objects 1 and 2 exchanged: wrong but valid
    swapped[ids == 1], swapped[ids == 2] = 2, 1
    return _png(swapped), True


def mutate_bytes(rng, data):
    out = bytearray(data)
    if rng.random() < 0.6:
        for _ in range(int(rng.integers(1, 4))):
            out[rng.integers(len(out))] ^= int(rng.integers(1, 256))
        return bytes(out)
    return bytes(out[:rng.integers(len(out))])


ODD_VALUES = [None, 'x', '1', 1.5, True, [], {}, float('nan'),
              float('inf'), -1, 10 ** 12, [1, 2], {'a': 1}]


def mutate_results(rng, results):
    """A mutated deep copy of a VIS results list (validity is judged by
    the oracle, not here)."""
    data = copy.deepcopy(results)
    r = data[rng.integers(len(data))]
    kind = rng.choice(['drop', 'mistype', 'counts', 'size', 'segs',
                       'shuffle', 'not_list'])
    if kind == 'drop':
        del r[rng.choice(sorted(r))]
    elif kind == 'mistype':
        r[rng.choice(sorted(r))] = ODD_VALUES[rng.integers(len(ODD_VALUES))]
    elif kind in ('counts', 'size'):
        frames = [t for t, s in enumerate(r['segmentations']) if s]
        seg = r['segmentations'][rng.choice(frames)]
        if kind == 'size':
            seg['size'] = [[H + 1, W], [H, W - 2], [W, H], [float(H), W],
                           'HxW', [H]][rng.integers(6)]
        else:
            c = seg['counts']
            how = rng.integers(4)
            if how == 0:
                seg['counts'] = c[:rng.integers(len(c))]
            elif how == 1:
                seg['counts'] = c + chr(int(rng.integers(48, 112)))
            elif how == 2:
                seg['counts'] = ''.join(chr(int(v)) for v in rng.integers(
                    33, 127, len(c)))
            else:
                i = rng.integers(len(c))
                seg['counts'] = c[:i] + chr(int(rng.integers(48, 112))) + \
                    c[i + 1:]
    elif kind == 'segs':
        segs = r['segmentations']
        how = rng.integers(3)
        if how == 0:
            segs.pop()
        elif how == 1:
            segs.append(None)
        else:
            r['segmentations'] = ODD_VALUES[rng.integers(len(ODD_VALUES))]
    elif kind == 'shuffle':
        rng.shuffle(data)
    else:
        return {'results': data}
    return data


# --------------------------------------------------------------- the data
@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('fuzz')
    seqs = {f's{i}': moving_objects(T, H, W, 2, seed=i) for i in range(2)}
    davis = str(root / 'davis')
    make_davis(davis, seqs)
    davis_pred = str(root / 'davis_pred')
    for name, masks in seqs.items():
        os.makedirs(osp.join(davis_pred, name))
        for t in range(T):
            with open(osp.join(davis_pred, name, f'{t:05d}.png'), 'wb') as f:
                f.write(_png(masks[t]))
    davis_zip = str(root / 'davis.zip')
    write_davis_submission(davis_zip, [(n, [f'{t:05d}' for t in range(T)],
                                        m) for n, m in seqs.items()])
    ytvos = str(root / 'ytvos')
    vids = {f'v{i}': moving_objects(T, H, W, 2, seed=10 + i)
            for i in range(2)}
    names = make_ytvos(ytvos, 'train', vids,
                       {v: {1: 'a', 2: 'b'} for v in vids})
    make_ytvos(ytvos, 'valid', vids, {v: {1: 'a', 2: 'b'} for v in vids})
    ytvos_zip = str(root / 'ytvos.zip')  # the scored frames only
    write_ytvos_submission(ytvos_zip, [(v, names[v][1:], m[1:])
                                       for v, m in vids.items()])
    ytvos_sub = str(root / 'ytvos_sub.zip')  # what the server wants
    write_ytvos_submission(ytvos_sub, [(v, names[v], m)
                                       for v, m in vids.items()],
                           osp.join(ytvos, 'valid', 'meta.json'))

    def blob(t, k):
        m = np.zeros((H, W), bool)
        m[1 + 7 * k:6 + 7 * k, 2 + 3 * t:12 + 3 * t] = True
        return m
    gt = make_vis_gt({v: [dict(category_id=1 + k, masks=[
        blob(t, k) if (t, k) != (1, 1) else None for t in range(T)])
        for k in range(2)] for v in (1, 2)}, H, W)
    vis_ann = str(root / 'vis.json')
    with open(vis_ann, 'w') as f:
        json.dump(gt, f)
    results = gt_as_results(gt)
    vis_zip = str(root / 'vis.zip')
    write_vis_submission(vis_zip, results)
    return dict(root=str(root), davis=davis, davis_pred=davis_pred,
                davis_zip=davis_zip, seqs=seqs, ytvos=ytvos,
                ytvos_zip=ytvos_zip, ytvos_sub=ytvos_sub, vids=vids,
                names=names, gt=gt,
                vis_ann=vis_ann, results=results, vis_zip=vis_zip)


def _outcome(fn):
    """'ok' or 'error' (DataError); anything else fails the test."""
    try:
        fn()
    except DataError as err:
        assert '\n' not in str(err) and str(err), repr(err)
        return 'error'
    return 'ok'


def _rezip(path, members, name, new):
    """Write ``members`` to ``path`` with ``name`` replaced by ``new``
    (dropped when None)."""
    with zipfile.ZipFile(path, 'w') as zf:
        for n, b in members.items():
            if n != name:
                zf.writestr(n, b)
            elif new is not None:
                zf.writestr(n, new)


def _check(label, valid, outcome, stats):
    stats[valid] = stats.get(valid, 0) + 1
    assert outcome == ('ok' if valid else 'error'), label


# ------------------------------------------------------------------ tests
def test_fuzz_vos_evaluators(data, tmp_path):
    rng = np.random.default_rng(SEED)
    stats = {}
    pred = str(tmp_path / 'pred')
    shutil.copytree(data['davis_pred'], pred)
    for case in range(CASES['davis']):
        seq = f's{rng.integers(2)}'
        t = int(rng.integers(1, T - 1))  # scored frames
        path = osp.join(pred, seq, f'{t:05d}.png')
        original = open(path, 'rb').read()
        new, valid = mutate_png(rng, original, data['seqs'][seq][t])
        if new is None:
            os.remove(path)
        else:
            open(path, 'wb').write(new)
        outcome = _outcome(lambda: evaluate_davis(
            data['davis'], pred, num_workers=1))
        _check(f'davis case {case}: {path}', valid, outcome, stats)
        open(path, 'wb').write(original)
    original = open(data['ytvos_zip'], 'rb').read()
    members = _zip_members(data['ytvos_zip'])
    bad_zip = str(tmp_path / 'ytvos.zip')
    for case in range(CASES['ytvos']):
        if rng.random() < 0.5:  # the zip's bytes
            open(bad_zip, 'wb').write(mutate_bytes(rng, original))
            valid = _zip_members(bad_zip) == members
        else:  # one member PNG
            video = f'v{rng.integers(2)}'
            t = int(rng.integers(1, T))
            name = f'Annotations/{video}/{data["names"][video][t]}.png'
            new, valid = mutate_png(rng, members[name],
                                    data['vids'][video][t])
            _rezip(bad_zip, members, name, new)
        outcome = _outcome(lambda: evaluate_youtube_vos(
            data['ytvos'], bad_zip, split='train', num_workers=1))
        _check(f'ytvos case {case}', valid, outcome, stats)
    assert stats.get(True, 0) >= 10 and stats.get(False, 0) >= 50, stats


def test_fuzz_vis_evaluator(data, tmp_path):
    rng = np.random.default_rng(SEED + 1)
    stats = {}
    gt = VISGroundTruth(data['vis_ann'])
    path = str(tmp_path / 'results.json')
    text = json.dumps(data['results'])
    for case in range(CASES['vis']):
        if rng.random() < 0.3:  # bytes of the file
            raw = mutate_bytes(rng, text.encode())
            try:
                parsed = json.loads(raw)
                valid = _results_valid(parsed, data['gt'])
            except (ValueError, UnicodeDecodeError):
                valid = False
            open(path, 'wb').write(raw)
        else:
            mutated = mutate_results(rng, data['results'])
            valid = _results_valid(mutated, data['gt'])
            open(path, 'w').write(json.dumps(mutated))
        outcome = _outcome(lambda: evaluate_vis(gt, path))
        _check(f'vis case {case}: {open(path, "rb").read()[:300]}', valid,
               outcome, stats)
    # the ground truth: required fields dropped, mistyped, RLEs broken
    for case in range(CASES['vis_gt']):
        bad = copy.deepcopy(data['gt'])
        kind = case % 5
        if kind == 0:
            del bad[['videos', 'categories'][rng.integers(2)]]
        elif kind == 1:
            del bad['videos'][rng.integers(2)][['id', 'height', 'width'][
                rng.integers(3)]]
        elif kind == 2:
            del bad['annotations'][rng.integers(4)][[
                'video_id', 'category_id', 'segmentations'][rng.integers(3)]]
        elif kind == 3:
            bad['annotations'][rng.integers(4)]['segmentations'] = \
                ODD_VALUES[1:][rng.integers(len(ODD_VALUES) - 1)]
        else:
            segs = bad['annotations'][rng.integers(4)]['segmentations']
            segs[0] = dict(size=[H, W], counts='garbage' * (case + 1))
        outcome = _outcome(lambda: evaluate_vis(bad, data['results']))
        if outcome == 'ok':  # a mistyped value that is still usable
            assert kind == 3 and isinstance(
                bad['annotations'][0]['segmentations'], list), case
        stats[False] = stats.get(False, 0) + 1
    assert stats.get(True, 0) >= 10 and stats.get(False, 0) >= 60, stats


def test_fuzz_validator(data, tmp_path):
    rng = np.random.default_rng(SEED + 2)
    stats = {}
    bad = str(tmp_path / 'sub.zip')
    checks = [
        ('davis_zip', 'davis_zip', 'seqs', '',
         lambda p: validate_davis_zip(p, data['davis'])),
        ('ytvos_zip', 'ytvos_sub', 'vids', 'Annotations/',
         lambda p: validate_ytvos_zip(p, osp.join(data['ytvos'], 'valid'))),
        ('vis_zip', 'vis_zip', None, None,
         lambda p: validate_vis_zip(p, data['vis_ann']))]
    for key, src, masks, prefix, validate in checks:
        original = open(data[src], 'rb').read()
        members = _zip_members(data[src])
        assert validate(data[src]) == []
        for case in range(CASES[key]):
            if key == 'vis_zip' and rng.random() < 0.6:
                mutated = mutate_results(rng, data['results'])
                valid = _results_valid(mutated, data['gt'], strict=True)
                with zipfile.ZipFile(bad, 'w') as zf:
                    zf.writestr('results.json', json.dumps(mutated))
            elif masks and rng.random() < 0.5:  # one member PNG
                name = sorted(members)[rng.integers(len(members))]
                video, frame = name[len(prefix):-4].split('/')
                t = [f'{i:05d}' for i in range(T)].index(frame) \
                    if key == 'davis_zip' else \
                    data['names'][video].index(frame)
                new, valid = mutate_png(rng, members[name],
                                        data[masks][video][t])
                _rezip(bad, members, name, new)
            else:
                open(bad, 'wb').write(mutate_bytes(rng, original))
                valid = _zip_members(bad) == members
            try:
                problems = validate(bad)
            except DataError:
                problems = ['DataError']
            assert all(isinstance(p, str) and '\n' not in p
                       for p in problems)
            _check(f'{key} case {case}: {problems[:2]}', valid,
                   'error' if problems else 'ok', stats)
    assert stats.get(True, 0) >= 20 and stats.get(False, 0) >= 100, stats


@pytest.mark.parametrize('benchmark', ['davis', 'youtube-vis'])
def test_eval_tool_on_corrupt_input(data, tmp_path, benchmark):
    """A handful through the real entry point: one line, exit 2."""
    if benchmark == 'davis':
        pred = str(tmp_path / 'pred')
        shutil.copytree(data['davis_pred'], pred)
        path = osp.join(pred, 's0', '00001.png')
        raw = bytearray(open(path, 'rb').read())
        raw[len(raw) // 2] ^= 0x40
        open(path, 'wb').write(bytes(raw))
        args = ['davis', '--gt-root', data['davis'], '--pred', pred,
                '--workers', '1']
    else:
        path = str(tmp_path / 'results.zip')
        raw = open(data['vis_zip'], 'rb').read()
        open(path, 'wb').write(raw[:len(raw) - 30])
        args = ['youtube-vis', '--gt', data['vis_ann'], '--pred', path]
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools',
                                                    'eval.py')] + args,
                          capture_output=True, text=True, timeout=60)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1, proc.stderr[-2000:]
    assert err[0].startswith(f'eval.py: error: {path}'), err
