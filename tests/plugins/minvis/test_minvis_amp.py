"""MinVIS under bfloat16 autocast: one training step through the optim
wrapper (CPU), with the pixel decoder kept in float32."""
import torch
from mmengine.structures import InstanceData

import plugins.minvis  # noqa: F401
from vostoolkit.engine import AutocastOptimWrapper
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample

W = 16


def _tiny_minvis():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='MinVIS',
        backbone=dict(type='ResNet', depth=18, base_channels=8),
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder', in_channels=(8, 16, 32, 64),
            feat_channels=W, out_channels=W, num_encoder_layers=1,
            num_heads=2, ffn_channels=2 * W, num_groups=4),
        decoder=dict(
            type='Mask2FormerVideoHead', num_classes=3, in_channels=W,
            mask_channels=W, embed_dims=W, num_queries=5, num_heads=2,
            num_layers=2, ffn_channels=2 * W, temporal_encoding='none',
            max_frames=1, num_points=64,
            matcher=dict(type='HungarianMatcher', num_points=64))))


def _sample(t=2, size=64):
    masks = torch.zeros(2, t, size, size, dtype=torch.bool)
    masks[0, :, 8:24, 8:24] = True
    masks[1, 1:, 30:50, 30:60] = True  # appears on frame 1
    sample = VideoDataSample()
    sample.gt_instances = InstanceData(labels=torch.tensor([0, 2]),
                                       masks=masks)
    return sample


def test_bf16_training_step_keeps_the_pixel_decoder_in_float32():
    model = _tiny_minvis()
    wrapper = AutocastOptimWrapper(
        optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3))
    dtypes = {}

    def record(name):
        def hook(module, args, out):
            out = out[0] if isinstance(out, tuple) else out
            dtypes.setdefault(name, out.dtype)
        return hook

    hooks = [model.backbone.conv1.register_forward_hook(record('backbone')),
             model.pixel_decoder.register_forward_hook(record('decoder'))]
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    torch.manual_seed(1)
    log_vars = model.train_step(
        dict(inputs=torch.randn(2, 2, 3, 64, 64),
             data_samples=[_sample(), _sample()]), wrapper)
    for h in hooks:
        h.remove()
    assert dtypes == dict(backbone=torch.bfloat16, decoder=torch.float32)
    assert torch.isfinite(log_vars['loss'])
    after = dict(model.named_parameters())
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all()
               for p in after.values())
    for part in ('backbone.conv1', 'pixel_decoder.encoder', 'decoder.'):
        assert any(not torch.equal(v, after[k]) for k, v in before.items()
                   if k.startswith(part)), part
