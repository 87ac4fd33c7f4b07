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
    pts = [theta]
    for hh in (h, h / 2):
        E = np.diag(hh)
        pts += [*(theta + E), *(theta - E)]
        # cross terms from the second difference along e_i + e_j (two points per pair)
        pts += [theta + s * (E[i] + E[j]) for i, j in pairs for s in (1, -1)]
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
    per = 2 * k + 2 * len(pairs)

    def derivs(hh, off):
        ap, am = A[off : off + k], A[off + k : off + 2 * k]
        rp, rm = R[off : off + k], R[off + k : off + 2 * k]
        Ha = np.diag((ap - 2 * a0 + am) / hh**2)
        Hr = np.diag((rp - 2 * r0 + rm) / hh**2)
        gr = (rp - rm) / (2 * hh)
        dU = (U[off : off + k] - U[off + k : off + 2 * k]) / (2 * hh)[:, None, None]
        base = off + 2 * k
        for n, (i, j) in enumerate(pairs):
            d = 2 * hh[i] * hh[j]
            for H, V, v0 in ((Ha, A, a0), (Hr, R, r0)):
                vp, vm = V[base + 2 * n], V[base + 2 * n + 1]
                along = (vp - 2 * v0 + vm) / d
                H[i, j] = H[j, i] = along - (hh[i] ** 2 * H[i, i] + hh[j] ** 2 * H[j, j]) / d
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
