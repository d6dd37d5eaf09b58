"""FRTM target model: pixel weights (eq. 4), learning, prediction, updates."""
import pytest
import torch
import torch.nn.functional as F

from plugins.frtm import (FRTMTargetModel, FRTMTargetState,
                          frtm_pixel_weights)
from vostoolkit.registry import MODELS, TARGET_MODELS


def test_pixel_weights_small_target_gets_kappa_min():
    labels = torch.zeros(1, 1, 20, 20)
    labels[..., :4, :5] = 1  # 20 px of 400: kappa_hat = 0.05
    v = frtm_pixel_weights(labels, kappa_min=0.1)
    assert v.shape == labels.shape
    assert v[labels > 0].unique().tolist() == pytest.approx([0.1 / 0.05])
    assert v[labels == 0].unique().tolist() == pytest.approx([0.9 / 0.95])
    # target pixels carry exactly kappa_min of the total weight
    share = (v * labels).sum() / v.sum()
    assert share.item() == pytest.approx(0.1)
    assert v.mean().item() == pytest.approx(1.0)


def test_pixel_weights_large_empty_tiny_targets_unweighted():
    labels = torch.zeros(3, 1, 20, 20)
    labels[0, :, :10] = 1  # kappa_hat = 0.5 >= kappa_min
    labels[2, :, 0, :3] = 1  # 3 pixels: below min_pixels
    v = frtm_pixel_weights(labels, kappa_min=0.1, min_pixels=10)
    assert torch.equal(v, torch.ones_like(v))
    assert torch.isfinite(frtm_pixel_weights(torch.ones(1, 1, 4, 4))).all()
    # soft labels: target pixels are those above 0.5
    soft = labels.clone()
    soft[1, :, :2, :5] = 0.9
    v = frtm_pixel_weights(soft, kappa_min=0.1)
    assert v[1][soft[1] > 0.5].unique().tolist() == pytest.approx([4.0])


def _toy_first_frame(seed=0, c_in=12):
    """Features where a few channels light up on the target."""
    g = torch.Generator().manual_seed(seed)
    masks = torch.zeros(4, 1, 32, 32)
    for k in range(4):
        y0, x0 = torch.randint(0, 18, (2, ), generator=g).tolist()
        masks[k, :, y0:y0 + 12, x0:x0 + 12] = 1
    feats = 0.3 * torch.randn(4, c_in, 8, 8, generator=g)
    feats[:, :3] += F.avg_pool2d(masks, 4)
    return feats, masks, g


def test_registry_and_bad_channels():
    model = TARGET_MODELS.build(dict(type='FRTMTargetModel', in_channels=12,
                                     num_filters=6))
    assert isinstance(model, FRTMTargetModel)
    assert MODELS.get('FRTMTargetModel') is FRTMTargetModel
    assert list(model.parameters()) == []  # nothing learned offline
    with pytest.raises(ValueError, match='in_channels'):
        model.init_state(torch.zeros(2, 5, 4, 4), torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match='odd'):
        FRTMTargetModel(filter_size=2)
    with pytest.raises(RuntimeError):
        model.predict(model.new_state(), torch.zeros(1, 12, 4, 4))


def test_init_learns_a_discriminative_model():
    feats, masks, g = _toy_first_frame()
    model = FRTMTargetModel(in_channels=12, num_filters=6)
    state = model.init_state(feats, masks, generator=g)
    assert isinstance(state, FRTMTargetState) and state.initialized
    assert state.w1.shape == (6, 12, 1, 1) and state.w2.shape == (1, 6, 3, 3)
    assert len(state.memory) == 4
    proj, stencils, rhs, _, _ = state.memory.samples()
    assert proj.shape[1:] == (6, 8, 8)  # projected by w1
    assert stencils.shape[1:] == (9, 8, 8) and rhs.shape[1:] == (1, 8, 8)
    scores = model.predict(state, feats)
    assert scores.shape == (4, 1, 8, 8)
    assert torch.equal(state.current, model.project(feats, state.w1))
    up = F.interpolate(scores, size=(32, 32), mode='bilinear',
                       align_corners=False)
    inside = up[masks > 0].mean()
    outside = up[masks == 0].mean()
    assert inside > outside + 0.4
    # PyTorch's default conv init, reproducible with a generator
    w1a, w2a = model.init_weights_random(feats,
                                         torch.Generator().manual_seed(3))
    w1b, _ = model.init_weights_random(feats, torch.Generator().manual_seed(3))
    assert torch.equal(w1a, w1b)
    assert w1a.abs().max() <= 12**-0.5 and w2a.abs().max() <= 54**-0.5
    assert w1a.std().item() == pytest.approx(12**-0.5 / 3**0.5, rel=0.3)


def test_updates_every_t_s_frames_and_only_w2():
    feats, masks, g = _toy_first_frame()
    model = FRTMTargetModel(in_channels=12, num_filters=6, update_interval=3,
                            memory_size=6, num_gn_steps=2)
    state = model.init_state(feats, masks, generator=g)
    w1, w2 = state.w1.clone(), state.w2.clone()
    done = [model.update(state, feats[k % 4:k % 4 + 1], masks[k % 4:k % 4 + 1])
            for k in range(7)]
    assert done == [False, False, True, False, False, True, False]
    assert state.num_updates == 2 and state.num_frames == 7
    assert torch.equal(state.w1, w1) and not torch.equal(state.w2, w2)
    assert len(state.memory) == 6  # capacity
    assert state.update_losses[-1] <= state.update_losses[0]


