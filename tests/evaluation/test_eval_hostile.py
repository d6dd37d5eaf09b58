"""Inputs that used to get through the evaluators: an RLE encoded at another
size (pycocotools hung on it), garbage RLE counts, NaN scores, a JPEG named
``.png`` among the predictions. Each is one line naming the file."""
import json
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from eval_testdata import (REPO, gt_as_results, make_vis_gt, py_rle_total,
                           write_png)
from PIL import Image
from pycocotools import mask as mask_utils

from vostoolkit.evaluation import evaluate_davis, evaluate_vis
from vostoolkit.evaluation.mask_io import decode_index_png
from vostoolkit.utils import (DataError, rle_problem, rle_problems,
                              rle_total, rle_totals)

H, W = 24, 32


def _vis(tmp_path):
    """(annotation path, results): two videos of 3 frames, one track each.
    """
    def blob(t, k):
        m = np.zeros((H, W), bool)
        m[2 + 8 * k:9 + 8 * k, 3 + 4 * t:15 + 4 * t] = True
        return m
    gt = make_vis_gt({v: [dict(category_id=1 + k, masks=[blob(t, k)
                                                        for t in range(3)])
                          for k in range(2)] for v in (1, 2)}, H, W)
    ann = tmp_path / 'valid.json'
    ann.write_text(json.dumps(gt))
    return str(ann), gt_as_results(gt)


def test_rle_total_agrees_with_pycocotools():
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = rng.integers(1, 40, 2)
        mask = rng.random((h, w)) < rng.random()
        if rng.random() < 0.3:  # long runs: multi-character numbers
            mask[:] = rng.random() < 0.5
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        counts = rle['counts'].decode()
        assert rle_total(counts) == h * w
        assert rle_problem(dict(size=[int(h), int(w)], counts=counts),
                           h, w) is None
    assert rle_total('!!') is None and rle_total('0 0') is None


def test_rle_totals_in_one_pass_equal_one_at_a_time():
    """The batch decoder gives every string's total (or None) exactly as
    a plain transcription of pycocotools' decoder does, valid and damaged
    strings mixed, whether the strings come together or one at a time."""
    rng = np.random.default_rng(1)
    strings = []
    for _ in range(300):
        h, w = rng.integers(1, 40, 2)
        mask = rng.random((h, w)) < rng.random()
        s = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))[
            'counts'].decode()
        strings.append(s)
        cut = int(rng.integers(0, 6))
        if cut == 0 and len(s) > 1:
            strings.append(s[:-1])  # a number cut short
        elif cut == 1:
            strings.append(s + chr(int(rng.integers(30, 130))))
        elif cut == 2:
            i = int(rng.integers(len(s)))
            strings.append(s[:i] + chr(48 + int(rng.integers(64))) +
                           s[i + 1:])
        elif cut == 3:
            strings.append(''.join(chr(48 + int(x)) for x in
                                   rng.integers(0, 64, rng.integers(0, 30))))
        elif cut == 4:
            strings.append('')
        else:
            strings.append(s * 2)
    strings += [None, 5, 'é', 'o' * 20, '_' * 12 + '0', '0 0']
    want = [py_rle_total(s) if isinstance(s, str) else None
            for s in strings]
    assert rle_totals(strings) == want
    assert [rle_total(s) for s in strings] == want
    assert sum(t is None for t in want) > 50  # damaged ones were tried
    # the list form of rle_problem names every bad frame
    good = mask_utils.encode(np.ones((3, 4), np.uint8, order='F'))
    good = dict(size=[3, 4], counts=good['counts'].decode())
    assert rle_problems([good, None, good], 3, 4) == []
    bad = dict(good, counts=good['counts'][:-1] + '~')
    assert rle_problems([good, None, bad], 3, 4) == [
        (2, rle_problem(bad, 3, 4))]


def _other_size_rle(h, w):
    """A mask encoded at ``h`` x ``w`` but labelled ``H`` x ``W``."""
    m = np.zeros((h, w), np.uint8, order='F')
    m[1:5, 2:9] = 1
    counts = mask_utils.encode(m)['counts'].decode()
    return dict(size=[H, W], counts=counts)


