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
        jac="3-point",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000, "maxcor": 20},
    )
    x, fx = np.asarray(res.x, float), float(res.fun)
    ok = bool(res.success) or "ABNORMAL" in str(res.message).upper()
    x, fx = _polish(f, x, fx, lower)
    return x, fx, ok and np.isfinite(fx)


def _polish(f, x, fx, lower, iters: int = 8):
    """Newton steps on the coordinates off their bounds (central differences)."""
    for _ in range(iters):
        at_bound = (x - lower) <= 1e-10
        h = 1e-4 * np.maximum(np.abs(x), 0.05)
        # a coordinate on its bound stays there if the deviance rises into the interior
        g_full = _grad(f, np.where(at_bound, x + h, x), h)
        free = ~at_bound | (g_full < 0)
        if not free.any():
            break
        idx = np.flatnonzero(free)

        def fsub(z, x=x, idx=idx):
            xx = x.copy()
            xx[idx] = z
            return f(xx)

        z0 = x[idx]
        hz = h[idx]
        g = _grad(fsub, z0, hz)
        H = hessian(fsub, z0, hz, richardson=False)
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or g @ step >= 0:
            break
        improved = False
        t = 1.0
        for _ in range(20):
            z = np.maximum(z0 + t * step, lower[idx])
            fz = fsub(z)
            if fz < fx:
                x = x.copy()
                x[idx] = z
                improved = fx - fz > 1e-13 * max(1.0, abs(fx))
                fx = fz
                break
            t /= 2
        if not improved or np.max(np.abs(t * step)) < 1e-9:
            break
    return x, fx
