"""The toy NOVIS config through mmengine's Runner: a few training
iterations, then validation with the YouTube-VIS metric and a submission
zip, on a tiny generated toy dataset."""
import os.path as osp
import zipfile

from mmengine.config import Config
from mmengine.runner import Runner

from plugins.novis import NOVIS

CONFIG = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs',
                  'novis', 'novis_r18_toy-ytvis.py')


def _cfg(tmp_path):
    cfg = Config.fromfile(CONFIG)
    root = str(tmp_path / 'toy_vis')
    spec = dict(videos=2, frames=6, val_videos=1, size=(64, 96))
    for loader in (cfg.train_dataloader, cfg.test_dataloader,
                   cfg.val_dataloader):
        loader.dataset.data_root = root
        loader.dataset.toy_spec = spec
    for ev in (cfg.test_evaluator, cfg.val_evaluator, cfg.submit_evaluator):
        ev.ann_file = f'{root}/valid.json'
    cfg.model.backbone.init_cfg = None  # no pretraining stage here
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 2
    cfg.work_dir = str(tmp_path / 'work')
    cfg.log_level = 'WARNING'
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 100
    return cfg


def test_toy_config_trains_validates_and_submits(tmp_path):
    cfg = _cfg(tmp_path)
    runner = Runner.from_cfg(cfg)
    assert isinstance(runner.model, NOVIS)
    before = runner.model.decoder.cls_embed.weight.detach().clone()
    runner.train()  # 2 iterations, then validation on the toy val split
    assert not runner.model.decoder.cls_embed.weight.detach().equal(before)
    metrics = runner.val_loop.run()
    assert 0.0 <= metrics['vis/AP'] <= 1.0
    out = tmp_path / 'sub.zip'
    cfg.test_evaluator = dict(cfg.submit_evaluator, out_file=str(out))
    cfg.work_dir = str(tmp_path / 'work_test')
    tester = Runner.from_cfg(cfg)
    tester.model.load_state_dict(runner.model.state_dict())
    tester.test()
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ['results.json']
