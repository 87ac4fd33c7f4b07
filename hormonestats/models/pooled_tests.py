"""Multi-parameter tests and conditional effects pooled over multiply imputed data sets.

* :func:`d1` — the pooled Wald test (Li, Raghunathan & Rubin 1991), with the small-sample
  denominator df of Reiter (2007) when the complete-data df is given;
* :func:`d2` — pooled chi-square (Wald or likelihood-ratio) statistics (Li, Meng, Raghunathan
  & Rubin 1991);
* :func:`d3` — the pooled likelihood-ratio test (Meng & Rubin 1992), from log-likelihoods
  evaluated at each imputation's own and at the pooled parameters (:func:`d3_ols` for linear
  models);
* :func:`pooled_slopes` and :func:`pooled_johnson_neyman` — simple slopes ``b_x + b_xm w`` and
  the Johnson–Neyman boundaries with Rubin's rules applied to each linear combination (its own
  Barnard–Rubin df at every moderator value).

The formulas are those of R's ``mitml::testModels`` (Grund, Robitzsch & Lüdtke), checked to
1e-8 in ``tests/test_pooling.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import ModelError
from .pooling import pool_scalar

__all__ = ["d1", "d2", "d3", "d3_ols", "pooled_johnson_neyman", "pooled_moderation_johnson_neyman",
           "pooled_moderation_slopes", "pooled_slopes"]


def _result(stat, k, v, r, method) -> dict:
    return {"test": method, "statistic": float(stat), "df1": int(k), "df2": float(v),
            "p_value": float(stats.f.sf(stat, k, v)), "riv": float(r)}


def _denominator_df(k: int, m: int, r: float) -> float:
    t = k * (m - 1)
    if t > 4:
        return 4 + (t - 4) * (1 + (1 - 2 / t) / r) ** 2
    return t * (1 + 1 / k) * (1 + 1 / r) ** 2 / 2


def d1(estimates, covariances, *, dfcom: float | None = None) -> dict:
    """Pooled Wald test that k estimates are all 0 (D1).

    Parameters
    ----------
    estimates : array_like, shape (m, k)
    covariances : array_like, shape (m, k, k)
        Each imputation's covariance matrix of the k estimates.
    dfcom : float, optional
        Complete-data df; gives Reiter's (2007) small-sample denominator df.

    Returns
    -------
    dict with ``test, statistic, df1, df2, p_value, riv``.

    Examples
    --------
    >>> q = [[0.5, 0.2], [0.6, 0.1], [0.4, 0.3]]
    >>> u = [np.eye(2) * 0.01] * 3
    >>> round(d1(q, u)["statistic"], 3)
    6.214
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(covariances, dtype=float)
    m, k = q.shape
    if m < 2 or u.shape != (m, k, k):
        raise ModelError(f"d1 needs m >= 2 estimate vectors and (m, k, k) covariances, got "
                         f"{q.shape} and {u.shape}")
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = np.atleast_2d(np.cov(q, rowvar=False, ddof=1))
    r = (1 + 1 / m) * np.trace(b @ np.linalg.inv(ubar)) / k
    stat = qbar @ np.linalg.solve((1 + r) * ubar, qbar) / k
    t = k * (m - 1)
    if dfcom is not None and np.isfinite(dfcom):
        a = r * t / (t - 2)
        vstar = (dfcom + 1) / (dfcom + 3) * dfcom
        c0 = 1 / (t - 4)
        c1 = vstar - 2 * (1 + a)
        c2 = vstar - 4 * (1 + a)
        z = (1 / c2 + c0 * (a**2 * c1 / ((1 + a) ** 2 * c2))
             + c0 * (8 * a**2 * c1 / ((1 + a) * c2**2) + 4 * a**2 / ((1 + a) * c2))
             + c0 * (4 * a**2 / (c2 * c1) + 16 * a**2 * c1 / c2**3) + c0 * (8 * a**2 / c2**2))
        v = 4 + 1 / z
    else:
        v = _denominator_df(k, m, r)
    return _result(stat, k, v, r, "D1")


