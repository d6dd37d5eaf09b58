"""Engine hooks."""
import os
import os.path as osp
import time
from collections import Counter
from typing import Optional

import torch
from mmengine.dist import broadcast, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.optim.scheduler.param_scheduler import INF

from vostoolkit.registry import HOOKS

from .checkpoint import save_checkpoint_atomic
from .optimizers import _unwrap, resolve_submodule


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """Stop training once a wall-clock budget is spent, with a checkpoint.

    For toy configs and ``make quickstart`` ("train for a few minutes"):
    the schedule's ``max_iters`` stays the upper bound. The decision is
    taken on rank 0 every ``check_interval`` iterations and broadcast, so
    all ranks stop at the same iteration. On stopping, a checkpoint
    ``iter_<N>.pth`` is saved (unless ``CheckpointHook`` just saved it) and
    recorded in ``last_checkpoint`` so ``--resume`` continues from it.

    With ``fit_schedule=True``, a run that would not reach ``max_iters``
    within the budget (a slower machine) has its schedule compressed to the
    iterations it can afford, instead of being cut before its last
    learning-rate drops: every ``fit_interval`` iterations the iterations
    that fit in the remaining budget are estimated from the mean iteration
    time (the slower of its mean so far, the first ``fit_interval // 2``
    iterations not counted, and its mean since the previous fit),
    and ``max_iters``, the ends and milestones of the parameter schedulers,
    a validation interval equal to ``max_iters`` and the points of
    :class:`AttributeScheduleHook` s still ahead are scaled by that count
    over the config's ``max_iters`` (never above the config's values; points
    already passed stay). Only a run that starts at iteration 0 is fitted
    (a resumed run keeps the schedule it resumes).

    Args:
        max_minutes (float): Training time budget in minutes.
        check_interval (int): Iterations between checks.
        save_checkpoint (bool): Save a checkpoint when stopping.
        fit_schedule (bool): Compress the schedule to fit the budget.
        fit_interval (int): Iterations between two fits.
        launched_at (float, optional): A ``time.time()`` reading (seconds
            since the epoch) to count the budget from: set by a tool that
            launches the training processes after spending part of the
            budget itself (``tools/quickstart.py`` runs the pretraining
            stage, then starts data-parallel processes with torchrun). When
            ``started_at`` is also set, the earlier of the two counts.

    Attributes:
        started_at (float, optional): A ``time.monotonic()`` reading of this
            process to count the budget from, so that what comes before the
            loop (a pretraining stage, building the runner) spends it too;
            ``tools/train.py`` and ``tools/quickstart.py`` set it to their
            own start (:func:`vostoolkit.apis.start_budget_clock`). None
            (the default): the start of the training loop.
    """

    priority = 'LOWEST'

    def __init__(self, max_minutes: float, check_interval: int = 10,
                 save_checkpoint: bool = True, fit_schedule: bool = False,
                 fit_interval: int = 200,
                 launched_at: Optional[float] = None) -> None:
        if max_minutes <= 0 or check_interval < 1 or fit_interval < 2:
            raise ValueError('TrainTimeBudgetHook needs max_minutes > 0, '
                             'check_interval >= 1 and fit_interval >= 2')
        self.max_seconds = float(max_minutes) * 60.
        self.check_interval = int(check_interval)
        self.save = save_checkpoint
        self.fit_schedule, self.fit_interval = fit_schedule, int(fit_interval)
        self.launched_at = None if launched_at is None else float(launched_at)
        self.started_at: Optional[float] = None
        self._start: Optional[float] = None
        self.stopped_at: Optional[int] = None
        self.fitted_max_iters: Optional[int] = None

    def before_train(self, runner) -> None:
        now = time.monotonic()
        starts = [now]
        if self.started_at is not None:
            starts.append(float(self.started_at))
        if self.launched_at is not None:  # the epoch reading, on this clock
            starts.append(now - (time.time() - self.launched_at))
        self._start = min(starts)
        self.stopped_at = None
        self.fitted_max_iters = None
        self._plan = None
        if self.fit_schedule and runner.iter == 0:
            self._plan = ScheduleFitter(runner)
        self._clock_from: Optional[tuple] = None
        self._last_fit: Optional[tuple] = None

    def _fit(self, runner, done: int) -> None:
        """Compress the rest of the schedule to the iterations that fit."""
        if done == self.fit_interval // 2:
            self._clock_from = (done, time.monotonic())
        if done % self.fit_interval or self._clock_from is None:
            return
        first, since = self._clock_from
        now = time.monotonic()
        # the slower of the mean so far and the mean since the last fit,
        # so that a machine slowing down is followed at once
        per_iter = (now - since) / (done - first)
        if self._last_fit is not None and done > self._last_fit[0]:
            per_iter = max(per_iter, (now - self._last_fit[1]) /
                           (done - self._last_fit[0]))
        self._last_fit = (done, now)
        # a margin for the last check and the final checkpoint
        left = self.max_seconds - (now - self._start) - max(
            5.0, 0.01 * self.max_seconds)
        fits = torch.tensor(done + max(1, int(left / per_iter)))
        broadcast(fits)  # rank 0 decides, every rank applies it
        target = min(int(fits.item()), self._plan.max_iters)
        if target == runner.max_iters:
            return
        before = runner.max_iters
        self._plan.apply(runner, target, done)
        self.fitted_max_iters = runner.max_iters
        if abs(before - runner.max_iters) >= 0.01 * self._plan.max_iters:
            print_log(f'TrainTimeBudgetHook: {per_iter:.3f} s per '
                      f'iteration; schedule fitted to the budget: '
                      f'{runner.max_iters} of {self._plan.max_iters} '
                      f'iterations ({self._plan.describe()})',
                      logger='current')

    def _over_budget(self) -> bool:
        over = torch.tensor(
            int(time.monotonic() - self._start > self.max_seconds))
        broadcast(over)  # rank 0 decides; a no-op without distribution
        return bool(over.item())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        done = runner.iter + 1
        if self._plan is not None and done < runner.max_iters:
            self._fit(runner, done)
        if done % self.check_interval or done >= runner.max_iters:
            return
        if not self._over_budget():
            return
        runner.train_loop.stop_training = True
        self.stopped_at = done
        print_log(f'TrainTimeBudgetHook: {self.max_seconds / 60:.1f} min '
                  f'spent, stopping after {done} of {runner.max_iters} '
                  'iterations', logger='current')
        if not self.save:
            return
        name = f'iter_{done}.pth'
        path = osp.join(runner.work_dir, name)
        if not osp.isfile(path):
            runner.save_checkpoint(runner.work_dir, name, by_epoch=False)
        if is_main_process():
            tmp = osp.join(runner.work_dir, f'.last_checkpoint.{os.getpid()}')
            with open(tmp, 'w') as f:
                f.write(path)
            os.replace(tmp, osp.join(runner.work_dir, 'last_checkpoint'))


