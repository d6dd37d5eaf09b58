"""The toy MinVIS config through mmengine's Runner (a few training
iterations on a tiny generated toy dataset, then validation with the
YouTube-VIS metric), and tools/demo.py on a tiny video with random weights.
"""
import json
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from plugins.minvis import MinVIS
from vostoolkit.apis import init_model
from vostoolkit.testing import load_tool

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..')
CONFIG = osp.join(ROOT, 'configs', 'minvis', 'minvis_r18_toy-ytvis.py')


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
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 2
    cfg.work_dir = str(tmp_path / 'work')
    cfg.log_level = 'WARNING'
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 100
    return cfg


def test_toy_config_trains_and_validates(tmp_path):
    runner = Runner.from_cfg(_cfg(tmp_path))
    assert isinstance(runner.model, MinVIS)
    before = runner.model.decoder.cls_embed.weight.detach().clone()
    runner.train()  # 2 iterations, then validation on the toy val split
    assert not runner.model.decoder.cls_embed.weight.detach().equal(before)
    metrics = runner.val_loop.run()
    assert 0.0 <= metrics['vis/AP'] <= 1.0


def test_demo_on_a_tiny_video(tmp_path):
    frames = tmp_path / 'frames'
    frames.mkdir()
    for t in range(5):
        img = np.full((32, 48, 3), 40, np.uint8)
        cv2.rectangle(img, (4 + 3 * t, 4), (18 + 3 * t, 18), (0, 200, 0), -1)
        cv2.imwrite(str(frames / f'{t:05d}.png'), img)
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'random.pth')
    torch.save(init_model(CONFIG).state_dict(), ckpt)
    out = tmp_path / 'out'
    demo = load_tool('tools/demo.py')
    assert demo.main([CONFIG, ckpt, '--input', str(frames), '--out',
                      str(out), '--score-thr', '0', '--chunk-len', '2',
                      '--save-frames']) == 0
    results = json.loads((out / 'results.json').read_text())
    assert results['video_length'] == 5
    assert len(results['instances']) == 10  # test_cfg top_k
    for inst in results['instances']:
        assert len(inst['segmentations']) == 5
        assert 0 <= inst['label'] < 3
    assert sorted(p.name for p in (out / 'overlays').iterdir()) == [
        f'{t:05d}.png' for t in range(5)]
    assert (out / 'overlay.mp4').is_file()
