"""Maximum likelihood for the censored mixed model: starting values, BFGS on central-difference
gradients, Newton polishing on the finite-difference Hessian, and the covariance of the
estimates (the inverse of the negative Hessian of the marginal log-likelihood)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

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


def maximise(system: CensoredSystem, start=None, *, gtol: float = 1e-6) -> CensoredFit:
    """Maximise the marginal log-likelihood of ``system``; refuse a non-finite optimum."""
    theta0 = start_values(system) if start is None else np.asarray(start, float)
    count = [0]

    def negll(t):
        count[0] += 1
        v = system.loglik(t)
        return -v if np.isfinite(v) else 1e300

    def grad(t):
        h = 1e-6 * np.maximum(1.0, np.abs(t))
        out = np.empty_like(t)
        for i in range(len(t)):
            e = np.zeros_like(t)
            e[i] = h[i]
            out[i] = (negll(t + e) - negll(t - e)) / (2 * h[i])
        return out

    if not np.isfinite(system.loglik(theta0)):
        raise ModelError("the log-likelihood is not finite at the starting values; check the "
                         "limits and readings")
    res = optimize.minimize(negll, theta0, jac=grad, method="BFGS",
                            options={"gtol": gtol, "maxiter": 500})
    theta, f0 = res.x, res.fun
    # Newton polishing: the finite-difference Hessian gives the last digits (and the SEs)
    for _ in range(6):
        g, H = fd_grad_hess(negll, theta, _steps(theta), f0=f0)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-3:
            new = theta - t * step
            fn = negll(new)
            if fn <= f0 + 1e-10:
                break
            t *= 0.5
        else:
            break
        theta, f0 = new, fn
        if np.max(np.abs(t * step)) < 1e-9:
            break
    g, H = fd_grad_hess(negll, theta, _steps(theta), f0=f0, central_cross=True)
    boundary = boundary_params(system, theta)
    keep = np.setdiff1d(np.arange(len(theta)), boundary)
    cov = np.full_like(H, np.nan)
    try:
        sub = H[np.ix_(keep, keep)]
        cov[np.ix_(keep, keep)] = np.linalg.inv((sub + sub.T) / 2)
    except np.linalg.LinAlgError:
        pass
    ok = bool(np.all(np.isfinite(theta)) and np.max(np.abs(g[keep])) < 1e-3
              and np.all(np.diag(cov)[keep] > 0))
    return CensoredFit(theta=theta, cov=cov, loglik=float(-f0), gradient=-g, converged=ok,
                       n_evaluations=count[0], message=str(res.message),
                       boundary=tuple(int(i) for i in boundary))


def boundary_params(system: CensoredSystem, theta) -> np.ndarray:
    """Indices of random-effect parameters at their boundary: a diagonal element of ``L``
    below 1e-4 of the residual SD (a variance, or the part of it not explained by the
    correlation, at zero), and the off-diagonal elements of its row."""
    p, q = system.p, system.q
    sigma = np.exp(theta[p])
    diag = np.exp(theta[p + 1: p + 1 + q])
    out = []
    rows, cols = np.tril_indices(q, -1)
    for i in np.flatnonzero(diag < 1e-4 * sigma):
        out.append(p + 1 + i)
        out.extend(p + 1 + q + np.flatnonzero(rows == i))
    return np.array(sorted(out), dtype=int)
