"""Mixed precision in the core: float32 islands under autocast, the
bfloat16 optim wrapper and ``tools/train.py --amp bf16`` on CPU."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from torch import nn

from vostoolkit.apis.runner import prepare_train_cfg
from vostoolkit.engine import AutocastOptimWrapper
from vostoolkit.models.layers.transformer import DeformableEncoderLayer
from vostoolkit.registry import MODELS, OPTIM_WRAPPERS
from vostoolkit.utils import ToolError
from vostoolkit.utils.amp import (autocast_enabled, autocast_off,
                                  float32_island, to_float32)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'tools', 'configs',
                  'tiny_baseline_synthetic.py')

BF16 = torch.bfloat16


def test_island_computes_in_float32_and_only_under_autocast():
    a = torch.randn(4, 4)

    @float32_island
    def product(x, pair):
        return x @ pair[0], pair[1]

    with torch.autocast('cpu', dtype=BF16):
        assert autocast_enabled()
        assert (a @ a).dtype == BF16
        out, passed = product(a.to(BF16), (a, torch.arange(3)))
        assert out.dtype == torch.float32
        assert passed.dtype == torch.int64  # integers are not cast
        with autocast_off():
            assert not autocast_enabled()
            assert (a @ a).dtype == torch.float32
        assert (a @ a).dtype == BF16  # autocast back on after the block
    out, _ = product(a.double(), (a.double(), a))  # no autocast: untouched
    assert out.dtype == torch.float64
    assert to_float32({'x': [a.to(BF16)]})['x'][0].dtype == torch.float32


def _layer_dtypes(layer, *inputs):
    """Output dtypes of the layer's deformable attention, of every Linear
    inside it, and of the FFN's first Linear, in one autocast forward."""
    seen = {'attn_linear': set()}

    def record(key):
        def hook(module, args, out):
            if isinstance(seen.get(key), set):
                seen[key].add(out.dtype)
            else:
                seen[key] = out.dtype
        return hook

    handles = [layer.attn.register_forward_hook(record('attn')),
               layer.ffn.linear1.register_forward_hook(record('ffn'))]
    handles += [m.register_forward_hook(record('attn_linear'))
                for m in layer.attn.modules() if isinstance(m, nn.Linear)]
    with torch.autocast('cpu', dtype=BF16):
        out = layer(*inputs)
    for h in handles:
        h.remove()
    return seen, out


def test_deformable_attention_stays_float32_under_autocast():
    torch.manual_seed(0)
    layer = DeformableEncoderLayer(16, num_heads=2, num_levels=2,
                                   num_points=2, ffn_channels=32)
    shapes = torch.tensor([[4, 4], [2, 2]])
    x = torch.randn(1, 20, 16)
    refs = torch.rand(1, 20, 2, 2)
    seen, out = _layer_dtypes(layer, x.to(BF16), torch.zeros_like(x), refs,
                              shapes)
    assert seen['attn'] == torch.float32
    assert seen['attn_linear'] == {torch.float32}
    assert seen['ffn'] == BF16  # the rest of the layer is mixed precision
    # float32 inside the island: its result matches a float32 forward
    ref = layer.attn(x, refs, x, shapes)
    with torch.autocast('cpu', dtype=BF16):
        island = float32_island(layer.attn)(x.to(BF16), refs, x, shapes)
    torch.testing.assert_close(island, ref, atol=0.02, rtol=0.02)