def d2(chisq, k: int) -> dict:
    """Pool m chi-square statistics on k df (D2; Wald or likelihood-ratio statistics).

    >>> round(d2([6.0, 8.0, 7.0], 2)["statistic"], 4)
    3.2487
    """
    d = np.asarray(chisq, dtype=float)
    m = len(d)
    if m < 2:
        raise ModelError("d2 needs the statistics of at least 2 imputations")
    r = (1 + 1 / m) * np.var(np.sqrt(d), ddof=1)
    stat = (d.mean() / k - (m + 1) / (m - 1) * r) / (1 + r)
    v = k ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2
    return _result(stat, k, v, r, "D2")


def d3(ll_full, ll_null, ll_full_pooled, ll_null_pooled, k: int) -> dict:
    """Pooled likelihood-ratio test (D3; Meng & Rubin 1992).

    Parameters
    ----------
    ll_full, ll_null : array_like, length m
        Log-likelihoods of the full and the null model at each imputation's own estimates.
    ll_full_pooled, ll_null_pooled : array_like, length m
        The same log-likelihoods evaluated at the pooled (averaged) parameters.
    k : int
        Parameters the null model fixes.
    """
    ll_full, ll_null = np.asarray(ll_full, float), np.asarray(ll_null, float)
    lf_p, ln_p = np.asarray(ll_full_pooled, float), np.asarray(ll_null_pooled, float)
    m = len(ll_full)
    d_bar = np.mean(-2 * (ll_null - ll_full))
    d_tilde = np.mean(-2 * (ln_p - lf_p))
    r = (m + 1) / (k * (m - 1)) * (d_bar - d_tilde)
    stat = d_tilde / (k * (1 + r))
    return _result(stat, k, _denominator_df(k, m, r), r, "D3")


def _ols_loglik(y, x, beta, sigma2) -> float:
    resid = y - x @ beta
    n = len(y)
    return float(-n / 2 * np.log(2 * np.pi * sigma2) - resid @ resid / (2 * sigma2))


def d3_ols(ys, x_full, x_null) -> dict:
    """D3 for nested linear models fitted by least squares to each completed data set.

    ``ys`` are the m outcome vectors, ``x_full`` / ``x_null`` the m design matrices; the
    parameters pooled are the coefficients and the ML residual variance (RSS / n), as in
    ``mitml::testModels(method = "D3")``.
    """
    def fits(xs):
        out = []
        for y, x in zip(ys, xs):
            y, x = np.asarray(y, float), np.asarray(x, float)
            beta = np.linalg.lstsq(x, y, rcond=None)[0]
            resid = y - x @ beta
            out.append((beta, resid @ resid / len(y)))
        return out

    full, null = fits(x_full), fits(x_null)
    pooled_full = (np.mean([b for b, _ in full], axis=0), np.mean([s for _, s in full]))
    pooled_null = (np.mean([b for b, _ in null], axis=0), np.mean([s for _, s in null]))
    args = list(zip(ys, x_full, x_null))
    ll_f = [_ols_loglik(np.asarray(y, float), np.asarray(xf, float), *full[j])
            for j, (y, xf, _) in enumerate(args)]
    ll_n = [_ols_loglik(np.asarray(y, float), np.asarray(xn, float), *null[j])
            for j, (y, _, xn) in enumerate(args)]
    lf_p = [_ols_loglik(np.asarray(y, float), np.asarray(xf, float), *pooled_full)
            for y, xf, _ in args]
    ln_p = [_ols_loglik(np.asarray(y, float), np.asarray(xn, float), *pooled_null)
            for y, _, xn in args]
    k = np.asarray(x_full[0]).shape[1] - np.asarray(x_null[0]).shape[1]
    return d3(ll_f, ll_n, lf_p, ln_p, k)


