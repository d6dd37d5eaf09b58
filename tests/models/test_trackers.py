"""Trackers keep identities through synthetic swaps of query order."""
import pytest
import torch

from vostoolkit.models.base import BaseTracker, ClipQueries
from vostoolkit.models.trackers import volumetric_iou
from vostoolkit.registry import TRACKERS


def _perms(n, num, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randperm(n, generator=g) for _ in range(num)]


def test_cosine_tracker_keeps_identities_through_swaps():
    torch.manual_seed(0)
    tracker = TRACKERS.build(dict(type='CosineClipTracker'))
    assert isinstance(tracker, BaseTracker)
    objects = torch.randn(6, 16)  # one embedding per object
    ids = tracker.update(ClipQueries(objects))
    assert ids.tolist() == list(range(6))
    obj_to_id = dict(enumerate(ids.tolist()))
    for perm in _perms(6, 4, seed=1):
        # query i of this clip shows object perm[i], slightly changed
        clip = objects[perm] + 0.1 * torch.randn(6, 16)
        ids = tracker.update(ClipQueries(clip))
        assert ids.tolist() == [obj_to_id[int(o)] for o in perm]
    tracker.reset()
    first = ClipQueries(objects[_perms(6, 1, 5)[0]])
    assert tracker.update(first).tolist() == list(range(6))


def test_cosine_tracker_matches_against_carry_embeddings():
    tracker = TRACKERS.build(dict(type='CosineClipTracker'))
    front, back = torch.eye(3), torch.eye(3)[[2, 0, 1]]
    tracker.update(ClipQueries(front, carry_embeds=back))
    # the next clip's query j resembles the previous clip's back embedding
    # of query (j + 1) % 3 ... as seen from back = eye[[2, 0, 1]]
    ids = tracker.update(ClipQueries(torch.eye(3)))
    assert ids.tolist() == [1, 2, 0]


def test_cosine_tracker_opens_tracks_for_extra_queries():
    tracker = TRACKERS.build(dict(type='CosineClipTracker'))
    tracker.update(ClipQueries(torch.eye(4)[:2]))
    ids = tracker.update(ClipQueries(torch.eye(4)[[1, 3, 0]]))
    assert ids.tolist() == [1, 2, 0]


def _iou_clip(masks, probs, back_masks=None):
    return ClipQueries(torch.zeros(masks.shape[0], 4), front_masks=masks,
                       class_probs=probs, back_masks=back_masks)


def test_iou_class_tracker_keeps_identities_through_swaps():
    tracker = TRACKERS.build(dict(type='IoUClassClipTracker',
                                  class_weight=0.5))
    masks = torch.zeros(3, 2, 8, 8, dtype=torch.bool)
    masks[0, :, :4, :4] = True
    masks[1, :, 4:, 4:] = True
    masks[2, :, :2, 6:] = True
    probs = torch.eye(3)
    assert tracker.update(_iou_clip(masks, probs, masks)).tolist() == [0, 1, 2]
    perm = torch.tensor([2, 0, 1])
    ids = tracker.update(_iou_clip(masks[perm], probs[perm], masks[perm]))
    assert ids.tolist() == perm.tolist()
    # class agreement breaks a tie between two identical masks
    tracker.reset()
    same = masks[[0, 0]]
    tracker.update(_iou_clip(same, torch.eye(2), same))
    assert tracker.update(_iou_clip(same, torch.eye(2)[[1, 0]],
                                    same)).tolist() == [1, 0]
    with pytest.raises(ValueError, match='overlap masks'):
        tracker.update(_iou_clip(masks[:2, :1], torch.eye(2)))


def test_tracker_names_the_missing_field():
    tracker = TRACKERS.build(dict(type='IoUClassClipTracker'))
    with pytest.raises(ValueError, match=r'IoUClassClipTracker needs '
                       r'ClipQueries\.front_masks, class_probs'):
        tracker.update(ClipQueries(torch.zeros(3, 4)))
    with pytest.raises(ValueError, match='front_masks must be bool'):
        tracker.update(_iou_clip(torch.zeros(3, 1, 2, 2), torch.eye(3)))
    with pytest.raises(TypeError, match='takes a ClipQueries'):
        tracker.update(torch.zeros(3, 4))


def test_volumetric_iou_values():
    a = torch.zeros(2, 2, 2, 2, dtype=torch.bool)
    a[0, 0] = True  # 4 pixels on frame 0
    b = torch.zeros(1, 2, 2, 2, dtype=torch.bool)
    b[0, :, 0] = True  # 2 pixels on each frame
    iou = volumetric_iou(a, b)
    assert iou[0, 0].item() == pytest.approx(2 / 6)
    assert iou[1, 0].item() == 0.0
    assert volumetric_iou(a[1:], a[1:]).item() == 0.0  # both empty


def test_buffer_tracker_matches_mean_of_recent_embeddings():
    tracker = TRACKERS.build(dict(type='EmbeddingBufferTracker',
                                  buffer_len=2))
    e = torch.eye(4)
    tracker.update(ClipQueries(torch.stack([e[0], e[1]])))
    # track 0 drifts to e2
    tracker.update(ClipQueries(torch.stack([e[2], e[1]])))
    means = tracker.track_embeddings()
    torch.testing.assert_close(means[0], (e[0] + e[2]) / 2)
    # e0 falls out of the buffer
    tracker.update(ClipQueries(torch.stack([e[3], e[1]])))
    torch.testing.assert_close(tracker.track_embeddings()[0],
                               (e[2] + e[3]) / 2)
    # swapped query order: ids follow the embeddings, not the positions
    ids = tracker.update(ClipQueries(torch.stack([e[1],
                                                  e[3] + 0.5 * e[2]])))
    assert ids.tolist() == [1, 0]
    tracker.reset()
    assert tracker.track_embeddings() is None
    with pytest.raises(ValueError, match='buffer_len'):
        TRACKERS.build(dict(type='EmbeddingBufferTracker', buffer_len=0))
