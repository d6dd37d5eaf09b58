"""Set up a Runner for ``tools/train.py`` and ``tools/test.py``.

The same functions serve every plugin: a method is a config, never an entry
script. They apply the command-line choices to the config and start the
process group on machines without CUDA (see
:mod:`vostoolkit.engine.distributed`).
"""
import os.path as osp
import sys
from typing import List, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader, Runner, find_latest_checkpoint

from vostoolkit.engine import init_cpu_distributed

from .config import (ToolError, check_file, default_work_dir, load_config,
                     merge_cfg_options, require_keys)

AMP_CPU_ERROR = ('--amp needs a CUDA GPU (mixed precision here is CUDA '
                 'float16); this machine has none: run without --amp')


def _set_launcher(cfg: Config, launcher: str) -> None:
    cfg.launcher = launcher
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
    if not torch.cuda.is_available():
        dist_cfg['backend'] = 'gloo'
    else:
        dist_cfg.setdefault('backend', 'nccl')


def _enable_amp(cfg: Config) -> None:
    if not torch.cuda.is_available():
        raise ToolError(AMP_CPU_ERROR)
    optim = cfg.get('optim_wrapper')
    if optim is None:
        raise ToolError('--amp: the config has no optim_wrapper')
    if 'optimizer' in optim or 'constructor' not in optim:
        wrappers = [optim]
    else:  # several optimizers: one wrapper config per key
        wrappers = [v for k, v in optim.items()
                    if k not in ('constructor', 'paramwise_cfg')
                    and isinstance(v, dict)]
    for wrapper in wrappers:
        if wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper',
                                                       'AmpOptimWrapper'):
            raise ToolError(f'--amp: cannot switch optim wrapper type '
                            f'{wrapper.get("type")} to AmpOptimWrapper')
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')


def enable_tensorboard(cfg: Config) -> None:
    """Add mmengine's TensorBoard backend to the config's visualizer (the
    local backend stays): scalars go to ``<work_dir>/<timestamp>/vis_data``
    as event files for ``tensorboard --logdir work_dirs``.

    Raises:
        ToolError: if the ``tensorboard`` package is not installed.
    """
    try:
        import tensorboard  # noqa: F401
    except ImportError as err:
        raise ToolError('--tensorboard needs the tensorboard package: pip '
                        'install "vostoolkit[tensorboard]" (or pip install '
                        'tensorboard)') from err
    vis = cfg.setdefault('visualizer', ConfigDict(type='Visualizer'))
    backends = list(vis.get('vis_backends') or [dict(type='LocalVisBackend')])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    vis['vis_backends'] = backends


def prepare_train_cfg(cfg: Config, config_path: str, *,
                      work_dir: Optional[str] = None,
                      resume: Optional[str] = None, amp: bool = False,
                      tensorboard: bool = False,
                      launcher: str = 'none') -> Config:
    """Apply ``tools/train.py``'s options to ``cfg``.

    Args:
        cfg (Config): Loaded config.
        config_path (str): Its path (for the default work dir and errors).
        work_dir (str, optional): Overrides ``cfg.work_dir``; default
            ``work_dirs/<config stem>``.
        resume (str, optional): ``'auto'``: resume from the work dir's last
            checkpoint; a path: resume from that checkpoint; None: no resume.
        amp (bool): Mixed precision (CUDA only).
        tensorboard (bool): Also log to TensorBoard
            (:func:`enable_tensorboard`).
        launcher (str): ``'none'``, ``'pytorch'`` or ``'slurm'``.
    """
    require_keys(cfg, ['model', 'train_dataloader', 'train_cfg',
                       'optim_wrapper'], config_path, 'training')
    cfg.work_dir = work_dir or cfg.get('work_dir') or default_work_dir(
        config_path)
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
        if find_latest_checkpoint(cfg.work_dir) is None:
            print(f'train.py: --resume: no checkpoint in {cfg.work_dir} '
                  'yet; starting from scratch', file=sys.stderr)
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = check_file(resume, '--resume checkpoint')
    elif cfg.get('load_from'):
        check_file(cfg.load_from, 'load_from checkpoint')
    check_pretrained_files(cfg.model, config_path)
    if amp:
        _enable_amp(cfg)
    if tensorboard:
        enable_tensorboard(cfg)
    _set_launcher(cfg, launcher)
    return cfg


def _local_pretrained(node, key: str = 'model'):
    """``(key, checkpoint)`` of every ``init_cfg`` of type ``Pretrained``
    below ``node`` whose checkpoint is a local path (not a URL or a
    ``prefix://`` name)."""
    if isinstance(node, dict):
        init = node.get('init_cfg')
        for one in init if isinstance(init, list) else [init]:
            if isinstance(one, dict) and one.get('type') == 'Pretrained':
                ckpt = one.get('checkpoint')
                if isinstance(ckpt, str) and '://' not in ckpt:
                    yield f'{key}.init_cfg', ckpt
        for k, v in node.items():
            if k != 'init_cfg':
                yield from _local_pretrained(v, f'{key}.{k}')
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _local_pretrained(v, f'{key}[{i}]')


def check_pretrained_files(model_cfg, config_path: str) -> None:
    """Refuse to train when a ``Pretrained`` weight file the model starts
    from is missing (mmengine would fail deep inside ``init_weights``).

    Raises:
        ToolError: naming the config, the key and the file.
    """
    for key, ckpt in _local_pretrained(model_cfg):
        if not osp.isfile(osp.expanduser(ckpt)):
            raise ToolError(
                f'{config_path}: {key} points at {ckpt}, which does not '
                'exist (train or download it first; see the config\'s '
                'header)')


