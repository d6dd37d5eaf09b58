"""The toy VIS recipes' shared stage 1 (``configs/pretrain``): both stage-2
configs read the same videos and start from the backbone it exports."""
import os.path as osp

import pytest

from vostoolkit.apis import init_model, load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE1 = osp.join(ROOT, 'configs', 'pretrain', 'pretrain_r18_toy-ytvis.py')


@pytest.mark.parametrize('stage2', ['novis/novis_r18_toy-ytvis.py',
                                    'minvis/minvis_r18_toy-ytvis.py'])
def test_stage2_starts_from_the_shared_stage1(stage2):
    pre = load_config(STAGE1)
    toy = load_config(osp.join(ROOT, 'configs', stage2))
    a, b = pre.train_dataloader.dataset, toy.train_dataloader.dataset
    assert (a.data_root, a.toy_spec) == (b.data_root, b.toy_spec)
    exported = [h for h in pre.custom_hooks if h.type == 'ExportModuleHook']
    assert len(exported) == 1 and exported[0].module == 'backbone'
    name = osp.splitext(osp.basename(STAGE1))[0]
    assert toy.model.backbone.init_cfg.checkpoint == \
        f'work_dirs/{name}/{exported[0].filename}'
    assert pre.model.backbone == {k: v for k, v in toy.model.backbone.items()
                                  if k != 'init_cfg'}


def test_stage1_is_a_core_model():
    pre = load_config(STAGE1)
    assert 'custom_imports' not in pre
    model = init_model(pre)
    assert type(model).__name__ == 'FrameSemanticPretrainer'
