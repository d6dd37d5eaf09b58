"""The sample memory: the authors' weight and replacement rules."""
import pytest
import torch

from plugins.frtm import FRTMSampleMemory, initial_sample_weights


def _sample(value, c=2, h=3, w=4):
    return (torch.full((1, c, h, w), float(value)), torch.ones(1, 9, h, w),
            torch.zeros(1, 1, h, w), torch.tensor([float(value)]))


def _memory(capacity=8, m0=5, eta=0.1):
    mem = FRTMSampleMemory(capacity, eta)
    feats = torch.arange(m0, dtype=torch.float32).view(m0, 1, 1, 1).expand(
        m0, 2, 3, 4)
    mem.initialize(feats, torch.ones(m0, 9, 3, 4), torch.zeros(m0, 1, 3, 4),
                   torch.zeros(m0), initial_sample_weights(m0))
    return mem


def test_initial_weights_original_twice_the_others():
    w = initial_sample_weights(5)
    assert w.tolist() == pytest.approx([2 / 6] + [1 / 6] * 4)
    mem = _memory()
    assert len(mem) == 5
    assert mem.samples()[4].tolist() == pytest.approx(w.tolist())


def test_first_and_later_samples_by_hand():
    """First sample: eta against M0's weights / (1 - eta); later ones: the
    previous sample's normalised weight / (1 - eta); written to the first
    empty slot while there is one."""
    mem = _memory()
    assert mem.add(*_sample(10)) == 5
    total = 1 / 0.9 + 0.1
    w = mem.weights
    assert w[5].item() == pytest.approx(0.1 / total)
    assert w[0].item() == pytest.approx(2 / 6 / 0.9 / total)
    prev = w[5].item()
    assert mem.add(*_sample(11)) == 6
    assert mem.weights[6].item() == pytest.approx(
        prev / 0.9 / (1 + prev / 0.9))
    assert mem.weights.sum().item() == pytest.approx(1.0)
    assert mem.feats[6, 0, 0, 0] == 11 and mem.consts[6] == 11


def test_full_memory_overwrites_the_lightest_slot():
    """With capacity 6 and M0 of 5 the first added sample (weight 0.083) is
    lighter than each copy (0.138): the next one takes its slot, as in the
    authors' code."""
    mem = _memory(capacity=6)
    assert mem.add(*_sample(1)) == 5
    copies = mem.weights[1].item()
    assert mem.weights[5].item() < copies
    assert mem.add(*_sample(2)) == 5
    assert len(mem) == 6 and mem.feats[5, 0, 0, 0] == 2
    # later, once the recent samples outweigh the copies, a copy goes
    slots = [mem.add(*_sample(3 + k)) for k in range(8)]
    assert set(slots) - {5}


def test_reset_and_bad_input():
    mem = _memory()
    mem.reset()
    assert len(mem) == 0
    with pytest.raises(RuntimeError):
        mem.add(*_sample(1))
    with pytest.raises(ValueError):
        FRTMSampleMemory(0)
    with pytest.raises(ValueError):
        FRTMSampleMemory(5, learning_rate=1.0)
    with pytest.raises(ValueError, match='capacity'):
        _memory(capacity=3, m0=5)
