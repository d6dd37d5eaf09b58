"""Hooks that let tests observe a Runner from outside its process."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from vostoolkit.registry import HOOKS


@HOOKS.register_module()
class DumpTrainStateHook(Hook):
    """Save the state training starts from (after any resume) to
    ``<work_dir>/train_start_rank<r>.pth``: iteration, optimizer and
    parameter-scheduler states, and the model's ``state_dict``.

    Used by the distributed resume test to compare a resumed run's state
    with the checkpoint it resumed from.
    """

    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        schedulers = runner.param_schedulers
        if isinstance(schedulers, dict):
            sched_state = {k: [s.state_dict() for s in v]
                           for k, v in schedulers.items()}
        else:
            sched_state = [s.state_dict() for s in schedulers or []]
        model = runner.model.module if hasattr(runner.model, 'module') \
            else runner.model
        state = dict(iter=runner.iter, optimizer=runner.optim_wrapper
                     .state_dict(), param_schedulers=sched_state,
                     state_dict=model.state_dict())
        path = osp.join(runner.work_dir, f'train_start_rank{get_rank()}.pth')
        torch.save(state, path)