def test_inconsistent_rle_is_refused_within_a_second(tmp_path):
    """In a subprocess with a timeout, so that a regression cannot hang the
    suite (pycocotools' C loop holds the GIL: a thread would not do)."""
    ann, results = _vis(tmp_path)
    results[0]['segmentations'][1] = _other_size_rle(H - 4, W)
    pred = tmp_path / 'results.json'
    pred.write_text(json.dumps(results))
    script = textwrap.dedent(f"""
        import sys, time
        from vostoolkit.evaluation import evaluate_vis
        from vostoolkit.evaluation.vis_eval import VISGroundTruth
        from vostoolkit.utils import DataError
        gt = VISGroundTruth({ann!r})
        start = time.perf_counter()
        try:
            evaluate_vis(gt, {str(pred)!r})
        except DataError as err:
            print(f'{{time.perf_counter() - start:.3f}} {{err}}')
        """)
    proc = subprocess.run([sys.executable, '-c', script], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seconds, message = proc.stdout.strip().split(' ', 1)
    assert float(seconds) < 1.0
    assert message.startswith(f'{pred}: result 0, frame 1: RLE counts do '
                              f'not decode to {H}x{W}'), message


@pytest.mark.parametrize('defect,expect', [
    ('garbage', 'not a compressed RLE string'),
    ('nan', 'score nan is not a finite number'),
    ('inf', 'score inf is not a finite number'),
    ('string_score', "score '0.9' is not a finite number"),
    ('string_video', "video_id '1' is not an integer"),
    ('short', 'RLE counts do not decode'),
])
def test_vis_results_defects(tmp_path, defect, expect):
    ann, results = _vis(tmp_path)
    res = results[0]
    if defect == 'garbage':
        res['segmentations'][0] = dict(size=[H, W], counts='hello world!')
    elif defect in ('nan', 'inf'):
        res['score'] = float(defect)
    elif defect == 'string_score':
        res['score'] = '0.9'
    elif defect == 'string_video':
        res['video_id'] = '1'
    else:  # a truncated counts string
        seg = res['segmentations'][0]
        seg['counts'] = seg['counts'][:len(seg['counts']) // 2]
    pred = tmp_path / 'results.json'
    pred.write_text(json.dumps(results))  # NaN / Infinity as Python writes
    with pytest.raises(DataError, match=f'^{pred}: result 0') as info:
        evaluate_vis(ann, str(pred))
    assert expect in str(info.value)


def test_ground_truth_rle_of_another_size_is_refused(tmp_path):
    ann, results = _vis(tmp_path)
    gt = json.loads(open(ann).read())
    gt['annotations'][1]['segmentations'][2] = _other_size_rle(H, W + 3)
    bad = tmp_path / 'bad_gt.json'
    bad.write_text(json.dumps(gt))
    with pytest.raises(DataError, match=f'^{bad}: annotation 2: .*do not '
                       'decode'):
        evaluate_vis(str(bad), results)


def test_eval_tool_exit_2_on_nan_score(tmp_path):
    ann, results = _vis(tmp_path)
    results[1]['score'] = float('nan')
    pred = tmp_path / 'results.json'
    pred.write_text(json.dumps(results))
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'eval.py'), 'youtube-vis',
         '--gt', ann, '--pred', str(pred)], capture_output=True, text=True,
        timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f'eval.py: error: {pred}: result 1: '
                                   'score nan is not a finite number')


def _davis(root, n_frames=3):
    """A DAVIS root with one sequence and its predictions folder."""
    ids = np.zeros((n_frames, H, W), np.uint8)
    ids[:, 4:12, 5:20] = 1
    for t in range(n_frames):
        write_png(osp.join(root, 'Annotations', '480p', 'seq',
                           f'{t:05d}.png'), ids[t])
        write_png(osp.join(root, 'pred', 'seq', f'{t:05d}.png'), ids[t])
    sets = osp.join(root, 'ImageSets', '2017')
    import os
    os.makedirs(sets)
    with open(osp.join(sets, 'val.txt'), 'w') as f:
        f.write('seq\n')
    return osp.join(root, 'pred')


def test_jpeg_named_png_is_not_a_prediction(tmp_path):
    pred = _davis(str(tmp_path))
    assert evaluate_davis(str(tmp_path), pred,
                          num_workers=1)['J&F-Mean'] == 1.0
    fake = osp.join(pred, 'seq', '00001.png')  # scored (not first/last)
    Image.fromarray(decode_index_png(fake) * 100).save(fake, format='JPEG')
    with pytest.raises(DataError, match=f'^{fake}: a JPEG file \\(no PNG '
                       'signature\\)'):
        evaluate_davis(str(tmp_path), pred, num_workers=1)


def test_png_with_a_flipped_byte_is_refused(tmp_path):
    pred = _davis(str(tmp_path))
    path = osp.join(pred, 'seq', '00001.png')
    data = bytearray(open(path, 'rb').read())
    idat = data.find(b'IDAT')
    data[idat + 6] ^= 0x01  # a bit of the compressed pixels
    open(path, 'wb').write(bytes(data))
    with pytest.raises(DataError, match=f"^{path}: corrupt PNG \\(CRC "
                       "mismatch in chunk 'IDAT'\\)"):
        evaluate_davis(str(tmp_path), pred, num_workers=1)
    open(path, 'wb').write(bytes(data[:idat]))
    with pytest.raises(DataError, match=f'^{path}: truncated'):
        evaluate_davis(str(tmp_path), pred, num_workers=1)
