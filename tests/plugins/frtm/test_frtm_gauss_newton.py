"""Gauss-Newton / CG (the authors' Polak-Ribiere recursion with a forgetting
factor) and the data term at the scores' resolution."""
import torch
import torch.nn.functional as F

from plugins.frtm import (CGState, apply_normal, bilinear_matrix,
                          conjugate_gradient, gauss_newton_cg,
                          upsampled_l2_terms)


def _spd(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(n, n, generator=g, dtype=torch.float64)
    return m @ m.t() + n * torch.eye(n, dtype=torch.float64)


def test_cg_solves_spd_systems_in_n_iterations():
    a = _spd()
    b = (torch.arange(6, dtype=torch.float64) - 2.0, )
    x, = conjugate_gradient(lambda v: (a @ v[0], ), b, 6)
    assert torch.allclose(x, torch.linalg.solve(a, b[0]), atol=1e-9)
    # a per-tensor preconditioner changes the path, not the solution
    x, = conjugate_gradient(lambda v: (a @ v[0], ), b, 6, precond=[3.0])
    assert torch.allclose(x, torch.linalg.solve(a, b[0]), atol=1e-9)
    assert conjugate_gradient(lambda v: v, b, 0)[0].abs().sum() == 0


def test_cg_first_iteration_and_polak_ribiere_by_hand():
    """Two iterations computed by hand with the PR formula and beta >= 0."""
    a = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    b = torch.tensor([1.0, 2.0], dtype=torch.float64)
    m = 2.0
    r0 = b
    z0 = r0 / m
    p0 = z0
    alpha0 = (r0 @ z0) / (p0 @ a @ p0)
    x1 = alpha0 * p0
    r1 = r0 - alpha0 * (a @ p0)
    z1 = r1 / m
    beta = max(0.0, float((r1 @ z1 - r0 @ z1) / (r0 @ z0)))
    p1 = z1 + beta * p0
    x2 = x1 + (r1 @ z1) / (p1 @ a @ p1) * p1
    state = CGState(0.0)
    out1, = conjugate_gradient(lambda v: (a @ v[0], ), (b, ), 1, [m], state)
    assert torch.allclose(out1, x1)
    out2, = conjugate_gradient(lambda v: (a @ v[0], ), (b, ), 2, [m])
    assert torch.allclose(out2, x2)


def test_forgetting_factor_keeps_a_fading_direction():
    """The next call's first step mixes in the kept direction with
    ``beta = (rho - r_prev.z) / (rho_prev / forget)``; a factor of 0
    restarts (plain CG)."""
    a = _spd(4, 1)
    b1 = (torch.ones(4, dtype=torch.float64), )
    b2 = (torch.tensor([1.0, -1.0, 2.0, 0.5], dtype=torch.float64), )

    def op(v):
        return (a @ v[0], )

    for forget in (0.0, 0.5):
        state = CGState(forget)
        conjugate_gradient(op, b1, 1, None, state)
        p1, rho1, r1 = state.p[0], state.rho, state.r_prev[0]
        x, = conjugate_gradient(op, b2, 1, None, state)
        z = b2[0]
        p = z if forget == 0 else z + max(
            0.0, float((z @ z - r1 @ z) / (rho1 / forget))) * p1
        assert torch.allclose(x, (z @ z) / (p @ a @ p) * p)
    plain, = conjugate_gradient(op, b2, 1)
    assert not torch.allclose(x, plain)


def _linear_problem():
    """min ||X w - y||^2 + ||0.1 w||^2 as a (loss, grad, normal_op)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 5, generator=g, dtype=torch.float64)
    y = torch.randn(20, generator=g, dtype=torch.float64)
    reg = 0.1

    def linearize(params):
        w, = params
        r = x @ w - y
        loss = r @ r + (reg * w) @ (reg * w)
        return loss, (x.t() @ r + reg**2 * w, ), \
            lambda v: (x.t() @ (x @ v[0]) + reg**2 * v[0], )

    exact = torch.linalg.solve(x.t() @ x + reg**2 * torch.eye(
        5, dtype=torch.float64), x.t() @ y)
    return linearize, exact


def test_gauss_newton_reaches_the_regularised_least_squares():
    linearize, exact = _linear_problem()
    res = gauss_newton_cg(linearize, (torch.zeros(5, dtype=torch.float64), ),
                          [5, 5])
    assert torch.allclose(res.params[0], exact, atol=1e-10)
    assert len(res.losses) == 2 and res.losses[1] < res.losses[0]


def test_bilinear_matrix_is_interpolate():
    u = bilinear_matrix(17, 5, dtype=torch.float64)
    s = torch.randn(5, dtype=torch.float64)
    ref = F.interpolate(s.view(1, 1, 5, 1), size=(17, 1), mode='bilinear',
                        align_corners=False).view(-1)
    assert torch.allclose(u @ s, ref, atol=1e-12)
    assert torch.allclose(u.sum(1), torch.ones(17, dtype=torch.float64))


def test_upsampled_l2_terms_give_the_full_resolution_loss_and_gradient():
    torch.manual_seed(0)
    s = torch.randn(3, 1, 4, 6, dtype=torch.float64, requires_grad=True)
    y = (torch.rand(3, 1, 61, 95, dtype=torch.float64) > 0.6).double()
    v = torch.rand(3, 1, 61, 95, dtype=torch.float64)
    up = F.interpolate(s, size=(61, 95), mode='bilinear',
                       align_corners=False)
    loss = (v * (up - y)**2).sum()
    grad, = torch.autograd.grad(loss, s)
    stencil, b, c = upsampled_l2_terms(y, v, (4, 6))
    with torch.no_grad():
        a_s = apply_normal(stencil, s)
        mine = (s * a_s).sum() - 2 * (s * b).sum() + c.sum()
    assert torch.allclose(mine, loss.detach(), rtol=1e-12)
    assert torch.allclose(2 * (a_s - b), grad, atol=1e-9)
