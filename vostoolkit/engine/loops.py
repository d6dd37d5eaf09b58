"""Validation and test loops that feed whole videos, chunk after chunk.

A test-mode dataset yields each video as consecutive chunks (a single frame,
a clip, or the whole video) whose ``metainfo`` carries ``is_first`` and
``is_last`` (``docs/data_pipeline.md``). The loops here:

* run with batch size 1 (one chunk at a time, in video order) and refuse
  anything else with a clear error;
* call ``reset_video_state()`` on the unwrapped model (a
  :class:`~vostoolkit.models.base.VideoStateMixin`) before every chunk that
  starts a video;
* pass whatever ``model.test_step`` returns, a possibly empty list of
  ``VideoDataSample`` for the frames the model has finished (a near-online
  model may return nothing until the last chunk), to ``evaluator.process``;
* call the Runner hooks exactly where mmengine's ``ValLoop`` / ``TestLoop``
  call them;
* in distributed runs, gather every rank's metric results in rank order
  before computing the metrics (mmengine's collection assumes one result per
  dataset index, which does not hold for videos), so use
  :class:`VideoShardSampler` to keep each video on one rank.
"""
from typing import Dict, Iterator, List, Optional, Sequence, Union

import torch
from mmengine.dist import (all_gather_object, broadcast_object_list,
                           get_dist_info, is_main_process)
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from mmengine.runner.amp import autocast
from mmengine.structures import BaseDataElement
from torch.utils.data import DataLoader, Sampler

from vostoolkit.registry import DATA_SAMPLERS, LOOPS


