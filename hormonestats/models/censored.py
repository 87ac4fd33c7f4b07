"""Censored (Tobit-type) regression for hormone values below a limit of detection.

A reading below the assay's limit of detection (LOD) is not missing and not equal to the LOD: it
is known only to lie below it. Substituting LOD/2 or LOD/sqrt(2) (Hornung & Reed 1990) biases
regression slopes when many values are censored; the Gaussian censored likelihood (Tobin 1958;
as in R's ``survival::survreg(..., dist = "gaussian")``) uses what is known. With
``mu_i = x_i' beta`` and ``sigma = exp(log_sigma)`` the log-likelihood is

    observed y_i          log phi((y_i - mu_i) / sigma) - log sigma
    left-censored at L_i  log Phi((L_i - mu_i) / sigma)
    right-censored at U_i log(1 - Phi((U_i - mu_i) / sigma))

maximised over ``(beta, log_sigma)`` by BFGS with the analytic gradient; standard errors come
from the inverse of the Hessian (the numerical Jacobian of the analytic gradient, central
differences), tests are Wald z tests as in ``survreg``. Each row has its own limit, so plates
with different LODs are handled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.tools.numdiff import approx_fprime

from ..errors import DataError, ModelError, format_rows
from ._design import INTERCEPT, _as_tuple, _is_numeric, complete_cases, covariate_design
from ._tidy import TIDY_COLUMNS, ci_from_se, displayed, excluded_note

__all__ = ["CensoredResult", "censored_regression"]

LEFT_VALUES = ("left", "below", "true", "1", "yes")
RIGHT_VALUES = ("right", "above")
NONE_VALUES = ("none", "observed", "false", "0", "no", "")


@displayed
@dataclass(frozen=True)
class CensoredResult:
    """Result of :func:`censored_regression`.

    Attributes
    ----------
    table : DataFrame
        Tidy coefficients (z tests) and a final ``log_sigma`` row (log residual SD).
    fit : scipy.optimize.OptimizeResult
        The optimiser's result (``x`` holds ``beta`` then ``log_sigma``).
    cov : DataFrame
        Covariance of the estimates (inverse observed information).
    sigma : float
        Residual SD on the ``y`` scale.
    n, n_censored, n_left, n_right : int
        Analysed rows, and how many were censored (in total, below, above).
    loglik : float
        Maximised log-likelihood.
    converged : bool
        Whether the optimiser reported convergence and the gradient is ~0.
    excluded : DataFrame
        Rows left out (``row, subject_id, reason``).
    """

    table: pd.DataFrame = field(repr=False)
    fit: object = field(repr=False)
    cov: pd.DataFrame = field(repr=False)
    y: str
    x: str
    covariates: tuple[str, ...]
    n: int
    n_censored: int
    n_left: int
    n_right: int
    sigma: float
    loglik: float
    converged: bool
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def _notes(self):
        notes = [
            f"{self.n_left} left-censored and {self.n_right} right-censored of {self.n} rows "
            f"({self.n_censored / self.n:.0%}); log-likelihood {self.loglik:.4f}; "
            f"sigma = {self.sigma:.4g}.",
            "Gaussian censored (Tobit-type) maximum likelihood; Wald z tests.",
        ]
        if not self.converged:
            notes.append("WARNING: the optimiser did not converge; do not trust these numbers.")
        if len(self.excluded):
            notes.append(excluded_note(self.excluded))
        return notes

    def _display(self):
        title = f"Censored regression: {self.y} ~ {self.x} (n = {self.n})"
        return title, [("Coefficients", self.table)], self._notes()


def _loglik_and_grad(theta, X, y, kind):
    """Log-likelihood and its gradient; ``kind`` is 0 observed, 1 left, 2 right."""
    beta, log_s = theta[:-1], theta[-1]
    s = np.exp(log_s)
    z = (y - X @ beta) / s
    obs, left, right = kind == 0, kind == 1, kind == 2
    ll = np.empty_like(z)
    ll[obs] = stats.norm.logpdf(z[obs]) - log_s
    ll[left] = stats.norm.logcdf(z[left])
    ll[right] = stats.norm.logsf(z[right])
    # d ll / d mu and d ll / d log_sigma per row
    dmu = np.empty_like(z)
    dls = np.empty_like(z)
    dmu[obs] = z[obs] / s
    dls[obs] = z[obs] ** 2 - 1
    lam = np.exp(stats.norm.logpdf(z[left]) - stats.norm.logcdf(z[left]))  # inverse Mills
    dmu[left] = -lam / s
    dls[left] = -lam * z[left]
    haz = np.exp(stats.norm.logpdf(z[right]) - stats.norm.logsf(z[right]))
    dmu[right] = haz / s
    dls[right] = haz * z[right]
    grad = np.concatenate([X.T @ dmu, [dls.sum()]])
    return float(ll.sum()), grad


def _parse_indicator(series: pd.Series, column: str) -> tuple[np.ndarray, list[str]]:
    """Map the censoring indicator to 0 (observed), 1 (left), 2 (right); collect bad rows."""
    if pd.api.types.is_bool_dtype(series) or (
        _is_numeric(series) and set(series.dropna().unique()) <= {0, 1}
    ):
        return series.astype(float).to_numpy().astype(int), []
    text = series.astype("str").str.strip().str.lower()
    kind = np.full(len(series), -1)
    kind[text.isin(NONE_VALUES).to_numpy()] = 0
    kind[text.isin(LEFT_VALUES).to_numpy()] = 1
    kind[text.isin(RIGHT_VALUES).to_numpy()] = 2
    bad = kind < 0
    problems = []
    if bad.any():
        problems.append(
            f"censoring column {column!r} has values {sorted(set(series[bad].astype(str)))} at "
            f"{format_rows(series.index[bad])}; allowed: 'left', 'right', 'none' "
            "(or True/False, 1/0 for left-censored)"
        )
    return kind, problems


def censored_regression(
    data: pd.DataFrame,
    *,
    y: str,
    x: str,
    covariates: Sequence[str] = (),
    censored: str = "censored",
    limit: str = "lod_limit",
    conf_level: float = 0.95,
) -> CensoredResult:
    """Gaussian censored regression of ``y`` on ``x`` and covariates (Tobit-type ML).

    Rows whose ``censored`` indicator says ``"left"`` (or True/1) are known only to lie at or
    below their own ``limit`` (e.g. the plate's LOD); ``y`` may be missing there. Rows marked
    ``"right"`` lie at or above their ``limit`` (e.g. the upper limit of quantification). Rows
    marked ``"none"`` (or False/0) are observed and need ``y``. Non-numeric covariates enter as
    treatment-coded dummies.

    Parameters
    ----------
    data : DataFrame
        One row per observation; not modified.
    y, x : str
        Outcome and focal predictor (numeric) columns.
    covariates : sequence of str
        Further predictors.
    censored : str
        Column with the censoring indicator (``"left"``, ``"right"``, ``"none"`` or bool).
    limit : str
        Column with each row's censoring point (used only on censored rows).
    conf_level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    CensoredResult
        ``.table`` (terms then ``log_sigma``), ``.sigma``, ``.loglik``, ``.n_censored``,
        ``.converged``; rows left out are in ``.excluded``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"x": rng.normal(size=300)})
    >>> ystar = 1 + 0.5 * d.x + rng.normal(size=300)
    >>> d["censored"] = np.where(ystar < 0.5, "left", "none")
    >>> d["lod_limit"] = 0.5
    >>> d["y"] = ystar.where(d.censored == "none")
    >>> res = hs.censored_regression(d, y="y", x="x")
    >>> res.n_censored > 50, res.converged
    (True, True)
    >>> bool(abs(res.table.set_index("term").loc["x", "estimate"] - 0.5) < 0.15)
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    covariates = _as_tuple(covariates)
    problems = []
    absent = [c for c in (y, x, *covariates, censored, limit) if c not in data.columns]
    if absent:
        raise ModelError(
            f"data has no column(s) {', '.join(map(repr, absent))}; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    for role, col in (("y", y), ("x", x), ("limit", limit)):
        if not _is_numeric(data[col]):
            problems.append(f"{role} column {col!r} must be numeric (dtype {data[col].dtype})")
    if not 0 < conf_level < 1:
        problems.append(f"conf_level must be between 0 and 1, got {conf_level!r}")
    if problems:
        raise ModelError("Cannot fit the censored regression: " + "; ".join(problems))

    # rows missing predictors or the indicator are excluded (and recorded)
    frame, excluded = complete_cases(data, [x, *covariates, censored])
    kind, problems = _parse_indicator(frame[censored], censored)
    if problems:
        raise ModelError("Cannot fit the censored regression: " + "; ".join(problems))
    yv = frame[y].to_numpy(dtype=float, na_value=np.nan)
    lim = frame[limit].to_numpy(dtype=float, na_value=np.nan)
    need_y = (kind == 0) & np.isnan(yv)
    need_lim = (kind > 0) & np.isnan(lim)
    drop = need_y | need_lim
    if drop.any():
        reasons = np.where(need_y, f"missing {y} (not censored)", f"missing {limit} (censored)")
        extra = pd.DataFrame(
            {
                "row": pd.Series(list(frame.index[drop]), dtype="object"),
                "subject_id": pd.Series(
                    frame.loc[drop, "subject_id"].to_list()
                    if "subject_id" in frame.columns
                    else [None] * int(drop.sum()),
                    dtype="object",
                ),
                "reason": pd.Series(reasons[drop], dtype="str"),
            }
        )
        excluded = pd.concat([excluded, extra], ignore_index=True)
        frame, kind, yv, lim = frame.loc[~drop], kind[~drop], yv[~drop], lim[~drop]
    resp = np.where(kind == 0, yv, lim)
    cov = covariate_design(frame, covariates)
    X = pd.concat(
        [
            pd.DataFrame({INTERCEPT: 1.0, x: frame[x].astype(float)}, index=frame.index),
            cov,
        ],
        axis=1,
    )
    names = list(X.columns)
    Xm = X.to_numpy(float)
    n, k = Xm.shape
    if n <= k + 1 or (kind == 0).sum() < 2:
        raise ModelError(
            f"too few rows to fit: {n} rows ({int((kind == 0).sum())} uncensored) for "
            f"{k + 1} parameters"
        )
    if np.linalg.matrix_rank(Xm) < k:
        raise ModelError(f"the predictors of {y} are collinear (rank < {k} columns)")

    # start: OLS on observed values and limits
    beta0, *_ = np.linalg.lstsq(Xm, resp, rcond=None)
    s0 = np.std(resp - Xm @ beta0, ddof=k) or 1.0
    theta0 = np.concatenate([beta0, [np.log(s0)]])

    def negll(theta):
        ll, g = _loglik_and_grad(theta, Xm, resp, kind)
        return -ll, -g

    opt = optimize.minimize(negll, theta0, jac=True, method="BFGS", options={"gtol": 1e-9})
    # polish with Newton steps on the numerical Hessian of the analytic gradient
    theta = opt.x
    for _ in range(5):

        def grad(t):
            return _loglik_and_grad(t, Xm, resp, kind)[1]

        hess = approx_fprime(theta, grad, centered=True)
        hess = (hess + hess.T) / 2
        g = grad(theta)
        step = np.linalg.solve(hess, g)
        theta = theta - step
        if np.max(np.abs(step)) < 1e-10:
            break
    ll, g = _loglik_and_grad(theta, Xm, resp, kind)
    hess = approx_fprime(theta, lambda t: _loglik_and_grad(t, Xm, resp, kind)[1], centered=True)
    hess = (hess + hess.T) / 2
    try:
        vcov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError as exc:
        raise ModelError("the information matrix is singular; the model is not identified") from exc
    converged = bool(np.all(np.isfinite(theta)) and np.max(np.abs(g)) < 1e-4) and bool(
        np.all(np.diag(vcov) > 0)
    )
    terms = [*names, "log_sigma"]
    se = np.sqrt(np.diag(vcov))
    stat = theta / se
    lo, hi = ci_from_se(theta, se, conf_level)
    table = pd.DataFrame(
        {
            "term": pd.Series(terms, dtype="str"),
            "estimate": theta,
            "std_error": se,
            "statistic": stat,
            "df": np.inf,
            "p_value": 2 * stats.norm.sf(np.abs(stat)),
            "conf_low": lo,
            "conf_high": hi,
        }
    )[TIDY_COLUMNS]
    return CensoredResult(
        table=table,
        fit=opt,
        cov=pd.DataFrame(vcov, index=terms, columns=terms),
        y=y,
        x=x,
        covariates=covariates,
        n=int(n),
        n_censored=int((kind > 0).sum()),
        n_left=int((kind == 1).sum()),
        n_right=int((kind == 2).sum()),
        sigma=float(np.exp(theta[-1])),
        loglik=float(ll),
        converged=converged,
        conf_level=conf_level,
        excluded=excluded,
    )
