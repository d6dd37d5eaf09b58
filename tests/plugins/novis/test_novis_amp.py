"""NOVIS under bfloat16 autocast: one training step through the optim
wrapper (CPU), with the pixel decoder kept in float32."""
import torch
from mmengine.structures import InstanceData

import plugins.novis  # noqa: F401
from vostoolkit.engine import AutocastOptimWrapper
from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample

C = 32


def _tiny_novis():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='NOVIS',
        data_preprocessor=dict(type='VideoDataPreprocessor',
                               pad_size_divisor=32),
        backbone=dict(type='ResNet', depth=18, base_channels=8),
        pixel_decoder=dict(type='MSDeformAttnPixelDecoder',
                           in_channels=(8, 16, 32, 64), feat_channels=C,
                           out_channels=C, num_encoder_layers=1, num_heads=4,
                           ffn_channels=64, num_groups=8),
        decoder=dict(type='NOVISVideoDecoder', num_classes=2, in_channels=C,
                     mask_channels=C, embed_dims=C, num_queries=4,
                     num_heads=4, num_layers=2, ffn_channels=64,
                     num_points=32, max_frames=4),
        clip_len=2, stride=1))


def _batch(t=2, size=64):
    samples = []
    for _ in range(2):
        sample = VideoDataSample(metainfo=dict(frame_ids=list(range(t)),
                                               img_shape=(size, size)))
        masks = torch.zeros(2, t, size, size, dtype=torch.bool)
        masks[0, :, 5:20, 5:30] = True
        masks[1, 0, 30:, 30:] = True  # leaves after frame 0
        sample.gt_instances = InstanceData(
            labels=torch.tensor([0, 1]), instance_ids=torch.tensor([1, 2]),
            masks=masks, frame_valid=masks.flatten(2).any(-1))
        samples.append(sample)
    inputs = [torch.randint(0, 255, (t, 3, size, size), dtype=torch.uint8)
              for _ in range(2)]
    return dict(inputs=inputs, data_samples=samples)


def test_bf16_training_step_keeps_the_pixel_decoder_in_float32():
    model = _tiny_novis()
    wrapper = AutocastOptimWrapper(
        optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3))
    dtypes = {}

    def record(name):
        def hook(module, args, out):
            out = out[0] if isinstance(out, tuple) else out
            dtypes.setdefault(name, out.dtype)
        return hook

    hooks = [model.backbone.conv1.register_forward_hook(record('backbone')),
             model.pixel_decoder.register_forward_hook(record('decoder')),
             model.pixel_decoder.encoder[0].attn.register_forward_hook(
                 record('attn'))]
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    log_vars = model.train_step(_batch(), wrapper)
    for h in hooks:
        h.remove()
    assert dtypes == dict(backbone=torch.bfloat16, decoder=torch.float32,
                          attn=torch.float32)
    assert 'loss' in log_vars and torch.isfinite(log_vars['loss'])
    after = dict(model.named_parameters())
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all()
               for p in after.values())
    for part in ('backbone.conv1', 'pixel_decoder.encoder.0.attn',
                 'decoder.'):
        assert any(not torch.equal(v, after[k]) for k, v in before.items()
                   if k.startswith(part)), part
