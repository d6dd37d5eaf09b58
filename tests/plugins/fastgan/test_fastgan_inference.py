"""FaSTGAN inference: per-video state outside the network, several objects,
late objects, chunks, original size."""
import torch

from vostoolkit.structures import VideoDataSample

from fastgan_helpers import build_tiny, toy_clip


def _video_chunks(frames, masks, chunks, ori_shape=None):
    """Test-mode samples: object 1 given on frame 0, object 2 on frame 2."""
    out, start = [], 0
    total = frames.shape[0]
    for i, length in enumerate(chunks):
        ids = list(range(start, start + length))
        sample = VideoDataSample(metainfo=dict(
            video_name='toy', frame_ids=ids, video_length=total,
            img_shape=tuple(frames.shape[-2:]),
            ori_shape=ori_shape or tuple(frames.shape[-2:]),
            is_first=i == 0, is_last=start + length == total))
        sample.gt_obj_masks = masks[ids]
        sample.obj_ids = torch.tensor([1, 2])
        sample.obj_first_frames = torch.tensor([0, 2])
        out.append(dict(inputs=[frames[ids]], data_samples=[sample]))
        start += length
    return out


def _predict(model, chunks):
    preds = []
    for data in chunks:
        preds += model.test_step(data)
    return torch.cat([p.pred_obj_masks for p in preds])


def test_predict_whole_video_and_chunks_agree():
    model = build_tiny(critics=()).eval()
    frames, masks = toy_clip(5, late_object=True)
    masks[2, 40:56, 30:50] = 2  # object 2's first (given) mask
    whole = _predict(model, _video_chunks(frames, masks, [5]))
    assert whole.shape == (5, 64, 64) and whole.dtype == torch.uint8
    assert set(whole.unique().tolist()) <= {0, 1, 2}
    # frame 0: only object 1 is given, and it is reproduced
    assert torch.equal(whole[0], (masks[0] == 1).to(torch.uint8))
    # frame 2: object 2's given mask overrides the propagated object 1
    assert (whole[2][masks[2] == 2] == 2).all()
    assert not (whole[:2] == 2).any()
    assert model.state.obj_ids == [1, 2]
    # a new video resets the state; chunks carry it across calls
    model.reset_video_state()
    assert model.state.obj_ids == [] and model.state.prev_feats is None
    chunked = _predict(model, _video_chunks(frames, masks, [2, 1, 2]))
    assert torch.equal(whole, chunked)


def test_predict_reads_only_the_given_annotations():
    model = build_tiny(critics=()).eval()
    frames, masks = toy_clip(4, late_object=True)
    masks[2, 40:56, 30:50] = 2
    ref = _predict(model, _video_chunks(frames, masks, [4]))
    leaked = masks.clone()
    leaked[1] = 1  # annotations of frames that are not first frames
    leaked[3] = 2
    model.reset_video_state()
    assert torch.equal(ref, _predict(model, _video_chunks(frames, leaked,
                                                          [4])))


def test_predict_unpads_and_resizes_to_original_size():
    model = build_tiny(critics=()).eval()
    frames, masks = toy_clip(3)
    chunks = _video_chunks(frames, masks, [3], ori_shape=(32, 48))
    sample = chunks[0]['data_samples'][0]
    sample.set_metainfo(dict(img_shape=(60, 60)))  # 4 padded rows/columns
    pred = _predict(model, chunks)
    assert pred.shape == (3, 32, 48)
    # frame 0 is the given mask of object 1, cropped then resized
    given = torch.nn.functional.interpolate(
        (masks[None, :1, :60, :60] == 1).float(), size=(32, 48))[0, 0] > 0
    inter = ((pred[0] == 1) & given).sum().item()
    union = ((pred[0] == 1) | given).sum().item()
    assert inter / union > 0.9


def test_state_prev_masks_are_aggregated():
    model = build_tiny(critics=()).eval()
    frames, masks = toy_clip(3)
    _predict(model, _video_chunks(frames, masks, [3]))
    prev = model.state.prev_masks  # (O, 1, H, W)
    assert prev.shape == (2, 1, 64, 64)
    assert (prev.sum(0) <= 1 + 1e-5).all()
    assert model.state.prev_feats.shape == (2, 16, 16, 16)
