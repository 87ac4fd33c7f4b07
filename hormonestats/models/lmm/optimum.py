"""Is it the optimum? Checks of a candidate minimum of the profiled deviance and restarts from
other starting values and another optimiser (in the spirit of lme4's ``allFit``) when a check
fails or the candidate lies on the boundary.

The checks are cheap, on the few covariance parameters only:

* off the bounds, a central-difference gradient and Hessian: the Newton decrement
  ``g' H^-1 g`` (twice the deviance a Newton step would still gain) must be negligible and the
  Hessian may have no clearly negative eigenvalue (no saddle, no maximum);
* on a bound (a diagonal element of a relative covariance factor at zero: a variance at zero
  or a correlation at +-1), one-sided probes into the interior, near and farther away, must not
  lower the deviance. A central difference cannot see this: the deviance is even in such a
  coordinate when the coordinates below it are zero, so its central derivative there is zero
  whatever the curvature.

A candidate that fails a check, or lies on a bound, is re-optimised from (a) the lower point a
probe found, (b) lme4's start with another optimiser (SLSQP) and (c) a smaller start with
L-BFGS-B; when the first run failed a check, or no run passes, also (d) from lme4's start with a
derivative-free optimiser (bounded Nelder-Mead, the costliest). The lowest deviance wins and is
checked again. ``converged`` is reported only when the winner passes the checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

BOUND_TOL = 1e-7  # a coordinate this close to its lower bound is on the bound
NEAR_BOUND = 1e-4  # ... and this close is probed from the interior (lme4's isSingular tol)
PROBES = (1e-3, 0.1)  # one-sided steps into the interior from a bound
FIRST = "L-BFGS-B from lme4's start (Lambda = I)"


@dataclass(frozen=True)
class OptimumCheck:
    """Result of :func:`check_optimum`.

    ``decrement`` is the Newton decrement on the coordinates off their bounds (deviance units),
    ``min_curvature`` the smallest Hessian eigenvalue there (relative to the largest),
    ``boundary`` the indices on a bound, ``lower_point`` a probe point with a lower deviance
    (or None) and ``problem`` the failed check in words ("" when all pass).
    """

    passed: bool
    decrement: float
    min_curvature: float
    boundary: tuple
    lower_point: np.ndarray | None
    problem: str


@dataclass(frozen=True)
class Optimum:
    """The best of the optimiser runs: ``x``, ``fun``, ``converged`` (checks passed),
    ``winner`` (which run found it), ``attempts`` ((label, deviance) of every run) and
    ``check`` (the checks at ``x``)."""

    x: np.ndarray
    fun: float
    converged: bool
    winner: str
    attempts: tuple
    check: OptimumCheck

    @property
    def restarted(self) -> bool:
        return len(self.attempts) > 1

    def describe(self, what: str = "deviance") -> str:
        """One sentence: which runs were made and which won."""
        if not self.restarted:
            text = f"{self.winner}; optimum checked (gradient and Hessian)"
        else:
            runs = "; ".join(f"{lab}: {val:.10g}" for lab, val in self.attempts)
            text = (
                f"{len(self.attempts)} optimiser runs ({runs}); the lowest {what} came from "
                f"{self.winner}"
            )
        if not self.converged:
            text += f"; checks failed: {self.check.problem}"
        return text


def _forward_gradient(fb):
    """``fun(x) -> (f(x), forward-difference gradient)`` from one batched evaluation of ``x``
    and its k forward steps (the steps scipy's "2-point" scheme takes)."""
    eps = np.sqrt(np.finfo(float).eps)

    def fun(x):
        x = np.asarray(x, float)
        h = eps * np.maximum(1.0, np.abs(x))
        vals = fb(np.vstack([x, x + np.diag(h)]))
        if not np.isfinite(vals[0]):
            return np.inf, np.zeros_like(x)
        g = (vals[1:] - vals[0]) / h
        return float(vals[0]), np.where(np.isfinite(g), g, 0.0)

    return fun


def _lbfgsb(f, start: np.ndarray, lower: np.ndarray, fb=None) -> tuple[np.ndarray, float, bool]:
    """One L-BFGS-B run from ``start`` and Newton polishing; returns (x, f(x), success).
    ``fb`` evaluates ``f`` at the rows of a matrix at once (optional, faster)."""
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    res = optimize.minimize(
        f if fb is None else _forward_gradient(fb),
        start,
        method="L-BFGS-B",
        jac="2-point" if fb is None else True,
        bounds=bounds,
        options={"ftol": 1e-12, "gtol": 1e-6, "maxiter": 2000, "maxcor": 20},
    )
    x, fx = np.asarray(res.x, float), float(res.fun)
    ok = bool(res.success) or "ABNORMAL" in str(res.message).upper()
    x, fx = _polish(f, x, fx, lower, fb=fb)
    return x, fx, ok and np.isfinite(fx)


def fd_grad_hess(f, x, h, f0=None, fb=None, *, central_cross: bool = False):
    """Central-difference gradient and Hessian of ``f`` at ``x`` with steps ``h``.

    The diagonal is central. Cross terms are one-sided by default (1 + 2k + k(k-1)/2
    evaluations: enough for Newton steps near the optimum) or central with
    ``central_cross=True`` (two more evaluations per pair, for a Hessian that is itself
    reported). With ``fb`` (the function at the rows of a matrix) the one-sided points,
    ``x`` included, are evaluated at once. The GLMM engine uses the same function.
    """
    k = len(x)
    if fb is not None and not central_cross:
        pairs = [(i, j) for i in range(k) for j in range(i)]
        E = np.diag(h)
        pts = [x, *(x + E), *(x - E)] + [x + E[i] + E[j] for i, j in pairs]
        v = fb(np.array(pts))
        f0, fp, fm = v[0], v[1 : k + 1], v[k + 1 : 2 * k + 1]
        H = np.diag((fp - 2 * f0 + fm) / h**2)
        for (i, j), fij in zip(pairs, v[2 * k + 1 :]):
            H[i, j] = H[j, i] = (fij - fp[i] - fp[j] + f0) / (h[i] * h[j])
        return (fp - fm) / (2 * h), H
    f0 = f(x) if f0 is None else f0
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
            if central_cross:
                d = np.zeros(k)
                d[i], d[j] = h[i], -h[j]
                v = (f(x + e) - f(x + d) - f(x - d) + f(x - e)) / (4 * h[i] * h[j])
            else:
                v = (f(x + e) - fp[i] - fp[j] + f0) / (h[i] * h[j])
            H[i, j] = H[j, i] = v
    return g, H


def _polish(f, x, fx, lower, iters: int = 6, fb=None):
    """Newton steps on the coordinates off their bounds (finite differences)."""
    for _ in range(iters):
        h = 1e-4 * np.maximum(np.abs(x), 0.05)
        at_bound = (x - lower) <= 1e-10
        g, H = fd_grad_hess(f, x, h, fx, fb)
        # a coordinate on its bound stays there unless the deviance falls into the interior
        # (below rounding the gradient says nothing: the probes of check_optimum decide there)
        free = ~at_bound | (g < -1e-12 * max(1.0, abs(fx)) / h)
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
        for _ in range(12):
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



def _tol(fx: float) -> float:
    return 1e-10 * max(1.0, abs(fx))


def check_optimum(f, x, fx, lower, h_rel: float = 1e-4, fb=None) -> OptimumCheck:
    """Gradient, Hessian and boundary checks of ``x`` as a minimum of ``f`` over ``x >= lower``
    (costs ``1 + 2k + k(k-1)/2`` evaluations on the ``k`` free coordinates and two per
    coordinate on a bound)."""
    x = np.asarray(x, float)
    on_bound = np.isfinite(lower) & (x - lower <= BOUND_TOL)
    near = np.isfinite(lower) & (x - lower < NEAR_BOUND)
    problems, lower_point = [], None
    best = fx
    for i in np.flatnonzero(near):
        for d in PROBES:
            z = x.copy()
            z[i] = x[i] + d * max(1.0, float(np.max(np.abs(x))))
            fz = f(z)
            if fz < best - _tol(fx):
                best, lower_point = fz, z
    if lower_point is not None:
        problems.append(
            f"moving off the boundary lowers the deviance by {fx - best:.3g} (not a minimum)"
        )
    free = np.flatnonzero(~on_bound)
    decrement, min_curv = 0.0, 1.0
    if free.size:
        xf = x[free]
        h = h_rel * np.maximum(np.abs(xf), 0.05)

        def fsub(z):
            w = x.copy()
            w[free] = z
            return f(w)

        def fbsub(Z):
            W = np.repeat(x[None], len(Z), axis=0)
            W[:, free] = Z
            return fb(W)

        g, H = fd_grad_hess(fsub, xf, h, fx, None if fb is None else fbsub)
        w = np.linalg.eigvalsh((H + H.T) / 2)
        scale = max(float(np.max(np.abs(w))), 1e-12)
        min_curv = float(w[0] / scale)
        if not np.all(np.isfinite(g)) or not np.all(np.isfinite(w)):
            problems.append("the deviance is not finite next to the estimate")
            decrement = np.inf
        else:
            pos = w > 1e-8 * scale
            # rounding in the deviance (about 1e-13 relative) enters the difference quotients
            # divided by h^2: curvature below that is not told apart from zero
            noise = 1e-13 * max(1.0, abs(fx)) / float(np.min(h)) ** 2
            if w[0] < -max(1e-6 * scale, 10 * noise):
                problems.append(
                    f"the Hessian has a negative eigenvalue ({min_curv:.2g} of the largest): a "
                    "saddle point, not a minimum"
                )
            vals, vecs = np.linalg.eigh((H + H.T) / 2)
            proj = vecs.T @ g
            decrement = float(np.sum(proj[pos] ** 2 / vals[pos]))
            flat = float(np.max(np.abs(proj[~pos]))) if (~pos).any() else 0.0
            if decrement > 2e-9 * max(1.0, abs(fx)) or flat > 1e-3:
                problems.append(
                    f"the gradient is not zero (a Newton step would still lower the deviance "
                    f"by {decrement / 2:.2g})"
                )
    return OptimumCheck(
        passed=not problems,
        decrement=decrement,
        min_curvature=min_curv,
        boundary=tuple(int(i) for i in np.flatnonzero(near)),
        lower_point=lower_point,
        problem="; ".join(problems),
    )


def _nelder_mead(f, start, lower, fb=None):
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    res = optimize.minimize(
        f,
        start,
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-6, "fatol": 1e-9, "maxfev": 1000 * len(start), "adaptive": True},
    )
    x = np.maximum(np.asarray(res.x, float), lower)
    return _polish(f, x, float(f(x)), lower, fb=fb)


