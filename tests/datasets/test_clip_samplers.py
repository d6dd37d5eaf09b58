"""Clip samplers: the reference / window rules of the papers."""
import numpy as np
import pytest

from vostoolkit.datasets import VISClipSampler, VOSClipSampler
from vostoolkit.registry import TASK_UTILS


def _vos_video(n, first=None, ann=None, frames=None):
    first = {1: 0} if first is None else first
    paths = [f'{t:05d}.png' if ann is None or t in ann else None
             for t in range(n)]
    video = dict(video_length=n, ann_paths=paths, obj_first_frames=first)
    if frames is not None:
        video['obj_frames'] = frames
    return video


def test_built_from_registry():
    s = TASK_UTILS.build(dict(type='VOSClipSampler', num_frames=5))
    assert isinstance(s, VOSClipSampler) and s.num_frames == 5
    s = TASK_UTILS.build(dict(type='VISClipSampler'))
    assert isinstance(s, VISClipSampler)
    assert (s.num_frames, s.window) == (4, 5)  # NOVIS appendix A


@pytest.mark.parametrize('num_frames,max_skip', [(5, 1), (5, 3), (3, 5)])
def test_vos_forward_reference_then_following(num_frames, max_skip):
    """FaSTGAN (reference + K=4 following) and FRTM (1 + 2) clips."""
    s = VOSClipSampler(num_frames=num_frames, max_skip=max_skip)
    rng = np.random.default_rng(0)
    refs = set()
    for _ in range(200):
        clip = s(_vos_video(30), rng)
        assert len(clip) == num_frames
        steps = np.diff(clip)
        assert (steps >= 1).all() and (steps <= max_skip).all()
        refs.add(clip[0])
    assert len(refs) > 10  # a random reference each iteration


def test_vos_fixed_reference():
    s = VOSClipSampler(num_frames=3, random_reference=False)
    rng = np.random.default_rng(0)
    assert {s(_vos_video(10, first={1: 4, 2: 6}), rng)[0]
            for _ in range(20)} == {4}


def test_vos_reference_shows_objects():
    rng = np.random.default_rng(1)
    # object 2 enters on frame 7: with min_objects=2 the reference is >= 7
    s = VOSClipSampler(num_frames=2, min_objects=2)
    video = _vos_video(12, first={1: 0, 2: 7})
    assert min(s(video, rng)[0] for _ in range(100)) == 7
    # per-object presence (YouTube-VOS meta): object gone after frame 4
    s = VOSClipSampler(num_frames=2)
    video = _vos_video(12, frames={1: [0, 1, 2, 3, 4]})
    assert max(s(video, rng)[0] for _ in range(100)) <= 4


def test_vos_only_annotated_frames():
    rng = np.random.default_rng(2)
    ann = {0, 5, 10, 15, 20, 25}
    s = VOSClipSampler(num_frames=3, max_skip=2)
    for _ in range(100):
        clip = s(_vos_video(26, ann=ann), rng)
        assert set(clip) <= ann
        pos = [sorted(ann).index(t) for t in clip]
        assert all(1 <= b - a <= 2 for a, b in zip(pos, pos[1:]))


def test_vos_reference_leaves_room_and_short_videos():
    rng = np.random.default_rng(3)
    s = VOSClipSampler(num_frames=5, max_skip=1)
    assert max(s(_vos_video(8), rng)[0] for _ in range(100)) == 3
    clip = s(_vos_video(2), rng)  # too short: repeats the last frame
    assert len(clip) == 5 and clip[0] in (0, 1) and max(clip) == 1
    assert s(_vos_video(5, first={}), rng) is None  # nothing to segment


def test_vos_any_direction():
    rng = np.random.default_rng(4)
    s = VOSClipSampler(num_frames=3, max_skip=2, direction='any')
    before = 0
    for _ in range(200):
        ref, *rest = s(_vos_video(40), rng)
        assert rest == sorted(rest) and ref not in rest
        assert len(set(rest)) == 2
        assert all(abs(t - ref) <= 4 for t in rest)
        before += rest[0] < ref
    assert before > 0


def test_vis_window_rule():
    """T frames without replacement within +-5 of a reference, sorted."""
    s = VISClipSampler(num_frames=4, window=5)
    rng = np.random.default_rng(0)
    spans = set()
    for _ in range(300):
        clip = s(dict(video_length=50), rng)
        assert len(clip) == 4 and clip == sorted(clip)
        assert len(set(clip)) == 4
        assert any(all(abs(t - r) <= 5 for t in clip) for r in clip)
        spans.add(clip[-1] - clip[0])
    assert max(spans) == 10 and min(spans) >= 3


def test_vis_short_video_and_global_seed():
    s = VISClipSampler(num_frames=4, window=5)
    clip = s(dict(video_length=2), np.random.default_rng(0))
    assert len(clip) == 4 and set(clip) == {0, 1}
    np.random.seed(123)
    a = [s(dict(video_length=40)) for _ in range(5)]
    np.random.seed(123)
    b = [s(dict(video_length=40)) for _ in range(5)]
    assert a == b
