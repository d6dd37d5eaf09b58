"""YouTube-VIS AP: ytvoseval's rules, hand-computed, and cross-checks."""
import contextlib
import copy
import io

import numpy as np
import pytest
from eval_testdata import gt_as_results, make_vis_gt, rle
from pycocotools import mask as mask_utils

from vostoolkit.evaluation import evaluate_vis
from vostoolkit.evaluation.vis_eval import VISGroundTruth, video_iou
from vostoolkit.utils import DataError

H, W = 20, 30
# ytvoseval's precision is tp / (tp + fp + eps): a category whose only hit is
# its single track scores 1 / (1 + eps), not 1
ONE_HIT = 1 / (1 + np.spacing(1))


def box(y, x, h, w):
    m = np.zeros((H, W), bool)
    m[y:y + h, x:x + w] = True
    return m


def track(masks):
    rles = [None if m is None else rle(m) for m in masks]
    areas = np.array([0 if m is None else m.sum() for m in masks], np.uint32)
    return dict(rles=rles, areas=areas)


def test_video_iou_with_null_frames():
    a, b = box(0, 0, 2, 2), box(10, 10, 2, 2)  # 4 px each
    gt = track([a, None, a])
    dt = track([a, b, None])
    # frame 0: I 4, U 4; frame 1: gt null, +4; frame 2: dt null, +4
    assert video_iou([dt], [gt])[0, 0] == 4 / 12
    half = box(0, 0, 2, 1)
    dt2 = track([half, None, None])  # I 2, U 4 + 4
    assert video_iou([dt2], [gt])[0, 0] == 2 / 8
    assert video_iou([track([None] * 3)], [track([None] * 3)])[0, 0] == 0


def test_video_iou_matches_decoded_masks():
    rng = np.random.default_rng(0)

    def rand_track(n):
        return [None if rng.random() < 0.25 else
                box(*rng.integers(0, 12, 2), *rng.integers(1, 10, 2))
                for _ in range(n)]

    dts = [rand_track(4) for _ in range(5)]
    gts = [rand_track(4) for _ in range(3)]
    ours = video_iou([track(d) for d in dts], [track(g) for g in gts])
    for i, d in enumerate(dts):
        for j, g in enumerate(gts):
            inter = union = 0
            for dm, gm in zip(d, g):
                dm = np.zeros((H, W), bool) if dm is None else dm
                gm = np.zeros((H, W), bool) if gm is None else gm
                inter += (dm & gm).sum()
                union += (dm | gm).sum()
            assert ours[i, j] == (inter / union if union else 0.0)


def test_ground_truth_as_results_gives_ap_one():
    gt = make_vis_gt({1: [dict(category_id=1, masks=[box(0, 0, 5, 5), None,
                                                     box(1, 1, 5, 5)]),
                          dict(category_id=2, masks=[box(8, 8, 6, 9)] * 3)],
                      2: [dict(category_id=1, masks=[None, box(2, 2, 3, 3),
                                                     box(2, 3, 3, 3)])]},
                     H, W)
    res = evaluate_vis(gt, gt_as_results(gt))
    assert res['AP'] == 1.0 and res['AR100'] == 1.0 and res['AR1'] == 1.0
    assert res['APs'] == 1.0 and res['APl'] == -1.0  # no large track


def test_average_area_exactly_128_squared_is_small_and_medium():
    side = 128
    big = np.zeros((side, side), bool)
    big[:] = True  # exactly 128**2 pixels
    gt = make_vis_gt({1: [dict(category_id=1, masks=[big, None, big])]},
                     side, side)
    assert gt['annotations'][0]['areas'] == [16384, None, 16384]
    res = evaluate_vis(gt, gt_as_results(gt))
    assert res['APs'] == ONE_HIT and res['APm'] == ONE_HIT
    assert res['APl'] == -1.0
    gt['annotations'][0]['areas'] = [16385, None, 16385]
    res = evaluate_vis(gt, gt_as_results(gt))
    assert res['APs'] == -1.0 and res['APm'] == ONE_HIT


def test_tied_scores_at_max_dets_keep_file_order():
    target = box(0, 0, 6, 6)
    gt = make_vis_gt({1: [dict(category_id=1, masks=[target, target])]},
                     H, W)
    miss = box(12, 20, 3, 3)
    results = [dict(video_id=1, category_id=1, score=0.5,
                    segmentations=[rle(miss), rle(miss)]) for _ in range(12)]
    results[10]['segmentations'] = [rle(target), rle(target)]
    res = evaluate_vis(gt, results)
    # a stable sort keeps file order among ties: the hit is 11th
    assert res['AR1'] == 0.0 and res['AR10'] == 0.0 and res['AR100'] == 1.0
    # 1 hit among 11 detections at recall 1: precision 1/11 at every
    # recall threshold
    assert res['AP'] == pytest.approx(1 / 11, abs=1e-12)


def test_category_without_ground_truth_is_left_out():
    gt = make_vis_gt({1: [dict(category_id=1, masks=[box(0, 0, 5, 5)] * 2)]},
                     H, W, cat_ids=(1, 2))
    perfect = gt_as_results(gt)
    fp2 = dict(video_id=1, category_id=2, score=0.9,
               segmentations=[rle(box(9, 9, 4, 4))] * 2)
    unknown = dict(video_id=1, category_id=99, score=0.99,
                   segmentations=[rle(box(9, 9, 4, 4))] * 2)
    res = evaluate_vis(gt, perfect + [fp2, unknown])
    # category 2 has no ground truth: left out, neither -1 nor 0 in the mean
    assert res['AP'] == ONE_HIT and res['AR100'] == 1.0


