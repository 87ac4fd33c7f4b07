"""Profile-likelihood intervals of a mixed model's random-effect standard deviations and
correlations, the residual SD and the fixed effects, as ``lme4::confint(fit, method =
"profile")`` defines them (Bates, Maechler, Bolker & Walker 2015, section 5.1).

The model is refitted by maximum likelihood (as lme4's profile does, also for REML fits).

*Variance parameters.* Each random term ``t`` with ``q`` columns has SDs ``s_t1..s_tq`` and
correlations ``rho_t,rc``; with residual SD ``sigma`` its relative covariance factor is
``Lambda_t = diag(s_t / sigma) chol(R_t)`` (``R_t`` the correlation matrix), and the deviance
with the fixed effects profiled out is

    D(s, rho, sigma) = ldL2(theta) + r2(theta) / sigma^2 + n log(2 pi sigma^2)

from the engine's penalised least squares pieces (``theta`` the lower triangles of the
``Lambda_t``). These are the parameters, in this order, of lme4's ``devfun2`` and of its
``confint`` rows (``sd_<column>|<group>``, ``cor_<column>.<column>|<group>``, ``sigma``).

*Fixed effects.* With ``beta_j`` held at a value, ``beta_j x_j`` is an offset, the other
coefficients and ``sigma`` are profiled out by the engine and ``theta`` is re-optimised.

For each parameter, fixed at a value, the others are re-optimised (L-BFGS-B then Nelder-Mead);
the signed square root ``zeta`` of the deviance increase is solved for ``+-z_{1 - alpha/2}`` by
root finding (lme4 interpolates a spline through profile points; the two agree to that
spline's accuracy). A limit that the profile does not reach inside the parameter's range
(0 for an SD, -1 or 1 for a correlation) is that bound, as in lme4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from .pls import PLSDeviance

LOG2PI = float(np.log(2 * np.pi))
_TIGHT = {"ftol": 1e-12, "gtol": 1e-6, "maxiter": 2000}  # each profile point
_FIT = {"ftol": 1e-15, "gtol": 1e-10, "maxiter": 4000}  # the optimum itself
#: Which rows :func:`profile_intervals` returns: ``"all"``, ``"variance"`` or ``"fixed"``.
WHICH = ("all", "variance", "fixed")


def chol_psd(R: np.ndarray):
    """Lower Cholesky factor of a positive semi-definite matrix (zero pivots allowed, so a
    correlation of exactly +-1 has a factor); None when ``R`` is not semi-definite."""
    q = R.shape[0]
    L = np.zeros_like(R, dtype=float)
    for j in range(q):
        d = R[j, j] - L[j, :j] @ L[j, :j]
        if d < -1e-12:
            return None
        L[j, j] = np.sqrt(max(d, 0.0))
        for i in range(j + 1, q):
            off = R[i, j] - L[i, :j] @ L[j, :j]
            if L[j, j] > 0:
                L[i, j] = off / L[j, j]
            elif abs(off) > 1e-10:
                return None
    return L


def _term_label(name: str) -> str:
    return "(Intercept)" if name == "Intercept" else name


class _Profile:
    """ML deviance in the SDs, correlations and sigma, and its profiles."""

    def __init__(self, y, X, blocks):
        self.y, self.X, self.blocks = np.asarray(y, float), np.asarray(X, float), list(blocks)
        self.eng = PLSDeviance(self.y, self.X, self.blocks, reml=False)
        self.n = len(self.y)
        kinds, names, index = [], [], []
        for b in self.blocks:
            rows, cols = self.eng.tri[len(index)]
            index.append((rows, cols))
            for r, c in zip(rows, cols):
                lab = f"|{b.group}"
                if r == c:
                    kinds.append("sd")
                    names.append(f"sd_{_term_label(b.names[r])}{lab}")
                else:
                    kinds.append("cor")
                    names.append(f"cor_{_term_label(b.names[r])}.{_term_label(b.names[c])}{lab}")
        self.kinds = kinds + ["sigma"]
        self.names = names + ["sigma"]
        self.m = len(kinds)

    # -- parameterisation ------------------------------------------------------------------
    def theta_of(self, par: np.ndarray):
        """``theta`` of SDs, correlations and sigma (None outside the parameter space)."""
        sigma = par[-1]
        if sigma <= 0:
            return None
        out = np.empty(self.m)
        for b, (rows, cols), sl in zip(self.blocks, self.eng.tri, self.eng.theta_slices):
            vals = par[sl]
            if b.q == 1:
                if vals[0] < 0:
                    return None
                out[sl] = vals[0] / sigma
                continue
            diag = rows == cols
            s = vals[diag]
            if np.any(s < 0) or np.any(np.abs(vals[~diag]) > 1):
                return None
            R = np.eye(b.q)
            R[rows[~diag], cols[~diag]] = vals[~diag]
            R[cols[~diag], rows[~diag]] = vals[~diag]
            L = chol_psd(R)
            if L is None:
                return None
            out[sl] = (s[:, None] / sigma * L)[rows, cols]
        return out

    def par_of(self, theta: np.ndarray, sigma: float) -> np.ndarray:
        """SDs, correlations and sigma at ``theta`` (a correlation of a zero SD is 0)."""
        out = np.empty(self.m + 1)
        for lam, (rows, cols), sl in zip(self.eng.lambdas(theta), self.eng.tri,
                                         self.eng.theta_slices):
            cov = sigma**2 * lam @ lam.T
            sd = np.sqrt(np.diag(cov))
            vals = []
            for r, c in zip(rows, cols):
                if r == c:
                    vals.append(sd[r])
                else:
                    den = sd[r] * sd[c]
                    vals.append(cov[r, c] / den if den > 0 else 0.0)
            out[sl] = vals
        out[-1] = sigma
        return out

    def dev(self, par: np.ndarray) -> float:
        theta = self.theta_of(np.asarray(par, float))
        if theta is None:
            return np.inf
        pc = self.eng.pieces(theta)
        if pc is None:
            return np.inf
        ldL2, _, r2, _ = pc
        return float(ldL2 + r2 / par[-1] ** 2 + self.n * (LOG2PI + 2 * np.log(par[-1])))

    def fit(self, starts=()):
        """ML optimum over theta (sigma profiled): (parameters, deviance)."""
        eng = self.eng
        bounds = [(lo if np.isfinite(lo) else None, None) for lo in eng.lower]
        best = None
        tries = [np.asarray(s, float) for s in starts]
        tries += [np.where(eng.lower == 0, v, 0.0) for v in (1.0, 0.3, 3.0)][len(tries):]
        for start in tries:
            res = optimize.minimize(eng.profiled, start, method="L-BFGS-B", bounds=bounds,
                                    options=_FIT)
            if best is None or res.fun < best.fun:
                best = res
        polish = optimize.minimize(lambda t: eng.profiled(np.maximum(t, eng.lower)), best.x,
                                   method="Nelder-Mead",
                                   options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000})
        theta = np.maximum(polish.x, eng.lower) if polish.fun < best.fun else best.x
        sigma = float(np.sqrt(eng.pieces(theta)[2] / self.n))
        par = self.par_of(theta, sigma)
        return par, self.dev(par)

    def _bounds(self, k):
        lo = {"sd": 0.0, "cor": -1.0, "sigma": None}
        hi = {"sd": None, "cor": 1.0, "sigma": None}
        return [(lo[t], hi[t]) for i, t in enumerate(self.kinds) if i != k]

    def profile_dev(self, k: int, value: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        """Minimum deviance with parameter ``k`` held at ``value``; the optimum of the others
        (sigma on the log scale while optimised)."""
        others = [i for i in range(self.m + 1) if i != k]
        free_sigma = k != self.m

        def full(z):
            par = np.empty(self.m + 1)
            par[k] = value
            par[others] = z
            if free_sigma:
                par[-1] = np.exp(z[-1])
            return par

        def f(z):
            return self.dev(full(z))

        x0 = np.asarray(start, float)[others].copy()
        if free_sigma:
            x0[-1] = np.log(x0[-1])
        bounds = self._bounds(k)
        if free_sigma:
            bounds[-1] = (None, None)
        res = optimize.minimize(f, x0, method="L-BFGS-B", bounds=bounds, options=_TIGHT)
        return float(res.fun), full(res.x)

    def fixed_dev(self, j: int, value: float, theta0: np.ndarray) -> tuple[float, np.ndarray]:
        """Minimum ML deviance with fixed effect ``j`` held at ``value``. The penalised
        residual sum of squares is quadratic in ``beta`` with curvature ``RX' RX``, so holding
        ``beta_j`` adds ``(value - beta_j(theta))^2 / V_jj(theta)`` to it (``V`` the unscaled
        covariance): one factorisation per ``theta``, as an offset refit would give."""
        eng, n = self.eng, self.n

        def f(theta):
            pc = eng.pieces(theta)
            if pc is None:
                return np.inf
            ldL2, _, r2, _ = pc
            beta, lxx = eng.beta_and_rx(theta)
            col = linalg.solve_triangular(lxx, np.eye(lxx.shape[0])[:, j], lower=True)
            r2v = r2 + (value - beta[j]) ** 2 / float(col @ col)
            return float(ldL2 + n * (1.0 + LOG2PI + np.log(r2v / n)))

        bounds = [(lo if np.isfinite(lo) else None, None) for lo in eng.lower]
        res = optimize.minimize(f, theta0, method="L-BFGS-B", bounds=bounds, options=_TIGHT)
        return float(res.fun), res.x


def _solve_limits(zeta, est, lo, hi, se, z):
    """The two roots of ``zeta(x) = -+z`` around ``est`` inside ``[lo, hi]``. The first
    trial point is the quadratic approximation ``est -+ z se`` (clamped to the range); the
    profile is extrapolated linearly until it passes the target, then a safeguarded secant
    (Illinois) iteration solves it to ``|zeta - target| < 1e-8``. A bound that ``zeta`` does
    not reach is returned as the limit."""
    out = []
    for sign, bound in ((-1, lo), (1, hi)):
        target = sign * z
        a, fa = est, -target  # zeta(est) - target
        x = est + sign * z * se
        c = None
        for _ in range(60):
            if (x - bound) * sign >= 0:
                x = bound
            fx = zeta(x) - target
            if sign * fx >= 0:
                c, fc = x, fx
                break
            if x == bound:
                break
            slope = (fx - fa) / (x - a)
            a, fa = x, fx
            ahead = -fx / slope if slope * sign > 0 else 2 * (x - est)
            x = x + 1.2 * ahead + sign * 1e-6 * se
        if c is None:
            out.append(float(bound))
            continue
        tol = 1e-9 * max(abs(est), se)
        side = 0
        for _ in range(100):
            x = c - fc * (c - a) / (fc - fa)
            fx = zeta(x) - target
            if abs(fx) < 1e-8 or abs(c - a) < tol:
                break
            if fx * fc < 0:
                a, fa = c, fc
                side = 0
            else:
                side += 1
                if side > 1:
                    fa /= 2  # Illinois step: keep the bracket shrinking from both ends
            c, fc = x, fx
        out.append(float(x))
    return out


def _approx_se(f, x: np.ndarray, scale: float) -> np.ndarray:
    """Standard errors from the finite-difference Hessian of the deviance ``f`` (for first
    trial points only; a parameter at a bound or a Hessian not positive definite gets a
    tenth of ``scale``)."""
    h = 1e-4 * np.maximum(np.abs(x), scale * 1e-2)
    k = len(x)
    H = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i + 1):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            if i == j:
                H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
            else:
                H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                     + f(x - ei - ej)) / (4 * h[i] * h[j])
    with np.errstate(all="ignore"):
        try:
            se = np.sqrt(np.diag(np.linalg.inv(H / 2)))
        except np.linalg.LinAlgError:
            se = np.full(k, np.nan)
    return np.where(np.isfinite(se) & (se > 0), se, 0.1 * scale)


def profile_intervals(y, X, blocks, fixed_names, conf_level: float = 0.95, *,
                      which: str = "all", theta_start=None) -> pd.DataFrame:
    """``parameter, estimate, conf_low, conf_high``: ML estimates and profile limits of the
    random-effect SDs and correlations and sigma (lme4's names), then of the fixed effects
    (``fixed_names``); ``which`` selects ``"variance"`` or ``"fixed"`` rows only."""
    pr = _Profile(y, X, blocks)
    par_hat, d_min = pr.fit([] if theta_start is None else [theta_start])
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    rows = []
    if which in ("all", "variance"):
        se_all = _approx_se(pr.dev, par_hat, par_hat[-1])
        for k in range(pr.m + 1):
            x_hat, kind = par_hat[k], pr.kinds[k]
            warm = {"start": par_hat.copy()}

            def zeta(x, k=k, x_hat=x_hat, warm=warm):
                d, opt = pr.profile_dev(k, x, warm["start"])
                if np.all(np.isfinite(opt)):
                    warm["start"] = opt
                return np.sign(x - x_hat) * np.sqrt(max(d - d_min, 0.0))

            lo, hi = {"sd": (0.0, np.inf), "cor": (-1.0, 1.0),
                      "sigma": (x_hat * 1e-3, np.inf)}[kind]
            se = min(se_all[k], 0.5) if kind == "cor" else se_all[k]
            lims = _solve_limits(zeta, x_hat, lo, hi, se, z)
            if kind == "sigma" and lims[0] == lo:
                lims[0] = np.nan
            rows.append((pr.names[k], float(x_hat), lims[0], lims[1]))
    if which in ("all", "fixed"):
        theta_hat = pr.theta_of(par_hat)
        _, s2, beta, cov = pr.eng.estimates(theta_hat)
        for j, name in enumerate(fixed_names):
            warm = {"theta": theta_hat}

            def zeta(x, j=j, b_hat=beta[j], warm=warm):
                d, th = pr.fixed_dev(j, x, warm["theta"])
                warm["theta"] = th
                return np.sign(x - b_hat) * np.sqrt(max(d - d_min, 0.0))

            se = float(np.sqrt(s2 * cov[j, j]))
            lims = _solve_limits(zeta, beta[j], -np.inf, np.inf, se, z)
            rows.append((name, float(beta[j]), lims[0], lims[1]))
    return pd.DataFrame(rows, columns=["parameter", "estimate", "conf_low", "conf_high"])


def profile_table(lmm, frame: pd.DataFrame, formula: str, conf_level: float = 0.95,
                  which: str = "all"):
    """:func:`profile_intervals` of a fitted model (its analysed rows and formula)."""
    from ...errors import ModelError
    from .design import random_blocks
    from .formula import parse_formula

    if which not in WHICH:
        raise ModelError(f"which must be one of {', '.join(WHICH)}; got {which!r}")
    spec = parse_formula(formula)
    if lmm.design is None:
        raise ModelError("profile intervals need a model fitted from a formula or the keywords")
    X = lmm.design.matrix(frame)
    blocks = random_blocks(frame, spec, lmm.design.levels)
    y = frame[spec.response].astype(float).to_numpy()
    return profile_intervals(y, X, blocks, list(lmm.design.names), conf_level, which=which,
                             theta_start=np.asarray(lmm.theta, float))


def icc_interval(lmm, frame: pd.DataFrame, formula: str, conf_level: float = 0.95):
    """Profile-likelihood interval of a random-intercept model's adjusted ICC.

    ``tau00 / (tau00 + sigma^2) = theta^2 / (1 + theta^2)`` with ``theta = tau / sigma``, so
    the interval is the transformed profile interval of ``theta`` under the restricted
    likelihood the model was fitted with (REML criterion with sigma and the fixed effects
    profiled out, as the engine computes it): the ``theta`` where the criterion exceeds its
    minimum by ``z_{1 - alpha/2}^2``, 0 when the profile does not reach that before zero.
    Returns ``(icc, conf_low, conf_high)``.
    """
    from .design import random_blocks
    from .formula import parse_formula

    spec = parse_formula(formula)
    blocks = random_blocks(frame, spec, lmm.design.levels)
    eng = PLSDeviance(frame[spec.response].astype(float).to_numpy(),
                      lmm.design.matrix(frame), blocks, reml=lmm.reml)

    def crit(t):
        return eng.profiled(np.array([max(t, 0.0)]))

    t0 = float(np.asarray(lmm.theta, float)[0])
    best = optimize.minimize_scalar(crit, bounds=(0.0, 4 * t0 + 1.0), method="bounded",
                                    options={"xatol": 1e-12})
    t_hat, c_min = (best.x, best.fun) if best.fun <= crit(t0) else (t0, crit(t0))
    if crit(0.0) <= c_min:
        t_hat, c_min = 0.0, crit(0.0)
    z2 = float(stats.norm.ppf(1 - (1 - conf_level) / 2)) ** 2

    def g(t):
        return crit(t) - c_min - z2

    low = 0.0 if g(0.0) < 0 else optimize.brentq(g, 0.0, t_hat, xtol=1e-13, rtol=1e-13)
    b = 2 * t_hat + 1.0
    while g(b) < 0:
        b *= 2
    high = optimize.brentq(g, t_hat, b, xtol=1e-13, rtol=1e-13)

    def icc(t):
        return t * t / (1 + t * t)

    return icc(t_hat), icc(low), icc(high)
