"""``tools/test.py`` with the toy stage-2 config (a GAN checkpoint holding
critic weights): ``--submit`` writes a zip the DAVIS validator accepts, and
the model it tests holds no critic weights.

One run of the tool on tiny toy DAVIS-format data (2 val videos of 3
frames, 32 x 48 px) is shared by both tests.
"""
import importlib.util
import os.path as osp
import zipfile

import pytest
import torch
from mmengine.config import Config

import plugins.fastgan  # noqa: F401  (registers the plugin)
from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
STAGE2 = osp.join(ROOT, 'configs', 'fastgan',
                  'fastgan_r18_toy-davis.py')


def _tool(rel_path: str):
    path = osp.join(ROOT, *rel_path.split('/'))
    name = 'fastgan_' + rel_path.replace('/', '_').replace('.py', '')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def submitted(tmp_path_factory):
    """Run ``tools/test.py STAGE2 CKPT --submit OUT.zip`` once.

    Returns:
        dict: ``zip`` (path), ``gt`` (toy DAVIS root), ``ckpt`` (the GAN
        state dict that was saved), ``model`` (the model the tool tested)
        and ``code`` (its exit status).
    """
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp('fastgan_submit')
    gt = str(tmp / 'davis')
    generate_toy_dataset(gt, 'davis', videos=1, val_videos=2, frames=3,
                         size=(32, 48), seed=3, max_objects=2)
    # a stage-2 (GAN) checkpoint: regressor and both critics
    model_cfg = Config.fromfile(STAGE2).model.to_dict()
    torch.manual_seed(0)
    gan = MODELS.build(model_cfg)
    assert set(gan.critics()) == {'critic_spatial', 'critic_temporal'}
    state = {k: v.clone() for k, v in gan.state_dict().items()}
    ckpt = str(tmp / 'iter_250.pth')
    torch.save(dict(state_dict=state, meta=dict(iter=250)), ckpt)

    tool = _tool('tools/test.py')
    built = []
    build_runner = tool.build_runner

    def capture(cfg):
        runner = build_runner(cfg)
        built.append(runner)
        return runner

    tool.build_runner = capture
    out_zip = str(tmp / 'fastgan_toy.zip')
    code = tool.main([
        STAGE2, ckpt, '--submit', out_zip, '--work-dir', str(tmp / 'work'),
        '--cfg-options', f'test_dataloader.dataset.data_root={gt}',
        'test_dataloader.dataset.toy_spec=None'])
    return dict(zip=out_zip, gt=gt, ckpt=state, code=code,
                model=built[0].model if built else None)


def test_submit_zip_is_accepted_by_the_validator(submitted, capsys):
    assert submitted['code'] == 0
    assert osp.isfile(submitted['zip'])
    with zipfile.ZipFile(submitted['zip']) as zf:
        names = [n for n in zf.namelist() if n.endswith('.png')]
    assert len(names) == 2 * 3  # 2 val videos x 3 frames
    validate = _tool('tools/validate_submission.py')
    code = validate.main(['davis', submitted['zip'], '--gt', submitted['gt'],
                          '--year', '2017', '--split', 'val'])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().startswith('OK')


def test_tested_model_holds_no_critic_weights(submitted):
    model = submitted['model']
    assert model is not None and model.critics() == {}
    assert not any('critic' in name for name in model.state_dict())
    assert not any('critic' in name for name, _ in model.named_parameters())
    assert not any(name.startswith('critic_')
                   for name, _ in model.named_children())
    # the checkpoint did hold critics, and its regressor is what was tested
    ckpt = submitted['ckpt']
    assert any(k.startswith('critic_spatial.') for k in ckpt)
    assert any(k.startswith('critic_temporal.') for k in ckpt)
    for name, value in model.generator.state_dict().items():
        assert torch.equal(value, ckpt[f'generator.{name}']), name
