"""Gauss-Newton with conjugate gradient for small least-squares problems.

FRTM-VOS (sec. 3.1, eq. 3) learns its target model online by minimising
``L(w) = ||r(w)||^2`` with Gauss-Newton: each step solves the normal
equations ``J^T J dw = -J^T r`` of the linearised residuals approximately with
a few conjugate-gradient iterations, then sets ``w <- w + dw``.

The conjugate-gradient recursion is the authors' (Polak-Ribiere with
``beta`` clamped at zero, a diagonal preconditioner, and a search direction
kept from one call to the next, its weight divided by a forgetting factor at
each new call): a :class:`CGState` carries it, so a target model that keeps
one state across its online updates behaves like the authors' optimiser.

A problem is given as a callable ``linearize(params) -> (loss, grad,
normal_op)`` (see :func:`gauss_newton_cg`), so the caller decides how to
evaluate ``J^T r`` and ``J^T J v`` cheaply; parameters are tuples of tensors
and inner products run over all their elements.
"""
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor

Tensors = Tuple[Tensor, ...]
NormalOp = Callable[[Tensors], Tensors]
LinearizeFn = Callable[[Tensors], Tuple[Tensor, Tensors, NormalOp]]


def _dot(a: Sequence[Tensor], b: Sequence[Tensor]) -> Tensor:
    """Inner product of two tuples of tensors (a 0-dim tensor)."""
    return sum((x * y).sum() for x, y in zip(a, b))


class CGState:
    """Conjugate-gradient memory kept between calls (the authors' ``p``,
    ``rho`` and previous residual).

    Args:
        forget_factor (float): The previous direction's ``rho`` is divided by
            this at the start of each call; 0 restarts CG every call. The
            authors use ``(1 - 0.1) ** 750``.
    """

    def __init__(self, forget_factor: float = 0.9**750):
        self.forget_factor = forget_factor
        self.reset()

    def reset(self) -> None:
        """Forget the search direction."""
        self.p: Optional[Tensors] = None
        self.rho: Optional[Tensor] = None
        self.r_prev: Optional[Tensors] = None


def conjugate_gradient(apply_a: NormalOp, b: Tensors, num_iters: int,
                       precond: Optional[Sequence[float]] = None,
                       state: Optional[CGState] = None) -> Tensors:
    """Approximately solve ``A x = b`` from ``x = 0`` (A symmetric positive
    definite), Polak-Ribiere.

    Each iteration: ``z = M^-1 r``, ``rho = r.z``, ``beta = max(0, (rho -
    r_prev.z) / rho_prev)``, ``p = z + beta p``, ``alpha = rho / p.Ap``,
    ``x += alpha p``, ``r -= alpha Ap``. The first iteration with no previous
    direction takes ``p = z``. With a ``state`` the direction, ``rho`` and
    ``r_prev`` survive the call; the next call divides ``rho`` by the
    state's forgetting factor before its first iteration.

    Args:
        apply_a (callable): Maps a tuple of tensors (shaped like ``b``) to
            ``A`` applied to it.
        b (tuple[Tensor]): Right-hand side.
        num_iters (int): Number of CG iterations (0 returns zeros).
        precond (Sequence[float], optional): ``M``: one positive scalar per
            tensor of the tuple (the diagonal on that tensor).
        state (CGState, optional): Carried direction (default: a fresh one,
            i.e. plain preconditioned CG).

    Returns:
        tuple[Tensor]: The approximate solution, shaped like ``b``.
    """
    if precond is not None and len(precond) != len(b):
        raise ValueError(f'precond has {len(precond)} entries for '
                         f'{len(b)} parameter tensors')
    state = CGState(0.0) if state is None else state
    if state.forget_factor == 0:
        state.reset()
    elif state.p is not None:
        state.rho = state.rho / state.forget_factor
    x = tuple(torch.zeros_like(bi) for bi in b)
    r = tuple(bi.clone() for bi in b)
    for it in range(num_iters):
        z = r if precond is None else tuple(
            ri / m for ri, m in zip(r, precond))
        rho_prev, rho = state.rho, _dot(r, z)
        if state.p is None:
            p = z
        else:
            beta = ((rho - _dot(state.r_prev, z)) / rho_prev).clamp(min=0)
            p = tuple(zi + beta * pi for zi, pi in zip(z, state.p))
        q = apply_a(p)
        alpha = rho / _dot(p, q)
        state.p, state.rho, state.r_prev = p, rho, r
        x = tuple(xi + alpha * pi for xi, pi in zip(x, p))
        if it < num_iters - 1:
            r = tuple(ri - alpha * qi for ri, qi in zip(r, q))
    return x


class GaussNewtonResult(NamedTuple):
    """What :func:`gauss_newton_cg` returns.

    Attributes:
        params (tuple[Tensor]): The optimised parameters (detached).
        losses (list[float]): ``||r||^2`` before each Gauss-Newton step.
    """
    params: Tensors
    losses: List[float]


def gauss_newton_cg(linearize: LinearizeFn, params: Sequence[Tensor],
                    cg_iters: Sequence[int],
                    precond: Optional[Sequence[float]] = None,
                    state: Optional[CGState] = None) -> GaussNewtonResult:
    """Minimise a sum of squares by Gauss-Newton and CG.

    Each entry of ``cg_iters`` is one Gauss-Newton step running that many
    CG iterations on the normal equations ``J^T J dw = -J^T r`` of eq. 3,
    then ``w <- w + dw``. No graph is kept: the returned parameters are
    detached, so callers that train other networks around it (FRTM's offline
    training) get no gradient through the optimiser.

    Args:
        linearize (callable): ``linearize(params) -> (loss, grad,
            normal_op)``: ``||r||^2`` (0-dim), ``J^T r`` (shaped like
            ``params``) and ``v -> J^T J v`` at ``params``.
        params (Sequence[Tensor]): Starting point.
        cg_iters (Sequence[int]): CG iterations of each Gauss-Newton step.
        precond (Sequence[float], optional): Per-tensor diagonal
            preconditioner (see :func:`conjugate_gradient`).
        state (CGState, optional): CG direction carried across steps and
            calls (default: the authors' forgetting factor, fresh).

    Returns:
        GaussNewtonResult: parameters and the loss before each step.
    """
    params = tuple(p.detach() for p in params)
    state = CGState() if state is None else state
    losses: List[float] = []
    with torch.no_grad():
        for num_cg in cg_iters:
            loss, grad, normal_op = linearize(params)
            losses.append(float(loss))
            step = conjugate_gradient(normal_op, tuple(-g for g in grad),
                                      num_cg, precond, state)
            params = tuple(p + d for p, d in zip(params, step))
    return GaussNewtonResult(params, losses)