class ScheduleFitter:
    """The iteration schedule of a runner as its config set it, and its
    scaling to another length (see ``TrainTimeBudgetHook(fit_schedule=
    True)``).

    Scaled: the train loop's ``max_iters`` (and a validation interval equal
    to it), ``begin`` / ``end`` / ``milestones`` of every parameter
    scheduler (iteration-based), and the points of every hook with
    ``rescale_iterations`` (:class:`AttributeScheduleHook`). An iteration
    already passed (at or before ``done``) keeps its current value, so no
    learning-rate drop happens twice; one still ahead becomes
    ``round(original * length / original max_iters)``, at least ``done + 1``.
    """

    def __init__(self, runner):
        loop = runner.train_loop
        if not hasattr(loop, '_max_iters'):
            raise TypeError(f'fit_schedule needs an iteration-based train '
                            f'loop, got {type(loop).__name__}')
        self.max_iters = int(loop.max_iters)
        self.schedulers = []
        for sched in self._schedulers(runner):
            if getattr(sched, 'by_epoch', False):
                raise TypeError('fit_schedule needs iteration-based '
                                f'parameter schedulers, got '
                                f'{type(sched).__name__}(by_epoch=True)')
            milestones = getattr(sched, 'milestones', None)
            self.schedulers.append((sched, sched.begin, sched.end,
                                    dict(milestones) if milestones else None))
        self.hooks = [(h, list(h.points)) for h in runner.hooks
                      if hasattr(h, 'rescale_iterations')]

    @staticmethod
    def _schedulers(runner) -> list:
        scheds = runner.param_schedulers or []
        if isinstance(scheds, dict):
            return [s for group in scheds.values() for s in group]
        return list(scheds)

    def apply(self, runner, length: int, done: int) -> None:
        """Scale what lies after iteration ``done`` to a schedule of
        ``length`` iterations."""
        factor = length / self.max_iters

        def scaled(original: int, current: int) -> int:
            if current <= done or original >= INF:  # passed, or open end
                return current
            return max(done + 1, int(round(original * factor)))

        loop = runner.train_loop
        if getattr(loop, 'val_interval', None) == loop._max_iters:
            loop.val_interval = length
        loop._max_iters = length
        for sched, begin, end, milestones in self.schedulers:
            sched.begin = scaled(begin, sched.begin)
            sched.end = scaled(end, sched.end)
            if milestones is not None:
                current = sorted(sched.milestones.elements())
                originals = sorted(
                    m for m, c in milestones.items() for _ in range(c))
                sched.milestones = Counter(
                    scaled(o, c) for o, c in zip(originals, current))
        for hook, points in self.hooks:
            hook.rescale_iterations(
                [scaled(o, c) for (o, _), (c, _) in zip(points, hook.points)])

    def describe(self) -> str:
        """The scaled milestones, for the log."""
        parts = [f'{type(s).__name__} milestones '
                 f'{sorted(s.milestones.elements())}'
                 for s, _, _, m in self.schedulers if m is not None]
        parts += [f'{h.attr} at {[it for it, _ in h.points]}'
                  for h, _ in self.hooks]
        return '; '.join(parts) or 'no schedulers'


