"""VideoTestLoop / VideoValLoop: per-video reset, batch-size check, hooks,
near-online outputs, and VideoShardSampler."""
import uuid

import pytest
import torch
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner

from vostoolkit.engine import VideoShardSampler
from vostoolkit.models.base import VideoStateMixin
from vostoolkit.testing import SyntheticVOSDataset


class _Counter:

    def __init__(self, log):
        self.log = log

    def reset(self):
        self.log.append('reset')


class FakeVideoModel(BaseModel, VideoStateMixin):
    """Records resets and chunks; near-online: returns one sample per video
    on its last chunk only."""

    def __init__(self):
        super().__init__()
        self.events = []
        self.state = _Counter(self.events)
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def video_states(self):
        return [self.state]

    def forward(self, inputs, data_samples=None, mode='tensor'):
        sample = data_samples[0]
        meta = sample.metainfo
        self.events.append((meta['video_name'], meta['frame_ids'][0]))
        if not meta['is_last']:
            return []
        sample.pred_obj_masks = torch.zeros_like(sample.gt_obj_masks)
        return [sample]


class CountMetric(BaseMetric):
    default_prefix = 'count'

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.results.append(sample['video_name'])

    def compute_metrics(self, results):
        return dict(videos=len(results), distinct=len(set(results)))


class HookCounter(Hook):

    def __init__(self):
        self.calls = []

    def before_test_iter(self, runner, batch_idx, data_batch=None):
        self.calls.append(('before', batch_idx))

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        self.calls.append(('after', batch_idx, len(outputs)))

    def after_test_epoch(self, runner, metrics=None):
        self.calls.append(('metrics', dict(metrics)))


def _runner(tmp_path, batch_size=1, loop='VideoTestLoop', hook=None):
    dataset = SyntheticVOSDataset(num_videos=3, num_frames=5, size=(8, 8),
                                  test_mode=True, chunk_len=2)
    loader = dict(dataset=dataset, batch_size=batch_size,
                  sampler=dict(type='VideoShardSampler'),
                  collate_fn=dict(type='pseudo_collate'))
    stage = 'test' if loop == 'VideoTestLoop' else 'val'
    kwargs = {f'{stage}_dataloader': loader,
              f'{stage}_cfg': dict(type=loop),
              f'{stage}_evaluator': Evaluator(CountMetric())}
    return Runner(model=FakeVideoModel(), work_dir=str(tmp_path),
                  default_scope='vostoolkit',
                  custom_hooks=[hook] if hook else None,
                  experiment_name=f'video_loop_{uuid.uuid4().hex[:8]}',
                  **kwargs)


def test_resets_before_each_video_and_collects_late_outputs(tmp_path):
    hook = HookCounter()
    runner = _runner(tmp_path, hook=hook)
    metrics = runner.test()
    events = runner.model.events
    expected = []
    for v in range(3):
        expected += ['reset'] + [(f'video{v:03d}', s) for s in (0, 2, 4)]
    assert events == expected + ['reset']  # final reset frees the state
    assert metrics == {'count/videos': 3, 'count/distinct': 3}
    iters = [c for c in hook.calls if c[0] != 'metrics']
    assert [c[:2] for c in iters[::2]] == [('before', i) for i in range(9)]
    assert [c[2] for c in iters[1::2]] == [0, 0, 1] * 3
    assert hook.calls[-1] == ('metrics', metrics)


def test_val_loop_behaves_the_same(tmp_path):
    runner = _runner(tmp_path, loop='VideoValLoop')
    metrics = runner.val()
    assert runner.model.events.count('reset') == 4
    assert metrics['count/videos'] == 3


def test_batch_size_above_one_is_refused(tmp_path):
    runner = _runner(tmp_path, batch_size=2)
    with pytest.raises(ValueError, match='batch_size=1'):
        runner.test()


@pytest.mark.parametrize('world_size', [1, 2, 3])
def test_shard_sampler_keeps_videos_whole(world_size):
    dataset = SyntheticVOSDataset(num_videos=4, num_frames=5, size=(8, 8),
                                  test_mode=True, chunk_len=2)
    shards = [VideoShardSampler._shard(
        VideoShardSampler(dataset)._video_groups(), r, world_size)
        for r in range(world_size)]
    flat = [i for shard in shards for i in shard]
    assert flat == list(range(len(dataset)))  # all, once, in order
    owners = {}
    for rank, shard in enumerate(shards):
        for idx in shard:
            owners.setdefault(dataset.chunk_video_ids[idx], set()).add(rank)
    assert all(len(r) == 1 for r in owners.values())
    if world_size == 2:
        assert [len(s) for s in shards] == [6, 6]
