"""VideoVisualizationHook fed chunks as VideoTestLoop feeds them (no
Runner: tiny frames on disk, hand-made predictions)."""
import numpy as np
import torch
from mmengine.structures import InstanceData
from PIL import Image

from vostoolkit.engine import VideoVisualizationHook
from vostoolkit.structures import VideoDataSample
from vostoolkit.visualization import instance_colour

H, W = 48, 64


class _Runner:
    class test_dataloader:  # noqa: N801 (stands in for the attribute)
        class dataset:  # noqa: N801
            metainfo = dict(classes=('cat', 'dog'))


def _video(tmp_path, name, n):
    folder = tmp_path / name
    folder.mkdir()
    paths = []
    for t in range(n):
        path = folder / f'{t:05d}.png'
        Image.fromarray(np.full((H, W, 3), 100, np.uint8)).save(path)
        paths.append(str(path))
    return paths


def _chunk(name, fids, paths, n, *, inputs=None):
    meta = dict(video_name=name, frame_ids=list(fids), video_length=n,
                ori_shape=(H, W), is_first=fids[0] == 0,
                is_last=fids[-1] == n - 1,
                frame_names=[f'{i:05d}' for i in fids])
    if paths is not None:
        meta['img_paths'] = [paths[i] for i in fids]
    sample = VideoDataSample(metainfo=meta)
    if inputs is None:
        inputs = torch.zeros(len(fids), 3, H, W, dtype=torch.uint8)
    return dict(inputs=[inputs], data_samples=[sample])


def _vos_output(name, fids):
    ids = torch.zeros(len(fids), H, W, dtype=torch.uint8)
    ids[:, 16:24, 0:12] = 2
    return VideoDataSample(metainfo=dict(video_name=name, frame_ids=fids,
                                         ori_shape=(H, W)),
                           pred_obj_masks=ids)


def _gif_frames(path):
    with Image.open(path) as gif:
        out = []
        for k in range(gif.n_frames):
            gif.seek(k)
            out.append(np.asarray(gif.convert('RGB')).astype(int))
    return out


def test_vos_videos_stream_chunk_by_chunk(tmp_path):
    hook = VideoVisualizationHook(str(tmp_path / 'show'), ext='.gif',
                                  alpha=1.0)
    hook.before_test(_Runner)
    paths = _video(tmp_path, 'a', 4)
    hook.after_test_iter(_Runner, 0, _chunk('a', [0, 1], paths, 4),
                         [_vos_output('a', [0, 1])])
    writer = hook._video['writer']
    assert writer.frames_written == 2 and hook.written == []
    # a near-online model: frame 2's prediction comes with the last chunk
    hook.after_test_iter(_Runner, 1, _chunk('a', [2], paths, 4), [])
    assert writer.frames_written == 2
    hook.after_test_iter(_Runner, 2, _chunk('a', [3], paths, 4),
                         [_vos_output('a', [2, 3])])
    assert hook.written == [str(tmp_path / 'show' / 'a.gif')]
    frames = _gif_frames(hook.written[0])
    assert len(frames) == 4
    for frame in frames:
        assert np.abs(frame[20, 5] - instance_colour(2)).max() <= 4
        assert np.abs(frame[20, 25] - 100).max() <= 4
    # the next video gets its own file
    paths_b = _video(tmp_path, 'b', 2)
    hook.after_test_iter(_Runner, 3, _chunk('b', [0, 1], paths_b, 2),
                         [_vos_output('b', [0, 1])])
    assert [p.split('/')[-1] for p in hook.written] == ['a.gif', 'b.gif']
    assert sorted(p.name for p in (tmp_path / 'show').iterdir()) == \
        ['a.gif', 'b.gif']


def test_vis_tracks_drawn_at_the_video_end(tmp_path):
    hook = VideoVisualizationHook(str(tmp_path / 'show'), ext='.gif',
                                  score_thr=0.5, alpha=1.0)
    hook.before_test(_Runner)
    masks = torch.zeros(2, 3, H, W, dtype=torch.bool)  # (N, T, H, W)
    masks[0, :, 20:44, 0:30] = True  # score 0.9: shown, rank 1
    masks[1, :, 20:44, 34:64] = True  # score 0.2: below the threshold
    # frames from the chunk's inputs (no img_paths): BGR (10, 20, 30)
    inputs = torch.tensor([10, 20, 30], dtype=torch.uint8).view(
        1, 3, 1, 1).expand(3, 3, H, W).contiguous()
    pred = InstanceData(scores=torch.tensor([0.2, 0.9]),
                        labels=torch.tensor([0, 1]), masks=masks.flip(0))
    out = VideoDataSample(metainfo=dict(video_name='v', frame_ids=[0, 1, 2],
                                        video_length=3, ori_shape=(H, W)),
                          pred_instances=pred)
    hook.after_test_iter(_Runner, 0, _chunk('v', [0, 1, 2], None, 3,
                                            inputs=inputs), [out])
    frames = _gif_frames(hook.written[0])
    assert len(frames) == 3
    for frame in frames:
        # below the label "1 dog 0.90" written at the mask's corner
        assert np.abs(frame[40, 20] - instance_colour(1)).max() <= 4
        assert np.abs(frame[40, 50] - [30, 20, 10]).max() <= 4
