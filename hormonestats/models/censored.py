"""Censored (Tobit-type) regression for hormone values below a limit of detection.

A reading below the assay's limit of detection (LOD) is not missing and not equal to the LOD: it
is known only to lie below it. Substituting LOD/2 or LOD/sqrt(2) (Hornung & Reed 1990) biases
regression slopes when many values are censored; the Gaussian censored likelihood (Tobin 1958;
as in R's ``survival::survreg(..., dist = "gaussian")``) uses what is known. With
``mu_i = x_i' beta`` and ``sigma = exp(log_sigma)`` the log-likelihood is

    observed y_i          log phi((y_i - mu_i) / sigma) - log sigma
    left-censored at L_i  log Phi((L_i - mu_i) / sigma)
    right-censored at U_i log(1 - Phi((U_i - mu_i) / sigma))
    in an interval [L_i, U_i]  log(Phi((U_i - mu_i) / sigma) - Phi((L_i - mu_i) / sigma))

maximised over ``(beta, log_sigma)`` by BFGS with the analytic gradient; standard errors come
from the inverse of the Hessian (the numerical Jacobian of the analytic gradient, central
differences), tests are Wald z tests as in ``survreg``. Each row has its own limit, so plates
with different LODs are handled. Readings between the LOD and the lower limit of quantification
(LLOQ) are interval-censored: give ``lower`` and ``upper`` columns (``survreg``'s
``Surv(lo, hi, type = "interval2")``: equal limits = an exact reading, missing lower = below
``upper``, missing upper = above ``lower``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.tools.numdiff import approx_fprime

from ..errors import DataError, ModelError, format_rows
from ..results import conforms
from ._design import INTERCEPT, _as_tuple, _is_numeric, complete_cases, covariate_design
from ._tidy import TIDY_COLUMNS, ci_from_se, excluded_note

__all__ = ["CensoredResult", "censored_regression"]

LEFT_VALUES = ("left", "below", "true", "1", "yes")
RIGHT_VALUES = ("right", "above")
NONE_VALUES = ("none", "observed", "false", "0", "no", "")


@conforms("censored", aliases={"n": "n_obs"})
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
    n_obs, n_censored, n_left, n_right, n_interval : int
        Analysed rows, and how many were censored (in total, below, above, within an
        interval).
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
    n_obs: int
    n_censored: int
    n_left: int
    n_right: int
    sigma: float
    loglik: float
    converged: bool
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)
    n_interval: int = 0
    _design: tuple = field(default=None, repr=False)

    def _notes(self):
        notes = [
            f"{self.n_left} left-censored, {self.n_right} right-censored and {self.n_interval} "
            f"interval-censored of {self.n} rows "
            f"({self.n_censored / self.n:.0%}); log-likelihood {self.loglik:.4f}; "
            f"sigma = {self.sigma:.4g}.",
            "Gaussian censored (Tobit-type) maximum likelihood; Wald z tests.",
        ]
        if not self.converged:
            notes.append("WARNING: the optimiser did not converge; do not trust these numbers.")
        if len(self.excluded):
            notes.append(excluded_note(self.excluded))
        return notes

    def coverage_check(self, n_sims: int = 200, seed: int | None = None):
        """How often the Wald intervals cover the truth at this design and these limits
        (:mod:`hormonestats.models.coverage`)."""
        from .coverage import censored_coverage

        return censored_coverage(self, mle=_mle, n_sims=n_sims, seed=seed)

    def _display(self):
        title = f"Censored regression: {self.y} ~ {self.x} (n = {self.n})"
        return title, [("Coefficients", self.table)], self._notes()

    def _facts(self):
        return {"y": self.y, "x": self.x, "covariates": self.covariates,
                "n_censored": self.n_censored, "conf_level": self.conf_level}


def _loglik_and_grad(theta, X, lo, hi):
    """Log-likelihood and gradient for rows known to lie in ``[lo, hi]`` (equal = observed,
    ``-inf`` lower = left-censored, ``+inf`` upper = right-censored)."""
    beta, log_s = theta[:-1], theta[-1]
    s = np.exp(log_s)
    mu = X @ beta
    obs = lo == hi
    cen = ~obs
    zl = np.where(cen, (lo - mu) / s, 0.0)
    zu = np.where(cen, (hi - mu) / s, 0.0)
    ll = np.empty_like(mu)
    dmu = np.empty_like(mu)
    dls = np.empty_like(mu)
    z = (lo[obs] - mu[obs]) / s
    ll[obs] = stats.norm.logpdf(z) - log_s
    dmu[obs] = z / s
    dls[obs] = z**2 - 1
    zl, zu = zl[cen], zu[cen]
    # log(Phi(zu) - Phi(zl)) computed in the tail where it is accurate
    upper_tail = zl > 0
    mass = np.where(
        upper_tail, stats.norm.sf(zl) - stats.norm.sf(zu), stats.norm.cdf(zu) - stats.norm.cdf(zl)
    )
    with np.errstate(divide="ignore"):
        log_mass = np.log(mass)
    # far in a tail the difference underflows: fall back to the one-sided log probabilities
    left_only = np.isneginf(zl)
    right_only = np.isposinf(zu)
    log_mass[left_only] = stats.norm.logcdf(zu[left_only])
    log_mass[right_only] = stats.norm.logsf(zl[right_only])
    ll[cen] = log_mass
    with np.errstate(invalid="ignore"):
        pl = np.where(np.isfinite(zl), np.exp(stats.norm.logpdf(zl) - log_mass), 0.0)
        pu = np.where(np.isfinite(zu), np.exp(stats.norm.logpdf(zu) - log_mass), 0.0)
        zpl = np.where(np.isfinite(zl), zl * pl, 0.0)
        zpu = np.where(np.isfinite(zu), zu * pu, 0.0)
    dmu[cen] = (pl - pu) / s
    dls[cen] = zpl - zpu
    grad = np.concatenate([X.T @ dmu, [dls.sum()]])
    return float(ll.sum()), grad


def _mle(Xm, lo, hi):
    """Maximum likelihood: (theta, covariance, loglik, converged)."""
    k = Xm.shape[1]
    start = np.where(np.isfinite(lo), lo, hi)
    start = np.where(np.isfinite(start), start, np.where(np.isfinite(hi), hi, 0.0))
    beta0, *_ = np.linalg.lstsq(Xm, start, rcond=None)
    s0 = np.std(start - Xm @ beta0, ddof=k) or 1.0
    theta0 = np.concatenate([beta0, [np.log(s0)]])

    def negll(theta):
        ll, g = _loglik_and_grad(theta, Xm, lo, hi)
        return -ll, -g

    def grad(t):
        return _loglik_and_grad(t, Xm, lo, hi)[1]

    opt = optimize.minimize(negll, theta0, jac=True, method="BFGS", options={"gtol": 1e-9})
    # polish with Newton steps on the numerical Hessian of the analytic gradient
    theta = opt.x
    for _ in range(5):
        hess = approx_fprime(theta, grad, centered=True)
        step = np.linalg.solve((hess + hess.T) / 2, grad(theta))
        theta = theta - step
        if np.max(np.abs(step)) < 1e-10:
            break
    ll, g = _loglik_and_grad(theta, Xm, lo, hi)
    hess = approx_fprime(theta, grad, centered=True)
    try:
        vcov = np.linalg.inv(-(hess + hess.T) / 2)
    except np.linalg.LinAlgError as exc:
        raise ModelError("the information matrix is singular; the model is not identified") from exc
    converged = bool(np.all(np.isfinite(theta)) and np.max(np.abs(g)) < 1e-4) and bool(
        np.all(np.diag(vcov) > 0)
    )
    return theta, vcov, ll, converged, opt


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


def _interval_rows(frame, lower, upper):
    """Bounds from ``lower``/``upper`` columns (survreg's interval2): (lo, hi, reasons, bad)."""
    lo = frame[lower].to_numpy(dtype=float, na_value=np.nan)
    hi = frame[upper].to_numpy(dtype=float, na_value=np.nan)
    both = np.isnan(lo) & np.isnan(hi)
    reversed_ = lo > hi
    problems = []
    if reversed_.any():
        problems.append(
            f"{lower!r} exceeds {upper!r} at {format_rows(frame.index[reversed_])}; each row "
            "needs lower <= upper"
        )
    lo = np.where(np.isnan(lo), -np.inf, lo)
    hi = np.where(np.isnan(hi), np.inf, hi)
    reasons = np.full(len(frame), f"missing both {lower} and {upper}", dtype=object)
    return lo, hi, both, reasons, problems


def _indicator_rows(frame, y, censored, limit):
    """Bounds from a reading, a censoring indicator and a limit: (lo, hi, drop, reasons, problems)."""
    kind, problems = _parse_indicator(frame[censored], censored)
    yv = frame[y].to_numpy(dtype=float, na_value=np.nan)
    lim = frame[limit].to_numpy(dtype=float, na_value=np.nan)
    need_y = (kind == 0) & np.isnan(yv)
    need_lim = (kind > 0) & np.isnan(lim)
    lo = np.select([kind == 0, kind == 1, kind == 2], [yv, -np.inf, lim], np.nan)
    hi = np.select([kind == 0, kind == 1, kind == 2], [yv, lim, np.inf], np.nan)
    reasons = np.where(need_y, f"missing {y} (not censored)", f"missing {limit} (censored)")
    return lo, hi, need_y | need_lim, reasons.astype(object), problems


def censored_regression(
    data: pd.DataFrame,
    *,
    y: str | None = None,
    x: str,
    covariates: Sequence[str] = (),
    censored: str = "censored",
    limit: str = "lod_limit",
    lower: str | None = None,
    upper: str | None = None,
    conf_level: float = 0.95,
) -> CensoredResult:
    """Gaussian censored regression of ``y`` on ``x`` and covariates (Tobit-type ML).

    Rows whose ``censored`` indicator says ``"left"`` (or True/1) are known only to lie at or
    below their own ``limit`` (e.g. the plate's LOD); ``y`` may be missing there. Rows marked
    ``"right"`` lie at or above their ``limit`` (e.g. the upper limit of quantification). Rows
    marked ``"none"`` (or False/0) are observed and need ``y``. Non-numeric covariates enter as
    treatment-coded dummies.

    Interval-censored readings (between the LOD and the LLOQ, say) are given instead as two
    columns ``lower`` and ``upper``, one interval per row, as ``survreg``'s
    ``Surv(lower, upper, type = "interval2")``: equal limits are an exact reading, a missing
    ``lower`` means below ``upper``, a missing ``upper`` means above ``lower``, and a row with
    both missing is excluded. ``y``, ``censored`` and ``limit`` are then not used (``y`` only
    names the outcome).

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
    lower, upper : str, optional
        Columns with each row's lower and upper limit (interval censoring; both or neither).
    conf_level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    CensoredResult
        ``.table`` (terms then ``log_sigma``), ``.sigma``, ``.loglik``, ``.n_censored``,
        ``.converged``, ``.coverage_check()``; rows left out are in ``.excluded``.

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
    interval = lower is not None or upper is not None
    if interval and (lower is None or upper is None):
        raise ModelError("interval censoring needs both lower= and upper= columns")
    if not interval and y is None:
        raise ModelError("give y= (with censored= and limit=), or lower= and upper=")
    response = [lower, upper] if interval else [y, censored, limit]
    problems = []
    absent = [c for c in (*response, x, *covariates) if c not in data.columns]
    if absent:
        raise ModelError(
            f"data has no column(s) {', '.join(map(repr, absent))}; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    numeric = [("lower", lower), ("upper", upper)] if interval else [("y", y), ("limit", limit)]
    for role, col in [*numeric, ("x", x)]:
        if not _is_numeric(data[col]):
            problems.append(f"{role} column {col!r} must be numeric (dtype {data[col].dtype})")
    if not 0 < conf_level < 1:
        problems.append(f"conf_level must be between 0 and 1, got {conf_level!r}")
    if problems:
        raise ModelError("Cannot fit the censored regression: " + "; ".join(problems))

    # rows missing predictors or the indicator are excluded (and recorded)
    frame, excluded = complete_cases(data, [x, *covariates, *([] if interval else [censored])])
    if interval:
        lo, hi, drop, reasons, problems = _interval_rows(frame, lower, upper)
    else:
        lo, hi, drop, reasons, problems = _indicator_rows(frame, y, censored, limit)
    if problems:
        raise ModelError("Cannot fit the censored regression: " + "; ".join(problems))
    if drop.any():
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
        frame, lo, hi = frame.loc[~drop], lo[~drop], hi[~drop]
    X = pd.concat(
        [
            pd.DataFrame({INTERCEPT: 1.0, x: frame[x].astype(float)}, index=frame.index),
            covariate_design(frame, covariates),
        ],
        axis=1,
    )
    names = list(X.columns)
    Xm = X.to_numpy(float)
    n, k = Xm.shape
    observed = lo == hi
    if n <= k + 1 or observed.sum() < 2:
        raise ModelError(
            f"too few rows to fit: {n} rows ({int(observed.sum())} uncensored) for "
            f"{k + 1} parameters"
        )
    own_limit = None if interval else frame[limit].to_numpy(dtype=float, na_value=np.nan)
    if np.linalg.matrix_rank(Xm) < k:
        raise ModelError(f"the predictors of {y or lower} are collinear (rank < {k} columns)")
    theta, vcov, ll, converged, opt = _mle(Xm, lo, hi)
    terms = [*names, "log_sigma"]
    se = np.sqrt(np.diag(vcov))
    stat = theta / se
    ci_lo, ci_hi = ci_from_se(theta, se, conf_level)
    table = pd.DataFrame(
        {
            "term": pd.Series(terms, dtype="str"),
            "estimate": theta,
            "std_error": se,
            "statistic": stat,
            "df": np.inf,
            "p_value": 2 * stats.norm.sf(np.abs(stat)),
            "conf_low": ci_lo,
            "conf_high": ci_hi,
        }
    )[TIDY_COLUMNS]
    left = np.isneginf(lo) & np.isfinite(hi)
    right = np.isposinf(hi) & np.isfinite(lo)
    between = ~observed & np.isfinite(lo) & np.isfinite(hi)
    return CensoredResult(
        table=table,
        fit=opt,
        cov=pd.DataFrame(vcov, index=terms, columns=terms),
        y=y if y is not None else f"[{lower}, {upper}]",
        x=x,
        covariates=covariates,
        n_obs=int(n),
        n_censored=int((~observed).sum()),
        n_left=int(left.sum()),
        n_right=int(right.sum()),
        sigma=float(np.exp(theta[-1])),
        loglik=float(ll),
        converged=converged,
        conf_level=conf_level,
        excluded=excluded,
        n_interval=int(between.sum()),
        _design=(Xm, *_study_limits(lo, hi, own_limit)),
    )


def _study_limits(lo, hi, own_limit):
    """Per-row censoring limits for simulations (see :mod:`hormonestats.models.coverage`): a
    censored row keeps its own, the others get the study's median limit of each kind; with an
    indicator column every row with a limit keeps it (its plate's LOD, say)."""
    observed = lo == hi
    left = np.isneginf(lo) & np.isfinite(hi)
    right = np.isposinf(hi) & np.isfinite(lo)
    between = ~observed & np.isfinite(lo) & np.isfinite(hi)
    n = len(lo)

    def typical(mask, values):
        return np.full(n, float(np.median(values[mask])) if mask.any() else np.nan)

    left_at = np.where(left, hi, typical(left, hi))
    if own_limit is not None and left.any():
        left_at = np.where(~right & np.isfinite(own_limit), own_limit, left_at)
    right_at = np.where(right, lo, typical(right, lo))
    iv_lo = np.where(between, lo, typical(between, lo))
    iv_hi = np.where(between, hi, typical(between, hi))
    return left_at, right_at, iv_lo, iv_hi
