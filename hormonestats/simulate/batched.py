"""Batched tests for simulation-based power: many simulated data sets analysed at once.

A power simulation is a :class:`PowerSpec`: its ``draw(rng, n, size, alpha)`` simulates
``size`` data sets of ``n`` subjects and returns, per data set, the key estimate and whether
the test rejected, whether the confidence interval covered the truth and whether the fit was
valid. The helpers here do the shared part: stacked OLS t-tests (:func:`ols_tests`), the
per-simulation result record (:func:`result`) and the joint-significance test with the
Monte-Carlo interval of an indirect effect (:func:`mediation_result`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..models._bootstrap import batched_ols

__all__ = [
    "MAX_N",
    "MC_DRAWS",
    "ROWS_PER_BATCH",
    "PowerSpec",
    "mediation_result",
    "ols_tests",
    "result",
    "run_chunk",
    "scaled",
]

#: Monte-Carlo draws per simulation for the CI of an indirect effect.
MC_DRAWS = 1000

#: Simulated rows (subjects x data sets) drawn at once: a chunk of simulations is drawn in
#: batches of at most this many rows, so memory stays near 150 MB whatever n is asked (a
#: chunk of 100 data sets is one batch up to n = 10,000, so results there are unchanged).
ROWS_PER_BATCH = 1_000_000

#: The largest n one simulated data set is drawn at (one batch of one data set).
MAX_N = ROWS_PER_BATCH


@dataclass(frozen=True)
class PowerSpec:
    """One power simulation: its name, key term, true value and the batched draw."""

    name: str
    term: str
    true_value: float
    draw: Callable  # (rng, n, size, alpha) -> dict of arrays: est, reject, cover, valid
    options: Mapping = field(default_factory=dict)
    #: How a data set above :data:`MAX_N` is drawn in row chunks
    #: (:class:`~hormonestats.simulate.chunked.ChunkedFit`); None: not possible.
    chunked: object = None


def run_chunk(spec: PowerSpec, alpha: float, task: tuple[int, int], seed_seq) -> dict:
    """One chunk of a power run: ``task = (n, size)`` simulations drawn from ``seed_seq``
    (the unit :func:`hormonestats.parallel.map_tasks` sends to a worker; it lives here so a
    worker imports only numpy and scipy, not the driver's pandas)."""
    n, size = task
    if n > MAX_N:  # one data set in row chunks (simulate/chunked.py)
        return spec.chunked.run(n, size, alpha, seed_seq)
    rng = np.random.default_rng(seed_seq)
    per = max(1, ROWS_PER_BATCH // max(int(n), 1))
    if per >= size:
        return spec.draw(rng, n, size, alpha)
    parts = [spec.draw(rng, n, min(per, size - start), alpha) for start in range(0, size, per)]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def ols_tests(X: np.ndarray, y: np.ndarray, cols: Sequence[int], alpha: float):
    """Estimates, SEs, p-values and CI bounds of columns ``cols`` for a stack of OLS fits.

    All fits are solved together from the stacked normal equations: ``(X'X)^-1`` is needed
    for the standard errors anyway, so the coefficients are ``(X'X)^-1 X'y`` (one batched
    inverse, two batched products). Simulations whose design is numerically singular
    (reciprocal condition number below 1e-12) are refitted by
    :func:`~hormonestats.models._bootstrap.batched_ols`, which returns NaN for them, and are
    dropped from the power estimate.
    """
    size, n, p = X.shape
    xt = X.transpose(0, 2, 1)
    xtx = np.matmul(xt, X)
    eig = np.linalg.eigvalsh(xtx)
    bad = ~(eig[:, 0] > 1e-12 * eig[:, -1])
    if bad.any():
        xtx[bad] = np.eye(p)
    inv = np.linalg.inv(xtx)
    beta = np.matmul(inv, np.matmul(xt, y[..., None]))[..., 0]
    if bad.any():
        beta[bad] = batched_ols(X[bad], y[bad])
    resid = y - np.matmul(X, beta[..., None])[..., 0]
    df = n - p
    s2 = np.einsum("bn,bn->b", resid, resid) / df
    out = []
    crit = stats.t.ppf(1 - alpha / 2, df)
    for c in cols:
        est = beta[:, c]
        se = np.sqrt(s2 * inv[:, c, c])
        pval = 2 * stats.t.sf(np.abs(est / se), df)
        out.append((est, se, pval, est - crit * se, est + crit * se))
    return out


def ols_key_test(columns: Sequence[np.ndarray], y: np.ndarray, key: int, true_value: float,
                 alpha: float) -> dict:
    """The result record of one OLS term: ``columns`` are the regressors after the
    intercept; ``key`` is the tested column's index in the design (0 = intercept)."""
    X = np.stack([np.ones(y.shape), *columns], axis=2)
    est, _, pval, lo, hi = ols_tests(X, y, [key], alpha)[0]
    return result(est, pval, lo, hi, true_value, alpha)


def result(est, pval, lo, hi, true_value, alpha) -> dict:
    return {
        "est": est,
        "reject": pval < alpha,
        "cover": (lo <= true_value) & (true_value <= hi),
        "valid": np.isfinite(est) & np.isfinite(pval),
    }


def mediation_result(rng, a, b, true_value, alpha) -> dict:
    """Joint-significance test of a*b and the coverage of its Monte-Carlo interval."""
    a_est, a_se, a_p = a[0], a[1], a[2]
    b_est, b_se, b_p = b[0], b[1], b[2]
    est = a_est * b_est
    reject = (a_p < alpha) & (b_p < alpha)
    draws = (a_est[:, None] + a_se[:, None] * rng.standard_normal((len(est), MC_DRAWS))) * (
        b_est[:, None] + b_se[:, None] * rng.standard_normal((len(est), MC_DRAWS))
    )
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=1)
    return {
        "est": est,
        "reject": reject,
        "cover": (lo <= true_value) & (true_value <= hi),
        "valid": np.isfinite(est),
    }


class _Scaled:
    """A draw whose estimates are multiplied by ``scale`` (picklable, unlike a closure)."""

    def __init__(self, inner: Callable, scale: float):
        self.inner, self.scale = inner, scale

    def __call__(self, rng, n, size, alpha):
        res = dict(self.inner(rng, n, size, alpha))
        res["est"] = res["est"] * self.scale
        return res


def scaled(spec: PowerSpec, term: str, scale: float) -> PowerSpec:
    """The same simulation with estimates (and truth) in ``scale`` units of the outcome."""
    return PowerSpec(spec.name, term, spec.true_value * scale, _Scaled(spec.draw, scale),
                     spec.options)  # not chunked: its draw is scaled, its moments are not