@DATA_SAMPLERS.register_module()
class VideoShardSampler(Sampler):
    """Deterministic sampler that keeps every video's chunks on one rank.

    Rank ``r`` of ``W`` receives a contiguous block of whole videos, in
    order, with blocks balanced by chunk count. Ranks may get different
    numbers of chunks (the video loops gather results without padding).

    Which chunks form one video is read from ``dataset.chunk_video_ids``
    (one entry per dataset index) when the dataset defines it, else from
    ``dataset.chunk_info(idx)['video_name']`` (vostoolkit's
    ``BaseVideoDataset`` in test mode; paths only, no pixels are read);
    otherwise every index is taken to be a whole video.

    Args:
        dataset (Dataset): The test dataset.
        seed (int, optional): Unused; accepted for config compatibility.
    """

    def __init__(self, dataset, seed: Optional[int] = None) -> None:
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.indices = self._shard(self._video_groups(), self.rank,
                                   self.world_size)

    def _video_groups(self) -> List[List[int]]:
        ids = getattr(self.dataset, 'chunk_video_ids', None)
        chunk_info = getattr(self.dataset, 'chunk_info', None)
        if ids is None and callable(chunk_info) and getattr(
                self.dataset, 'test_mode', False):
            ids = [chunk_info(i)['video_name']
                   for i in range(len(self.dataset))]
        if ids is None:
            return [[i] for i in range(len(self.dataset))]
        if len(ids) != len(self.dataset):
            raise ValueError(
                f'{type(self.dataset).__name__}.chunk_video_ids has '
                f'{len(ids)} entries for {len(self.dataset)} items')
        groups: List[List[int]] = []
        for idx, vid in enumerate(ids):
            if idx and ids[idx - 1] == vid:
                groups[-1].append(idx)
            else:
                groups.append([idx])
        return groups

    @staticmethod
    def _shard(groups: List[List[int]], rank: int,
               world_size: int) -> List[int]:
        total = sum(len(g) for g in groups)
        target = total / max(world_size, 1)
        start_count, indices = 0, []
        for group in groups:
            # A video goes to the rank whose share contains its middle chunk.
            middle = start_count + len(group) / 2
            owner = min(int(middle // target), world_size - 1) if target else 0
            if owner == rank:
                indices.extend(group)
            start_count += len(group)
        return indices

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        """No-op: the order is fixed."""


def evaluate_gathered(evaluator: Evaluator) -> Dict[str, float]:
    """Compute ``evaluator``'s metrics over the results of every rank.

    Results are gathered in rank order without truncation or padding; in a
    single process this is ``evaluator.evaluate`` over all results.

    Args:
        evaluator (Evaluator): An evaluator whose metrics hold results.

    Returns:
        dict: Metric name -> value, identical on every rank.
    """
    _, world_size = get_dist_info()
    if world_size == 1:
        size = max([len(m.results) for m in evaluator.metrics] + [1])
        return evaluator.evaluate(size)
    metrics: Dict[str, float] = {}
    for metric in evaluator.metrics:
        parts = all_gather_object(metric.results)
        values = [None]
        if is_main_process():
            results = [r for part in parts for r in part]
            results = _to_cpu(results)
            computed = metric.compute_metrics(results)
            if metric.prefix:
                computed = {f'{metric.prefix}/{k}': v
                            for k, v in computed.items()}
            values = [computed]
        broadcast_object_list(values)
        metric.results.clear()
        for name in values[0]:
            if name in metrics:
                raise ValueError(
                    f'two metrics produce {name!r}; give them different '
                    'prefixes')
        metrics.update(values[0])
    return metrics


def _to_cpu(data):
    if isinstance(data, (torch.Tensor, BaseDataElement)):
        return data.to('cpu')
    if isinstance(data, list):
        return [_to_cpu(d) for d in data]
    if isinstance(data, tuple):
        return tuple(_to_cpu(d) for d in data)
    if isinstance(data, dict):
        return {k: _to_cpu(v) for k, v in data.items()}
    return data


class _VideoLoopMixin:
    """Shared per-chunk logic of :class:`VideoValLoop` and
    :class:`VideoTestLoop`."""

    _warned_no_is_first = False

    def __init__(self, runner, dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._check_dataloader()

    def _check_dataloader(self) -> None:
        loader = self.dataloader
        batch_size = getattr(loader, 'batch_size', None)
        if batch_size is None and getattr(loader, 'batch_sampler', None):
            batch_size = getattr(loader.batch_sampler, 'batch_size', None)
        if batch_size not in (None, 1):
            raise ValueError(
                f'{type(self).__name__} feeds videos chunk by chunk and needs '
                f'batch_size=1 in its dataloader, got {batch_size}')
        _, world_size = get_dist_info()
        sampler = getattr(loader, 'sampler', None)
        if world_size > 1 and not isinstance(sampler, VideoShardSampler):
            print_log(
                f'{type(self).__name__}: {world_size} ranks without '
                'VideoShardSampler; a video split across ranks loses its '
                'state. Set sampler=dict(type="VideoShardSampler").',
                logger='current', level=30)

    @property
    def _bare_model(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def _before_chunk(self, data_batch: Union[dict, Sequence]) -> None:
        """Validate the batch and reset per-video state on a video start."""
        samples = data_batch.get('data_samples') if isinstance(
            data_batch, dict) else None
        if samples is None or len(samples) != 1:
            n = 'no' if samples is None else len(samples)
            raise ValueError(
                f'{type(self).__name__} expects one chunk per batch with its '
                f'data_samples, got {n}; set batch_size=1')
        meta = samples[0].metainfo
        if 'is_first' not in meta:
            if not self._warned_no_is_first:
                print_log(
                    f'{type(self).__name__}: samples carry no "is_first" '
                    'meta; every item is treated as a whole video',
                    logger='current', level=30)
                self._warned_no_is_first = True
            is_first = True
        else:
            is_first = bool(meta['is_first'])
        if is_first:
            reset = getattr(self._bare_model, 'reset_video_state', None)
            if callable(reset):
                reset()

    def _predict_chunk(self, idx: int, data_batch: dict, stage: str,
                       step_fn: str) -> None:
        self.runner.call_hook(
            f'before_{stage}_iter', batch_idx=idx, data_batch=data_batch)
        self._before_chunk(data_batch)
        with autocast(enabled=self.fp16):
            outputs = getattr(self.runner.model, step_fn)(data_batch)
        outputs = [] if outputs is None else list(outputs)
        if outputs:
            self.evaluator.process(data_samples=outputs,
                                   data_batch=data_batch)
        self.runner.call_hook(
            f'after_{stage}_iter', batch_idx=idx, data_batch=data_batch,
            outputs=outputs)

    def _run_stage(self, stage: str, step_fn: str) -> dict:
        self.runner.call_hook(f'before_{stage}')
        self.runner.call_hook(f'before_{stage}_epoch')
        self.runner.model.eval()
        for idx, data_batch in enumerate(self.dataloader):
            with torch.no_grad():
                self._predict_chunk(idx, data_batch, stage, step_fn)
        reset = getattr(self._bare_model, 'reset_video_state', None)
        if callable(reset):
            reset()  # free the last video's state
        metrics = evaluate_gathered(self.evaluator)
        self.runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{stage}')
        return metrics


@LOOPS.register_module()
class VideoValLoop(_VideoLoopMixin, ValLoop):
    """Validation loop over whole videos (see the module docstring).

    Args:
        runner (Runner): The Runner.
        dataloader (DataLoader | dict): Test-mode video dataloader, batch 1.
        evaluator (Evaluator | dict | list): The metrics.
        fp16 (bool): Run the model under autocast.
    """

    def run(self) -> dict:
        """Validate on every video; return the metrics."""
        return self._run_stage('val', 'val_step')


@LOOPS.register_module()
class VideoTestLoop(_VideoLoopMixin, TestLoop):
    """Test loop over whole videos (see the module docstring).

    Args:
        runner (Runner): The Runner.
        dataloader (DataLoader | dict): Test-mode video dataloader, batch 1.
        evaluator (Evaluator | dict | list): The metrics (or a submission
            writer).
        fp16 (bool): Run the model under autocast.
    """

    def run(self) -> dict:
        """Test on every video; return the metrics."""
        return self._run_stage('test', 'test_step')


__all__ = ['VideoShardSampler', 'VideoValLoop', 'VideoTestLoop',
           'evaluate_gathered']
