"""MinVIS's online tracking state: identities through a query-order swap,
the top-k scoring of frame-averaged logits, memory flat in video length."""
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from plugins.minvis import MinVISVideoState
from vostoolkit.models.trackers import CosineClipTracker
from vostoolkit.registry import TRACKERS

N, K, C, H, W = 4, 3, 8, 8, 12


def _state(video_length=None, tracker=None):
    state = MinVISVideoState(TRACKERS.build(tracker or dict(
        type='CosineClipTracker')))
    meta = dict(img_shape=(H, W), ori_shape=(H, W), pad_shape=(H, W))
    if video_length is not None:
        meta['video_length'] = video_length
    state.start(meta)
    return state


def _queries(seed=0):
    """N distinct embeddings, class logits and box masks (one per query)."""
    g = torch.Generator().manual_seed(seed)
    embeds = torch.randn(N, C, generator=g)
    cls = torch.full((N, K + 1), -4.0)
    cls[torch.arange(N), torch.tensor([0, 1, 2, 0])] = 4.0  # class per query
    masks = torch.full((N, H, W), -10.0)
    for q in range(N):
        masks[q, q * 2:q * 2 + 2, q * 3:q * 3 + 3] = 10.0
    return embeds, cls, masks


def _decode(rle):
    return mask_utils.decode(dict(rle, counts=rle['counts'].encode()))


@pytest.mark.parametrize('tracker', [
    dict(type='CosineClipTracker'),
    dict(type='EmbeddingBufferTracker', buffer_len=2)])
def test_identities_survive_query_order_swap(tracker):
    embeds, cls, masks = _queries()
    state = _state(video_length=3, tracker=tracker)
    state.add_frame(0, cls, masks, embeds)
    perm = torch.tensor([2, 0, 3, 1])  # frame 1's query q is frame 0's perm[q]
    noisy = embeds[perm] + 0.05 * torch.randn(N, C)
    state.add_frame(1, cls[perm], masks[perm], noisy)
    perm2 = torch.tensor([1, 3, 0, 2])
    state.add_frame(2, cls[perm2], masks[perm2], embeds[perm2])
    out = state.finish_video(top_k=N)
    assert sorted(out.track_ids.tolist()) == list(range(N))
    for track, label, rles in zip(out.track_ids, out.labels, out.rles):
        first = _decode(rles[0])
        # the track keeps its object on every frame and its class
        assert first.sum() == 6
        for rle in rles[1:]:
            np.testing.assert_array_equal(_decode(rle), first)
        q = int(np.nonzero(first)[0][0]) // 2  # the box of frame 0's query q
        assert int(label) == int(cls[q, :K].argmax())
    assert torch.allclose(out.scores, torch.full((N,), out.scores[0].item()))


def test_without_tracking_the_swap_breaks_identities():
    """The test above can fail: a tracker that keeps the query order would
    give tracks whose masks change between frames."""

    class KeepOrder(CosineClipTracker):
        def assign(self, clip):
            super().assign(clip)
            return torch.arange(clip.num_queries)

    embeds, cls, masks = _queries()
    state = MinVISVideoState(KeepOrder())
    state.start(dict(img_shape=(H, W), ori_shape=(H, W), video_length=2))
    state.add_frame(0, cls, masks, embeds)
    perm = torch.tensor([2, 0, 3, 1])
    state.add_frame(1, cls[perm], masks[perm], embeds[perm])
    out = state.finish_video(top_k=N)
    changed = [not np.array_equal(_decode(r[0]), _decode(r[1]))
               for r in out.rles]
    assert any(changed)


def test_scores_softmax_of_frame_averaged_logits():
    embeds, cls, masks = _queries()
    state = _state(video_length=2)
    cls2 = cls.clone()
    cls2[0] = torch.tensor([0.0, 2.0, 0.0, 1.0])
    state.add_frame(0, cls, masks, embeds)
    state.add_frame(1, cls2, masks, embeds)
    out = state.finish_video(top_k=2 * K)
    expected = ((cls + cls2) / 2).softmax(-1)[:, :K]
    for score, track, label in zip(out.scores, out.track_ids, out.labels):
        assert score.item() == pytest.approx(expected[track, label].item())
    assert out.scores.tolist() == sorted(out.scores.tolist(), reverse=True)


def _tensor_elements(obj, seen=None) -> int:
    """Elements of every tensor reachable from ``obj``'s attributes."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return obj.numel()
    if isinstance(obj, dict):
        return sum(_tensor_elements(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_tensor_elements(v, seen) for v in obj)
    if hasattr(obj, '__dict__'):
        return _tensor_elements(vars(obj), seen)
    return 0


def test_state_memory_flat_in_video_length():
    embeds, cls, masks = _queries()
    sizes = {}
    for length in (3, 60):
        state = _state(video_length=length)
        for f in range(length):
            perm = torch.randperm(N)
            state.add_frame(f, cls[perm], masks[perm], embeds[perm])
        sizes[length] = _tensor_elements(state)
        # per frame only N compressed masks are kept (the output), no tensor
        assert len(state.frames) == length
        assert all(isinstance(r['counts'], str)
                   for rles in state.frames.values() for r in rles)
        assert len(state.finish_video(top_k=3).rles[0]) == length
    # one frame of embeddings (N x C), its ids, the logit sum (N x K+1)
    assert sizes[3] == sizes[60] == N * C + N + N * (K + 1)


def test_reset_forgets_the_video():
    embeds, cls, masks = _queries()
    state = _state(video_length=1)
    state.add_frame(0, cls, masks, embeds)
    state.reset()
    assert not state.started and state.frames == {}
    assert _tensor_elements(state) == 0
    with pytest.raises(RuntimeError, match='before start'):
        state.add_frame(0, cls, masks, embeds)


def test_a_tracker_needing_clip_overlaps_is_refused_by_name():
    """A frame has no overlap with its neighbours: a tracker that needs the
    masks on shared frames stops with one line naming the missing field."""
    embeds, cls, masks = _queries()
    state = _state(video_length=1,
                   tracker=dict(type='IoUClassClipTracker'))
    with pytest.raises(ValueError, match=r'IoUClassClipTracker needs '
                       r'ClipQueries\.front_masks.*given: embeds, '
                       r'class_probs'):
        state.add_frame(0, cls, masks, embeds)
