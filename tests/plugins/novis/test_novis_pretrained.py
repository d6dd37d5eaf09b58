"""NOVIS and Mask2Former-VIS from converted Mask2Former weights: the r50
configs are Mask2Former-faithful, ``mode='tensor'`` returns the raw
outputs, and a converted (synthetic, tiny) Mask2Former-VIS checkpoint runs
through tools/test.py and tools/demo.py on a tiny toy video."""
import json
import os
import os.path as osp
import pickle

import pytest
import torch

from vostoolkit.apis import init_model, load_config
from vostoolkit.testing import (d2_mask2former_shapes, load_tool,
                                random_arrays)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CFG = osp.join(ROOT, 'configs', 'novis')
R50 = ['novis_r50_ytvis19.py', 'novis_r50_ytvis21.py', 'novis_r50_ovis.py',
       'novis-large_r50_ovis.py', 'novis-iou-tracker_r50_ytvis19.py',
       'novis-iou-tracker_r50_ovis.py', 'novis-online_r50_ovis.py']
M2FVIS = ['novis-m2fvis_r50_ytvis19.py', 'novis-m2fvis_r50_ytvis21.py']
TINY = dict(stem=8, dims=16, mask_dim=16, enc_layers=2, enc_ffn=32,
            dec_layers=3, dec_ffn=32, heads=2, num_queries=5, num_classes=3)
TINY_OPTIONS = [
    'model.backbone.base_channels=8',
    'model.pixel_decoder.in_channels=[32,64,128,256]',
    'model.pixel_decoder.feat_channels=16',
    'model.pixel_decoder.out_channels=16',
    'model.pixel_decoder.num_encoder_layers=2',
    'model.pixel_decoder.num_heads=2', 'model.pixel_decoder.ffn_channels=32',
    'model.pixel_decoder.num_groups=4', 'model.decoder.num_classes=3',
    'model.decoder.in_channels=16', 'model.decoder.mask_channels=16',
    'model.decoder.embed_dims=16', 'model.decoder.num_queries=5',
    'model.decoder.num_heads=2', 'model.decoder.num_layers=3',
    'model.decoder.ffn_channels=32', 'model.test_cfg.top_k=5',
]


@pytest.mark.parametrize('name', R50 + M2FVIS)
def test_r50_configs_are_mask2former_faithful(name):
    cfg = load_config(osp.join(CFG, name))
    model = cfg.model
    assert model.pixel_decoder.get('positional_encoding') is None  # offset 0
    assert model.decoder.get('positional_encoding') is None
    resize = [s for s in cfg.test_dataloader.dataset.pipeline
              if s['type'] == 'ClipResize']
    assert resize[0]['backend'] == 'pil'
    if name in M2FVIS:
        assert model.decoder.temporal_encoding == 'sine'
        assert model.decoder.type == 'Mask2FormerVideoHead'
        assert model.test_cfg.score == 'class' and model.clip_len >= 1000
    else:
        assert model.decoder.temporal_init == 'zeros'
        classes = model.decoder.num_classes
        assert cfg.load_from == (f'checkpoints/mask2former_r50_coco-'
                                 f'instance_{classes}cls.pth')


def test_toy_config_keeps_its_encodings():
    model = load_config(osp.join(CFG, 'novis_r18_toy-ytvis.py')).model
    assert model.pixel_decoder.positional_encoding == dict(offset=-0.5)
    assert model.decoder.positional_encoding == dict(offset=-0.5)
    assert model.decoder.temporal_init == 'normal'


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """The tiny Mask2Former-VIS config on a toy split, and a converted
    synthetic detectron2 checkpoint for it."""
    root = tmp_path_factory.mktemp('m2fvis')
    data_root = str(root / 'toy')
    cfg = load_config(osp.join(CFG, M2FVIS[0]),
                      TINY_OPTIONS + [f'data_root={data_root}'])
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.test_dataloader.dataset.toy_spec = dict(
        videos=1, val_videos=1, frames=5, size=(64, 96), seed=0)
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'ClipResize':
            step['shortest_edge'] = 64
    path = str(root / 'm2fvis_tiny.py')
    cfg.dump(path)
    src = root / 'video_model.pkl'
    with open(src, 'wb') as f:
        pickle.dump(dict(model=random_arrays(d2_mask2former_shapes(**TINY))),
                    f)
    ckpt = str(root / 'video_model.pth')
    conv = load_tool('tools/model_converters/mask2former_d2.py')
    assert conv.main([str(src), ckpt, '--config', path]) == 0
    return dict(root=root, cfg=path, ckpt=ckpt, data_root=data_root)


