"""``tools/test.py CONFIG CKPT --submit OUT.zip`` with the toy FRTM configs
on tiny toy DAVIS-format and YouTube-VOS-format data (the session fixtures:
2 val videos of 6 frames, 48 x 64 px) and a randomly initialised, narrowed
model: the validator accepts both zips, and objects that appear late start
their target model on their first frame and are written from there on."""
import io
import os.path as osp
import zipfile

import numpy as np
import torch
from mmengine.config import Config
from PIL import Image

import plugins.frtm  # noqa: F401  (registers the plugin)
from vostoolkit.evaluation import validate_davis_zip, validate_ytvos_zip
from vostoolkit.registry import MODELS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIGS = dict(davis=osp.join(ROOT, 'configs', 'frtm',
                              'frtm_r18_toy-davis.py'),
               ytvos=osp.join(ROOT, 'configs', 'frtm',
                              'frtm_r18_toy-ytvos.py'))
# a narrow model so that the test runs in seconds
SMALL = {'model.backbone.base_channels': 8,
         'model.target_model.num_filters': 8,
         'model.target_model.num_gn_steps': 2,
         'model.head.channels': 8,
         'model.augmenter.num_samples': 3}


def _tool():
    return load_tool('tools/test.py')


def _submit(fmt: str, gt_root: str, tmp) -> dict:
    """Run the tool once; record every (frame, ids) step of the inference
    state and every object start."""
    cfg = Config.fromfile(CONFIGS[fmt])
    cfg.merge_from_dict(SMALL)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = str(tmp / 'iter_1.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=1)), ckpt)
    tool = _tool()
    steps, starts, video = {}, [], [None]
    build_runner = tool.build_runner

    def capture(cfg):
        runner = build_runner(cfg)
        model = runner.model
        inference = model.inference
        predict, step = model.predict, inference.step
        start = inference.start_object

        def recording_predict(inputs, data_samples):
            video[0] = data_samples[0].metainfo['video_name']
            return predict(inputs, data_samples)

        def recording_step(frame_index, *args, **kwargs):
            probs, ids = step(frame_index, *args, **kwargs)
            steps.setdefault(video[0], []).append((frame_index, list(ids)))
            return probs, ids

        def recording_start(obj_id, frame_index, *args, **kwargs):
            starts.append((video[0], obj_id, frame_index))
            return start(obj_id, frame_index, *args, **kwargs)

        model.predict = recording_predict
        inference.step = recording_step
        inference.start_object = recording_start
        return runner

    tool.build_runner = capture
    out_zip = str(tmp / f'frtm_{fmt}.zip')
    options = [f'{k}={v}' for k, v in SMALL.items()] + [
        f'test_dataloader.dataset.data_root={gt_root}',
        'test_dataloader.dataset.toy_spec=None']
    code = tool.main([CONFIGS[fmt], ckpt, '--submit', out_zip,
                      '--work-dir', str(tmp / 'work'),
                      '--cfg-options', *options])
    return dict(code=code, zip=out_zip, steps=steps, starts=starts)


def _png(zf: zipfile.ZipFile, name: str) -> np.ndarray:
    return np.array(Image.open(io.BytesIO(zf.read(name))))


def test_davis_submission_is_valid(toy_davis_root, tmp_path):
    out = _submit('davis', toy_davis_root, tmp_path)
    assert out['code'] == 0
    assert validate_davis_zip(out['zip'], toy_davis_root, year='2017',
                              split='val') == []
    # DAVIS: every object starts on frame 0 of its video
    assert out['starts'] and all(f == 0 for _, _, f in out['starts'])


def test_ytvos_submission_segments_late_objects(toy_data, tmp_path):
    root, gt = toy_data('youtube-vos')
    late = [(video, obj_id, first) for video in gt['valid']
            for obj_id, first in video.first_frames.items() if first > 0]
    assert late, 'the toy valid split should hold an object that enters late'
    out = _submit('ytvos', root, tmp_path)
    assert out['code'] == 0
    assert validate_ytvos_zip(out['zip'], root, split='valid') == []
    starts = set(out['starts'])
    with zipfile.ZipFile(out['zip']) as zf:
        for video, obj_id, first in late:
            # the target model starts on the object's first frame ...
            assert (video.name, obj_id, first) in starts
            names = [f'Annotations/{video.name}/{stem}.png'
                     for stem in video.frame_names]
            frames = [_png(zf, n) for n in names]
            # ... it is absent before, its given mask is written there ...
            assert all(obj_id not in f for f in frames[:first])
            given = video.id_maps[first] == obj_id
            assert (frames[first][given] == obj_id).mean() > 0.9
            # ... and the inference state keeps segmenting it afterwards
            for frame, ids in out['steps'][video.name]:
                assert (obj_id in ids) == (frame >= first)
