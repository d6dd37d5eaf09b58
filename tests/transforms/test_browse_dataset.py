"""tools/misc/browse_dataset.py on a tiny dataset loaded by custom_imports."""
import sys
import uuid

import numpy as np
import pytest
from PIL import Image

from vostoolkit.registry import DATASETS
from vostoolkit.testing import load_tool


DATASET_MODULE = '''
import numpy as np
from mmengine.dataset import BaseDataset
from vostoolkit.registry import DATASETS


@DATASETS.register_module(name='{name}')
class TinyClips(BaseDataset):
    """Two in-memory clips (3 frames, 32x40): grey frames, object 1 in rows
    20-29 / columns 4-13; the second clip is VIS with instance id 5."""

    def __init__(self, task='vos', **kwargs):
        self.task = task
        super().__init__(**kwargs)

    def load_data_list(self):
        items = []
        for v in range(2):
            imgs = [np.full((32, 40, 3), 100, np.uint8) for _ in range(3)]
            mask = np.zeros((32, 40), np.uint8)
            mask[20:30, 4:14] = 1
            item = dict(video_id=v, video_name=f'clip{{v}}', task=self.task,
                        frame_ids=[0, 1, 2], video_length=3, imgs=imgs,
                        ori_shape=(32, 40), img_shape=(32, 40))
            if self.task == 'vos':
                item.update(gt_obj_masks=[mask.copy() for _ in range(3)],
                            gt_void=[np.zeros((32, 40), bool)] * 3,
                            obj_ids=[1], obj_first_frames=[0])
            else:
                item.update(gt_masks=[mask[None].copy() for _ in range(3)],
                            gt_instance_ids=np.array([5]),
                            gt_labels=np.array([0]))
            items.append(item)
        return items
'''

CONFIG = '''
default_scope = 'vostoolkit'
custom_imports = dict(imports=['{module}'], allow_failed_imports=False)
pipeline = [dict(type='ClipRandomFlip', prob=1.0),
            dict(type='PackVideoInputs')]
train_dataloader = dict(dataset=dict(type='{name}', pipeline=pipeline))
val_dataloader = dict(dataset=dict(type='{name}', task='vis',
                                   pipeline=pipeline))
'''


@pytest.fixture
def tool():
    return load_tool('tools/misc/browse_dataset.py')


@pytest.fixture
def config(tmp_path, monkeypatch):
    tag = uuid.uuid4().hex[:8]
    name, module = f'TinyBrowseClips_{tag}', f'tiny_browse_{tag}'
    (tmp_path / f'{module}.py').write_text(DATASET_MODULE.format(name=name))
    cfg = tmp_path / 'tiny_cfg.py'
    cfg.write_text(CONFIG.format(module=module, name=name))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield str(cfg)
    DATASETS._module_dict.pop(name, None)
    sys.modules.pop(module, None)


def test_png_frames_with_overlay(tool, config, tmp_path):
    out = tmp_path / 'out'
    assert tool.main([config, '--out', str(out), '--num', '1']) == 0
    pngs = sorted((out / '0000_clip0').glob('*.png'))
    assert [p.name for p in pngs] == ['00000.png', '00001.png', '00002.png']
    assert not list(out.rglob('*.part'))
    frame = np.asarray(Image.open(pngs[0]).convert('RGB'))
    assert frame.shape == (32, 40, 3)
    colour = tool.davis_palette()[1]  # object 1, (128, 0, 0)
    # flipped object: columns 26-35; interior tinted, boundary full colour
    np.testing.assert_array_equal(frame[25, 30],
                                  np.round(0.5 * 100 + 0.5 * colour))
    np.testing.assert_array_equal(frame[20, 30], colour)
    np.testing.assert_array_equal(frame[25, 8], [100, 100, 100])  # not flipped


def test_gif_of_vis_split(tool, config, tmp_path):
    out = tmp_path / 'gif'
    assert tool.main([config, '--split', 'val', '--out', str(out),
                      '--gif', '--num', '5']) == 0
    gifs = sorted(out.glob('*.gif'))
    assert [g.name for g in gifs] == ['0000_clip0.gif', '0001_clip1.gif']
    with Image.open(gifs[0]) as gif:
        assert gif.n_frames == 3 and gif.size == (40, 32)
        rgb = np.asarray(gif.convert('RGB'))
    # instance id 5 -> palette entry 6; GIF quantisation keeps it close
    colour = tool.davis_palette()[6].astype(int)
    assert np.abs(rgb[20, 30].astype(int) - colour).max() <= 8


def test_overlay_sample_colours(tool, config):
    from mmengine.config import Config
    dataset = tool.build_dataset(Config.fromfile(config), 'train')
    item = dataset[0]
    frames = tool.overlay_sample(item['inputs'], item['data_samples'], 1.0)
    colour = tool.davis_palette()[1]
    mask = item['data_samples'].gt_obj_masks[0].numpy() == 1
    assert (frames[0][mask] == colour).all()
    assert (frames[0][~mask] == 100).all()


def test_missing_split_is_one_line(tool, config, tmp_path, capsys):
    assert tool.main([config, '--split', 'test', '--out',
                      str(tmp_path / 'x')]) == 2  # EXIT_USER_ERROR
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0
    assert 'tiny_cfg.py' in err and 'test_dataloader' in err


def test_data_root_option_moves_the_data_read(tool, tmp_path):
    """``--cfg-options data_root=DIR`` reaches the datasets (here toy data,
    generated there on first use) instead of the config's default path."""
    import os.path as osp
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    config = osp.join(root, 'configs', 'maskprop', 'maskprop_r18_toy-davis.py')
    data = tmp_path / 'elsewhere'
    assert tool.main([config, '--out', str(tmp_path / 'out'), '--num', '1',
                      '--cfg-options', f'data_root={data}', 'toy_spec.videos=1',
                      'toy_spec.val_videos=1', 'toy_spec.frames=3']) == 0
    assert (data / 'JPEGImages').is_dir()
    assert list((tmp_path / 'out').iterdir())
