"""Outcome families of the regression models: Gaussian (OLS) or binomial (logistic).

A binary outcome (two values, coded 0/1) is fitted by logistic regression, as PROCESS does
(Hayes 2018, ch. 2 and appendix A), never silently as a linear probability model:
:func:`resolve_family` picks ``"binomial"`` for a 0/1 outcome unless the caller asks for
``"gaussian"`` on purpose. Logistic coefficients are on the log-odds scale and carry Wald z
tests. :func:`batched_logit` fits one design under many row-weight vectors at once (the
bootstrap's resample counts) by Newton–Raphson (iteratively reweighted least squares), with no
Python loop over resamples.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit

from ..errors import ModelError
from ._bootstrap import _one_blas_thread

__all__ = [
    "FAMILIES",
    "batched_logit",
    "fit_family",
    "is_binary",
    "nested_test",
    "resolve_family",
]

FAMILIES = ("gaussian", "binomial")


def is_binary(values) -> bool:
    """True when the non-missing values are exactly 0 and 1 (both present).

    >>> is_binary([0, 1, 1, None]), is_binary([0.0, 2.0]), is_binary([1, 1])
    (True, False, False)
    """
    v = pd.Series(values, dtype="float").dropna()
    return set(np.unique(v)) == {0.0, 1.0}


def resolve_family(family, values, column: str) -> str:
    """``family`` as given, or (``None``) binomial for a 0/1 outcome and Gaussian otherwise."""
    if family is None:
        return "binomial" if is_binary(values) else "gaussian"
    if family not in FAMILIES:
        raise ModelError(f"family must be None or one of {FAMILIES}, got {family!r}")
    if family == "binomial" and not is_binary(values):
        found = sorted(set(pd.Series(values, dtype="float").dropna()))[:10]
        raise ModelError(
            f"family='binomial' needs outcome {column!r} coded 0/1 (both present); found {found}"
        )
    return family


def fit_family(endog, exog, family: str, robust: str | None = None):
    """OLS (t tests; robust covariances keep t with the residual df, as PROCESS) or logistic
    regression by maximum likelihood (z tests), as a statsmodels result."""
    if family == "gaussian":
        model = sm.OLS(endog, exog)
        return model.fit(cov_type=robust, use_t=True) if robust else model.fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.Logit(endog, exog).fit(
                method="newton", maxiter=100, disp=0, cov_type=robust or "nonrobust"
            )
        except Exception as exc:  # statsmodels raises PerfectSeparationError and others
            raise ModelError(f"the logistic model could not be fitted: {exc}") from exc
    params = np.asarray(fit.params, float)
    if not fit.mle_retvals.get("converged", False) or not np.all(np.isfinite(params)):
        raise ModelError(
            "the logistic model did not converge (perfect or quasi-complete separation of the "
            "0/1 outcome by the predictors?)"
        )
    return fit


def nested_test(fit, reduced, tested: list[str], family: str) -> tuple[float, float, str]:
    """Test of the ``tested`` coefficients: (statistic, p, name).

    Gaussian: the Wald F (the nested F change without robust SEs). Binomial: the likelihood
    ratio chi-square against the reduced fit, or the Wald chi-square with robust SEs.
    """
    names = list(fit.model.exog_names)
    contrast = np.vstack([(np.asarray(names) == c).astype(float) for c in tested])
    if family == "gaussian":
        res = fit.f_test(contrast)
        return float(np.squeeze(res.fvalue)), float(np.squeeze(res.pvalue)), "F"
    if fit.cov_type != "nonrobust":
        res = fit.wald_test(contrast, scalar=True)
        return float(np.squeeze(res.statistic)), float(np.squeeze(res.pvalue)), "Wald chi2"
    lr = 2 * (float(fit.llf) - float(reduced.llf))
    return lr, float(stats.chi2.sf(lr, len(tested))), "LR chi2"


def batched_logit(X, y, weights, *, max_iter: int = 50, tol: float = 1e-9) -> np.ndarray:
    """Logistic coefficients of one design ``X`` (n, p) under each row-weight vector.

    ``weights`` is ``(B, n)`` (bootstrap counts); returns ``(B, p)``, NaN where Newton's method
    fails (singular information or no convergence, e.g. separation within a resample).

    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(300), rng.normal(size=300)])
    >>> y = (rng.random(300) < expit(0.5 + X[:, 1])).astype(float)
    >>> b = batched_logit(X, y, np.ones((2, 300)))
    >>> ref = sm.Logit(y, X).fit(disp=0).params
    >>> bool(np.allclose(b, ref, atol=1e-8))
    True
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    W = np.asarray(weights, float)
    B, p = W.shape[0], X.shape[1]
    outer = (X[:, :, None] * X[:, None, :]).reshape(len(X), p * p)  # row-wise x x'
    beta = np.zeros((B, p))
    done = np.zeros(B, bool)
    with np.errstate(all="ignore"), _one_blas_thread():
        for _ in range(max_iter):
            todo = np.flatnonzero(~done)
            bt, wt = beta[todo], W[todo]
            mu = expit(bt @ X.T)  # (b, n)
            grad = (wt * (y - mu)) @ X  # (b, p)
            info = ((wt * mu * (1 - mu)) @ outer).reshape(len(todo), p, p)
            step = np.full_like(bt, np.nan)
            ok = np.abs(np.linalg.det(info)) > 1e-300
            if ok.any():
                try:
                    step[ok] = np.linalg.solve(info[ok], grad[ok][..., None])[..., 0]
                except np.linalg.LinAlgError:  # some matrix numerically singular: one by one
                    for i in np.flatnonzero(ok):
                        with contextlib.suppress(np.linalg.LinAlgError):
                            step[i] = np.linalg.solve(info[i], grad[i])
            beta[todo] = bt + step
            conv = np.max(np.abs(step), axis=1) < tol
            failed = ~np.isfinite(step).all(axis=1)
            done[todo[conv | failed]] = True
            beta[todo[failed]] = np.nan
            if done.all():
                break
    beta[~done] = np.nan  # no convergence (e.g. separation within a resample)
    return beta