@HOOKS.register_module()
class ExportModuleHook(Hook):
    """After training, save one submodule's weights as a plain state dict.

    The keys are the submodule's own parameter names (for our ResNet,
    torchvision's), so another config loads the file exactly like a
    downloaded backbone: ``init_cfg=dict(type='Pretrained', checkpoint=F)``.
    The file is written atomically, on the main process only.

    Args:
        module (str): Dotted path of the submodule (``'backbone'``).
        filename (str): Output file; relative paths are under the work dir.
    """

    priority = 'LOW'

    def __init__(self, module: str = 'backbone',
                 filename: str = 'backbone.pth') -> None:
        self.module = module
        self.filename = filename

    def after_train(self, runner) -> None:
        sub = resolve_submodule(runner.model, self.module)
        if sub is None:
            raise ValueError(f'ExportModuleHook: the model has no submodule '
                             f'{self.module!r}')
        if not is_main_process():
            return
        path = self.filename if osp.isabs(self.filename) else osp.join(
            runner.work_dir, self.filename)
        state = {k: v.detach().cpu() for k, v in sub.state_dict().items()}
        save_checkpoint_atomic(state, path)
        print_log(f'ExportModuleHook: {self.module} weights saved to {path}',
                  logger='current')


@HOOKS.register_module()
class AttributeScheduleHook(Hook):
    """Set a float attribute of a model submodule from the iteration, on a
    piecewise-linear schedule (e.g. an auxiliary loss weight that fades
    out once its job is done).

    Before every training iteration the attribute becomes the schedule's
    value at ``runner.iter``: the first point's value before it, the last
    point's after it, linear in between. Resumed runs get the right value
    (it depends on the iteration only).

    Args:
        attr (str): Dotted path from the model to the attribute, e.g.
            ``'auxiliary_head.loss_weight'`` (model wrappers are looked
            through).
        points (list): ``[[iteration, value], ...]`` with increasing
            iterations.
    """

    priority = 'NORMAL'

    def __init__(self, attr: str, points) -> None:
        points = [(int(it), float(v)) for it, v in points]
        if not points or any(b[0] <= a[0] for a, b in zip(points,
                                                          points[1:])):
            raise ValueError('AttributeScheduleHook needs points '
                             '[[iteration, value], ...] with increasing '
                             f'iterations, got {points}')
        module_path, _, self.name = attr.rpartition('.')
        if not self.name:
            raise ValueError(f'AttributeScheduleHook: empty attribute in '
                             f'{attr!r}')
        self.attr, self.module_path, self.points = attr, module_path, points

    def rescale_iterations(self, iterations) -> None:
        """Move the points to new (increasing) iterations, values kept
        (``TrainTimeBudgetHook(fit_schedule=True)`` uses it)."""
        iterations = [int(i) for i in iterations]
        if len(iterations) != len(self.points) or any(
                b < a for a, b in zip(iterations, iterations[1:])):
            raise ValueError(f'AttributeScheduleHook: {iterations} do not '
                             f'match the points {self.points}')
        self.points = [(i, v) for i, (_, v) in zip(iterations, self.points)]

    def value(self, it: int) -> float:
        """The schedule's value at iteration ``it``."""
        if it <= self.points[0][0]:
            return self.points[0][1]
        for (i0, v0), (i1, v1) in zip(self.points, self.points[1:]):
            if it <= i1:
                return v0 + (v1 - v0) * (it - i0) / (i1 - i0)
        return self.points[-1][1]

    def _target(self, runner):
        module = (resolve_submodule(runner.model, self.module_path)
                  if self.module_path else _unwrap(runner.model))
        if module is None or not hasattr(module, self.name):
            raise AttributeError(f'AttributeScheduleHook: the model has no '
                                 f'attribute {self.attr!r}')
        return module

    def before_train(self, runner) -> None:
        # resolved once (and so failing before the first iteration)
        self._module = self._target(runner)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        setattr(self._module, self.name, self.value(runner.iter))
