"""Minimising the profiled deviance over ``theta`` and the numerical derivatives used for
inference.

The optimiser is bounded (diagonal elements of each relative factor >= 0, as in lme4) and starts
where lme4 starts (``Lambda = I``). L-BFGS-B with central-difference gradients gets close; Newton
steps on the free coordinates with a central-difference Hessian then polish the optimum to the
precision the targets need (REML criterion within 1e-8 relative of a tightly converged lme4 fit).
Derivatives of the deviance in (theta, sigma) follow lmerTest (Kuznetsova, Brockhoff &
Christensen 2017): central differences with one Richardson extrapolation step.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize


def _grad(f, x, h):
    g = np.empty_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h[i]
        g[i] = (f(x + e) - f(x - e)) / (2 * h[i])
    return g


def hessian(f, x, h=None, richardson: bool = True) -> np.ndarray:
    """Central-difference Hessian, with one Richardson step (error O(h^4))."""
    x = np.asarray(x, float)
    if h is None:
        h = 3e-3 * np.maximum(np.abs(x), 0.05)
    f0 = f(x)

    def at(hh):
        k = len(x)
        H = np.zeros((k, k))
        fp, fm = np.empty(k), np.empty(k)
        for i in range(k):
            e = np.zeros(k)
            e[i] = hh[i]
            fp[i], fm[i] = f(x + e), f(x - e)
            H[i, i] = (fp[i] - 2 * f0 + fm[i]) / hh[i] ** 2
        for i in range(k):
            for j in range(i):
                ei = np.zeros(k)
                ej = np.zeros(k)
                ei[i], ej[j] = hh[i], hh[j]
                H[i, j] = H[j, i] = (
                    f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
                ) / (4 * hh[i] * hh[j])
        return H

    H1 = at(h)
    if not richardson:
        return H1
    H2 = at(h / 2)
    return (4 * H2 - H1) / 3


def jacobian(f, x, h=None) -> np.ndarray:
    """Central-difference Jacobian of an array-valued ``f`` with one Richardson step;
    shape (len(x), *f(x).shape)."""
    x = np.asarray(x, float)
    if h is None:
        h = 3e-3 * np.maximum(np.abs(x), 0.05)
    out = []
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h[i]
        d1 = (f(x + e) - f(x - e)) / (2 * h[i])
        d2 = (f(x + e / 2) - f(x - e / 2)) / h[i]
        out.append((4 * d2 - d1) / 3)
    return np.array(out)


def minimise(f, start: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Minimise ``f`` subject to ``x >= lower``; returns (x, f(x), converged)."""
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    res = optimize.minimize(
        f,
        start,
        method="L-BFGS-B",
        jac="2-point",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000, "maxcor": 20},
    )
    x, fx = np.asarray(res.x, float), float(res.fun)
    ok = bool(res.success) or "ABNORMAL" in str(res.message).upper()
    x, fx = _polish(f, x, fx, lower)
    escaped = _off_the_bound(f, x, fx, lower)
    if escaped is not None:
        return minimise(f, escaped, lower)
    return x, fx, ok and np.isfinite(fx)


def _off_the_bound(f, x, fx, lower):
    """A point off the bounds with a lower deviance than ``x``, or None.

    The profiled deviance is even in a diagonal element of theta, so its gradient there is 0
    at the bound theta = 0 even when the bound is a local maximum. A first L-BFGS-B step that
    lands on the bound then stops there (a random-intercept variance reported as 0 where lme4
    finds a clearly positive one); probing a few steps inward finds the way down.
    """
    at_bound = np.flatnonzero(np.isfinite(lower) & ((x - lower) <= 1e-10))
    best, best_f = None, fx - 1e-10 * max(1.0, abs(fx))
    for i in at_bound:
        for step in (1e-3, 1e-2, 1e-1, 0.5):
            z = x.copy()
            z[i] = lower[i] + step
            fz = f(z)
            if np.isfinite(fz) and fz < best_f:
                best, best_f = z, fz
    return best


