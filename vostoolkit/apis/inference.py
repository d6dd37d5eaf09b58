"""Build a model from a config and a checkpoint, for users' scripts."""
import copy
from typing import Optional, Sequence, Union

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from vostoolkit.registry import MODELS

from .config import check_file, load_config
from .runner import apply_test_model, build_or_explain, check_checkpoint_fits


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[Sequence[str]] = None) -> nn.Module:
    """Build ``config``'s test-time model (``model`` with the optional
    ``test_model`` overrides), load ``checkpoint`` and set eval mode.

    Args:
        config (str | Config): Config path or loaded config.
        checkpoint (str, optional): Weights (``state_dict`` of a Runner
            checkpoint, or a bare state dict).
        device (str): Where to put the model.
        cfg_options (list[str], optional): ``key=value`` overrides (only
            when ``config`` is a path).

    Returns:
        nn.Module: The model with ``cfg`` attached as ``model.cfg``.
    """
    cfg = load_config(config, cfg_options) if isinstance(config, str) \
        else copy.deepcopy(config)
    apply_test_model(cfg)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'vostoolkit')):
        model = build_or_explain(lambda: MODELS.build(cfg.model), 'model',
                                 cfg.filename)
    if checkpoint is not None:
        # read once: checked, then loaded as mmengine's load_checkpoint does
        ckpt = check_checkpoint_fits(model, check_file(checkpoint,
                                                       'checkpoint'))
        _load_checkpoint_to_model(model, ckpt)
    model.cfg = cfg
    return model.to(device).eval()
