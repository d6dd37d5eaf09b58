"""The MinVIS model on tiny inputs: per-frame targets, training losses,
streaming inference independent of how the video is chunked, configs."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.structures import InstanceData

from plugins.minvis import MinVIS
from vostoolkit.apis import init_model, load_config
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample
from vostoolkit.testing import d2_mask2former_shapes, load_tool, zero_arrays

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..')
CFG_DIR = osp.join(ROOT, 'configs', 'minvis')
W = 16


def _model(num_classes=3, queries=5):
    return MODELS.build(dict(
        type='MinVIS',
        backbone=dict(type='ResNet', depth=18, base_channels=8),
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder', in_channels=(8, 16, 32, 64),
            feat_channels=W, out_channels=W, num_encoder_layers=1,
            num_heads=2, ffn_channels=2 * W, num_groups=4),
        decoder=dict(
            type='Mask2FormerVideoHead', num_classes=num_classes,
            in_channels=W, mask_channels=W, embed_dims=W,
            num_queries=queries, num_heads=2, num_layers=3,
            ffn_channels=2 * W, temporal_encoding='none', max_frames=1,
            num_points=64,
            matcher=dict(type='HungarianMatcher', num_points=64)),
        test_cfg=dict(top_k=4)))


def _sample(t=2, hw=(64, 64)):
    """Object 0 on both frames; object 1 appears on frame 1 only."""
    masks = torch.zeros(2, t, *hw, dtype=torch.bool)
    masks[0, :, 8:24, 8:24] = True
    masks[1, 1:, 30:50, 30:60] = True
    sample = VideoDataSample()
    sample.gt_instances = InstanceData(labels=torch.tensor([0, 2]),
                                       masks=masks)
    return sample


def test_frame_targets_keep_visible_instances():
    targets = MinVIS.frame_targets(_sample(), 2, (64, 96))
    assert [t['labels'].tolist() for t in targets] == [[0], [0, 2]]
    assert targets[1]['masks'].shape == (2, 1, 64, 96)
    assert not targets[1]['masks'][:, :, :, 64:].any()  # padding is empty
    empty = MinVIS.frame_targets(VideoDataSample(), 3, (8, 8))
    assert len(empty) == 3 and empty[0]['masks'].shape == (0, 1, 8, 8)


def test_loss_trains_on_every_frame():
    torch.manual_seed(0)
    model = _model()
    inputs = torch.randn(2, 2, 3, 64, 64)  # (N, T, 3, H, W)
    losses = model.loss(inputs, [_sample(), _sample()])
    assert {'loss_cls', 'loss_mask', 'loss_dice', 'd0.loss_cls'} <= set(
        losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.decoder.cls_embed.weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    out = model(inputs, mode='tensor')
    assert out['mask_logits'][-1].shape == (4, 5, 1, 16, 16)  # N*T frames


def _predict(model, frames, chunk):
    model.reset_video_state()
    out = []
    n = frames.shape[0]
    for start in range(0, n, chunk):
        ids = list(range(start, min(n, start + chunk)))
        sample = VideoDataSample(metainfo=dict(
            frame_ids=ids, video_length=n, is_first=start == 0,
            is_last=ids[-1] == n - 1, img_shape=(64, 64),
            ori_shape=(48, 60), batch_input_shape=(64, 64)))
        out += model.predict(frames[None, ids[0]:ids[-1] + 1], [sample])
    return out


def test_streaming_result_does_not_depend_on_chunking():
    torch.manual_seed(0)
    model = _model().eval()
    frames = torch.randn(5, 3, 64, 64)
    one = _predict(model, frames, chunk=1)
    whole = _predict(model, frames, chunk=5)
    assert len(one) == len(whole) == 1
    a, b = one[0].pred_instances, whole[0].pred_instances
    assert a.labels.tolist() == b.labels.tolist()
    assert a.track_ids.tolist() == b.track_ids.tolist()
    torch.testing.assert_close(a.scores, b.scores, rtol=1e-4, atol=1e-5)
    assert len(a.rles) == 4 and len(a.rles[0]) == 5
    assert a.rles[0][0]['size'] == [48, 60]  # original size
    assert one[0].frame_ids == list(range(5))


@pytest.mark.parametrize('name', ['minvis_r50_ytvis19', 'minvis_r50_coco',
                                  'minvis_r18_toy-ytvis'])
def test_configs_build(name):
    cfg = load_config(osp.join(CFG_DIR, f'{name}.py'))
    model = init_model(cfg)
    if name.startswith('minvis_'):
        assert isinstance(model, MinVIS)
        prefixes = {k.split('.')[0] for k in model.state_dict()}
        # the key layout a converted Mask2Former checkpoint must have
        assert prefixes == {'backbone', 'pixel_decoder', 'decoder'}
    if name == 'minvis_r50_coco':
        assert len(cfg.classes) == 80 == model.decoder.num_classes
        assert model.decoder.cls_embed.out_features == 81
        assert cfg.load_from == 'checkpoints/mask2former_r50_coco.pth'


def test_plugin_stands_alone():
    """In a fresh interpreter, the MinVIS configs load and build with
    plugins.minvis as the only plugin imported."""
    code = (
        'import sys, glob\n'
        'from vostoolkit.apis import init_model, load_config\n'
        f'for path in sorted(glob.glob({CFG_DIR!r} + "/*.py")):\n'
        '    init_model(load_config(path))\n'
        'print(sorted({m.split(".")[1] for m in sys.modules\n'
        '              if m.startswith("plugins.")}))\n')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', code], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "['minvis']"


def test_converted_coco_mask2former_fits_the_coco_config():
    """Every weight of Mask2Former's COCO instance R50 checkpoint (the real
    detectron2 key list and shapes), converted by
    tools/model_converters/mask2former_d2.py, has its place in the model of
    minvis_r50_coco.py, and the model needs no other weight."""
    conv = load_tool('tools/model_converters/mask2former_d2.py')
    config = osp.join(CFG_DIR, 'minvis_r50_coco.py')
    state, dropped = conv.convert(zero_arrays(d2_mask2former_shapes()))
    assert dropped == ['criterion.empty_weight']
    shapes = conv.model_shapes(config)
    assert conv.fit_to_model(state, shapes, 'coco.pkl', config) == []
    assert set(state) == {k for k in shapes
                          if not k.startswith('data_preprocessor.')}
