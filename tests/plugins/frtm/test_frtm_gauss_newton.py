"""Gauss-Newton / conjugate gradient of the FRTM target model (eq. 3)."""
import pytest
import torch
import torch.nn.functional as F

from plugins.frtm import (FRTMTargetModel, conjugate_gradient,
                          gauss_newton_cg, initial_sample_weights)


def _spd_system(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(n, n, generator=g, dtype=torch.float64)
    a = m @ m.T + n * torch.eye(n, dtype=torch.float64)
    b = torch.randn(n, generator=g, dtype=torch.float64)
    return a, b


def test_conjugate_gradient_solves_spd_system():
    a, b = _spd_system()
    x, = conjugate_gradient(lambda v: (a @ v[0], ), (b, ), num_iters=12)
    assert torch.allclose(x, torch.linalg.solve(a, b), rtol=1e-8,
                          atol=1e-10)
    # a scalar preconditioner does not change the solution
    x2, = conjugate_gradient(lambda v: (a @ v[0], ), (b, ), 12,
                             precond=[7.0])
    assert torch.allclose(x2, x, atol=1e-8)
    # zero iterations and a zero right-hand side give zero
    z, = conjugate_gradient(lambda v: (a @ v[0], ), (b, ), 0)
    assert z.abs().max() == 0
    z, = conjugate_gradient(lambda v: (a @ v[0], ), (b * 0, ), 5)
    assert z.abs().max() == 0


def _w2_problem(seed=0, samples=3, channels=4, size=6):
    """A fixed instance: features already projected (w1 frozen) and labels
    at the feature resolution (no up-sampling)."""
    g = torch.Generator().manual_seed(seed)
    dt = torch.float64
    proj = torch.randn(samples, channels, size, size, generator=g, dtype=dt)
    labels = (torch.rand(samples, 1, size, size, generator=g, dtype=dt) >
              0.7).to(dt)
    model = FRTMTargetModel(in_channels=8, num_filters=channels,
                            precond=None, min_target_pixels=1)
    weights = initial_sample_weights(samples, dtype=dt)
    sqrt_w = (weights.view(-1, 1, 1, 1) * model.pixel_weights(labels)).sqrt()
    w2_init = torch.randn(1, channels, 3, 3, generator=g, dtype=dt)
    return model, proj, labels, weights, sqrt_w, w2_init


def _closed_form_w2(model, proj, labels, sqrt_w):
    """argmin_w2 sum ||sqrt_w * (w2 * z - y)||^2 + lambda_2 ||w2||^2."""
    c = proj.shape[1]
    cols = F.unfold(proj, 3, padding=1)  # (S, c*9, h*w)
    design = cols.permute(0, 2, 1).reshape(-1, c * 9)  # (S*h*w, c*9)
    d = sqrt_w.reshape(-1)
    a = design * d[:, None]
    y = labels.reshape(-1) * d
    lam = model.filter_reg[1]
    lhs = a.T @ a + lam * torch.eye(c * 9, dtype=a.dtype)
    return torch.linalg.solve(lhs, a.T @ y).view(1, c, 3, 3)


@pytest.mark.parametrize('seed', [0, 1])
def test_gauss_newton_reaches_least_squares_w2(seed):
    model, proj, labels, _, sqrt_w, w2_init = _w2_problem(seed)
    expected = _closed_form_w2(model, proj, labels, sqrt_w)

    def residual_fn(w2):
        return model.residuals(proj, labels, sqrt_w, None, w2)

    # the paper's schedule: 5 GN steps, 5 CG iterations then 10
    result = gauss_newton_cg(residual_fn, (w2_init, ), [5, 10, 10, 10, 10])
    w2 = result.params[0]
    rel = (w2 - expected).norm() / expected.norm()
    assert rel < 1e-4, float(rel)
    # and it is a minimum: the loss cannot be lowered by the closed form
    assert result.losses[-1] <= result.losses[0]
    assert abs(result.losses[-1] - float(
        sum(r.pow(2).sum() for r in residual_fn(expected)))) < 1e-8


def test_update_step_of_the_model_reaches_least_squares_w2():
    """The model's own update path (w2 alone on the memory)."""
    model, proj, labels, weights, sqrt_w, w2_init = _w2_problem(2)
    expected = _closed_form_w2(model, proj, labels, sqrt_w)
    state = model.new_state()
    state.w1 = torch.zeros(4, 8, 1, 1, dtype=proj.dtype)  # unused here
    state.w2 = w2_init
    state.memory.initialize(proj, labels, model.pixel_weights(labels),
                            weights)
    model.optimize_filter(state, num_cg=60)
    rel = (state.w2 - expected).norm() / expected.norm()
    assert rel < 1e-4, float(rel)


def _two_layer_problem(seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(5, 16, 8, 8, generator=g, dtype=dtype).relu()
    labels = torch.zeros(5, 1, 32, 32, dtype=dtype)
    for k in range(5):
        y0, x0 = torch.randint(0, 20, (2, ), generator=g).tolist()
        labels[k, :, y0:y0 + 10, x0:x0 + 12] = 1
    # make a few channels informative about the target
    feats[:, :4] += 2 * F.avg_pool2d(labels, 4)
    return feats, labels, g


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('precond', [None, (1e-4, 1e-2)])
def test_loss_never_increases_with_both_layers(seed, precond):
    feats, labels, g = _two_layer_problem(seed)
    model = FRTMTargetModel(in_channels=16, num_filters=8, precond=precond)
    state = model.init_state(feats, labels, generator=g)
    losses = state.init_losses
    assert len(losses) == model.num_gn_steps + 1
    for before, after in zip(losses, losses[1:]):
        assert after <= before, losses
    assert losses[-1] < 0.5 * losses[0]
    # the recorded loss is the loss of eq. 2 at the learned weights
    weights = initial_sample_weights(5)
    final = model.loss(feats, labels, weights, state.w1, state.w2)
    assert final.item() == pytest.approx(losses[-1], rel=1e-4)


def test_optimiser_keeps_no_graph():
    feats, labels, g = _two_layer_problem(0)
    feats.requires_grad_(True)
    model = FRTMTargetModel(in_channels=16, num_filters=8, num_gn_steps=2)
    state = model.init_state(feats, labels, generator=g)
    assert not state.w1.requires_grad and not state.w2.requires_grad
    assert state.w1.grad_fn is None and state.w2.grad_fn is None
