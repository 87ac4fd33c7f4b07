"""Maximum likelihood for the censored mixed model: starting values, BFGS on central-difference
gradients, Newton polishing on the finite-difference Hessian, and the covariance of the
estimates (the inverse of the negative Hessian of the marginal log-likelihood)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from threadpoolctl import threadpool_limits

from ...errors import ModelError
from ..lmm.optimum import fd_grad_hess
from .likelihood import CensoredSystem

__all__ = ["CensoredFit", "maximise", "start_values"]


@dataclass(frozen=True)
class CensoredFit:
    """The optimum: parameters, their covariance, log-likelihood, gradient and convergence."""

    theta: np.ndarray
    cov: np.ndarray
    loglik: float
    gradient: np.ndarray
    converged: bool
    n_evaluations: int
    message: str
    boundary: tuple = ()


def start_values(system: CensoredSystem) -> np.ndarray:
    """Ordinary least squares on the readings (censored ones at their limit), the residual
    SD within groups, and random-effect SDs from the spread of group mean residuals."""
    lo, hi = system.lo, system.hi
    y = np.where(np.isfinite(lo), lo, hi)
    y = np.where(np.isfinite(lo) & np.isfinite(hi), (lo + hi) / 2, y)
    beta, *_ = np.linalg.lstsq(system.X, y, rcond=None)
    r = y - system.X @ beta
    n_g = np.bincount(system.codes, minlength=system.g)
    gmean = np.bincount(system.codes, r, minlength=system.g) / np.maximum(n_g, 1)
    within = r - gmean[system.codes]
    sigma = max(float(np.std(within)), 1e-3 * max(float(np.std(y)), 1e-8))
    tau = max(float(np.std(gmean)), 0.1 * sigma)
    q = system.q
    diag = np.full(q, np.log(tau))
    for k in range(1, q):
        sd = float(np.std(system.Z[:, k]))
        diag[k] = np.log(0.3 * sigma / sd) if sd > 0 else np.log(0.3 * sigma)
    if q >= 1 and np.allclose(system.Z[:, 0], 1.0):
        diag[0] = np.log(tau)
    return np.concatenate([beta, [np.log(sigma)], diag, np.zeros(q * (q - 1) // 2)])


def _steps(theta):
    return 1e-4 * np.maximum(1.0, np.abs(theta))


def _newton(f, theta, f0, free, iters: int = 6):
    """Newton steps on the ``free`` coordinates (finite-difference Hessian, step halving)."""
    for _ in range(iters):
        sub = theta[free]

        def fs(v, _t=theta):
            full = _t.copy()
            full[free] = v
            return f(full)

        g, H = fd_grad_hess(fs, sub, _steps(sub), f0=f0)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-3:
            new = theta.copy()
            new[free] = sub - t * step
            fn = f(new)
            if fn <= f0 + 1e-10:
                break
            t *= 0.5
        else:
            break
        theta, f0 = new, fn
        if np.max(np.abs(t * step)) < 1e-9:
            break
    return theta, f0


def _forward_gradient(f, x, rel: float = 1e-7):
    """Forward differences (the Newton steps that follow give the last digits)."""
    h = rel * np.maximum(1.0, np.abs(x))
    f0 = f(x)
    out = np.empty_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h[i]
        out[i] = (f(x + e) - f0) / h[i]
    return out


def maximise(system: CensoredSystem, start=None, *, gtol: float = 1e-6) -> CensoredFit:
    """Maximise the marginal log-likelihood with one BLAS thread (the arrays are small; more
    threads only contend); see :func:`_maximise`."""
    with threadpool_limits(1):
        return _maximise(system, start, gtol=gtol)


def _maximise(system: CensoredSystem, start=None, *, gtol: float = 1e-6) -> CensoredFit:
    """Maximise the marginal log-likelihood of ``system``; refuse a non-finite optimum.

    L-BFGS-B on forward-difference gradients over ``(beta, log sigma, diag L, off-diagonal
    L)`` with each diagonal element of ``L`` at or above zero (a variance at zero is a
    boundary, as in lme4's parameterisation), then Newton steps on the log-diagonal scale for
    the parameters off that boundary; the covariance is the inverse of their central-difference
    Hessian (NaN for parameters on the boundary, whose SD is reported as 0)."""
    theta0 = start_values(system) if start is None else np.asarray(start, float)
    count = [0]
    p, q = system.p, system.q
    diag = slice(p + 1, p + 1 + q)

    def negll(t):
        count[0] += 1
        with np.errstate(all="ignore"):
            v = system.loglik(t)
        return -v if np.isfinite(v) else 1e300

    def to_theta(x):
        t = np.array(x, float)
        with np.errstate(divide="ignore"):
            t[diag] = np.log(np.abs(t[diag]))
        return t

    def f_nat(x):
        return negll(to_theta(x))

    if negll(theta0) >= 1e300:
        raise ModelError("the log-likelihood is not finite at the starting values; check the "
                         "limits and readings")
    x0 = theta0.copy()
    x0[diag] = np.exp(theta0[diag])
    bounds = [(None, None)] * (p + 1) + [(0.0, None)] * q + [(None, None)] * (
        len(theta0) - p - 1 - q)
    res = optimize.minimize(f_nat, x0, jac=lambda x: _forward_gradient(f_nat, x),
                            method="L-BFGS-B", bounds=bounds,
                            options={"gtol": gtol, "maxiter": 500, "ftol": 1e-12})
    theta = to_theta(res.x)
    boundary = boundary_params(system, theta)
    theta[boundary] = -np.inf  # an SD of exactly zero
    free = np.setdiff1d(np.arange(len(theta)), boundary)
    f0 = negll(theta)
    theta, f0 = _newton(negll, theta, f0, free)

    def f_free(v):
        t = theta.copy()
        t[free] = v
        return negll(t)

    g, H = fd_grad_hess(f_free, theta[free], _steps(theta[free]), f0=f0, central_cross=True)
    cov = np.full((len(theta), len(theta)), np.nan)
    try:
        cov[np.ix_(free, free)] = np.linalg.inv((H + H.T) / 2)
    except np.linalg.LinAlgError:
        pass
    gradient = np.full(len(theta), np.nan)
    gradient[free] = -g
    ok = bool(np.all(np.isfinite(theta[free])) and np.max(np.abs(g)) < 1e-3
              and np.all(np.diag(cov)[free] > 0))
    return CensoredFit(theta=theta, cov=cov, loglik=float(-f0), gradient=gradient,
                       converged=ok, n_evaluations=count[0], message=str(res.message),
                       boundary=tuple(int(i) for i in boundary))


def boundary_params(system: CensoredSystem, theta) -> np.ndarray:
    """Indices of the diagonal elements of ``L`` below 1e-4 of the residual SD: a variance
    (or the part of it not explained by the correlation) at zero."""
    p, q = system.p, system.q
    diag = np.exp(theta[p + 1: p + 1 + q])
    return p + 1 + np.flatnonzero(diag < 1e-4 * np.exp(theta[p]))
