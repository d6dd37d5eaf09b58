"""FRTM trained against FaSTGAN's critics (configs/frtm/frtm-adv_*): the
toy config trains 3 iterations through ``tools/train.py``, starting from a
plain (supervised) FRTM checkpoint, and its checkpoint is tested through
``tools/test.py`` by a model without critics; FRTM's
``adversarial_batch`` lays out its validation frames for the critics."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

import plugins.fastgan  # noqa: F401  (critics, by registry type)
import plugins.frtm  # noqa: F401
import vostoolkit.testing
from vostoolkit.registry import MODELS
from vostoolkit.testing import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIG = osp.join(ROOT, 'configs', 'frtm', 'frtm-adv_r18_toy-davis.py')
TINY = [
    'toy_spec.videos=1', 'toy_spec.val_videos=1', 'toy_spec.frames=3',
    'toy_spec.size=(48,64)', 'train_dataloader.batch_size=2',
    'train_dataloader.dataset.toy_spec.videos=2',
    'train_dataloader.dataset.toy_spec.val_videos=1',
    'train_dataloader.dataset.toy_spec.frames=4',
    'train_dataloader.dataset.toy_spec.size=(48,64)'
]


def _steps(optim_state: dict) -> int:
    states = list(optim_state['state'].values())
    return int(states[0]['step']) if states else 0


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Train the toy mix 3 iterations (n_critic=3: one FRTM step) from a
    plain FRTM checkpoint, in a fresh interpreter."""
    tmp = tmp_path_factory.mktemp('frtm_adv')
    torch.manual_seed(0)
    frtm = MODELS.build(Config.fromfile(CONFIG).model.segmentor.to_dict())
    supervised = {k: v.clone() for k, v in frtm.state_dict().items()}
    ckpt = str(tmp / 'frtm_supervised.pth')
    torch.save(dict(state_dict=supervised, meta=dict(iter=0)), ckpt)
    work = tmp / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join(
                   [ROOT, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), CONFIG,
         '--work-dir', str(work), '--cfg-options', f'data_root={tmp}/toy',
         f'load_from={ckpt}', 'train_cfg.max_iters=3', 'model.n_critic=3',
         'default_hooks.checkpoint.interval=3', *TINY],
        cwd=str(tmp), env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(tmp=tmp, work=work, supervised=supervised,
                ckpt=str(work / 'iter_3.pth'))


def test_train_tool_steps_critics_every_iteration_and_frtm_once(trained):
    saved = torch.load(trained['ckpt'], map_location='cpu',
                       weights_only=False)
    state = saved['state_dict']
    assert any(k.startswith('critic_spatial.') for k in state)
    assert any(k.startswith('critic_temporal.') for k in state)
    optim = saved['optimizer']
    assert {k: _steps(v) for k, v in optim.items()} == dict(
        segmentor=1, critic_spatial=3, critic_temporal=3)
    # started from the plain FRTM checkpoint (no 'segmentor.' prefix): one
    # Adam step of lr 1e-4 away from it
    supervised = trained['supervised']
    convs = [k for k, v in supervised.items() if v.dim() == 4]
    assert convs
    moved = 0
    for key in convs:
        diff = (state[f'segmentor.{key}'] - supervised[key]).abs().max()
        assert diff < 1e-3, key
        moved += int(diff > 0)
    assert moved > len(convs) // 2


def test_test_tool_tests_frtm_without_critics(trained, capsys):
    tool = load_tool('tools/test.py')
    built = []
    build_runner = tool.build_runner

    def capture(cfg):
        runner = build_runner(cfg)
        built.append(runner)
        return runner

    tool.build_runner = capture
    code = tool.main([CONFIG, trained['ckpt'], '--work-dir',
                      str(trained['tmp'] / 'test'), '--cfg-options',
                      f'data_root={trained["tmp"]}/toy', *TINY[:4]])
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert 'J&F' in out
    model = built[0].model
    assert type(model).__name__ == 'AdversarialSegmentor'
    assert model.critics() == {}
    assert not any('critic' in k for k in model.state_dict())
    state = torch.load(trained['ckpt'], map_location='cpu',
                       weights_only=False)['state_dict']
    for key, value in model.segmentor.state_dict().items():
        assert torch.equal(value, state[f'segmentor.{key}']), key


