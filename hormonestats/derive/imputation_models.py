"""The univariate imputation models of the chained equations (:mod:`.imputation`).

Each draws the missing values of one variable from its conditional distribution given the
others, with parameter uncertainty, as proper multiple imputation needs (Rubin 1987; van Buuren
2018, *Flexible Imputation of Missing Data*, 2nd ed., ch. 3):

* :func:`norm_draw` — Bayesian linear regression: sigma* from a scaled inverse chi-square,
  beta* from its normal posterior (mice's ``.norm.draw``, with its small ridge 1e-5);
* :func:`pmm` — predictive mean matching: the missing row takes the observed value of one of
  the ``k`` donors whose predicted means (from the least-squares fit) lie nearest its own
  (from the drawn beta*): mice's default "type 1" matching with 5 donors;
* :func:`norm` — a normal draw around the predicted value, optionally truncated above (values
  below a limit of detection on the log scale lie in (-inf, log LOD), i.e. in (0, LOD));
* :func:`logreg` and :func:`polyreg` — (multinomial) logistic regression with a weak ridge
  penalty against separation, beta* drawn from the normal approximation of its posterior,
  then the category drawn from the predicted probabilities.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["logreg", "norm", "norm_draw", "pmm", "polyreg"]

RIDGE = 1e-5


def norm_draw(x: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """(least-squares beta, drawn beta*, drawn sigma*) of the regression of ``y`` on ``x``."""
    xtx = x.T @ x
    pen = RIDGE * np.diag(xtx)
    v = np.linalg.inv(xtx + np.diag(pen))
    v = (v + v.T) / 2
    coef = v @ (x.T @ y)
    resid = y - x @ coef
    df = max(len(y) - x.shape[1], 1)
    sigma = np.sqrt(resid @ resid / rng.chisquare(df))
    chol = np.linalg.cholesky(v + 1e-12 * np.eye(len(v)) * np.trace(v) / len(v))
    beta = coef + sigma * (chol @ rng.standard_normal(len(coef)))
    return coef, beta, sigma


def pmm(x_obs, y_obs, x_mis, rng, k: int = 5) -> np.ndarray:
    """Predictive mean matching: an observed value of one of the ``k`` nearest donors."""
    coef, beta, _ = norm_draw(x_obs, y_obs, rng)
    yhat_obs = x_obs @ coef
    yhat_mis = x_mis @ beta
    k = max(1, min(k, len(y_obs)))
    # random tie-breaking as mice does: jitter the donors' predicted means a little
    yhat_obs = yhat_obs + rng.uniform(0, 1e-9, len(yhat_obs)) * (np.std(yhat_obs) + 1e-300)
    # the k nearest lie within k places either side of the insertion point in sorted order
    order = np.argsort(yhat_obs, kind="stable")
    sorted_hat = yhat_obs[order]
    at = np.searchsorted(sorted_hat, yhat_mis)
    window = np.clip(at[:, None] + np.arange(-k, k)[None, :], 0, len(sorted_hat) - 1)
    dist = np.abs(sorted_hat[window] - yhat_mis[:, None])
    # duplicates from clipping at the ends get an infinite distance
    dup = np.zeros_like(dist, dtype=bool)
    dup[:, 1:] = window[:, 1:] == window[:, :-1]
    dist[dup] = np.inf
    near = np.take_along_axis(window, np.argsort(dist, axis=1, kind="stable")[:, :k], axis=1)
    pick = near[np.arange(len(yhat_mis)), rng.integers(0, k, len(yhat_mis))]
    return y_obs[order[pick]]


def norm(x_obs, y_obs, x_mis, rng, upper=None) -> np.ndarray:
    """Normal draws with parameter uncertainty; rows with a finite ``upper`` are truncated
    to ``(-inf, upper)``."""
    _, beta, sigma = norm_draw(x_obs, y_obs, rng)
    mean = x_mis @ beta
    out = mean + sigma * rng.standard_normal(len(mean))
    if upper is not None:
        upper = np.asarray(upper, dtype=float)
        cut = np.isfinite(upper)
        if cut.any():
            b = (upper[cut] - mean[cut]) / sigma
            u = rng.uniform(size=int(cut.sum()))
            # inverse-cdf draw from N(0, 1) truncated above at b, in the log domain (tails)
            z = stats.norm.ppf(u * stats.norm.cdf(b))
            z = np.minimum(z, b - 1e-12)
            out[cut] = mean[cut] + sigma * z
    return out


def _softmax_fit(x, y_codes, n_class, penalty=1e-4, iters=50):
    """Multinomial logit (first class the reference) by Newton's method with a ridge penalty;
    returns (coefficients (p, n_class - 1), their covariance)."""
    n, p = x.shape
    q = n_class - 1
    beta = np.zeros(p * q)
    target = np.zeros((n, q))
    for c in range(1, n_class):
        target[:, c - 1] = y_codes == c
    lam = penalty * max(n, 1)
    hess = np.eye(p * q)
    for _ in range(iters):
        eta = np.column_stack([np.zeros(n), x @ beta.reshape(p, q, order="F")])
        prob = special.softmax(eta, axis=1)[:, 1:]
        grad = (x.T @ (target - prob)).ravel(order="F") - lam * beta
        hess = np.zeros((p * q, p * q))
        for a in range(q):
            for b in range(q):
                w = prob[:, a] * ((a == b) - prob[:, b])
                hess[a * p:(a + 1) * p, b * p:(b + 1) * p] = (x * w[:, None]).T @ x
        hess += lam * np.eye(p * q)
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    cov = np.linalg.inv(hess)
    return beta, (cov + cov.T) / 2


def polyreg(x_obs, codes_obs, x_mis, rng, n_class: int) -> np.ndarray:
    """Draw category codes ``0 .. n_class - 1`` from a multinomial logit with drawn beta*."""
    beta, cov = _softmax_fit(x_obs, codes_obs, n_class)
    draw = rng.multivariate_normal(beta, cov, method="cholesky")
    p = x_obs.shape[1]
    eta = np.column_stack([np.zeros(len(x_mis)), x_mis @ draw.reshape(p, n_class - 1, order="F")])
    prob = special.softmax(eta, axis=1)
    cum = np.cumsum(prob, axis=1)
    u = rng.uniform(size=len(x_mis))[:, None]
    return np.minimum((u > cum).sum(axis=1), n_class - 1)


def logreg(x_obs, y01_obs, x_mis, rng) -> np.ndarray:
    """Draw 0/1 values from a logistic regression with drawn beta*."""
    return polyreg(x_obs, np.asarray(y01_obs, dtype=int), x_mis, rng, 2)