def _slsqp(f, start, lower, fb=None):
    """Sequential quadratic programming (another optimiser than L-BFGS-B), Newton polishing."""
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    res = optimize.minimize(
        f if fb is None else _forward_gradient(fb),
        start,
        method="SLSQP",
        jac=None if fb is None else True,
        bounds=bounds,
        options={"maxiter": 500, "ftol": 1e-9},
    )
    x = np.maximum(np.asarray(res.x, float), lower)
    return _polish(f, x, float(f(x)), lower, fb=fb)


def _restart(f, start, lower, fb, check, runs) -> None:
    """The restarts: from the lower point a probe found, another optimiser (SLSQP) and another
    start (L-BFGS-B from Lambda = 0.1 I); when the first run failed a check, or no run passes,
    also the derivative-free bounded Nelder-Mead (the costliest)."""
    plans = []
    if check.lower_point is not None:
        plans.append(("L-BFGS-B from the lower point off the boundary", check.lower_point))
    plans.append(("SLSQP from lme4's start", "slsqp"))
    plans.append(("L-BFGS-B from Lambda = 0.1 I", np.where(lower == 0.0, 0.1, 0.0)))
    nm = ("bounded Nelder-Mead from lme4's start", "nm")
    if not check.passed:
        plans.append(nm)
    for label, how in plans:
        if isinstance(how, str):
            xr, fr = (_slsqp if how == "slsqp" else _nelder_mead)(f, start, lower, fb)
            okr = bool(np.isfinite(fr))
        else:
            xr, fr, okr = _lbfgsb(f, how, lower, fb)
        runs.append((label, xr, fr, okr, None))
    if check.passed:
        best = min(runs, key=lambda r: r[2])
        if not check_optimum(f, best[1], best[2], lower, fb=fb).passed:
            xr, fr = _nelder_mead(f, start, lower, fb)
            runs.append((nm[0], xr, fr, bool(np.isfinite(fr)), None))


def optimise(f, start, lower, *, restart: bool = True, fb=None) -> Optimum:
    """Minimise ``f`` over ``x >= lower`` from ``start`` (L-BFGS-B, then Newton polishing), check
    the result and, when a check fails or the result is on a bound, restart and keep the best.
    ``fb``, optional, evaluates ``f`` at the rows of a matrix at once (faster derivatives).
    """
    start = np.asarray(start, float)
    lower = np.asarray(lower, float)
    x, fx, ok = _lbfgsb(f, start, lower, fb)
    check = check_optimum(f, x, fx, lower, fb=fb)
    runs = [(FIRST, x, fx, ok, check)]
    if restart and (not check.passed or check.boundary):
        _restart(f, start, lower, fb, check, runs)
        low = min(r[2] for r in runs)
        # the earliest run within rounding of the lowest deviance wins
        label, x, fx, ok, check = next(r for r in runs if r[2] - low <= _tol(low))
        if check is None:
            check = check_optimum(f, x, fx, lower, fb=fb)
    winner = label if len(runs) > 1 else FIRST
    attempts = tuple((r[0], r[2]) for r in runs)
    converged = bool(ok and np.isfinite(fx) and check.passed)
    return Optimum(x, float(fx), converged, winner, attempts, check)
