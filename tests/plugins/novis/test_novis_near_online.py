"""Clip/stride scheduling and averaging of overlapping clip logits."""
import pytest
import torch

from plugins.novis import ClipLogitAverager, clip_schedule


@pytest.mark.parametrize('length,clip_len,stride,expected', [
    (8, 4, 2, [(0, 4), (2, 6), (4, 8)]),
    (7, 4, 2, [(0, 4), (2, 6), (3, 7)]),
    (3, 4, 2, [(0, 3)]),
    (5, 4, 4, [(0, 4), (1, 5)]),
    (4, 1, 1, [(0, 1), (1, 2), (2, 3), (3, 4)]),
])
def test_clip_schedule(length, clip_len, stride, expected):
    assert clip_schedule(length, clip_len, stride) == expected


def test_schedule_rejects_bad_stride():
    with pytest.raises(ValueError, match='stride'):
        clip_schedule(10, 4, 5)


@pytest.mark.parametrize('length', [1, 3, 7, 8, 11])
def test_every_frame_released_once_with_averaged_overlaps(length):
    clip_len, stride, n = 4, 2, 3
    clips = clip_schedule(length, clip_len, stride)
    averager = ClipLogitAverager()
    released = []
    for k, (start, end) in enumerate(clips):
        # clip k predicts the value k everywhere
        logits = torch.full((n, end - start, 2, 2), float(k))
        nxt = clips[k + 1][0] if k + 1 < len(clips) else length
        released += averager.add(start, logits, finished_before=nxt)
    released += averager.flush()
    assert [f for f, _ in released] == list(range(length))
    for f, frame in released:
        covering = [k for k, (s, e) in enumerate(clips) if s <= f < e]
        assert frame.shape == (n, 2, 2)
        assert torch.allclose(frame, torch.tensor(
            sum(covering) / len(covering)))


def test_frames_are_released_as_soon_as_final():
    averager = ClipLogitAverager()
    out = averager.add(0, torch.zeros(1, 4, 1, 1), finished_before=2)
    assert [f for f, _ in out] == [0, 1]
    out = averager.add(2, torch.ones(1, 4, 1, 1), finished_before=4)
    assert [(f, v.item()) for f, v in out] == [(2, 0.5), (3, 0.5)]
    with pytest.raises(ValueError, match='already released'):
        averager.add(3, torch.ones(1, 4, 1, 1), finished_before=6)
    averager.reset()
    with pytest.raises(ValueError, match='uncovered'):
        averager.add(2, torch.ones(1, 4, 1, 1), finished_before=6)
