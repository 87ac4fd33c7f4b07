"""Profile-likelihood intervals for the fixed effects of a generalized mixed model (where Wald
intervals mislead: few clusters, probabilities near 0 or 1, separation).

The profile deviance of ``beta_j`` fixes it (its column moves into the offset) and minimises the
deviance over everything else; the interval holds the values whose profile deviance lies within
``chi2_1(conf_level)`` of the minimum (Venzon & Moolgavkar 1988; lme4's
``confint(method = "profile")``).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from ...errors import ModelError
from .fit import Objective, newton
from .pirls import PenalisedSystem


def profile_deviance(system: PenalisedSystem, fit, j: int, value: float) -> float:
    """Minimum deviance with ``beta_j`` held at ``value``."""
    keep = [i for i in range(system.p) if i != j]
    sub = PenalisedSystem(system.y, system.X[:, keep], system.blocks, system.family,
                          system.trials, system.offset + value * system.X[:, j])
    obj = Objective(sub, fit.n_agq)
    obj.beta = fit.beta[keep].copy()
    x0 = np.concatenate([np.maximum(fit.theta, 1e-3 * np.isfinite(sub.lower)),
                         obj.gamma_of(fit.beta[keep])])
    lower = np.concatenate([sub.lower, np.full(len(keep), -np.inf)])
    return float(newton(obj, x0, lower)[1])


def profile_interval(system, fit, j: int, conf_level: float = 0.95) -> tuple[float, float]:
    """(lower, upper) profile-likelihood limits of fixed effect ``j``; an infinite limit where
    the profile never reaches the cut-off (separation)."""
    cut = fit.deviance + stats.chi2.ppf(conf_level, 1)
    est, se = float(fit.beta[j]), float(fit.se[j])
    if not np.isfinite(se) or se <= 0:
        raise ModelError("profile intervals need a finite standard error to start from")

    def excess(v):
        return profile_deviance(system, fit, j, v) - cut

    out = []
    with threadpool_limits(1):
        for sign in (-1.0, 1.0):
            step, inner, limit = 2.0 * se, est, np.nan
            for _ in range(8):
                outer = est + sign * step
                if excess(outer) > 0:
                    limit = optimize.brentq(excess, min(inner, outer), max(inner, outer),
                                            xtol=1e-6 * se, rtol=1e-10)
                    break
                inner, step = outer, step * 2
            out.append(limit if np.isfinite(limit) else sign * np.inf)
    return out[0], out[1]