def test_no_update_ablation_and_empty_frames():
    feats, masks, g = _toy_first_frame()
    frozen = FRTMTargetModel(in_channels=12, num_filters=6, update=False,
                             update_interval=1, num_gn_steps=1)
    state = frozen.init_state(feats, masks, generator=g)
    w2 = state.w2.clone()
    assert not frozen.update(state, feats[:1], masks[:1])
    assert torch.equal(state.w2, w2) and len(state.memory) == 4
    # an (almost) empty predicted mask is not added to the memory
    model = FRTMTargetModel(in_channels=12, num_filters=6, update_interval=1,
                            num_gn_steps=1)
    state = model.init_state(feats, masks, generator=g)
    assert not model.update(state, feats[:1], torch.zeros(1, 1, 32, 32))
    assert len(state.memory) == 4 and state.num_frames == 1
    # with min_sample_pixels=0 every frame is added, as Algorithm 1
    model.min_sample_pixels = 0
    assert model.update(state, feats[:1], torch.zeros(1, 1, 32, 32))
    assert len(state.memory) == 5
    state.reset()
    assert not state.initialized and len(state.memory) == 0


def _dense_w2_solution(proj, labels, weights, model, reg2):
    """Closed-form minimiser over w2 of eq. 2 with the authors' regulariser
    residual ``reg2 * w2`` (lambda = reg2 squared), built densely."""
    k = model.filter_size
    num, c, h, w = proj.shape
    big_h, big_w = labels.shape[-2:]
    cols = F.unfold(proj, k, padding=k // 2)  # (S, c*k*k, h*w)
    up = F.interpolate(torch.eye(h * w, dtype=proj.dtype).view(
        h * w, 1, h, w), size=(big_h, big_w), mode='bilinear',
        align_corners=False).view(h * w, -1)  # (h*w, H*W)
    design = torch.einsum('scp,pq->sqc', cols, up)  # (S, H*W, c*k*k)
    sw = (weights.view(-1, 1) * model.pixel_weights(labels).view(num, -1))
    a = torch.einsum('sqc,sq,sqd->cd', design, sw, design)
    b = torch.einsum('sqc,sq,sq->c', design, sw, labels.view(num, -1))
    a += reg2**2 * torch.eye(a.shape[0], dtype=a.dtype)
    return torch.linalg.solve(a, b).view(1, c, k, k)


def test_w2_step_solves_eq2_with_the_squared_regulariser():
    """Enough CG iterations on the w2-only problem reach the dense
    least-squares solution (labels at full resolution, pixel weights of
    eq. 4, sample weights, regulariser (filter_reg * w2)^2)."""
    feats, masks, g = _toy_first_frame()
    feats, masks = feats.double(), masks.double()
    reg = (0.5, 3.0)  # large enough for the square to matter
    model = FRTMTargetModel(in_channels=12, num_filters=4, filter_reg=reg,
                            num_gn_steps=1, update_cg_iters=60,
                            cg_forget_factor=0.0)
    state = model.init_state(feats, masks, generator=g)
    proj, _, _, _, weights = state.memory.samples()
    exact = _dense_w2_solution(proj, masks, weights, model, reg[1])
    assert ((state.w2 - exact).norm() / exact.norm()).item() < 1e-8
    wrong = _dense_w2_solution(proj, masks, weights, model, reg[1]**0.5)
    assert ((wrong - exact).norm() / exact.norm()).item() > 1e-3


def test_losses_are_eq2_at_full_resolution_and_decrease():
    feats, masks, g = _toy_first_frame()
    feats, masks = feats.double(), masks.double()
    model = FRTMTargetModel(in_channels=12, num_filters=6)
    w1, w2 = model.init_weights_random(feats, torch.Generator().manual_seed(1))
    state = model.init_state(feats, masks, init=(w1, w2))
    weights = torch.tensor([2.0, 1, 1, 1], dtype=torch.float64) / 5
    assert state.init_losses[0] == pytest.approx(
        model.loss(feats, masks, weights, w1, w2).item(), rel=1e-10)
    assert len(state.init_losses) == 5
    assert all(b < a for a, b in zip(state.init_losses,
                                     state.init_losses[1:]))
    # the extra w2-only step ran on the memory after the five steps
    assert len(state.update_losses) == 1 and state.num_updates == 0
    no_extra = FRTMTargetModel(in_channels=12, num_filters=6,
                               update_cg_iters=0).init_state(
                                   feats, masks, init=(w1, w2))
    assert torch.equal(no_extra.w1, state.w1)
    assert not torch.allclose(no_extra.w2, state.w2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_same_result_on_gpu():
    feats, masks, _ = _toy_first_frame()
    feats, masks = feats.double(), masks.double()
    model = FRTMTargetModel(in_channels=12, num_filters=6, update_interval=1,
                            update_cg_iters=3)
    cpu = model.init_state(feats, masks,
                           generator=torch.Generator().manual_seed(0))
    gpu = model.init_state(feats.cuda(), masks.cuda(),
                           generator=torch.Generator().manual_seed(0))
    assert gpu.w1.is_cuda and gpu.memory.feats.is_cuda
    for a, b in ((cpu.w1, gpu.w1), (cpu.w2, gpu.w2)):
        assert (a - b.cpu()).norm() / a.norm() < 1e-6
    assert model.update(gpu, feats[:1].cuda(), masks[:1].cuda())
    assert model.predict(gpu, feats.cuda()).is_cuda
