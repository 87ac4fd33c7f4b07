"""Moderation: does the effect of ``x`` on ``y`` depend on a moderator ``m``?

Ordinary least squares with an ``x`` by ``m`` product term (Aiken & West 1991; Hayes 2013,
PROCESS model 1). Continuous predictors are mean-centred by default, a categorical moderator
enters as treatment-coded dummies, and the result offers simple slopes, the Johnson–Neyman region
of significance (Bauer & Curran 2005; Preacher, Curran & Bauer 2006) and model predictions for
interaction plots. Gene x environment models (:mod:`hormonestats.models.gxe`) are built on the
same machinery with extra terms.

Standardized coefficients (``std_estimate``) follow Friedrich (1982): ``y``, ``x``, ``m`` and
every continuous covariate are z-scored first, the product is formed from the z-scores, and the
model is refitted; ``std_estimate`` is that refit's coefficient. For a continuous main effect this
equals ``b * sd(x) / sd(y)`` (when centring), for the product term ``b * sd(x) * sd(m) / sd(y)``.
Dummy columns (categorical moderator or covariate levels) are not standardized, so their
``std_estimate`` (and that of a product with a dummy) is in SD units of ``y`` per unit change of
the dummy (partially standardized). The intercept has no standardized value (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from ..errors import DataError, ModelError, format_rows
from ..results import conforms
from ._design import (
    INTERCEPT,
    Design,
    _as_tuple,
    _is_numeric,
    _levels,
    complete_cases,
    covariate_design,
)
from ._families import fit_family, nested_test, resolve_family
from ._slopes import JohnsonNeyman, johnson_neyman_from_cov, slopes_from_cov
from ._tidy import (
    TIDY_COLUMNS,
    ci_from_se,
    excluded_note,
    tidy_statsmodels,
)
from .lmm.design import dummy_name

__all__ = [
    "INTERCEPT",
    "ModerationResult",
    "complete_cases",
    "covariate_design",
    "moderation",
]

ROBUST_TYPES = ("HC0", "HC1", "HC2", "HC3")
EXCLUDED_COLUMNS = ["row", "subject_id", "reason"]


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@conforms("moderation", aliases={"n": "n_obs"})
@dataclass(frozen=True)
class ModerationResult:
    """Result of :func:`moderation` (see its docstring for the model).

    Attributes
    ----------
    table : DataFrame
        Tidy coefficients (``term, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high``) plus ``std_estimate`` (Friedrich 1982 standardized coefficient).
    fit : statsmodels RegressionResults
        The fitted OLS model (design columns as named in ``table``).
    excluded : DataFrame
        Rows left out because a used column was missing (``row, subject_id, reason``).
    """

    table: pd.DataFrame = field(repr=False)
    fit: object = field(repr=False)
    y: str
    x: str
    m: str
    covariates: tuple[str, ...]
    n_obs: int
    conf_level: float
    interaction_term: str
    moderator_kind: str
    r2: float
    r2_adj: float
    delta_r2: float
    f2: float
    f_change: float
    p_change: float
    excluded: pd.DataFrame = field(repr=False)
    robust: str | None = None
    center: bool = True
    center_m: bool = True
    m_mean: float = float("nan")
    m_sd: float = float("nan")
    m_levels: tuple | None = None
    m_range: tuple[float, float] = (float("nan"), float("nan"))
    x_range: tuple[float, float] = (float("nan"), float("nan"))
    outcome_family: str = "gaussian"
    change_test: str = "F"
    _design: Design = field(default=None, repr=False)
    _cov_design_means: pd.Series = field(default=None, repr=False)
    _m_binary_values: tuple | None = field(default=None, repr=False)

    # ---- helpers ------------------------------------------------------------------------
    @property
    def df_resid(self) -> float:
        """Residual df of the t tests; infinite (z tests) for a logistic model."""
        return float(self.fit.df_resid) if self.outcome_family == "gaussian" else float("inf")

    def _params_cov(self):
        return pd.Series(self.fit.params), pd.DataFrame(self.fit.cov_params())

    def _slope_terms_original_scale(self):
        """Slope coefficients re-expressed for moderator values on the original scale.

        The fitted slope at centred moderator ``w - c`` is ``b_x + b_xm (w - c)``, i.e.
        ``(b_x - c b_xm) + b_xm w``; the covariance transforms with the same linear map.
        """
        params, cov = self._params_cov()
        xt, xmt = self.x, self.interaction_term
        c = self._design.m_center
        lin = np.array([[1.0, -c], [0.0, 1.0]])
        b = lin @ params[[xt, xmt]].to_numpy(float)
        v = lin @ cov.loc[[xt, xmt], [xt, xmt]].to_numpy(float) @ lin.T
        names = ["slope", "slope:m"]
        return pd.Series(b, index=names), pd.DataFrame(v, index=names, columns=names)

    def _default_levels(self):
        if self.moderator_kind == "categorical":
            return list(self.m_levels), list(map(str, self.m_levels))
        if self._m_binary_values is not None:
            vals = list(self._m_binary_values)
            return vals, [f"{v:g}" for v in vals]
        vals = [self.m_mean - self.m_sd, self.m_mean, self.m_mean + self.m_sd]
        return vals, ["-1 SD", "mean", "+1 SD"]

    def _resolve_at(self, at):
        if at is None:
            return self._default_levels()
        at = list(at) if not np.isscalar(at) else [at]
        if self.moderator_kind == "categorical":
            unknown = [a for a in at if a not in self.m_levels]
            if unknown:
                raise ModelError(
                    f"moderator {self.m!r} has no level(s) {unknown}; "
                    f"levels are {list(self.m_levels)}"
                )
            return at, list(map(str, at))
        try:
            vals = [float(a) for a in at]
        except (TypeError, ValueError) as exc:
            raise ModelError(f"`at` must be numeric values of moderator {self.m!r}: {at}") from exc
        return vals, [f"{v:g}" for v in vals]

    # ---- public methods -----------------------------------------------------------------
    def simple_slopes(self, at=None, conf_level: float | None = None) -> pd.DataFrame:
        """Slope of ``x`` at chosen moderator values (original scale) with SE, test and CI.

        Default: -1 SD, mean and +1 SD of a continuous moderator (sample SD), the two values of
        a two-valued numeric moderator, or every group of a categorical one.
        """
        cl = self.conf_level if conf_level is None else conf_level
        values, labels = self._resolve_at(at)
        df = self.df_resid
        if self.moderator_kind == "continuous":
            p, v = self._slope_terms_original_scale()
            out = slopes_from_cov(
                p, v, x_term="slope", xm_term="slope:m", m_values=values, df=df, conf_level=cl
            )
            out.insert(0, "m_label", pd.Series(labels, dtype="str"))
            return out
        params, cov = self._params_cov()
        rows = []
        for lev, lab in zip(values, labels):
            if lev == self.m_levels[0]:
                term, w = self.interaction_term, 0.0  # reference group: slope = b_x
            else:
                term, w = f"{self.x}:{dummy_name(self.m, lev, 'treatment')}", 1.0
            r = slopes_from_cov(
                params, cov, x_term=self.x, xm_term=term, m_values=[w], df=df, conf_level=cl
            )
            rows.append(r.assign(m_value=np.nan, m_label=lab))
        out = pd.concat(rows, ignore_index=True)
        cols = ["m_label", "m_value", *[c for c in out.columns if c not in ("m_label", "m_value")]]
        out = out[cols]
        out["m_label"] = out["m_label"].astype("str")
        return out

    def johnson_neyman(
        self, conf_level: float | None = None, n_points: int = 200, band: str = "pointwise"
    ) -> JohnsonNeyman:
        """Johnson–Neyman boundaries of the moderator (original scale) for the slope of ``x``.

        Only for a continuous moderator; the grid spans the observed moderator range.
        ``band="simultaneous"`` uses the Scheffé-type critical value of Bauer & Curran (2005),
        which holds the familywise error over the moderator's range at ``1 - conf_level``.
        Boundaries come with delta-method intervals, and the result carries a caution when the
        interaction itself is not significant.
        """
        if self.moderator_kind != "continuous":
            raise ModelError(
                f"Johnson–Neyman regions need a continuous moderator; {self.m!r} is categorical "
                "(use simple_slopes() for per-group slopes)"
            )
        cl = self.conf_level if conf_level is None else conf_level
        p, v = self._slope_terms_original_scale()
        return johnson_neyman_from_cov(
            p,
            v,
            x_term="slope",
            xm_term="slope:m",
            m_range=self.m_range,
            df=self.df_resid,
            conf_level=cl,
            n_points=n_points,
            x=self.x,
            m=self.m,
            band=band,
        )

    def predictions(self, n_points: int = 50, at=None) -> pd.DataFrame:
        """Predicted ``y`` over the observed ``x`` range at moderator levels, with CIs.

        Covariates are held at their means (dummy columns at their proportions); a logistic
        model predicts probabilities (interval: the log-odds interval mapped back). Columns:
        ``x_value, m_label, m_value, estimate, std_error, conf_low, conf_high``.
        """
        values, labels = self._resolve_at(at)
        xs = np.linspace(self.x_range[0], self.x_range[1], n_points)
        params, cov = self._params_cov()
        frames = []
        for val, lab in zip(values, labels):
            covd = pd.DataFrame(
                {c: np.full(n_points, self._cov_design_means[c]) for c in self._design.cov_columns},
                index=range(n_points),
            )
            mv = np.full(n_points, val, dtype=object if self.m_levels else float)
            design = self._design.build(xs, mv, covd)[params.index]
            xmat = design.to_numpy(float)
            est = xmat @ params.to_numpy(float)
            se = np.sqrt(np.einsum("ij,jk,ik->i", xmat, cov.to_numpy(float), xmat))
            lo, hi = ci_from_se(est, se, self.conf_level, self.df_resid)
            if self.outcome_family == "binomial":  # probabilities: the link-scale interval mapped back
                est, lo, hi = expit(est), expit(lo), expit(hi)
                se = est * (1 - est) * se  # delta method
            frames.append(
                pd.DataFrame(
                    {
                        "x_value": xs,
                        "m_label": lab,
                        "m_value": float(val) if self.moderator_kind == "continuous" else np.nan,
                        "estimate": est,
                        "std_error": se,
                        "conf_low": lo,
                        "conf_high": hi,
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True)
        out["m_label"] = out["m_label"].astype("str")
        return out

    def coverage_check(self, n_sims: int = 500, seed: int | None = None):
        """How often the coefficient intervals cover the truth at this design: outcomes
        simulated from the fitted model, predictors as observed, refitted
        (:mod:`hormonestats.models.coverage`)."""
        from .coverage import moderation_coverage

        return moderation_coverage(self, n_sims=n_sims, seed=seed)

    def fit_statistics(self) -> pd.DataFrame:
        """One-row frame: n, R², adjusted R², ΔR² of the interaction, f², F change and p."""
        return pd.DataFrame(
            {
                "n": [self.n],
                "r2": [self.r2],
                "r2_adj": [self.r2_adj],
                "delta_r2": [self.delta_r2],
                "f2": [self.f2],
                "f_change": [self.f_change],
                "p_change": [self.p_change],
            }
        )

    def _notes(self) -> list[str]:
        notes = []
        centred = [self.x] if self.center else []
        if self.center_m and self.moderator_kind == "continuous":
            centred.append(self.m)
        if centred:
            notes.append(f"Mean-centred in the model: {', '.join(centred)}.")
        if self.outcome_family == "binomial":
            notes.append(
                f"Logistic regression of the 0/1 outcome {self.y}: coefficients and slopes in "
                f"log-odds, Wald z tests; interaction tested by {self.change_test}; r2 is "
                "McFadden's pseudo R²."
            )
        if self.robust:
            tests = "t tests" if self.outcome_family == "gaussian" else "z tests"
            notes.append(f"{self.robust} heteroskedasticity-consistent standard errors ({tests}).")
        notes.append(
            "std_estimate: Friedrich (1982) standardized coefficients (z-scores formed before "
            "the product; dummies left unstandardized"
            + ("; the 0/1 outcome left as it is)." if self.outcome_family == "binomial" else ").")
        )
        if len(self.excluded):
            notes.append(excluded_note(self.excluded, "for missing values"))
        return notes

    def _tables(self):
        return [
            ("Coefficients", self.table),
            ("Model fit (interaction: R² change, F change)", self.fit_statistics()),
            (f"Simple slopes of {self.x} at values of {self.m}", self.simple_slopes()),
        ]

    def _display(self):
        title = f"Moderation: {self.y} ~ {self.x} x {self.m} (n = {self.n})"
        return title, self._tables(), self._notes()

    def _facts(self):
        return {"y": self.y, "x": self.x, "m": self.m, "covariates": self.covariates,
                "centred": self.center, "outcome_family": self.outcome_family,
                "conf_level": self.conf_level}


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------
def _check_inputs(data, y, x, m, covariates, robust, conf_level, m_categorical):
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    problems = []
    names = {"y": y, "x": x, "m": m}
    for role, name in names.items():
        if not isinstance(name, str):
            problems.append(f"{role} must be a column name (str), got {name!r}")
    if problems:
        raise ModelError("; ".join(problems))
    absent = [c for c in (y, x, m, *covariates) if c not in data.columns]
    if absent:
        problems.append(
            f"data has no column(s) {', '.join(map(repr, absent))}; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    if len({y, x, m}) < 3:
        problems.append(f"y, x and m must be three different columns, got {y!r}, {x!r}, {m!r}")
    overlap = [c for c in covariates if c in (y, x, m)]
    if overlap:
        problems.append(f"covariates {overlap} repeat y, x or m")
    if robust is not None and robust not in ROBUST_TYPES:
        problems.append(f"robust must be None or one of {ROBUST_TYPES}, got {robust!r}")
    if not 0 < conf_level < 1:
        problems.append(f"conf_level must be between 0 and 1, got {conf_level!r}")
    for role, name in (("y", y), ("x", x)):
        if name in data.columns and not _is_numeric(data[name]):
            problems.append(
                f"{role} column {name!r} must be numeric (dtype {data[name].dtype}); code a "
                "two-group variable as 0/1 (e.g. 0 = placebo, 1 = oxytocin)"
            )
    if m in data.columns and m_categorical is False and not _is_numeric(data[m]):
        problems.append(f"moderator {m!r} is not numeric but m_categorical=False")
    for name in (y, x, m, *covariates):
        if name in data.columns and _is_numeric(data[name]):
            vals = data[name].to_numpy(dtype=float, na_value=np.nan)
            inf = np.isinf(vals)
            if inf.any():
                problems.append(
                    f"column {name!r} has infinite values at {format_rows(data.index[inf])}"
                )
    if problems:
        raise ModelError("Cannot fit the moderation model: " + "; ".join(problems))


def _moderator(values: pd.Series, *, categorical: bool, center_m: bool, problems: list):
    """What the model needs of the moderator: ``(levels, raw values, centre, mean, SD,
    range)``; levels for a categorical moderator (mean, SD and range NaN), the mean-centred
    numbers otherwise. A moderator without variation adds a problem."""
    nan = float("nan")
    if categorical:
        levels = _levels(values)
        if len(levels) < 2:
            problems.append(f"categorical moderator {values.name!r} has fewer than two levels")
        return levels, values.to_numpy(dtype=object), 0.0, nan, nan, (nan, nan)
    numbers = values.astype(float)
    if numbers.nunique() < 2:
        problems.append(f"moderator {values.name!r} has no variation in the analysed rows")
    mean, sd = float(numbers.mean()), float(numbers.std(ddof=1))
    return (None, numbers.to_numpy(), mean if center_m else 0.0, mean, sd,
            (float(numbers.min()), float(numbers.max())))


def moderation(
    data: pd.DataFrame,
    *,
    y: str,
    x: str,
    m: str,
    covariates: Sequence[str] = (),
    center: bool = True,
    robust: str | None = None,
    conf_level: float = 0.95,
    m_categorical: bool | None = None,
    family: str | None = None,
    center_m: bool | None = None,
    keller: bool = False,
) -> ModerationResult:
    """Moderation with an ``x`` by ``m`` product term (PROCESS model 1).

    Fits ``y ~ x + m + x:m + covariates`` by OLS, or by logistic regression when ``y`` is a 0/1
    outcome (``family``; PROCESS does the same, and a linear probability model is fitted only
    when asked for with ``family="gaussian"``). With ``center=True`` ``x`` and a continuous ``m`` are
    mean-centred over the analysed rows, so the lower-order coefficients are the effects at the
    other variable's mean (Aiken & West 1991); the product coefficient is unchanged by centring.
    A categorical moderator (non-numeric column, or ``m_categorical=True``) enters as
    treatment-coded dummies with the first sorted level as reference, one product per dummy.
    Non-numeric covariates enter as dummies the same way.

    Rows with a missing value in any used column are left out of the fit and listed in
    ``result.excluded`` (row label, subject_id, which columns were missing).

    Parameters
    ----------
    data : DataFrame
        One row per observation; not modified.
    y, x, m : str
        Outcome, focal predictor (numeric; code two groups as 0/1) and moderator columns.
    covariates : sequence of str
        Further predictors (entered uncentred, without interactions).
    center : bool
        Mean-centre ``x`` and a continuous ``m`` (default True). PROCESS centres only on request.
    robust : {None, "HC0", "HC1", "HC2", "HC3"}
        Heteroskedasticity-consistent covariance; tests stay t tests with the residual df, as in
        PROCESS (whose output uses HC3).
    conf_level : float
        Confidence level of every interval.
    m_categorical : bool, optional
        Force the moderator to be treated as categorical (True) or continuous (False).
    family : {None, "gaussian", "binomial"}
        Outcome model. ``None`` (default): logistic for a 0/1 outcome, OLS otherwise. Logistic
        coefficients, simple slopes and Johnson–Neyman regions are on the log-odds scale with
        z tests; the interaction is tested by the likelihood ratio (``p_change``), ``r2`` is
        McFadden's pseudo R² and ``predictions()`` are probabilities.
    center_m : bool, optional
        Centre a continuous moderator separately from ``x`` (default: as ``center``).
    keller : bool
        Add every covariate design column's product with ``x`` and with ``m`` (covariates
        centred in those products; Keller 2014). :func:`hormonestats.gxe` uses this.

    Returns
    -------
    ModerationResult
        ``.table`` (tidy, with ``std_estimate``), ``.fit``, R², ΔR² of the interaction, f²,
        F change; ``.simple_slopes()``, ``.johnson_neyman()``, ``.predictions()``,
        ``.coverage_check()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"oxt": rng.normal(size=200), "e2": rng.normal(size=200)})
    >>> d["rmet"] = 0.3 * d.oxt + 0.2 * d.e2 + 0.4 * d.oxt * d.e2 + rng.normal(size=200)
    >>> res = hs.moderation(d, y="rmet", x="oxt", m="e2")
    >>> res.interaction_term
    'oxt:e2'
    >>> res.simple_slopes()["m_label"].tolist()
    ['-1 SD', 'mean', '+1 SD']
    >>> bool(res.table.set_index("term").loc["oxt:e2", "p_value"] < 0.001)
    True
    """
    covariates = _as_tuple(covariates)
    _check_inputs(data, y, x, m, covariates, robust, conf_level, m_categorical)
    frame, excluded = complete_cases(data, [y, x, m, *covariates])
    family = resolve_family(family, frame[y], y)
    categorical = bool(m_categorical) if m_categorical is not None else not _is_numeric(frame[m])
    if keller and categorical:
        raise ModelError("Keller covariate terms need a numeric-coded moderator")
    center_m = center if center_m is None else center_m

    problems = []
    yv = frame[y].astype(float)
    xv = frame[x].astype(float)
    if xv.nunique() < 2:
        problems.append(f"x column {x!r} has no variation in the analysed rows")
    m_levels, m_raw, m_center, m_mean, m_sd, m_range = _moderator(
        frame[m], categorical=categorical, center_m=center_m, problems=problems)
    cov = covariate_design(frame, covariates)
    design = Design(
        x=x,
        m=m,
        x_center=float(xv.mean()) if center else 0.0,
        m_center=m_center,
        m_levels=m_levels,
        cov_columns=tuple(cov.columns),
        cov_means=tuple(float(v) for v in cov.mean()),
        extra=tuple((c, w) for c in cov.columns for w in ("x", "m")) if keller else (),
    )
    n = len(frame)
    n_par = 1 + 1 + len(design.m_columns) + len(cov.columns) + len(design.interaction_columns)
    n_par += len(design.extra_columns)
    if n <= n_par:
        problems.append(
            f"only {n} complete rows for {n_par} coefficients ({len(excluded)} rows had missing "
            "values)"
        )
    if problems:
        raise ModelError("Cannot fit the moderation model: " + "; ".join(problems))

    exog = design.build(xv.to_numpy(), m_raw, cov)
    rank = np.linalg.matrix_rank(exog.to_numpy(float))
    if rank < exog.shape[1]:
        raise ModelError(
            f"the design of {y} ~ {x} x {m} (+ covariates) is rank deficient "
            f"(rank {rank} < {exog.shape[1]} columns): some columns are collinear"
        )
    fit = fit_family(yv, exog, family, robust)
    inter = list(design.interaction_columns)
    reduced = fit_family(yv, exog.drop(columns=inter), family)
    # Gaussian: Wald F (the nested F change without robust SEs); binomial: LR chi-square
    stat, p_change, change_test = nested_test(fit, reduced, inter, family)
    if family == "gaussian":
        r2, r2_red, r2_adj = float(fit.rsquared), float(reduced.rsquared), float(fit.rsquared_adj)
    else:
        r2, r2_red, r2_adj = float(fit.prsquared), float(reduced.prsquared), float("nan")
    delta = r2 - r2_red

    table = _tidy(fit, conf_level)
    table["std_estimate"] = _friedrich(frame, yv, xv, m_raw, cov, design, table["term"], family)
    m_unique = np.unique(m_raw) if not categorical else None
    binary = (
        tuple(float(v) for v in m_unique) if m_unique is not None and len(m_unique) == 2 else None
    )
    return ModerationResult(
        table=table,
        fit=fit,
        y=y,
        x=x,
        m=m,
        covariates=covariates,
        n_obs=n,
        conf_level=conf_level,
        interaction_term=inter[0],
        moderator_kind="categorical" if categorical else "continuous",
        r2=r2,
        r2_adj=r2_adj,
        delta_r2=delta,
        f2=delta / (1 - r2) if family == "gaussian" else float("nan"),
        f_change=stat,
        p_change=p_change,
        outcome_family=family,
        change_test=change_test,
        excluded=excluded,
        robust=robust,
        center=center,
        center_m=center_m,
        m_mean=m_mean,
        m_sd=m_sd,
        m_levels=m_levels,
        m_range=m_range,
        x_range=(float(xv.min()), float(xv.max())),
        _design=design,
        _cov_design_means=cov.mean(),
        _m_binary_values=binary,
    )


def _tidy(fit, conf_level) -> pd.DataFrame:
    return tidy_statsmodels(fit, conf_level)[TIDY_COLUMNS]


def _friedrich(frame, yv, xv, m_raw, cov, design: Design, terms, family) -> np.ndarray:
    """Standardized coefficients: refit on z-scores with products of z-scores (Friedrich 1982).

    A 0/1 outcome stays 0/1 (log-odds per SD of the predictors)."""

    def z(v):
        v = np.asarray(v, float)
        return (v - v.mean()) / v.std(ddof=1)

    cov_z = cov.copy()
    for c in cov.columns:
        if "[T." not in c:  # dummy columns stay 0/1
            cov_z[c] = z(cov[c])
    zdesign = design.uncentred(cov_z.mean())
    m_z = m_raw if design.m_levels is not None else z(m_raw)
    exog = zdesign.build(z(xv), m_z, cov_z)
    outcome = z(yv) if family == "gaussian" else np.asarray(yv, float)
    params = fit_family(outcome, exog, family).params
    out = np.array(params.reindex(list(terms)).to_numpy(float), copy=True)
    out[list(terms).index(INTERCEPT)] = np.nan
    return out

