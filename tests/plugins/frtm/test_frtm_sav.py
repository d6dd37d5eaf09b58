"""``tools/test.py frtm_r101_ytvos18-davis17_sav.py CKPT --submit`` on tiny
toy SA-V data (2 val videos of 4 annotated frames, 32 x 48 px) with the toy
model narrowed: the SA-V validator accepts the zip (one binary PNG per
object on the annotated frames) and the official rules score it."""
import os.path as osp
import zipfile

import torch
from mmengine.config import Config

import plugins.frtm  # noqa: F401  (registers the plugin)
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.evaluation import evaluate_sav, validate_sav_zip
from vostoolkit.registry import MODELS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOY = osp.join(ROOT, 'configs', 'frtm', 'frtm_r18_toy-davis.py')
SMALL = {'backbone.base_channels': 8, 'target_model.num_filters': 8,
         'target_model.num_gn_steps': 2, 'head.channels': 8,
         'head.final_channels': 8, 'augmenter.num_samples': 3}


def test_frtm_sav_submission_is_valid(tmp_path):
    torch.set_num_threads(1)
    gt = str(tmp_path / 'sav')
    generate_toy_dataset(gt, 'sav', videos=0, val_videos=2, frames=4,
                         size=(32, 48), seed=1, max_objects=2)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'frtm',
                                   'frtm_r101_ytvos18-davis17_sav.py'))
    toy = Config.fromfile(TOY)
    toy.merge_from_dict({f'model.{k}': v for k, v in SMALL.items()})
    cfg.model = toy.model
    cfg.test_dataloader.dataset.pipeline = toy.test_pipeline
    cfg.test_dataloader.dataset.data_root = gt
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg.submit_evaluator.data_root = gt
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'iter_1.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(),
                    meta=dict(iter=1)), ckpt)
    out_zip = str(tmp_path / 'sav.zip')
    code = load_tool('tools/test.py').main(
        [path, ckpt, '--submit', out_zip, '--work-dir',
         str(tmp_path / 'work')])
    assert code == 0
    assert validate_sav_zip(out_zip, gt) == []
    res = evaluate_sav(gt, out_zip, strict=True, num_workers=1)
    assert 0 <= res['J&F'] <= 100
    with zipfile.ZipFile(out_zip) as zf:
        names = zf.namelist()
    # <video>/<obj>/<frame>.png on the 6-fps frames only
    assert names and all(n.count('/') == 2 and int(n[-9:-4]) % 4 == 0
                         for n in names)