def test_tensor_mode_returns_the_raw_outputs(tiny):
    model = init_model(tiny['cfg'], tiny['ckpt'])
    x = torch.randn(1, 3, 3, 64, 96)
    with torch.no_grad():
        out = model(x, mode='tensor')
    assert [tuple(f.shape) for f in out['backbone_feats']] == [
        (1, 3, 32, 16, 24), (1, 3, 64, 8, 12), (1, 3, 128, 4, 6),
        (1, 3, 256, 2, 3)]
    assert out['mask_features'].shape == (1, 3, 16, 16, 24)
    assert [tuple(f.shape[-2:]) for f in out['multi_scale_feats']] == [
        (2, 3), (4, 6), (8, 12)]
    assert len(out['cls_logits']) == len(out['mask_logits']) == 4
    assert all(c.shape == (1, 5, 4) for c in out['cls_logits'])
    assert all(m.shape == (1, 5, 3, 16, 24) for m in out['mask_logits'])
    # the decoder's last prediction is the one predict() uses
    with torch.no_grad():
        last = model.decoder.predict(out['multi_scale_feats'],
                                     out['mask_features'])
    torch.testing.assert_close(last['cls_logits'], out['cls_logits'][-1])


def test_converted_checkpoint_through_test_and_demo(tiny, capsys):
    out = tiny['root'] / 'sub.zip'
    test = load_tool('tools/test.py')
    assert test.main([tiny['cfg'], tiny['ckpt'], '--submit', str(out),
                      '--work-dir', str(tiny['root'] / 'work')]) == 0
    assert out.exists()
    # near-online: clips of 2 frames every frame, matched by IoU and class
    near = tiny['root'] / 'near.zip'
    assert test.main([tiny['cfg'], tiny['ckpt'], '--submit', str(near),
                      '--work-dir', str(tiny['root'] / 'work'),
                      '--cfg-options', 'model.clip_len=2',
                      'model.stride=1']) == 0
    assert near.exists()
    frames = osp.join(tiny['data_root'], 'valid', 'JPEGImages')
    video = osp.join(frames, sorted(os.listdir(frames))[0])
    demo = load_tool('tools/demo.py')
    res_dir = tiny['root'] / 'demo'
    assert demo.main([tiny['cfg'], tiny['ckpt'], '--input', video, '--out',
                      str(res_dir), '--score-thr', '0']) == 0
    with open(res_dir / 'results.json') as f:
        res = json.load(f)
    assert res['video_length'] == 5 and 0 < len(res['instances']) <= 5


def test_class_scoring_is_mask2former_vis():
    from plugins.novis import VideoTrackResults
    res = VideoTrackResults(2)
    res.add_class_probs(torch.tensor([[0.9, 0.0], [0.0, 0.6]]))
    logits = torch.full((2, 4, 4), -5.0)
    logits[0, :2] = 0.1  # track 0: a sure class, an unsure mask
    logits[1, :2] = 5.0  # track 1: an unsure class, a sure mask
    res.add_frame(0, logits, (4, 4), (4, 4), (4, 4))
    by_mask = res.top_k(1, 1)
    by_class = res.top_k(1, 1, mask_score=False)
    assert by_mask.track_ids.tolist() == [1]
    assert by_class.track_ids.tolist() == [0]
    torch.testing.assert_close(by_class.scores, torch.tensor([0.9]))
    with pytest.raises(ValueError, match='score'):
        init_model(osp.join(CFG, M2FVIS[0]), cfg_options=[
            "model.test_cfg.score='mask'"])
