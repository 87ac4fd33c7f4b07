"""Minimising the profiled deviance over ``theta`` and the numerical derivatives used for
inference.

The optimiser is bounded (diagonal elements of each relative factor >= 0, as in lme4) and starts
where lme4 starts (``Lambda = I``). L-BFGS-B with forward-difference gradients gets close; Newton
steps on the free coordinates with a central-difference Hessian then polish the optimum to the
precision the targets need (REML criterion within 1e-8 relative of a tightly converged lme4 fit).
:func:`minimise` checks the result and restarts from a bound or a failed check
(:mod:`.optimum`). Where the engine evaluates many points at once (:mod:`.batch`), the
difference quotients take one batched evaluation each.
Derivatives of the deviance in (theta, sigma) follow lmerTest (Kuznetsova, Brockhoff &
Christensen 2017): central differences with one Richardson extrapolation step.
"""

from __future__ import annotations

import numpy as np

from .optimum import optimise


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


def minimise(
    f, start: np.ndarray, lower: np.ndarray, fb=None
) -> tuple[np.ndarray, float, bool]:
    """Minimise ``f`` subject to ``x >= lower``; returns (x, f(x), converged).

    The optimum is checked and, from a bound or a suspect point, re-optimised from other starts
    (:func:`.optimum.optimise`, which also says which run won); ``converged`` means the checks
    passed.
    """
    opt = optimise(f, start, lower, fb=fb)
    return opt.x, opt.fun, opt.converged


def satterthwaite_derivatives(eng, theta: np.ndarray, sigma: float):
    """Hessian of the deviance in (theta, sigma) and the Jacobian of the fixed-effect covariance
    ``sigma^2 U(theta)``, as lmerTest needs them, from one set of evaluations.

    With ``dev = a(theta) + r2(theta) / sigma^2 + nu log(2 pi sigma^2)`` the sigma parts are
    analytic; the theta parts are central differences of ``a``, ``r2`` and ``U`` with one
    Richardson step (the same evaluations serve all three; evaluated at once where the engine
    offers it, :mod:`.batch`). Returns (H, dcov).
    """
    from .batch import state_many, supported

    k = len(theta)
    nu = eng.n - eng.p if eng.reml else eng.n
    h = 3e-3 * np.maximum(np.abs(theta), 0.05)
    pairs = [(i, j) for i in range(k) for j in range(i)]
    signs = ((1, 1), (1, -1), (-1, 1), (-1, -1))
    pts = [theta]
    for hh in (h, h / 2):
        E = np.diag(hh)
        pts += [*(theta + E), *(theta - E)]
        pts += [theta + si * E[i] + sj * E[j] for i, j in pairs for si, sj in signs]
    pts = np.array(pts)
    states = None
    if supported(eng):
        try:
            states = state_many(eng, pts)
        except ValueError:
            states = None
    if states is None:
        one = [eng.state(t) for t in pts]
        states = tuple(np.array([st[c] for st in one]) for c in range(3))
    A, R, U = states
    a0, r0, U0 = A[0], R[0], U[0]
    per = 2 * k + 4 * len(pairs)

    def derivs(hh, off):
        ap, am = A[off : off + k], A[off + k : off + 2 * k]
        rp, rm = R[off : off + k], R[off + k : off + 2 * k]
        Ha = np.diag((ap - 2 * a0 + am) / hh**2)
        Hr = np.diag((rp - 2 * r0 + rm) / hh**2)
        gr = (rp - rm) / (2 * hh)
        dU = (U[off : off + k] - U[off + k : off + 2 * k]) / (2 * hh)[:, None, None]
        base = off + 2 * k
        for n, (i, j) in enumerate(pairs):
            va = A[base + 4 * n : base + 4 * n + 4]
            vr = R[base + 4 * n : base + 4 * n + 4]
            d = 4 * hh[i] * hh[j]
            Ha[i, j] = Ha[j, i] = (va[0] - va[1] - va[2] + va[3]) / d
            Hr[i, j] = Hr[j, i] = (vr[0] - vr[1] - vr[2] + vr[3]) / d
        return Ha, Hr, gr, dU

    d1, d2 = derivs(h, 1), derivs(h / 2, 1 + per)
    Ha, Hr, gr, dU = ((4 * b - a) / 3 for a, b in zip(d1, d2))
    s2 = sigma * sigma
    H = np.zeros((k + 1, k + 1))
    H[:k, :k] = Ha + Hr / s2
    H[:k, k] = H[k, :k] = -2 * gr / sigma**3
    H[k, k] = 6 * r0 / s2**2 - 2 * nu / s2
    dcov = np.concatenate([s2 * dU, (2 * sigma * U0)[None]], axis=0)
    return H, dcov