def _grad_hess(f, x, h, f0):
    """Central gradient and a cheap Hessian (central diagonal, one-sided cross terms) from
    1 + 2k + k(k-1)/2 evaluations: enough for Newton steps near the optimum."""
    k = len(x)
    fp, fm = np.empty(k), np.empty(k)
    for i in range(k):
        e = np.zeros(k)
        e[i] = h[i]
        fp[i], fm[i] = f(x + e), f(x - e)
    g = (fp - fm) / (2 * h)
    H = np.diag((fp - 2 * f0 + fm) / h**2)
    for i in range(k):
        for j in range(i):
            e = np.zeros(k)
            e[i], e[j] = h[i], h[j]
            H[i, j] = H[j, i] = (f(x + e) - fp[i] - fp[j] + f0) / (h[i] * h[j])
    return g, H


def _polish(f, x, fx, lower, iters: int = 6):
    """Newton steps on the coordinates off their bounds (finite differences)."""
    for _ in range(iters):
        h = 1e-4 * np.maximum(np.abs(x), 0.05)
        at_bound = (x - lower) <= 1e-10
        g, H = _grad_hess(f, x, h, fx)
        # a coordinate on its bound stays there unless the deviance falls into the interior
        free = ~at_bound | (g < 0)
        if not free.any():
            break
        idx = np.flatnonzero(free)
        try:
            step = -np.linalg.solve(H[np.ix_(idx, idx)], g[idx])
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or g[idx] @ step >= 0:
            break
        improved = False
        t = 1.0
        for _ in range(20):
            z = x.copy()
            z[idx] = np.maximum(x[idx] + t * step, lower[idx])
            fz = f(z)
            if fz < fx:
                improved = fx - fz > 1e-14 * max(1.0, abs(fx))
                x, fx = z, fz
                break
            t /= 2
        if not improved or np.max(np.abs(t * step)) < 1e-9:
            break
    return x, fx


def satterthwaite_derivatives(eng, theta: np.ndarray, sigma: float):
    """Hessian of the deviance in (theta, sigma) and the Jacobian of the fixed-effect covariance
    ``sigma^2 U(theta)``, as lmerTest needs them, from one set of evaluations.

    With ``dev = a(theta) + r2(theta) / sigma^2 + nu log(2 pi sigma^2)`` the sigma parts are
    analytic; the theta parts are central differences of ``a``, ``r2`` and ``U`` with one
    Richardson step (the same evaluations serve all three). Returns (H, dcov).
    """
    k = len(theta)
    nu = eng.n - eng.p if eng.reml else eng.n
    a0, r0, U0 = eng.state(theta)
    h = 3e-3 * np.maximum(np.abs(theta), 0.05)

    def derivs(hh):
        Ha, Hr = np.zeros((k, k)), np.zeros((k, k))
        gr = np.zeros(k)
        dU = np.zeros((k, *U0.shape))
        plus, minus = [], []
        for i in range(k):
            e = np.zeros(k)
            e[i] = hh[i]
            plus.append(eng.state(theta + e))
            minus.append(eng.state(theta - e))
            Ha[i, i] = (plus[i][0] - 2 * a0 + minus[i][0]) / hh[i] ** 2
            Hr[i, i] = (plus[i][1] - 2 * r0 + minus[i][1]) / hh[i] ** 2
            gr[i] = (plus[i][1] - minus[i][1]) / (2 * hh[i])
            dU[i] = (plus[i][2] - minus[i][2]) / (2 * hh[i])
        for i in range(k):
            for j in range(i):
                vals = []
                for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                    e = np.zeros(k)
                    e[i], e[j] = si * hh[i], sj * hh[j]
                    vals.append(eng.state(theta + e)[:2])
                vals = np.array(vals)
                cross = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * hh[i] * hh[j])
                Ha[i, j] = Ha[j, i] = cross[0]
                Hr[i, j] = Hr[j, i] = cross[1]
        return Ha, Hr, gr, dU

    d1, d2 = derivs(h), derivs(h / 2)
    Ha, Hr, gr, dU = ((4 * b - a) / 3 for a, b in zip(d1, d2))
    s2 = sigma * sigma
    H = np.zeros((k + 1, k + 1))
    H[:k, :k] = Ha + Hr / s2
    H[:k, k] = H[k, :k] = -2 * gr / sigma**3
    H[k, k] = 6 * r0 / s2**2 - 2 * nu / s2
    dcov = np.concatenate([s2 * dU, (2 * sigma * U0)[None]], axis=0)
    return H, dcov
