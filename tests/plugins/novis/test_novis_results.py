"""NOVIS per-video results: finished frames' masks are up-sampled to the
original size, scored and RLE-encoded (on a worker thread) exactly as the
thresholded logits say, whatever the order the encoder finishes in."""
import numpy as np
import pycocotools.mask as mask_utils
import torch
import torch.nn.functional as F

from plugins.novis import inference
from plugins.novis.inference import VideoTrackResults


def test_frames_decode_to_the_thresholded_upsampled_logits():
    torch.manual_seed(0)
    n, frames = 5, 7
    pad_hw, img_hw, ori_hw = (32, 48), (30, 44), (45, 66)
    # query_chunk 2: three chunks of queries per frame, the last one short
    res = VideoTrackResults(n, query_chunk=2)
    res.add_class_probs(torch.rand(n, 3))
    want, num, den = [], torch.zeros(n), torch.zeros(n)
    for f in range(frames):
        logits = torch.randn(n, 8, 12) * 4
        res.add_frame(f, logits, pad_hw, img_hw, ori_hw)
        # bounded memory: only a few frames wait for the encoder
        assert len(res._pending) <= inference.MAX_PENDING_FRAMES
        x = F.interpolate(logits[None], size=pad_hw, mode='bilinear',
                          align_corners=False)[..., :30, :44]
        x = F.interpolate(x, size=ori_hw, mode='bilinear',
                          align_corners=False)[0]
        want.append((x > 0).numpy())
        num += (x.sigmoid() * (x > 0)).flatten(1).sum(1)
        den += (x > 0).flatten(1).sum(1)
    out = res.top_k(3 * n, frames)
    assert len(out.rles) == 3 * n
    for track, rles in zip(out.track_ids.tolist(), out.rles):
        assert len(rles) == frames
        for f, rle in enumerate(rles):
            assert isinstance(rle['counts'], str)
            assert rle['size'] == list(ori_hw)
            np.testing.assert_array_equal(mask_utils.decode(rle),
                                          want[f][track])
    torch.testing.assert_close(res.score_num.float(), num)
    torch.testing.assert_close(res.score_den.float(), den)
