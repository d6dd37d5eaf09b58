"""``tools/test.py fastgan_r50_ytvos18-davis17_lvos-v2.py CKPT --submit``
on tiny toy LVOS data (2 valid videos of 4 annotated frames, 32 x 48 px)
with the toy model: the LVOS validator accepts the zip, and the
zip holds the frames the server reads."""
import os.path as osp
import zipfile

import pytest
import torch
from mmengine.config import Config

import plugins.fastgan  # noqa: F401  (registers the plugin)
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.evaluation import evaluate_lvos, validate_lvos_zip
from vostoolkit.registry import MODELS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'fastgan', 'fastgan_r18_toy-davis.py')


@pytest.mark.parametrize('version', ['v2'])  # v1: same but the folder
def test_fastgan_lvos_submission_is_valid(version, tmp_path):
    torch.set_num_threads(1)
    gt = str(tmp_path / 'lvos')
    generate_toy_dataset(gt, 'lvos', videos=0, val_videos=2, frames=4,
                         size=(32, 48), seed=1, max_objects=2)
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'fastgan',
        f'fastgan_r50_ytvos18-davis17_lvos-{version}.py'))
    toy = Config.fromfile(TOY)
    cfg.model = toy.model
    cfg.test_dataloader.dataset.pipeline = toy.test_pipeline
    cfg.test_dataloader.dataset.data_root = gt
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg.submit_evaluator.meta_file = f'{gt}/valid/valid_meta.json'
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'iter_1.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(),
                    meta=dict(iter=1)), ckpt)
    out_zip = str(tmp_path / 'lvos.zip')
    code = load_tool('tools/test.py').main(
        [path, ckpt, '--submit', out_zip, '--work-dir',
         str(tmp_path / 'work')])
    assert code == 0
    assert validate_lvos_zip(out_zip, gt) == []
    res = evaluate_lvos(gt, out_zip, num_workers=1)
    assert 0 <= res["J&F-Mean"] <= 1
    with zipfile.ZipFile(out_zip) as zf:
        names = zf.namelist()
    # only the frames on the 5-frame grid of the objects' ranges
    assert names and all(int(n[-12:-4]) % 5 == 1 for n in names)