def apply_test_model(cfg: Config) -> Config:
    """Merge the optional ``test_model`` overrides into ``cfg.model``.

    A config may hold ``test_model = dict(critic_spatial=None, ...)``: the
    test-time model differs from the trained one (e.g. no critics); a key
    set to None is passed as None. The checkpoint then loads non-strictly
    (the Runner logs the keys the test model does not have).
    """
    overrides = cfg.get('test_model')
    if overrides:
        if not isinstance(overrides, dict):
            raise ToolError(f'test_model must be a dict of model overrides, '
                            f'got {overrides!r}')
        model = Config(dict(model=cfg.model))
        model.merge_from_dict({f'model.{k}': v for k, v in overrides.items()})
        cfg.model = model.model
    return cfg


def check_checkpoint_fits(model: torch.nn.Module, checkpoint: str) -> dict:
    """Refuse a checkpoint whose weights have other shapes than ``model``'s.

    Testing loads checkpoints non-strictly (a test model may drop training
    parts, see :func:`apply_test_model`), and mmengine then skips a weight of
    another shape with a warning: a checkpoint trained with another config
    would be scored with those weights left at their initial values.
    Missing and unexpected keys stay allowed.

    Returns:
        dict: The loaded checkpoint, for a caller that loads it next.

    Raises:
        ToolError: naming the file, how many weights differ and the first
            (or that the file holds no state dict).
    """
    if is_model_wrapper(model):
        model = model.module
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ToolError(f'{checkpoint}: no state_dict in the checkpoint')
    own = model.state_dict()
    bad = []
    for key, value in state.items():
        key = str(key).removeprefix('module.')
        if key in own and hasattr(value, 'shape') \
                and tuple(value.shape) != tuple(own[key].shape):
            bad.append((key, tuple(value.shape), tuple(own[key].shape)))
    if bad:
        key, theirs, ours = bad[0]
        raise ToolError(
            f'{checkpoint}: {len(bad)} weight(s) do not fit the model the '
            f'config builds, e.g. {key}: {theirs} in the checkpoint, {ours} '
            f'in the model (trained with another config?)')
    return ckpt


def prepare_test_cfg(cfg: Config, config_path: str, checkpoint: str, *,
                     work_dir: Optional[str] = None,
                     submit: Optional[str] = None,
                     launcher: str = 'none') -> Config:
    """Apply ``tools/test.py``'s options to ``cfg``.

    Args:
        cfg (Config): Loaded config.
        config_path (str): Its path.
        checkpoint (str): Weights to test.
        work_dir (str, optional): Default ``work_dirs/<config stem>``.
        submit (str, optional): Write a submission zip there instead of
            scoring: ``test_evaluator = dict(**submit_evaluator,
            out_file=submit)``.
        launcher (str): ``'none'``, ``'pytorch'`` or ``'slurm'``.
    """
    require_keys(cfg, ['model', 'test_dataloader', 'test_cfg'], config_path,
                 'testing')
    apply_test_model(cfg)
    cfg.work_dir = work_dir or cfg.get('work_dir') or default_work_dir(
        config_path)
    cfg.load_from = check_file(checkpoint, 'checkpoint')
    cfg.resume = False
    if submit is not None:
        if not submit.endswith('.zip'):
            raise ToolError(f'--submit {submit}: the output must be a .zip')
        if cfg.get('submit_evaluator') is None:
            raise ToolError(f'{config_path}: --submit needs a '
                            'submit_evaluator in the config')
        cfg.test_evaluator = dict(**cfg.submit_evaluator,
                                  out_file=osp.abspath(submit))
    elif cfg.get('test_evaluator') is None:
        raise ToolError(f'{config_path}: testing needs a test_evaluator')
    _set_launcher(cfg, launcher)
    return cfg


def check_resume_fits(runner: Runner, cfg: Config) -> Optional[str]:
    """Before ``--resume``, check the checkpoint it will load against the
    model, as :func:`check_checkpoint_fits` does for testing.

    Returns:
        str | None: The checkpoint checked (None when not resuming or when
        the work dir has no checkpoint yet).

    Raises:
        ToolError: naming the checkpoint, when its weights do not fit.
    """
    if not cfg.get('resume'):
        return None
    ckpt = cfg.get('load_from') or find_latest_checkpoint(cfg.work_dir)
    if ckpt:
        check_checkpoint_fits(runner.model, ckpt)
    return ckpt


def build_or_explain(build, what: str, path: Optional[str]):
    """Call ``build()``; turn the errors a config causes (an unknown type
    or keyword: mmengine's KeyError / TypeError) into a ToolError naming
    the config ``path``."""
    try:
        return build()
    except (TypeError, KeyError) as err:
        text = str(err).strip().strip('"\'')
        first = text.splitlines()[0] if text else type(err).__name__
        raise ToolError(f'{path or "config"}: cannot build the {what}: '
                        f'{first} (check the config and --cfg-options)') \
            from err


def build_runner(cfg: Config) -> Runner:
    """Start the process group if needed and build the Runner from ``cfg``.

    Raises:
        ToolError: when the config names an unknown type or keyword.
    """
    launcher = cfg.get('launcher', 'none')
    try:
        init_cpu_distributed(launcher)
    except (RuntimeError, ValueError) as err:
        raise ToolError(str(err)) from err
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return build_or_explain(lambda: RUNNERS.build(cfg), 'runner',
                                cfg.filename)
    return build_or_explain(lambda: Runner.from_cfg(cfg), 'runner',
                            cfg.filename)