@pytest.mark.parametrize('fp32', [True, False])
def test_pixel_decoder_attention_is_float32_with_or_without_fp32(fp32):
    torch.manual_seed(0)
    neck = MODELS.build(dict(
        type='MSDeformAttnPixelDecoder', in_channels=(8, 16, 32, 64),
        feat_channels=16, out_channels=16, num_encoder_layers=1,
        num_heads=2, ffn_channels=32, num_groups=4, fp32=fp32))
    dtypes = []
    hook = neck.encoder[0].attn.register_forward_hook(
        lambda m, a, out: dtypes.append(out.dtype))
    feats = [torch.randn(1, c, 32 // 2**i, 32 // 2**i)
             for i, c in enumerate((8, 16, 32, 64))]
    with torch.autocast('cpu', dtype=BF16):
        mask_feats, _ = neck(feats)
    hook.remove()
    assert dtypes == [torch.float32]
    assert mask_feats.dtype == (torch.float32 if fp32 else BF16)


def test_autocast_optim_wrapper_trains_in_bfloat16_on_cpu():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='AutocastOptimWrapper',
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(wrapper, AutocastOptimWrapper)
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        y = model(torch.randn(5, 4))
    assert y.dtype == BF16
    wrapper.update_params(y.float().pow(2).mean())
    assert model[0].weight.dtype == torch.float32  # float32 master weights
    assert not torch.equal(model[0].weight, before)
    with pytest.raises(ValueError, match='AmpOptimWrapper'):
        AutocastOptimWrapper(dtype='float16', optimizer=torch.optim.SGD(
            model.parameters(), lr=0.1))


def _cfg(optim_wrapper):
    return Config(dict(model=dict(type='X'), train_dataloader={},
                       train_cfg={}, optim_wrapper=optim_wrapper))


def test_amp_modes_switch_every_optim_wrapper():
    sgd = dict(type='SGD', lr=0.1)
    cfg = prepare_train_cfg(_cfg(dict(optimizer=sgd)), 'x.py',
                            work_dir='w', amp='bf16')
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    multi = dict(constructor='MultiOptimWrapperConstructor',
                 generator=dict(type='OptimWrapper', optimizer=sgd),
                 critic_spatial=dict(type='AmpOptimWrapper', optimizer=sgd,
                                     loss_scale=512.))
    cfg = prepare_train_cfg(_cfg(multi), 'x.py', work_dir='w', amp='bf16')
    for key in ('generator', 'critic_spatial'):
        assert cfg.optim_wrapper[key].type == 'AutocastOptimWrapper'
        assert 'loss_scale' not in cfg.optim_wrapper[key]
    bad = _cfg(dict(type='ApexOptimWrapper', optimizer=sgd))
    with pytest.raises(ToolError, match='ApexOptimWrapper'):
        prepare_train_cfg(bad, 'x.py', work_dir='w', amp='bf16')
    if not torch.cuda.is_available():
        with pytest.raises(ToolError, match='--amp bf16'):
            prepare_train_cfg(_cfg(dict(optimizer=sgd)), 'x.py',
                              work_dir='w', amp=True)
    cfg = prepare_train_cfg(_cfg(dict(optimizer=sgd)), 'x.py',
                            work_dir='w')
    assert 'type' not in cfg.optim_wrapper  # no --amp: float32 unchanged


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_train_tool_amp_bf16_trains_on_cpu(tmp_path):
    from vostoolkit.testing import load_tool
    from mmengine.logging import MessageHub
    train = load_tool('tools/train.py')
    hubs = set(MessageHub._instance_dict)
    try:
        code = train.main([CONFIG, '--amp', 'bf16', '--work-dir',
                           str(tmp_path), '--cfg-options',
                           'train_cfg.max_iters=2'])
    finally:  # the Runner's MessageHub (its 'iter') stays out of others
        for name in set(MessageHub._instance_dict) - hubs:
            MessageHub._instance_dict.pop(name)
    assert code == 0
    dumped = Config.fromfile(tmp_path / 'tiny_baseline_synthetic.py')
    assert dumped.optim_wrapper.type == 'AutocastOptimWrapper'
    ckpt = torch.load(tmp_path / 'iter_2.pth', map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['iter'] == 2
    weights = [v for v in ckpt['state_dict'].values()
               if v.is_floating_point()]
    assert weights and all(v.dtype == torch.float32 and
                           torch.isfinite(v).all() for v in weights)
