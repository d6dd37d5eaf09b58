"""NOVIS eq. 1 overlap masking, its fallback, and tracking with overlap
embeddings through a synthetic swap of query order."""
import pytest
import torch

import plugins.novis  # noqa: F401  (registers NOVISVideoDecoder)
from plugins.novis import overlap_attention_mask
from vostoolkit.models.base import ClipQueries
from vostoolkit.registry import HEADS, TRACKERS

C, N, T = 32, 5, 4


def _decoder():
    return HEADS.build(dict(
        type='NOVISVideoDecoder', num_classes=3, in_channels=C,
        mask_channels=C, embed_dims=C, num_queries=N, num_heads=4,
        num_layers=3, ffn_channels=64, max_frames=T)).eval()


def _clip(seed):
    g = torch.Generator().manual_seed(seed)
    ms = [torch.randn(1, T, C, s, s, generator=g) for s in (2, 4, 8)]
    return ms, torch.randn(1, T, C, 16, 16, generator=g)


def test_eq1_mask_keeps_overlap_frames_only():
    logits = torch.full((1, 3, T, 4, 4), -4.0)
    logits[0, 0, 0, :2] = 4.0   # query 0: frames 0 and 3
    logits[0, 0, 3, 2:] = 4.0
    logits[0, 1, 0] = 4.0       # query 1: frame 0 only
    attend, has = overlap_attention_mask(logits, overlap=[2, 3], size=(4, 4))
    expected = torch.zeros(1, 3, T, 4, 4, dtype=torch.bool)
    expected[0, 0, 3, 2:] = True
    assert torch.equal(attend, expected)
    # query 1 has no mask in the overlap, query 2 none at all: fallback
    assert has.tolist() == [[True, False, False]]
    with pytest.raises(ValueError, match='overlap frames'):
        overlap_attention_mask(logits, overlap=[4], size=(4, 4))


def test_overlap_embeddings_use_overlap_frames_and_fall_back():
    torch.manual_seed(0)
    decoder = _decoder()
    ms, mask_feats = _clip(1)
    with torch.no_grad():
        out = decoder(ms, mask_feats)
        logits = out['mask_logits'][-1].clone()
        # force query 0 to have a mask on frame 3 only, query 1 on frame 0
        logits[:] = -5.0
        logits[0, 0, 3, :8] = 5.0
        logits[0, 1, 0] = 5.0
        out['mask_logits'][-1] = logits
        emb = decoder.overlap_embeddings(out, overlap=[2, 3])
        assert emb.shape == (1, N, C)
        torch.testing.assert_close(emb[0, 1:], out['embeds'][0, 1:],
                                   rtol=0, atol=0)  # fallback rows
        assert not torch.allclose(emb[0, 0], out['embeds'][0, 0])
        # features outside tau do not change the overlap embedding ...
        mem = out['memory'][decoder.level_of_layer(2)]
        t, h, w = mem.shape
        feat = mem.feat.clone().view(1, t, h * w, C)
        feat[:, :2] = torch.randn_like(feat[:, :2])
        out2 = dict(out, memory=list(out['memory']))
        out2['memory'][2] = mem._replace(feat=feat.view(1, -1, C))
        torch.testing.assert_close(
            decoder.overlap_embeddings(out2, overlap=[2, 3]), emb)
        # ... features inside it do
        feat[:, 3] = torch.randn_like(feat[:, 3])
        out2['memory'][2] = mem._replace(feat=feat.view(1, -1, C))
        changed = decoder.overlap_embeddings(out2, overlap=[2, 3])
        assert not torch.allclose(changed[0, 0], emb[0, 0])


def test_tracker_recovers_swapped_query_order():
    """The same clip decoded with permuted queries: overlap embeddings are
    permuted alike and the cosine tracker restores the identities."""
    torch.manual_seed(0)
    decoder = _decoder()
    ms, mask_feats = _clip(2)
    tracker = TRACKERS.build(dict(type='CosineClipTracker'))
    with torch.no_grad():
        out = decoder(ms, mask_feats)
        ids = tracker.update(ClipQueries(
            out['embeds'][0],
            match_embeds=decoder.overlap_embeddings(out, [0, 1])[0],
            carry_embeds=decoder.overlap_embeddings(out, [2, 3])[0]))
        assert ids.tolist() == list(range(N))
        perm = torch.tensor([3, 0, 4, 1, 2])
        decoder.query_feat.weight.copy_(decoder.query_feat.weight[perm])
        decoder.query_embed.weight.copy_(decoder.query_embed.weight[perm])
        out_p = decoder(ms, mask_feats)
        torch.testing.assert_close(out_p['mask_logits'][-1],
                                   out['mask_logits'][-1][:, perm],
                                   rtol=1e-4, atol=1e-4)
        ids = tracker.update(ClipQueries(
            out_p['embeds'][0],
            match_embeds=decoder.overlap_embeddings(out_p, [2, 3])[0]))
    assert ids.tolist() == perm.tolist()