def test_errors_name_the_results_file(tmp_path):
    gt = make_vis_gt({1: [dict(category_id=1, masks=[box(0, 0, 5, 5)] * 2)]},
                     H, W)
    good = gt_as_results(gt)
    path = str(tmp_path / 'results.json')
    bad_video = copy.deepcopy(good)
    bad_video[0]['video_id'] = 7
    uncompressed = copy.deepcopy(good)
    uncompressed[0]['segmentations'][0] = {'size': [H, W],
                                           'counts': [0, H * W]}
    for bad, msg in ((bad_video, 'video_id 7'),
                     (uncompressed, 'compressed RLE')):
        with open(path, 'w') as f:
            import json
            json.dump(bad, f)
        with pytest.raises(DataError, match=msg) as err:
            evaluate_vis(gt, path)
        assert path in str(err.value)


def test_ground_truth_polygons_and_uncompressed_rle():
    gt = make_vis_gt({1: [dict(category_id=1, masks=[box(2, 2, 6, 8)] * 3)]},
                     H, W)
    rles = gt_as_results(gt)
    ann = gt['annotations'][0]
    ann['segmentations'][0] = [[2, 2, 10, 2, 10, 8, 2, 8]]  # polygon
    fortran = np.asfortranarray(box(2, 2, 6, 8).astype(np.uint8))
    counts = []
    flat, prev, run = fortran.flatten(order='F'), 0, 0
    for v in flat:
        if v != prev:
            counts.append(run)
            run, prev = 0, v
        run += 1
    counts.append(run)
    ann['segmentations'][1] = {'size': [H, W], 'counts': counts}
    tracks = VISGroundTruth(gt).tracks(1)[1][0]
    assert mask_utils.area(tracks['rles'][1]) == 48
    assert mask_utils.area(tracks['rles'][0]) > 0
    assert evaluate_vis(gt, rles)['AR100'] == 1.0


def test_single_frame_videos_agree_with_cocoeval():
    """Fact check against pycocotools' image COCOeval: with one frame per
    video, no crowd and the same area ranges, the two must agree."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    rng = np.random.default_rng(1)
    h, w = 150, 200
    videos, images, anns, canns, res, cres = [], [], [], [], [], []
    for v in range(1, 21):
        videos.append(dict(id=v, height=h, width=w, length=1))
        images.append(dict(id=v, height=h, width=w))
        objs = []
        for _ in range(rng.integers(0, 4)):
            m = np.zeros((h, w), np.uint8)
            y, x = rng.integers(0, h - 5), rng.integers(0, w - 5)
            m[y:y + rng.integers(3, 140), x:x + rng.integers(3, 190)] = 1
            c, r, aid = int(rng.integers(1, 4)), rle(m), len(anns) + 1
            anns.append(dict(id=aid, video_id=v, category_id=c, iscrowd=0,
                             segmentations=[r], areas=[int(m.sum())]))
            canns.append(dict(id=aid, image_id=v, category_id=c, iscrowd=0,
                              segmentation=r, area=int(m.sum()),
                              bbox=list(mask_utils.toBbox(r))))
            objs.append((m, c))
        for _ in range(rng.integers(0, 6)):
            if objs and rng.random() < 0.7:
                m, c = objs[rng.integers(len(objs))]
                m = np.roll(m, rng.integers(-20, 20), axis=1)
            else:
                m, c = np.roll(box(0, 0, 9, 9), 1, 0), int(rng.integers(1, 4))
                m = np.pad(m, ((0, h - H), (0, w - W))).astype(np.uint8)
            s = float(np.round(rng.random(), 1))  # ties on purpose
            res.append(dict(video_id=v, category_id=c, score=s,
                            segmentations=[rle(m)]))
            cres.append(dict(image_id=v, category_id=c, score=s,
                             segmentation=rle(m)))
    cats = [dict(id=i, name=str(i)) for i in (1, 2, 3)]
    ours = evaluate_vis(dict(videos=videos, annotations=anns,
                             categories=cats), res)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = dict(images=images, annotations=canns, categories=cats)
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(cres), 'segm')
        ev.params.areaRng = [[0, 1e10], [0, 128**2], [128**2, 256**2],
                             [256**2, 1e10]]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert list(ours.values()) == ev.stats.tolist()
    assert 0 < ours['AP'] < 1


def test_cli_reads_a_zip_and_names_it_in_errors(tmp_path, capsys):
    import json
    import zipfile
    from eval_testdata import load_tool
    gt = make_vis_gt({1: [dict(category_id=1, masks=[box(0, 0, 5, 5)] * 2),
                          dict(category_id=1, masks=[box(9, 9, 5, 5)] * 2)]},
                     H, W)
    ann = str(tmp_path / 'ann.json')
    with open(ann, 'w') as f:
        json.dump(gt, f)
    sub = str(tmp_path / 'sub.zip')
    with zipfile.ZipFile(sub, 'w') as zf:
        zf.writestr('results.json', json.dumps(gt_as_results(gt)))
    tool = load_tool('eval')
    out = str(tmp_path / 'ap.json')
    assert tool.main(['youtube-vis', '--gt', ann, '--pred', sub,
                      '--json', out]) == 0
    with open(out) as f:
        assert json.load(f)['AP'] == 1.0
    bad = gt_as_results(gt)
    bad[1]['video_id'] = 5
    with zipfile.ZipFile(sub, 'w') as zf:
        zf.writestr('results.json', json.dumps(bad))
    capsys.readouterr()
    assert tool.main(['youtube-vis', '--gt', ann, '--pred', sub]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f'eval.py: error: {sub}:results.json: result 1: '
                   'video_id 5 is not in the ground truth']