def test_frtm_adversarial_batch_layout():
    """K = T - 1 validation frames per clip; a clip without an object on its
    reference shows no valid frame; the BCE is FRTM's loss."""
    cfg = Config.fromfile(CONFIG).model.segmentor.to_dict()
    torch.manual_seed(0)
    frtm = MODELS.build(cfg)
    data = vostoolkit.testing.SyntheticVOSDataset(
        num_videos=2, num_frames=4, size=(32, 32), clip_len=3)
    items = [data[0], data[1]]
    items[1]['data_samples'].gt_obj_masks[0] = 0  # nothing on the reference
    batch = frtm.data_preprocessor(dict(
        inputs=[d['inputs'] for d in items],
        data_samples=[d['data_samples'] for d in items]), training=True)
    adv = frtm(batch['inputs'], batch['data_samples'], mode='adversarial')
    assert adv.frames.shape == (2, 2, 3, 32, 32)
    assert torch.equal(adv.frames, batch['inputs'][:, 1:])
    assert adv.pred_masks.shape == adv.gt_masks.shape == (2, 2, 32, 32)
    assert adv.frame_valid.tolist() == [[True, True], [False, False]]
    assert adv.pred_masks.requires_grad
    probs = adv.pred_masks.detach()
    assert 0 <= float(probs.min()) <= float(probs.max()) <= 1
    gt = batch['data_samples'][0].gt_obj_masks[1:]
    obj_masks = [(gt == i).float() for i in gt.unique() if i]
    assert any(torch.equal(adv.gt_masks[0], m) for m in obj_masks)
    losses = []
    for mode in ('loss', 'adversarial'):
        frtm._rng = np.random.default_rng(0)
        frtm._aug_rng = np.random.RandomState(0)
        torch.manual_seed(1)
        out = frtm(batch['inputs'], batch['data_samples'], mode=mode)
        losses.append(out['loss_mask'] if mode == 'loss' else
                      out.losses['loss_mask'])
    assert torch.equal(losses[0], losses[1])


@pytest.mark.parametrize('name', ['frtm-adv_r18_toy-davis.py',
                                  'frtm-adv_r101_ytvos18-davis17.py'])
def test_adv_configs_match_critics_optimizers_and_clips(name):
    from vostoolkit.apis import apply_test_model
    from vostoolkit.engine import MultiOptimWrapperConstructor
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'frtm', name))
    assert cfg.custom_imports.imports == ['plugins.frtm', 'plugins.fastgan']
    model_cfg = cfg.model.to_dict()
    model_cfg['segmentor']['backbone'].pop('init_cfg', None)  # no download
    model = MODELS.build(model_cfg)
    critics = set(model.critics())
    assert critics == {'critic_spatial', 'critic_temporal'}
    optim = {k: v for k, v in cfg.optim_wrapper.to_dict().items()
             if k != 'constructor'}
    assert set(optim) == set(cfg.param_scheduler) == {'segmentor'} | critics
    assert set(MultiOptimWrapperConstructor(optim)(model).keys()) == set(
        optim)
    # the temporal critic's window is FRTM's K validation frames
    loader = cfg.train_dataloader.dataset
    datasets = loader.get('datasets', [loader])
    for dataset in datasets:
        dataset = dataset.get('dataset', dataset)  # RepeatDataset
        assert dataset.clip_sampler.num_frames - 1 == \
            model.critic_temporal.num_frames
    # what tools/test.py builds: FRTM without critics
    tested = apply_test_model(Config(dict(model=model_cfg,
                                          test_model=cfg.test_model)))
    assert MODELS.build(tested.model).critics() == {}
