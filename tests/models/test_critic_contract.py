"""Every registered critic honours the ``BaseCritic`` contract: from a
batch of (frames, masks, valid) it lays out its own samples
(``critic_inputs``) and scores them (``forward`` / ``score``)."""
import importlib
import pkgutil

import pytest
import torch

import plugins
from vostoolkit.models.base import BaseCritic
from vostoolkit.registry import CRITICS

for _info in pkgutil.iter_modules(plugins.__path__):
    importlib.import_module(f'plugins.{_info.name}')

MEMBERS = sorted(CRITICS.module_dict)


def test_there_are_critics():
    assert MEMBERS


@pytest.mark.parametrize('name', MEMBERS)
def test_critic_scores_a_batch_of_frames_and_masks(name):
    torch.manual_seed(0)
    critic = CRITICS.build(dict(type=name))
    assert isinstance(critic, BaseCritic)
    k = getattr(critic, 'num_frames', 3)  # a temporal critic's window
    n, size = 2, 64
    frames = torch.randn(n, k, 3, size, size)
    masks = torch.rand(n, k, size, size)
    valid = torch.ones(n, k, dtype=torch.bool)

    samples = critic.critic_inputs(frames, masks, valid)
    assert samples is not None and 1 <= samples.shape[0] <= n * k
    scores = critic(samples)
    assert scores.dim() == 4 and scores.shape[:2] == (samples.shape[0], 1)
    assert torch.equal(critic.score(frames, masks, valid), scores)
    # masks as (N, K, 1, H, W) are the same masks
    assert torch.equal(critic.critic_inputs(frames, masks[:, :, None],
                                            valid), samples)
    # samples are masked frames: empty masks give zero samples
    empty = critic.critic_inputs(frames, torch.zeros_like(masks), valid)
    assert empty.shape == samples.shape and not empty.any()
    # samples are scored independently (no batch statistics)
    assert torch.allclose(critic(samples[:1]), scores[:1], atol=1e-5)
    # nothing annotated: no sample
    assert critic.critic_inputs(frames, masks,
                                torch.zeros_like(valid)) is None
    assert critic.score(frames, masks, torch.zeros_like(valid)) is None
    # a frame that is not annotated never reaches a sample
    partial = valid.clone()
    partial[0, 0] = False
    poisoned = frames.clone()
    poisoned[0, 0] = float('nan')
    out = critic.critic_inputs(poisoned, masks, partial)
    assert out is None or not out.isnan().any()


@pytest.mark.parametrize('name', MEMBERS)
def test_critic_refuses_mismatched_shapes(name):
    critic = CRITICS.build(dict(type=name))
    k = getattr(critic, 'num_frames', 3)
    frames = torch.randn(2, k, 3, 64, 64)
    with pytest.raises(ValueError):
        critic.critic_inputs(frames, torch.rand(2, k, 32, 32),
                             torch.ones(2, k, dtype=torch.bool))