def _combo(estimates, covariances, w):
    q = np.asarray(estimates, float)
    u = np.asarray(covariances, float)
    est = q[:, 0] + w * q[:, 1]
    var = u[:, 0, 0] + 2 * w * u[:, 0, 1] + w**2 * u[:, 1, 1]
    return est, np.sqrt(var)


def pooled_slopes(estimates, covariances, at, *, dfcom=np.inf,
                  conf_level: float = 0.95) -> pd.DataFrame:
    """Simple slopes ``b_x + b_xm * w`` pooled by Rubin's rules at each moderator value ``w``.

    ``estimates`` (m, 2) hold ``(b_x, b_xm)`` per imputation, ``covariances`` (m, 2, 2) their
    covariance matrices.
    """
    rows = []
    for w in np.atleast_1d(np.asarray(at, float)):
        est, se = _combo(estimates, covariances, w)
        row = pool_scalar(est, se, dfcom=dfcom, term="slope", conf_level=conf_level)
        rows.append({"moderator_value": float(w), **row})
    return pd.DataFrame(rows)


def pooled_johnson_neyman(estimates, covariances, *, lower: float, upper: float,
                          dfcom=np.inf, conf_level: float = 0.95, grid: int = 400) -> list[float]:
    """Johnson–Neyman boundaries of the pooled simple slope within ``[lower, upper]``.

    The moderator values where the pooled slope's t statistic equals the critical t of its own
    Barnard–Rubin df (found on a grid of ``grid`` points, refined by Brent's method).
    """
    alpha = 1 - conf_level

    def excess(w):
        row = pooled_slopes(estimates, covariances, [w], dfcom=dfcom, conf_level=conf_level)
        row = row.iloc[0]
        return abs(row["statistic"]) - stats.t.ppf(1 - alpha / 2, row["df"])

    ws = np.linspace(lower, upper, grid)
    vals = np.array([excess(w) for w in ws])
    out = []
    for i in range(grid - 1):
        if np.sign(vals[i]) != np.sign(vals[i + 1]) and np.isfinite(vals[i] + vals[i + 1]):
            out.append(float(optimize.brentq(excess, ws[i], ws[i + 1], xtol=1e-12)))
    return out


def _slope_parts(results):
    parts = [r._slope_terms_original_scale() for r in results]
    q = np.vstack([b.to_numpy(float) for b, _ in parts])
    u = np.stack([v.to_numpy(float) for _, v in parts])
    return q, u


def pooled_moderation_slopes(results, at=None, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Simple slopes of moderation results (one per completed data set), pooled.

    ``at``: moderator values on its original scale (default: the mean and +-1 SD, each
    averaged over the imputations). The complete-data df is the fits' residual df.
    """
    results = list(results)
    if not all(hasattr(r, "_slope_terms_original_scale") for r in results):
        raise ModelError("pooled_moderation_slopes needs hs.moderation results")
    if at is None:
        mean = float(np.mean([r.m_mean for r in results]))
        sd = float(np.mean([r.m_sd for r in results]))
        at = [mean - sd, mean, mean + sd]
    q, u = _slope_parts(results)
    dfcom = float(np.mean([r.fit.df_resid for r in results]))
    return pooled_slopes(q, u, at, dfcom=dfcom, conf_level=conf_level)


def pooled_moderation_johnson_neyman(results, *, conf_level: float = 0.95) -> list[float]:
    """Johnson–Neyman boundaries of pooled moderation results within the moderator's range
    (the widest observed range over the completed data sets)."""
    results = list(results)
    q, u = _slope_parts(results)
    lower = min(float(r.fit.model.data.frame[r.m].min()) if hasattr(r.fit.model.data, "frame")
                else r.m_mean - 3 * r.m_sd for r in results)
    upper = max(float(r.fit.model.data.frame[r.m].max()) if hasattr(r.fit.model.data, "frame")
                else r.m_mean + 3 * r.m_sd for r in results)
    dfcom = float(np.mean([r.fit.df_resid for r in results]))
    return pooled_johnson_neyman(q, u, lower=lower, upper=upper, dfcom=dfcom,
                                 conf_level=conf_level)
