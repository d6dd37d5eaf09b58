"""The core's adversarial training (AdversarialSegmentor /
AdversarialTrainMixin, WGAN-GP): the n_critic schedule, the gradient
penalty against a hand computation, no critic gradient from segmentor
steps, one clear error for missing optim wrappers, checkpoints between the
trained model, the test model and the plain segmentor."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

from vostoolkit.models.base import BaseCritic
from vostoolkit.models.losses import WGANGPCriticLoss
from vostoolkit.models.segmentors import AdversarialBatch, BaseVideoSegmentor
from vostoolkit.registry import CRITICS, MODELS
from vostoolkit.testing import SyntheticVOSDataset, temporarily_registered


class TinySegmentor(BaseVideoSegmentor):
    """Predicts the T - 1 frames after the first with one convolution."""

    def __init__(self, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.conv = nn.Conv2d(3, 1, 3, padding=1)

    def _logits(self, inputs):
        n, t = inputs.shape[:2]
        # (N, T-1, 3, H, W) -> (N*(T-1), 3, H, W) -> (N, T-1, H, W)
        out = self.conv(inputs[:, 1:].flatten(0, 1))
        return out.view(n, t - 1, *inputs.shape[-2:])

    @staticmethod
    def _gt(data_samples):
        return torch.stack([(s.gt_obj_masks[1:] == 1).float()
                            for s in data_samples])

    def loss(self, inputs, data_samples):
        return dict(loss_bce=F.binary_cross_entropy_with_logits(
            self._logits(inputs), self._gt(data_samples)))

    def adversarial_batch(self, inputs, data_samples):
        logits = self._logits(inputs)
        gt = self._gt(data_samples)
        return AdversarialBatch(
            losses=dict(loss_bce=F.binary_cross_entropy_with_logits(
                logits, gt)),
            frames=inputs[:, 1:], pred_masks=logits.sigmoid(), gt_masks=gt,
            frame_valid=torch.ones(gt.shape[:2], dtype=torch.bool))

    def predict(self, inputs, data_samples):
        return list(data_samples)

    def _forward(self, inputs, data_samples=None):
        return self._logits(inputs)


class NoAdversarialSegmentor(TinySegmentor):
    adversarial_batch = BaseVideoSegmentor.adversarial_batch


class QuadraticCritic(BaseCritic):
    """D(x) = sum_c,h,w w_c x^2: one score per masked frame; its input
    gradient is 2 w x, so the penalty has a closed form."""

    def __init__(self, channels=3, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.w = nn.Parameter(torch.linspace(0.2, 0.6, channels))

    def forward(self, x):
        # (B, C, H, W) -> (B, 1, 1, 1)
        return (self.w[:, None, None] * x**2).sum((1, 2, 3))[:, None, None,
                                                               None]

    def critic_inputs(self, frames, masks, valid):
        out = self.masked_frames(frames, masks, valid)[valid]
        return out if out.shape[0] else None


@pytest.fixture
def names():
    """Register the tiny segmentor and critic under unique names."""
    with temporarily_registered(MODELS, TinySegmentor) as seg, \
            temporarily_registered(MODELS, NoAdversarialSegmentor) as plain, \
            temporarily_registered(CRITICS, QuadraticCritic) as critic:
        yield dict(seg=seg, plain=plain, critic=critic)


@pytest.fixture
def hub():
    name = f'adv-test-{id(object())}'
    yield MessageHub.get_instance(name)
    MessageHub._instance_dict.pop(name, None)


def _model(names, critics=('critic_a', 'critic_b'), **kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='AdversarialSegmentor', segmentor=dict(type=names['seg']),
        critics=None if critics is None else {
            n: dict(type=names['critic']) for n in critics}, **kwargs))


def _batch(seed=0):
    data = SyntheticVOSDataset(num_videos=2, num_frames=4, size=(16, 16),
                               clip_len=3, seed=seed)
    return dict(inputs=[data[0]['inputs'], data[1]['inputs']],
                data_samples=[data[0]['data_samples'],
                              data[1]['data_samples']])


def _wrappers(model, keys=('segmentor', 'critic_a', 'critic_b')):
    return OptimWrapperDict(**{k: OptimWrapper(torch.optim.SGD(
        getattr(model, k).parameters(), lr=0.01)) for k in keys})


def _record_steps(wrappers, log, it):
    for name, wrapper in wrappers.items():
        step = wrapper.optimizer.step

        def counted(*a, _name=name, _step=step, **k):
            log.append((it[0], _name))
            return _step(*a, **k)

        wrapper.optimizer.step = counted


@pytest.mark.parametrize('start', [0, 7])
def test_n_critic_schedule_follows_the_runners_iteration(names, hub, start):
    model = _model(names, n_critic=3)
    wrappers = _wrappers(model)
    log, it = [], [0]
    _record_steps(wrappers, log, it)
    for i in range(start, start + 6):  # a resumed run starts at `start`
        it[0] = i
        hub.update_info('iter', i)
        log_vars = model.train_step(_batch(i), wrappers)
        assert ('loss_bce' in log_vars) == ((i + 1) % 3 == 0)
    gen_iters = [i for i, name in log if name == 'segmentor']
    assert gen_iters == [i for i in range(start, start + 6)
                         if (i + 1) % 3 == 0]
    for critic in ('critic_a', 'critic_b'):
        assert [i for i, n in log if n == critic] == list(
            range(start, start + 6))


def test_gradient_penalty_matches_the_hand_computation():
    critic = QuadraticCritic()
    torch.manual_seed(4)
    real, fake = torch.rand(5, 3, 4, 4), torch.rand(5, 3, 4, 4)
    loss = WGANGPCriticLoss(lambda_gp=10.0)
    torch.manual_seed(9)
    terms = loss.terms(critic, real, fake)
    objective = loss.objective(terms)
    objective.backward()
    # by hand: x~ = a real + (1 - a) fake with the same draw of a
    torch.manual_seed(9)
    a = torch.rand(5, 1, 1, 1)
    x = a * real + (1 - a) * fake
    w = critic.w.detach()[:, None, None]
    norms = (2 * w * x).flatten(1).norm(dim=1)  # ||dD/dx||
    gp = ((norms - 1)**2).mean()
    score = lambda s: (w * s**2).sum((1, 2, 3))  # noqa: E731
    wdist = score(real).mean() - score(fake).mean()
    assert terms['gp'].item() == pytest.approx(gp.item(), rel=1e-5)
    assert terms['wdist'].item() == pytest.approx(wdist.item(), rel=1e-5)
    assert terms['grad_norm'].item() == pytest.approx(norms.mean().item(),
                                                      rel=1e-5)
    # d/dw_c of the objective: the penalty is differentiated through the
    # input gradient (double backward), d||2 w x|| / dw_c = 4 w_c
    # sum_hw x_c^2 / ||2 w x||
    xc2 = (x**2).sum((2, 3))  # (B, C)
    dgp = (2 * (norms - 1)[:, None] * 4 * w[:, 0, 0] * xc2 /
           norms[:, None]).mean(0)
    dwdist = (real**2).sum((2, 3)).mean(0) - (fake**2).sum((2, 3)).mean(0)
    expected = 10.0 * dgp - dwdist
    assert torch.allclose(critic.w.grad, expected, rtol=1e-4)


def test_segmentor_steps_leave_no_gradient_in_critics(names):
    model = _model(names, n_critic=2)
    wrappers = _wrappers(model)
    seg_before = [p.detach().clone() for p in model.segmentor.parameters()]
    crit_before = model.critic_a.w.detach().clone()
    model.train_step(_batch(0), wrappers)  # call 0: critics only
    assert all(torch.equal(a, b) for a, b in zip(
        seg_before, model.segmentor.parameters()))
    assert not torch.equal(crit_before, model.critic_a.w)
    crit_mid = model.critic_a.w.detach().clone()
    log_vars = model.train_step(_batch(1), wrappers)  # call 1: + segmentor
    assert {'loss_bce', 'loss_adv_a', 'loss_adv_b'} <= set(log_vars)
    assert any(not torch.equal(a, b) for a, b in zip(
        seg_before, model.segmentor.parameters()))
    for critic in (model.critic_a, model.critic_b):
        assert critic.w.grad is None or not critic.w.grad.any()
        assert critic.w.requires_grad  # unfrozen after the segmentor step
    # the critic changed by its own step only (SGD, lr 0.01)
    assert not torch.equal(crit_mid, model.critic_a.w)


def test_missing_optim_wrappers_give_one_clear_error(names):
    model = _model(names)
    plain = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        model.train_step(_batch(), plain)
    partial = _wrappers(model, ('segmentor', 'critic_a'))
    with pytest.raises(KeyError, match=r"\['critic_b'\]"):
        model.train_step(_batch(), partial)
    no_seg = _wrappers(model, ('critic_a', 'critic_b'))
    with pytest.raises(KeyError, match=r"\['segmentor'\]"):
        model.train_step(_batch(), no_seg)


def test_without_critics_the_segmentor_trains_on_its_loss(names):
    model = _model(names, critics=())
    assert model.critics() == {}
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars = model.train_step(_batch(), wrapper)
    assert set(log_vars) == {'loss', 'loss_bce'}


def test_checkpoints_between_gan_test_and_plain_models(names):
    trained = _model(names)
    trained.train_step(_batch(), _wrappers(trained))
    state = trained.state_dict()
    assert {k.split('.')[0] for k in state} == {'segmentor', 'critic_a',
                                                'critic_b'}
    test_model = _model(names, critics=None)
    assert test_model.critics() == {}
    test_model.load_state_dict(state, strict=True)  # critic keys dropped
    assert torch.equal(test_model.segmentor.conv.weight,
                       trained.segmentor.conv.weight)
    # a plain segmentor's checkpoint (no 'segmentor.' prefix) loads into
    # the wrapper: adversarial training from a supervised model
    plain = {k[len('segmentor.'):]: v.clone() + 1 for k, v in state.items()
             if k.startswith('segmentor.')}
    gan = _model(names)
    missing = gan.load_state_dict(plain, strict=False)
    assert missing.unexpected_keys == []
    assert all(k.startswith('critic_') for k in missing.missing_keys)
    assert torch.equal(gan.segmentor.conv.weight, plain['conv.weight'])


def test_bad_configs_are_refused(names):
    with pytest.raises(TypeError, match='does not define adversarial_batch'):
        MODELS.build(dict(type='AdversarialSegmentor',
                          segmentor=dict(type=names['plain']),
                          critics=dict(critic_a=dict(type=names['critic']))))
    with pytest.raises(ValueError, match="critic_<name>"):
        _model(names, critics=('spatial', ))
    with pytest.raises(ValueError, match='loss_adv'):
        _model(names, loss_adv=dict(critic_c=dict(type='WGANGeneratorLoss')))
    with pytest.raises(ValueError, match='n_critic'):
        _model(names, n_critic=0)


def test_test_time_is_the_segmentors(names):
    model = _model(names, critics=None)
    batch = model.data_preprocessor(_batch(), False)
    out = model(batch['inputs'], batch['data_samples'], mode='tensor')
    assert torch.equal(out, model.segmentor._logits(batch['inputs']))
    assert model(batch['inputs'], batch['data_samples'],
                 mode='predict') == batch['data_samples']
    assert model.video_states() == model.segmentor.video_states()
