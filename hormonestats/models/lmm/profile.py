"""Profile-likelihood intervals for the standard deviations of a mixed model's random
intercepts and of the residual, as ``lme4::confint(fit, method = "profile")`` defines them
(Bates, Maechler, Bolker & Walker 2015, section 5.1).

The model is refitted by maximum likelihood (as lme4's profile does, also for REML fits). With
standard deviations ``s_1..s_m`` of scalar random terms and residual ``sigma``, the deviance with
the fixed effects profiled out is

    D(s, sigma) = ldL2(theta) + r2(theta) / sigma^2 + n log(2 pi sigma^2),  theta_i = s_i / sigma,

from the engine's penalised least squares pieces. For each parameter, fixed at a value, the
others are re-optimised; the signed square root ``zeta`` of the deviance increase is solved for
``+-z_{1 - alpha/2}`` by root finding (lme4 interpolates a spline through profile points; the
two agree to that spline's accuracy). A lower limit that the profile never reaches before zero
is 0. Only models whose random terms are all scalar (random intercepts, possibly several
grouping factors) are profiled here; random slopes and correlations are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ...errors import ModelError
from .pls import PLSDeviance

LOG2PI = float(np.log(2 * np.pi))


class _Profile:
    """ML deviance in (log s_1..s_m, log sigma) and its profiles."""

    def __init__(self, y, X, blocks):
        if any(b.q != 1 for b in blocks):
            raise ModelError(
                "profile intervals are offered for random intercepts only (every random term "
                "scalar, e.g. (1 | id) + (1 | plate)); this model has random slopes."
            )
        self.eng = PLSDeviance(np.asarray(y, float), np.asarray(X, float), list(blocks),
                               reml=False)
        self.n = len(y)
        self.m = len(blocks)

    def dev(self, s: np.ndarray, sigma: float) -> float:
        ldL2, _, r2, _ = self.eng.pieces(np.asarray(s, float) / sigma)
        return float(ldL2 + r2 / sigma**2 + self.n * (LOG2PI + 2 * np.log(sigma)))

    def dev_theta(self, theta: np.ndarray) -> float:
        """Deviance profiled over sigma (sigma^2 = r2 / n)."""
        ldL2, _, r2, _ = self.eng.pieces(np.asarray(theta, float))
        return float(ldL2 + self.n * (1 + LOG2PI + np.log(r2 / self.n)))

    def fit(self):
        """ML optimum: (s, sigma, deviance)."""
        m = self.m
        best = None
        for start in (np.ones(m), np.full(m, 0.3), np.full(m, 3.0)):
            res = optimize.minimize(self.dev_theta, start, method="L-BFGS-B",
                                    bounds=[(0, None)] * m, options={"ftol": 1e-15,
                                                                     "gtol": 1e-10})
            if best is None or res.fun < best.fun:
                best = res
        theta = best.x
        sigma = float(np.sqrt(self.eng.pieces(theta)[2] / self.n))
        return theta * sigma, sigma, self.dev(theta * sigma, sigma)

    def profile_dev(self, which: int, value: float, s0, sigma0) -> float:
        """Minimum deviance with parameter ``which`` (0..m-1: s_which; m: sigma) at ``value``."""
        m = self.m
        if m == 1:  # one nuisance parameter: a bracketed scalar minimisation
            if which == 1:
                def g(t):
                    return self.dev(np.array([t * sigma0]), value)
            else:
                def g(t):
                    return self.dev(np.array([value]), sigma0 * np.exp(t))
            res = optimize.minimize_scalar(g, bracket=(-0.5, 0.5) if which == 0 else (0.5, 1.5),
                                           tol=1e-12)
            at_zero = g(0.0) if which == 1 else np.inf
            return float(min(res.fun, at_zero))
        if which == m:  # sigma fixed: optimise the s over [0, inf)
            def f(s):
                return self.dev(s, value)
            x0, bounds = np.asarray(s0, float), [(0, None)] * m
        else:
            others = [i for i in range(m) if i != which]

            def f(z):
                s = np.empty(m)
                s[which] = value
                s[others] = z[:-1]
                return self.dev(s, np.exp(z[-1]))
            x0 = np.r_[np.asarray(s0, float)[others], np.log(sigma0)]
            bounds = [(0, None)] * (m - 1) + [(None, None)]
        res = optimize.minimize(f, x0, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000})
        res2 = optimize.minimize(f, res.x, method="Nelder-Mead",
                                 options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
        return float(min(res.fun, res2.fun))


def profile_intervals(y, X, blocks, names, conf_level: float = 0.95) -> pd.DataFrame:
    """``parameter, estimate, conf_low, conf_high`` (ML estimates and profile limits) of every
    random-intercept SD (``sd_(Intercept)|<group>``) and of the residual SD (``sigma``)."""
    pr = _Profile(y, X, blocks)
    s_hat, sig_hat, d_min = pr.fit()
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    m = pr.m
    est = np.r_[s_hat, sig_hat]
    rows = []
    for k in range(m + 1):
        x_hat = est[k]

        def zeta(x, k=k, x_hat=x_hat):
            d = pr.profile_dev(k, x, s_hat, sig_hat) - d_min
            return np.sign(x - x_hat) * np.sqrt(max(d, 0.0))

        lims = []
        for sign in (-1, 1):
            target = sign * z
            if sign < 0:
                lo = 0.0 if k < m else x_hat * 1e-3
                if zeta(lo) > target:  # the profile stays above -z down to the boundary
                    lims.append(0.0 if k < m else np.nan)
                    continue
                a, b = lo, x_hat
            else:
                step = max(x_hat, 1e-3 * sig_hat)
                b = x_hat + step
                while zeta(b) < target:
                    b += step
                    step *= 2
                a = x_hat
            lims.append(optimize.brentq(lambda x, t=target: zeta(x) - t, a, b, xtol=1e-10,
                                        rtol=1e-12))
        rows.append((names[k], float(x_hat), lims[0], lims[1]))
    return pd.DataFrame(rows, columns=["parameter", "estimate", "conf_low", "conf_high"])


def profile_table(lmm, frame: pd.DataFrame, formula: str, conf_level: float = 0.95):
    """:func:`profile_intervals` of a fitted model (its analysed rows and formula)."""
    from .design import random_blocks
    from .formula import parse_formula

    spec = parse_formula(formula)
    if lmm.design is None:
        raise ModelError("profile intervals need a model fitted from a formula or the keywords")
    X = lmm.design.matrix(frame)
    blocks = random_blocks(frame, spec, lmm.design.levels)
    names = [f"sd_(Intercept)|{b.group}" for b in blocks] + ["sigma"]
    y = frame[spec.response].astype(float).to_numpy()
    return profile_intervals(y, X, blocks, names, conf_level)
