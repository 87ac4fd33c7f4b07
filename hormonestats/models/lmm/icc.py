"""The intraclass correlation of the unconditional random-intercept model (the ICC every mixed
result reports)."""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .pls import LOG2PI


def null_icc(y: np.ndarray, codes: np.ndarray) -> tuple[float, float, float]:
    """ICC of the unconditional random-intercept model ``y ~ 1 + (1 | subject)`` by REML.

    Returns (icc, intercept variance, residual variance). One-dimensional minimisation of the
    profiled REML criterion over the relative SD ``theta = tau / sigma`` (lme4's
    parameterisation), mapped to ``t = theta / (1 + theta)`` in [0, 1). The criterion is the
    engine's (:mod:`.lmm.pls`) written out for this model: per level only ``n_g`` and the sum
    of ``y`` enter (``y`` centred first; REML with an intercept does not depend on its mean).
    """
    y = np.asarray(y, float)
    y = y - y.mean()
    codes = np.asarray(codes)
    n = len(y)
    ng = np.bincount(codes).astype(float)
    keep = ng > 0
    ng, sy = ng[keep], np.bincount(codes, weights=y)[keep]
    syy = float(y @ y)
    nmp = n - 1

    def pieces(theta):
        l2 = theta * theta
        a = l2 * ng + 1.0
        w = l2 / a
        m00 = n - w @ (ng * ng)
        m01 = -(w @ (ng * sy))
        m11 = syy - w @ (sy * sy)
        r2 = max(m11 - m01 * m01 / m00, 1e-300)
        return float(np.log(a).sum() + np.log(m00)), r2

    def dev(t):
        ld, r2 = pieces(t / (1 - t))
        return ld + nmp * (1.0 + LOG2PI + np.log(r2 / nmp))

    res = optimize.minimize_scalar(
        dev, bounds=(0.0, 1 - 1e-9), method="bounded", options={"xatol": 1e-10}
    )
    t = res.x if dev(res.x) <= dev(0.0) else 0.0
    theta = t / (1 - t)
    s2 = pieces(theta)[1] / nmp
    tau = float(theta**2 * s2)
    return tau / (tau + s2), tau, float(s2)
