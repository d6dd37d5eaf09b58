"""tools/model_converters/mask2former_d2.py on synthetic detectron2
checkpoints carrying the real key names (and, for the R50 models, the real
shapes): every key maps, the result loads into the config's model with no
missing or unexpected weight, and a wrong file stops it with one line."""
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from vostoolkit.testing import (d2_mask2former_shapes, load_tool,
                                random_arrays, zero_arrays)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NOVIS_R50 = osp.join(ROOT, 'configs', 'novis', 'novis_r50_ytvis19.py')
M2FVIS_R50 = osp.join(ROOT, 'configs', 'novis', 'novis-m2fvis_r50_ytvis19.py')
TOOL = 'tools/model_converters/mask2former_d2.py'
# a tiny Mask2Former: ResNet-50 layout at 1/8 width, 16-channel decoders
TINY = dict(stem=8, dims=16, mask_dim=16, enc_layers=2, enc_ffn=32,
            dec_layers=3, dec_ffn=32, heads=2, num_queries=5, num_classes=3)


@pytest.fixture(scope='module')
def conv():
    return load_tool(TOOL)


def _tiny_cfg_options():
    return [
        'model.backbone.base_channels=8',
        'model.pixel_decoder.in_channels=[32,64,128,256]',
        'model.pixel_decoder.feat_channels=16',
        'model.pixel_decoder.out_channels=16',
        'model.pixel_decoder.num_encoder_layers=2',
        'model.pixel_decoder.num_heads=2',
        'model.pixel_decoder.ffn_channels=32',
        'model.pixel_decoder.num_groups=4',
        'model.decoder.num_classes=3', 'model.decoder.in_channels=16',
        'model.decoder.mask_channels=16', 'model.decoder.embed_dims=16',
        'model.decoder.num_queries=5', 'model.decoder.num_heads=2',
        'model.decoder.num_layers=3', 'model.decoder.ffn_channels=32',
    ]


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    """The Mask2Former-VIS config at tiny widths, as a file."""
    from vostoolkit.apis import load_config
    cfg = load_config(M2FVIS_R50, _tiny_cfg_options())
    path = tmp_path_factory.mktemp('cfg') / 'm2fvis_tiny.py'
    cfg.dump(str(path))
    return str(path)


def _write_pkl(path, arrays, **extra):
    with open(path, 'wb') as f:
        pickle.dump(dict(model=arrays, __author__='test', **extra), f)
    return str(path)


# --------------------------------------------- the real R50 key lists
def test_r50_coco_instance_keys_fit_the_novis_r50_model(conv):
    shapes = d2_mask2former_shapes()  # maskformer2_R50_bs16_50ep
    assert len(shapes) == 558
    state, dropped = conv.convert(zero_arrays(shapes))
    assert dropped == ['criterion.empty_weight']
    assert len(state) == len(shapes) - 1  # every other key placed
    conv.reinit_class_head(state, 40)
    model = conv.model_shapes(NOVIS_R50)
    missing = conv.fit_to_model(state, model, 'coco.pkl', NOVIS_R50)
    assert missing == []
    assert set(state) == {k for k in model
                          if not k.startswith('data_preprocessor.')}
    # the temporal encoding Mask2Former has not starts at zero
    assert not state[conv.TEMPORAL].any()


def test_r50_ytvis19_video_keys_fit_the_m2fvis_model(conv):
    shapes = d2_mask2former_shapes(num_classes=40)
    state, _ = conv.convert(zero_arrays(shapes))
    model = conv.model_shapes(M2FVIS_R50)
    assert conv.fit_to_model(state, model, 'vis.pkl', M2FVIS_R50) == []
    assert set(state) == {k for k in model
                          if not k.startswith('data_preprocessor.')}
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        k: model[k] for k in state}


def test_r101_keys_map(conv):
    state, _ = conv.convert(zero_arrays(d2_mask2former_shapes(depth=101)))
    assert 'backbone.layer3.22.bn3.running_var' in state
    assert state['backbone.layer1.0.downsample.0.weight'].shape == (
        256, 64, 1, 1)


def test_rename_examples(conv):
    r = conv.rename
    assert r('backbone.stem.conv1.norm.running_mean') == \
        'backbone.bn1.running_mean'
    assert r('backbone.res5.2.conv3.norm.weight') == \
        'backbone.layer4.2.bn3.weight'
    assert r('backbone.res3.0.shortcut.norm.bias') == \
        'backbone.layer2.0.downsample.1.bias'
    assert r('sem_seg_head.pixel_decoder.transformer.encoder.layers.5.'
             'norm2.weight') == 'pixel_decoder.encoder.5.ffn.norm.weight'
    assert r('sem_seg_head.pixel_decoder.adapter_1.norm.weight') == \
        'pixel_decoder.lateral_convs.0.1.weight'
    assert r('sem_seg_head.predictor.transformer_cross_attention_layers.8.'
             'multihead_attn.in_proj_weight') == \
        'decoder.cross_attn.8.attn.in_proj_weight'
    assert r('sem_seg_head.predictor.static_query.weight') == \
        'decoder.query_feat.weight'  # checkpoints before detectron2 v2
    assert r('sem_seg_head.predictor.transformer_ffn_layers.0.dropout.p') \
        is None


