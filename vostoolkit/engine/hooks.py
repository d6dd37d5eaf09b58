"""Engine hooks."""
import os
import os.path as osp
import time
from typing import Optional

import torch
from mmengine.dist import broadcast, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from vostoolkit.registry import HOOKS

from .checkpoint import save_checkpoint_atomic
from .optimizers import resolve_submodule


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """Stop training cleanly once a wall-clock budget is spent.

    The schedule's ``max_iters`` stays the upper bound; the hook only stops
    earlier, as a cluster's time limit would, but with a checkpoint: on
    stopping, ``iter_<N>.pth`` is saved (unless ``CheckpointHook`` just
    saved it) and recorded in ``last_checkpoint``, so ``tools/train.py
    --resume`` continues from it. The decision is taken on rank 0 every
    ``check_interval`` iterations and broadcast, so all ranks stop at the
    same iteration. The budget counts from the start of the training loop.

    Args:
        max_minutes (float): Training time budget in minutes.
        check_interval (int): Iterations between checks.
        save_checkpoint (bool): Save a checkpoint when stopping.
    """

    priority = 'LOWEST'

    def __init__(self, max_minutes: float, check_interval: int = 10,
                 save_checkpoint: bool = True) -> None:
        if max_minutes <= 0 or check_interval < 1:
            raise ValueError('TrainTimeBudgetHook needs max_minutes > 0 and '
                             'check_interval >= 1')
        self.max_seconds = float(max_minutes) * 60.
        self.check_interval = int(check_interval)
        self.save = save_checkpoint
        self._start: Optional[float] = None
        self.stopped_at: Optional[int] = None

    def before_train(self, runner) -> None:
        self._start = time.monotonic()
        self.stopped_at = None

    def _over_budget(self) -> bool:
        over = torch.tensor(
            int(time.monotonic() - self._start > self.max_seconds))
        broadcast(over)  # rank 0 decides; a no-op without distribution
        return bool(over.item())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        done = runner.iter + 1
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
