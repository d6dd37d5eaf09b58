"""Sample memory and sample weights of FRTM-VOS (sec. 3.1, 3.4)."""
import pytest
import torch

from plugins.frtm import FRTMSampleMemory, initial_sample_weights


def _sample(value, size=4):
    return (torch.full((1, 2, size, size), float(value)),
            torch.ones(1, 1, size, size), torch.ones(1, 1, size, size))


def _m0(memory, num=5):
    feats = torch.arange(num, dtype=torch.float32).view(num, 1, 1, 1)
    feats = feats.expand(num, 2, 4, 4).clone()
    labels = torch.zeros(num, 1, 4, 4)
    memory.initialize(feats, labels, torch.ones_like(labels),
                      initial_sample_weights(num))


def test_initial_weights_original_twice_the_others():
    w = initial_sample_weights(20)
    assert w.shape == (20, )
    assert w.sum().item() == pytest.approx(1.0)
    assert w[0].item() == pytest.approx(2 / 21)
    assert torch.allclose(w[1:], torch.full((19, ), 1 / 21))
    assert initial_sample_weights(1).tolist() == [1.0]
    with pytest.raises(ValueError):
        initial_sample_weights(0)


def test_new_samples_grow_by_one_over_one_minus_eta():
    eta = 0.1
    memory = FRTMSampleMemory(capacity=80, learning_rate=eta)
    _m0(memory)
    slots = [memory.add(*_sample(10 + i)) for i in range(6)]
    assert slots == [5, 6, 7, 8, 9, 10] and len(memory) == 11
    feats, labels, pixel_weights, weights = memory.samples()
    assert weights.shape == (11, ) and feats.shape == (11, 2, 4, 4)
    assert weights.sum().item() == pytest.approx(1.0)
    # gamma_0 = eta: the first new frame takes eta of the total weight
    # (checked when it was the newest), each next one 1/(1-eta) more
    new = weights[5:]
    ratios = new[1:] / new[:-1]
    assert torch.allclose(ratios, torch.full_like(ratios, 1 / (1 - eta)))
    assert new[-1].item() == pytest.approx(eta)
    # M0 keeps its internal proportions, the original twice a copy
    assert weights[0].item() == pytest.approx(2 * weights[1].item())
    assert feats[7, 0, 0, 0].item() == 12.0


def test_first_new_sample_weighs_eta():
    memory = FRTMSampleMemory(capacity=10, learning_rate=0.25)
    _m0(memory, 3)
    memory.add(*_sample(7))
    assert memory.samples()[3][3].item() == pytest.approx(0.25)
    assert memory.samples()[3][:3].sum().item() == pytest.approx(0.75)


def test_capacity_evicts_the_smallest_weight():
    memory = FRTMSampleMemory(capacity=8, learning_rate=0.1)
    _m0(memory, 5)  # weights 2/6, 1/6, 1/6, 1/6, 1/6
    for i in range(3):
        memory.add(*_sample(10 + i))
    assert len(memory) == 8
    weights = memory.samples()[3].clone()
    smallest = int(torch.argmin(weights))
    # copies: 1/6 * 0.9^3 = 0.12; the first new frame: 0.1 * 0.9^2 = 0.081
    assert smallest == 5
    assert weights[5].item() == pytest.approx(0.081)
    slot = memory.add(*_sample(99))
    assert slot == smallest and len(memory) == 8
    feats, _, _, new_weights = memory.samples()
    assert feats[slot, 0, 0, 0].item() == 99.0
    assert new_weights.sum().item() == pytest.approx(1.0)
    # the newest frame outweighs the older frames; storage never grows
    assert new_weights[slot] == new_weights[5:].max()
    for i in range(50):
        memory.add(*_sample(100 + i))
    assert len(memory) == 8 and memory.feats.shape[0] == 8
    # after many frames the eight newest frames are kept
    kept = sorted(memory.samples()[0][:, 0, 0, 0].tolist())
    assert kept == [float(v) for v in range(142, 150)]


def test_reset_and_bad_input():
    memory = FRTMSampleMemory(capacity=4)
    with pytest.raises(RuntimeError):
        memory.add(*_sample(1))
    with pytest.raises(ValueError, match='capacity'):
        _m0(memory, 5)
    _m0(memory, 3)
    memory.reset()
    assert len(memory) == 0 and memory.feats is None
    with pytest.raises(ValueError):
        FRTMSampleMemory(learning_rate=1.0)