# ------------------------------------------------- end to end, tiny
def test_converted_tiny_checkpoint_loads_strictly(conv, tiny_config,
                                                  tmp_path, capsys):
    from vostoolkit.apis import init_model
    arrays = random_arrays(d2_mask2former_shapes(**TINY))
    src = _write_pkl(tmp_path / 'tiny.pkl', arrays)
    out = tmp_path / 'out' / 'tiny.pth'
    assert conv.main([src, str(out), '--config', tiny_config]) == 0
    text = capsys.readouterr().out
    assert f'mapped {len(arrays) - 1} keys' in text and 'dropped 1' in text
    assert 'every weight' in text
    assert [p.name for p in out.parent.iterdir()] == ['tiny.pth']
    ckpt = torch.load(out, map_location='cpu')
    model = init_model(tiny_config)
    result = model.load_state_dict(ckpt['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    torch.testing.assert_close(
        model.backbone.layer1[0].downsample[1].running_var,
        torch.from_numpy(arrays['backbone.res2.0.shortcut.norm.running_var']))
    torch.testing.assert_close(
        model.pixel_decoder.level_embed,
        torch.from_numpy(
            arrays['sem_seg_head.pixel_decoder.transformer.level_embed']))


def test_pth_input_and_num_classes(conv, tiny_config, tmp_path, capsys):
    arrays = random_arrays(d2_mask2former_shapes(**dict(TINY,
                                                        num_classes=80)))
    src = tmp_path / 'coco.pth'
    torch.save(dict(model={k: torch.from_numpy(v) for k, v in
                           arrays.items()}, iteration=7), src)
    out = tmp_path / 'coco3.pth'
    # 80 classes do not fit a 3-class model: the key is named
    assert conv.main([str(src), str(out), '--config', tiny_config]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert 'decoder.cls_embed.weight' in err and '--num-classes' in err
    assert not out.exists()
    assert conv.main([str(src), str(out), '--config', tiny_config,
                      '--num-classes', '3']) == 0
    assert 're-initialised for 3 classes (the checkpoint has 80)' in \
        capsys.readouterr().out
    state = torch.load(out, map_location='cpu')['state_dict']
    assert state['decoder.cls_embed.weight'].shape == (4, 16)
    torch.testing.assert_close(
        state['decoder.mask_embed.layers.2.weight'], torch.from_numpy(
            arrays['sem_seg_head.predictor.mask_embed.layers.2.weight']))


@pytest.mark.parametrize('case, message', [
    ('text', 'not a detectron2 checkpoint'),
    ('no_model', "no 'model' dict"),
    ('not_m2f', 'not a Mask2Former checkpoint'),
    ('unknown_key', 'cannot place key sem_seg_head.predictor.extra.weight'),
    ('swin', 'Swin backbone'),
    ('wrong_shape', 'decoder.query_feat.weight is (6, 16)'),
    ('wrong_depth', 'backbone.layer3.6.conv1.weight has no place'),
])
def test_wrong_files_give_one_line(conv, tiny_config, tmp_path, capsys,
                                   case, message):
    good = zero_arrays(d2_mask2former_shapes(**TINY))
    src = tmp_path / 'in.pkl'
    if case == 'text':
        src.write_text('not a checkpoint\n')
    elif case == 'no_model':
        _write_pkl(src, None)
    elif case == 'not_m2f':
        _write_pkl(src, {'backbone.stem.conv1.weight': np.zeros(3)})
    elif case == 'unknown_key':
        _write_pkl(src, dict(good, **{
            'sem_seg_head.predictor.extra.weight': np.zeros(2)}))
    elif case == 'swin':
        _write_pkl(src, dict(good, **{
            'backbone.patch_embed.proj.weight': np.zeros(2)}))
    elif case == 'wrong_shape':
        _write_pkl(src, zero_arrays(d2_mask2former_shapes(
            **dict(TINY, num_queries=6))))
    else:
        _write_pkl(src, zero_arrays(d2_mask2former_shapes(
            **dict(TINY, depth=101))))
    out = tmp_path / 'out.pth'
    assert conv.main([str(src), str(out), '--config', tiny_config]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert str(src) in err
    assert not out.exists()


def test_command_line_exit_status(tmp_path):
    src = tmp_path / 'x.pkl'
    src.write_bytes(b'\x00garbage')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, TOOL), str(src),
         str(tmp_path / 'y.pth')], capture_output=True, text=True,
        cwd=ROOT, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.count('\n') == 1 and str(src) in proc.stderr
