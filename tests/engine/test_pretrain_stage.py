"""A config's pretraining stage: ExportModuleHook writes a submodule under
its own names, and run_pretrain_stage trains the stage only when its file
is missing, then points the model at it."""
import os
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from vostoolkit.apis import ToolError, load_config, run_pretrain_stage
from vostoolkit.engine import ExportModuleHook
from vostoolkit.registry import BACKBONES

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'novis', 'novis_r18_toy-ytvis.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def test_export_hook_writes_a_backbone_that_loads_as_pretrained(tmp_path):
    backbone = BACKBONES.build(dict(type='ResNet', depth=18, base_channels=8))
    model = nn.Module()
    model.backbone = backbone
    runner = SimpleNamespace(model=model, work_dir=str(tmp_path))
    ExportModuleHook(module='backbone', filename='bb.pth').after_train(runner)
    path = tmp_path / 'bb.pth'
    state = torch.load(str(path), weights_only=True)
    assert 'conv1.weight' in state and 'layer4.1.bn2.running_var' in state
    assert not [p for p in os.listdir(tmp_path) if p != 'bb.pth']  # no tmp
    fresh = BACKBONES.build(dict(
        type='ResNet', depth=18, base_channels=8,
        init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    fresh.init_weights()
    for key, value in backbone.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key
    with pytest.raises(ValueError, match="no submodule 'neck'"):
        ExportModuleHook(module='neck').after_train(runner)


def _options(tmp_path):
    data = str(tmp_path / 'toy_vis')
    return [f'data_root={data}', 'train_cfg.max_iters=2',
            f'pretrain_stage.checkpoint={tmp_path / "stage" / "bb.pth"}',
            *[f'{key}.dataset.toy_spec.{item}' for key in LOADERS
              for item in ('videos=2', 'val_videos=1', 'frames=4')]]


def test_stage_trains_once_then_is_reused(tmp_path, capsys):
    options = _options(tmp_path)
    cfg = load_config(CONFIG, options)
    ckpt = cfg.pretrain_stage.checkpoint
    budget = [h for h in cfg.custom_hooks
              if h['type'] == 'TrainTimeBudgetHook'][0]['max_minutes']
    seconds = run_pretrain_stage(cfg, CONFIG, cfg_options=options)
    assert seconds > 0 and osp.isfile(ckpt)
    assert 'pretraining stage' in capsys.readouterr().out
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained',
                                               checkpoint=ckpt)
    # the budget is the tools' to count (start_budget_clock), not the
    # stage's to shorten
    assert [h for h in cfg.custom_hooks
            if h['type'] == 'TrainTimeBudgetHook'][0]['max_minutes'] == budget
    # the NOVIS backbone starts from the stage's weights
    backbone = BACKBONES.build(cfg.model.backbone)
    backbone.init_weights()
    saved = torch.load(ckpt, weights_only=True)
    assert torch.equal(backbone.conv1.weight, saved['conv1.weight'])
    # the stage's own log went to the checkpoint's folder
    assert any(n.endswith('.pth') and n != 'bb.pth'
               for n in os.listdir(osp.dirname(ckpt)))

    mtime = os.stat(ckpt).st_mtime_ns
    again = load_config(CONFIG, options)
    assert run_pretrain_stage(again, CONFIG, cfg_options=options) == 0.0
    assert os.stat(ckpt).st_mtime_ns == mtime
    assert again.model.backbone.init_cfg.checkpoint == ckpt


def test_stage_missing_under_a_launcher_names_the_command(tmp_path):
    options = _options(tmp_path)
    cfg = load_config(CONFIG, options)
    with pytest.raises(ToolError, match='novis-pretrain_r18_toy-ytvis.py'):
        run_pretrain_stage(cfg, CONFIG, cfg_options=options,
                           launcher='pytorch')


def test_no_stage_leaves_the_model_alone(tmp_path):
    options = [o for o in _options(tmp_path)
               if not o.startswith('pretrain_stage')] + ['pretrain_stage=None']
    cfg = load_config(CONFIG, options)
    assert run_pretrain_stage(cfg, CONFIG) == 0.0
    assert cfg.model.backbone.get('init_cfg') is None
