"""Gauss-Newton with conjugate gradient for small least-squares problems.

FRTM-VOS (sec. 3.1, eq. 3) learns its target model online by minimising
``L(w) = ||r(w)||^2`` with Gauss-Newton: each step solves the normal
equations ``J^T J dw = -J^T r`` of the linearised residuals approximately with
a few conjugate-gradient iterations, then sets ``w <- w + dw``.

The Jacobian products come from autograd, so any residual function written
with differentiable torch operations works, on CPU and GPU, with no custom
kernels: ``J p`` is a forward-mode product (:func:`torch.func.jvp`) and
``J^T u`` a reverse-mode product (:func:`torch.func.vjp`, whose pull-back is
built once per Gauss-Newton step and reused by every CG iteration).

Parameters and residuals are tuples of tensors; inner products run over all
their elements.
"""
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor
from torch.func import jvp, vjp

Tensors = Tuple[Tensor, ...]
ResidualFn = Callable[..., Tensors]


def _dot(a: Sequence[Tensor], b: Sequence[Tensor]) -> Tensor:
    """Inner product of two tuples of tensors (a 0-dim tensor)."""
    return sum((x * y).sum() for x, y in zip(a, b))


def _axpy(alpha: Tensor, x: Sequence[Tensor],
          y: Sequence[Tensor]) -> Tensors:
    """``alpha * x + y`` element-wise over tuples."""
    return tuple(alpha * xi + yi for xi, yi in zip(x, y))


def conjugate_gradient(apply_a: Callable[[Tensors], Tensors], b: Tensors,
                       num_iters: int,
                       precond: Optional[Sequence[float]] = None,
                       tol: float = 0.0) -> Tensors:
    """Solve ``A x = b`` for a symmetric positive definite operator ``A``.

    Starts from ``x = 0``. With a preconditioner, ``precond[j]`` is a scalar
    approximating the diagonal of ``A`` on the j-th tensor of the tuple (the
    residual is divided by it before each search direction is formed).

    Args:
        apply_a (callable): Maps a tuple of tensors (shaped like ``b``) to
            ``A`` applied to it.
        b (tuple[Tensor]): Right-hand side.
        num_iters (int): Number of CG iterations (0 returns zeros).
        precond (Sequence[float], optional): One positive scalar per tensor.
        tol (float): Stop early when ``r^T z`` falls to ``tol`` or below.

    Returns:
        tuple[Tensor]: The approximate solution, shaped like ``b``.
    """
    if precond is not None and len(precond) != len(b):
        raise ValueError(f'precond has {len(precond)} entries for '
                         f'{len(b)} parameter tensors')
    x = tuple(torch.zeros_like(bi) for bi in b)
    r = tuple(bi.clone() for bi in b)

    def apply_m_inv(v: Tensors) -> Tensors:
        if precond is None:
            return v
        return tuple(vi / m for vi, m in zip(v, precond))

    z = apply_m_inv(r)
    p = z
    rz = _dot(r, z)
    for _ in range(num_iters):
        if rz.item() <= tol:
            break
        q = apply_a(p)
        pq = _dot(p, q)
        if pq.item() <= 0:  # p = 0 or A not positive definite: stop
            break
        alpha = rz / pq
        x = _axpy(alpha, p, x)
        r = _axpy(-alpha, q, r)
        z = apply_m_inv(r)
        rz_new = _dot(r, z)
        p = _axpy(rz_new / rz, p, z)
        rz = rz_new
    return x


class GaussNewtonResult(NamedTuple):
    """What :func:`gauss_newton_cg` returns.

    Attributes:
        params (tuple[Tensor]): The optimised parameters (detached).
        losses (list[float]): ``||r||^2`` before the first step and after
            each Gauss-Newton step (``len(cg_iters) + 1`` values).
    """
    params: Tensors
    losses: List[float]


def residual_loss(residuals: Sequence[Tensor]) -> Tensor:
    """Sum of squared residuals ``||r||^2`` over a tuple of tensors."""
    return sum(r.pow(2).sum() for r in residuals)


def gauss_newton_cg(residual_fn: ResidualFn, params: Sequence[Tensor],
                    cg_iters: Sequence[int],
                    precond: Optional[Sequence[float]] = None
                    ) -> GaussNewtonResult:
    """Minimise ``||residual_fn(*params)||^2`` by Gauss-Newton and CG.

    Each entry of ``cg_iters`` is one Gauss-Newton step running that many
    CG iterations on the normal equations ``J^T J dw = -J^T r`` of eq. 3.
    No graph is kept through the optimisation: the returned parameters are
    detached, so callers that train other networks around it (FRTM's
    offline training) get no gradient through the optimiser.

    Args:
        residual_fn (callable): ``residual_fn(*params) -> tuple[Tensor]``,
            differentiable in ``params`` with torch operations.
        params (Sequence[Tensor]): Starting point.
        cg_iters (Sequence[int]): CG iterations of each Gauss-Newton step.
        precond (Sequence[float], optional): Per-tensor diagonal
            preconditioner passed to :func:`conjugate_gradient`.

    Returns:
        GaussNewtonResult: parameters and the loss history.
    """
    params = tuple(p.detach() for p in params)
    losses: List[float] = []
    for num_cg in cg_iters:
        with torch.enable_grad():
            res, pull_back = vjp(residual_fn, *params)
        losses.append(residual_loss(res).item())
        neg_grad = tuple(-g for g in pull_back(res))  # -J^T r

        def normal_op(v: Tensors) -> Tensors:
            _, jv = jvp(residual_fn, params, tuple(v))  # J v
            return pull_back(jv)  # J^T J v

        step = conjugate_gradient(normal_op, neg_grad, num_cg, precond)
        params = tuple((p + d).detach() for p, d in zip(params, step))
    with torch.no_grad():
        losses.append(residual_loss(residual_fn(*params)).item())
    return GaussNewtonResult(params, losses)
