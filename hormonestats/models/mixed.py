"""Linear mixed models for repeated measures, with the within/between split of time-varying
predictors (Curran & Bauer 2011), cross-level interactions (Bauer & Curran 2005), and lme4-style
formulas for any mix of random slopes and nested or crossed grouping factors.

The model is fitted by the engine in :mod:`hormonestats.models.lmm`, on lme4's penalised least
squares formulation (Bates, Maechler, Bolker & Walker 2015): the profiled REML criterion (or ML
deviance) is minimised over the relative covariance factor theta. From the fit come the
quantities lme4/lmerTest users expect:

* the fixed-effect covariance ``sigma^2 (RX' RX)^-1`` (lme4's ``vcov``),
* the REML criterion (lme4's ``REMLcrit``) or the ML deviance,
* Satterthwaite (1946) degrees of freedom for every fixed effect and every linear contrast, by
  the method of lmerTest (Kuznetsova, Brockhoff & Christensen 2017), or Kenward & Roger (1997)
  df with the adjusted covariance (pbkrtest's computation),
* estimated marginal means and contrasts of categorical predictors (emmeans' reference grid),
  likelihood-ratio tests between nested fits (:func:`mixed_lrt`) and lme4's singular-fit rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, ModelError
from ..results import conforms
from ._slopes import JohnsonNeyman, johnson_neyman_from_cov, slopes_from_cov
from .glmm.api import from_mixed
from .glmm.result import GLMMResult, glmm_lrt
from .lmm.design import (
    drop_missing,
    numeric_problems,
    require_columns,
)
from .lmm.fit import LMMFit, MixedModelWarning, variance_components
from .lmm.formula import ModelSpec, RandomTerm, parse_formula
from .lmm.icc import null_icc as _null_icc
from .lmm.inference import emmeans_table, likelihood_ratio, tidy_rows
from .lmm.model import fit_model
from .lmm.serial import as_correlation, serial_notes, serial_table

__all__ = ["MixedModelWarning", "MixedResult", "mixed", "mixed_lrt"]

def _q(name: str) -> str:
    """A column name as a formula token (backticks unless it is an identifier)."""
    import re

    return name if re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", name) else f"`{name}`"


def spec_formula(spec: ModelSpec) -> str:
    """lme4 syntax of a :class:`ModelSpec` (for display)."""
    fx = [":".join(map(_q, t)) for t in spec.terms]
    if not spec.intercept:
        fx = ["0", *fx]
    rnd = []
    for r in spec.random:
        inner = [":".join(map(_q, t)) for t in r.terms]
        inner = (["1"] if r.intercept else ["0"]) + inner
        bar = "|" if r.correlated else "||"
        rnd.append(f"({' + '.join(inner)} {bar} {':'.join(map(_q, r.group))})")
    return f"{_q(spec.response)} ~ " + " + ".join((fx or ["1"]) + rnd)


@conforms("mixed", aliases={"dropped": "excluded"})
@dataclass(frozen=True, eq=False)
class MixedResult:
    """Result of :func:`mixed`.

    Attributes
    ----------
    table : DataFrame
        Fixed effects, tidy (``term, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high``). ``df`` follows :attr:`df_method`.
    variance_components : DataFrame
        ``group, term, variance, sd, correlation``: one row per random effect, one per pair
        (``term`` ``"a~b"``, ``variance`` holds the covariance, ``correlation`` the
        correlation) and the residual.
    icc : float
        Intraclass correlation of ``y`` from the unconditional random-intercept model
        ``y ~ 1 + (1 | subject)`` fitted by REML on the analysed rows: tau00 / (tau00 + sigma^2),
        the share of the outcome's variance that lies between persons (for a formula, the
        first grouping factor plays the subject's part).
    fit : LMMFit
        The engine's fit (theta, sigma^2, covariances); no statsmodels object.
    converged : bool
    warnings : tuple of str
        Plain-language problems (boundary/singular fit, non-convergence) with what to try.
        The same messages are emitted as :class:`MixedModelWarning`.
    n_obs, n_subjects : int
        Rows analysed; levels of the (first) grouping factor.
    reml_criterion : float
        -2 x REML log-likelihood at the estimates (lme4's ``REMLcrit``); NaN when ``reml=False``.
    deviance : float
        -2 x log-likelihood (ML) or the REML criterion (REML).
    df_method : str
        How ``df`` was obtained (Satterthwaite as in lmerTest, or Wald z).
    excluded : DataFrame
        Exclusion log of rows dropped for missing values (empty if none; ``dropped`` is the
        old name).
    formula : str
        The model in lme4 syntax (built from the keywords when no formula was given).
    singular : bool
        lme4's ``isSingular`` rule: a diagonal element of theta below 1e-4.
    n_groups : dict
        Levels of every grouping factor.
    optimiser : str
        Which optimiser runs were made and which won: one run when its optimum passes the
        gradient and Hessian checks off the boundary; restarts (another start, a derivative-free
        optimiser) from a boundary or a failed check, the lowest criterion kept. ``converged``
        is True only when the reported optimum passes the checks.
    """

    table: pd.DataFrame
    variance_components: pd.DataFrame
    icc: float
    fit: object
    converged: bool
    warnings: tuple
    n_obs: int
    n_subjects: int
    reml_criterion: float
    deviance: float
    df_method: str
    excluded: pd.DataFrame
    y: str
    x: str | None
    m: str | None = None
    conf_level: float = 0.95
    formula: str = ""
    singular: bool = False
    n_groups: dict = field(default_factory=dict)
    optimiser: str = ""
    _lmm: LMMFit | None = field(default=None, repr=False)
    _frame: pd.DataFrame | None = field(default=None, repr=False)
    _x_term: str | None = field(default=None, repr=False)
    _m_mean: float = field(default=0.0, repr=False)
    _m_sd: float = field(default=float("nan"), repr=False)
    _m_range: tuple = field(default=(np.nan, np.nan), repr=False)

    # ---- moderation by a level-2 variable ------------------------------------------------
    def _check_m(self):
        if self.m is None:
            raise ModelError(
                "simple slopes need a between-person moderator: call hs.mixed(..., m='...')."
            )

    def simple_slopes(self, at=None) -> pd.DataFrame:
        """Slope of the within-person part of ``x`` at values of the moderator ``m``.

        ``at`` holds moderator values on its original scale (default: mean - 1 SD, mean,
        mean + 1 SD of the person-level values). Each slope gets its own Satterthwaite df.
        Returns ``m_label, m_value, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high`` (labels "-1 SD", "mean", "+1 SD" by default, as for ``hs.moderation``).
        """
        self._check_m()
        lmm = self._lmm
        if at is None:
            values = [self._m_mean - self._m_sd, self._m_mean, self._m_mean + self._m_sd]
            labels = ["-1 SD", "mean", "+1 SD"]
        else:
            values = list(np.atleast_1d(np.asarray(at, float)))
            labels = [f"{v:g}" for v in values]
        xt, xmt = self._x_term, f"{self._x_term}:{self.m}"
        i, j = lmm.names.index(xt), lmm.names.index(xmt)
        parts = []
        for v in values:
            L = np.zeros(len(lmm.names))
            L[i], L[j] = 1.0, v - self._m_mean
            df = lmm.contrast(L)[2]
            part = slopes_from_cov(
                lmm.params(),
                lmm.cov_frame(),
                x_term=xt,
                xm_term=xmt,
                m_values=[v - self._m_mean],
                df=df if np.isfinite(df) else None,
                conf_level=self.conf_level,
            )
            parts.append(part.assign(m_value=v))
        out = pd.concat(parts, ignore_index=True)
        out.insert(0, "m_label", labels)
        return out

    def johnson_neyman(self, conf_level: float | None = None) -> JohnsonNeyman:
        """Johnson–Neyman region for the within-person slope across ``m`` (original scale).

        Uses one df for the whole range: the smaller Satterthwaite df of the within-person
        slope and of the cross-level interaction (conservative).
        """
        self._check_m()
        lmm = self._lmm
        xt, xmt = self._x_term, f"{self._x_term}:{self.m}"
        dfs = self.table.set_index("term").loc[[xt, xmt], "df"]
        df = float(dfs.min())
        # re-express on the raw moderator scale: slope(w) = (b_x - b_xm * mean) + b_xm * w
        names = list(lmm.names)
        T = np.eye(len(names))
        T[names.index(xt), names.index(xmt)] = -self._m_mean
        params = pd.Series(T @ lmm.beta, index=names)
        cov = pd.DataFrame(T @ lmm.cov @ T.T, index=names, columns=names)
        return johnson_neyman_from_cov(
            params,
            cov,
            x_term=xt,
            xm_term=xmt,
            m_range=self._m_range,
            df=df if np.isfinite(df) else None,
            conf_level=self.conf_level if conf_level is None else conf_level,
            x=xt,
            m=self.m,
        )

    def contrast(self, weights: dict) -> pd.DataFrame:
        """Test a linear combination of fixed effects, e.g. ``{"x_within": 1, "x_between": -1}``
        (within minus between: the contextual effect). Satterthwaite df as in :attr:`table`."""
        names = list(self._lmm.names)
        unknown = [k for k in weights if k not in names]
        if unknown:
            raise ModelError(f"Unknown term(s) {unknown}; terms: {', '.join(names)}")
        L = np.array([float(weights.get(n, 0.0)) for n in names])
        label = " + ".join(f"{w:g}*{k}" for k, w in weights.items())
        return tidy_rows([(label, *self._lmm.contrast(L))], self.conf_level)

    def emmeans(self, factor: str, adjust: str = "none") -> tuple[pd.DataFrame, pd.DataFrame]:
        """Estimated marginal means of a categorical predictor and their pairwise contrasts
        (later minus earlier level), as emmeans computes them: a reference grid of all factor
        levels with numeric predictors at their means, equal weights over the other factors.
        The df are those of the fit (:attr:`df_method`: Satterthwaite, or Kenward–Roger with the
        adjusted covariance). ``adjust`` (``"none"``, ``"tukey"``, ``"holm"``,
        ``"bonferroni"``, ``"mvt"``) adjusts the contrasts' p values and intervals as emmeans'
        ``adjust =`` does (Holm's intervals are Bonferroni's, as in emmeans); see
        :mod:`hormonestats.models.lmm.adjust`. Returns (means, contrasts)."""
        return emmeans_table(self._lmm, self._frame, factor, self.conf_level, adjust)

    def anova(self) -> pd.DataFrame:
        """Type-III F tests of the fixed-effect terms as ``lmerTest::anova(type = 3)``, with the
        fit's df method (:mod:`hormonestats.models.lmm.anova`): ``term, sum_sq, mean_sq,
        num_df, den_df, statistic, p_value``."""
        from .lmm.anova import anova_table

        return anova_table(self._lmm, self._frame)

    def confint_profile(self, conf_level: float | None = None, which: str = "all"):
        """lme4's ``confint(method = "profile")`` (:mod:`~hormonestats.models.lmm.profile`):
        random-effect SDs, correlations, sigma, then fixed effects (``which``: ``"all"``,
        ``"variance"``, ``"fixed"``) around the ML estimates, also for a REML fit."""
        from .lmm.profile import profile_table

        if self._lmm.serial is not None:
            raise ModelError(
                "Profile intervals are not offered with a residual correlation structure; see "
                "residual_correlation() for phi's interval."
            )
        level = self.conf_level if conf_level is None else conf_level
        return profile_table(self._lmm, self._frame, self.formula, level, which)

    def residual_correlation(self, conf_level: float | None = None) -> pd.DataFrame:
        """The estimated residual correlation (``structure, time, group, phi, conf_low,
        conf_high, interval``; empty without one): the Wald interval on nlme's unconstrained
        scale of phi, as ``intervals(lme)``; test phi by :func:`mixed_lrt` against the fit
        without ``correlation`` (for CAR(1), phi = 0 lies on the boundary, so that chi-square
        p value is conservative: Self & Liang 1987). A CAR(1) phi estimated at 0 has no
        interval (NaN)."""
        return serial_table(self._lmm, self.conf_level if conf_level is None else conf_level)

    # ---- display ---------------------------------------------------------------------------
    def _notes(self) -> list[str]:
        groups = "; ".join(f"{g}: {k} levels" for g, k in self.n_groups.items())
        crit = (
            f"REML criterion {self.reml_criterion:.2f}"
            if np.isfinite(self.reml_criterion)
            else f"deviance (ML) {self.deviance:.2f}"
        )
        notes = [
            f"{self.formula}" if self.formula else "",
            f"n = {self.n_obs} observations ({groups}); {crit}; ICC (null model) {self.icc:.3f}.",
            f"df: {self.df_method}.",
            *serial_notes(self._lmm, self.conf_level),
        ]
        notes = [n for n in notes if n]
        if len(self.excluded):
            notes.append(f"{len(self.excluded)} row(s) dropped for missing values (see .excluded).")
        notes.extend(f"WARNING: {w}" for w in self.warnings)
        return notes

    def _display(self):
        return (f"Linear mixed model: {self.y}",
                [("Fixed effects", self.table), ("Random effects", self.variance_components)],
                self._notes())

    def _facts(self):
        return {"y": self.y, "x": self.x, "m": self.m, "formula": self.formula,
                "df_method": self.df_method, "n_groups": dict(self.n_groups),
                "conf_level": self.conf_level,
                **({"correlation": self._lmm.serial.describe(),
                    "phi": self._lmm.serial.phi} if self._lmm.serial is not None else {})}


def _person_centre(d: pd.DataFrame, col: str, subject: str) -> tuple[pd.Series, pd.Series]:
    pm = d.groupby(subject, sort=False)[col].transform("mean")
    grand = d.groupby(subject, sort=False)[col].mean().mean()
    return (d[col] - pm).astype(float), (pm - grand).astype(float)


def mixed(
    data: pd.DataFrame,
    *,
    formula: str | None = None,
    y: str | None = None,
    x: str | None = None,
    subject: str | None = None,
    covariates: Sequence[str] = (),
    m: str | None = None,
    random_slopes: bool = True,
    decompose: bool | Sequence[str] = True,
    reference: dict | None = None,
    conf_level: float = 0.95,
    reml: bool = True,
    df_method: str | None = None,
    family: str = "gaussian", link: str | None = None, n_agq: int = 1,
    trials: str | None = None, offset: str | None = None,
    correlation=None,
) -> MixedResult:
    """Linear mixed model: an lme4-style ``formula``, or the repeated-measures keywords.

    With ``formula`` (e.g. ``"mood ~ e2_within + e2_between + (e2_within | subject) +
    (1 | plate)"``) any fixed part (``a + b``, ``a:b``, ``a*b``; text columns are categorical,
    treatment-coded with the first level, or ``reference[column]``, as reference) and any random
    part (``(x | g)``, ``(1 | g)``, ``(0 + x | g)``, ``(x || g)``, nested ``(1 | a/b)``, crossed
    ``(1 | a) + (1 | b)``, ``(1 | a:b)``) can be fitted. Column names are looked up, never
    evaluated.

    Without a formula, the keywords build one. Person-mean centring (Curran & Bauer 2011):
    ``<x>_within`` is the deviation from the person's own mean and ``<x>_between`` the person
    mean centred at the mean of the person means (each person counts once). Both enter as fixed
    effects, so the within-person and between-person slopes are estimated separately. Random
    intercepts per ``subject`` and, if ``random_slopes``, a correlated random slope of the within
    part (like lme4's ``(1 + x_within | subject)``).

    Parameters
    ----------
    data : DataFrame
        Long table, one row per observation. Not modified.
    formula : str, optional
        lme4-style model formula; then ``y``, ``x``, ``subject``, ``covariates`` and ``m``
        must not be given (``random_slopes`` and ``decompose`` are not used).
    y, x : str
        Outcome and time-varying predictor (numeric).
    subject : str
        Person identifier.
    covariates : sequence of str
        Extra fixed effects; numeric as is, text/categorical as treatment dummies
        (``name[level]``).
    m : str, optional
        Between-person (level-2) moderator, numeric and constant within each person. It is
        centred at the mean of the person-level values and enters with the cross-level
        interaction ``<x>_within:<m>``; see :meth:`MixedResult.simple_slopes` and
        :meth:`MixedResult.johnson_neyman` (Bauer & Curran 2005).
    random_slopes : bool
        Random slope of ``x``'s within part (or of ``x`` if not decomposed).
    decompose : bool or sequence of str
        ``True`` splits ``x``; ``False`` uses ``x`` as is; a sequence names the columns to split
        (``x`` and/or time-varying covariates).
    reference : dict, optional
        Reference level per categorical column, e.g. ``{"drug": "placebo"}``.
    conf_level : float
    reml : bool
        REML (default) or maximum likelihood (use ML to compare fixed effects with
        :func:`mixed_lrt`).
    df_method : {"satterthwaite", "kenward-roger", "wald"}, optional
        Satterthwaite df as in lmerTest (default); Kenward–Roger df with the bias-adjusted
        fixed-effect covariance as in pbkrtest (any number of rows; up to 6,000 random
        effects); or Wald z tests (df = inf). A generalized family: ``"wald"`` (default) or
        ``"between-within"`` (t tests, :mod:`.glmm.ddf`).
    family, link, n_agq, trials, offset
        ``"binomial"`` (logit/probit), ``"poisson"`` or ``"negative_binomial"`` (log): a
        generalized mixed model (formula only; 0/1, successes of ``trials``, ``cbind(s, f)`` or
        counts; ``offset`` column): :mod:`.glmm`. ``reml=True`` (default): Laplace restricted
        likelihood (glmmTMB's REML); ``reml=False``: ML as ``glmer`` (or ``n_agq`` quadrature).
    correlation : Correlation or str, optional
        Serial correlation of the residuals within a person, on top of the random effects (as
        nlme's ``lme(..., correlation =)``): ``hs.ar1("occasion")`` (integer occasions,
        ``corAR1``) or ``hs.car1("time")`` (individual sample times, ``corCAR1``), or the text
        ``"ar1(occasion)"`` / ``"car1(time | subject)"``. The group defaults to the first
        random-effect term's grouping factor. phi is estimated with the variance components
        (REML or ML) and reported in :attr:`MixedResult.variance_components` and
        :meth:`MixedResult.residual_correlation`; the Satterthwaite df count phi among the
        variance parameters; Kenward-Roger is not offered with it (:mod:`.lmm.serial`).

    Returns
    -------
    MixedResult, or GLMMResult for a generalized family

    Notes
    -----
    Rows with a missing value in any used column are dropped and listed in
    ``result.excluded``. Problems of the fit are in ``result.warnings`` and emitted as
    :class:`MixedModelWarning`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> rng = np.random.default_rng(1)
    >>> subj = np.repeat(np.arange(30), 6)
    >>> pm = rng.normal(0, 1, 30)[subj]
    >>> x = pm + rng.normal(0, 1, subj.size)
    >>> yv = 0.6 * (x - pm) - 0.4 * pm + rng.normal(0, 1, 30)[subj] + rng.normal(0, .5, subj.size)
    >>> df = pd.DataFrame({"id": subj, "x": x, "y": yv})
    >>> res = hs.mixed(df, y="y", x="x", subject="id", random_slopes=False)
    >>> res.table["term"].tolist()
    ['Intercept', 'x_within', 'x_between']
    >>> bool(res.table.set_index("term").loc["x_within", "conf_low"] > 0)
    True
    >>> hs.mixed(df, formula="y ~ x + (1 | id)").formula
    'y ~ x + (1 | id)'
    """
    if family != "gaussian":  # the generalized engine (hormonestats.models.glmm)
        if correlation is not None:
            raise ModelError("correlation= is offered for the Gaussian mixed model only.")
        return from_mixed(data, formula, family, locals())
    corr = as_correlation(correlation)
    if formula is not None:
        given = [a for a, v in (("y", y), ("x", x), ("subject", subject), ("m", m)) if v]
        if given or covariates:
            raise ModelError(
                f"Give either formula=... or the keywords, not both (also given: "
                f"{', '.join(given + (['covariates'] if covariates else []))})."
            )
        return _mixed_formula(data, formula, reference, conf_level, reml,
                              df_method or "satterthwaite", corr)
    missing_args = [a for a, v in (("y", y), ("x", x), ("subject", subject)) if v is None]
    if missing_args:
        raise ModelError(
            f"hs.mixed needs formula=... or the keywords y, x and subject (missing: "
            f"{', '.join(missing_args)})."
        )
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(data, {"y": y, "x": x, "subject": subject, "covariates": covariates, "m": m,
                           "correlation": corr and [c for c in (corr.time, corr.group) if c]})
    problems = numeric_problems(data, [y, x] + ([m] if m else []))
    if isinstance(decompose, bool):
        split = [x] if decompose else []
    else:
        split = [decompose] if isinstance(decompose, str) else list(decompose)
        bad = [c for c in split if c not in [x, *covariates]]
        if bad:
            problems.append(f"decompose names {bad}, which are neither x nor a covariate")
        problems += numeric_problems(data, [c for c in split if c in data.columns])
    if problems:
        raise DataError("Cannot fit the mixed model: " + "; ".join(problems) + ".")
    extra = [corr.time, corr.group] if corr else []
    d, dropped = drop_missing(data, [y, x, subject, *covariates, m, *extra], "mixed", subject)
    n_sub = d[subject].nunique()
    if n_sub < 2:
        raise ModelError(f"Need at least 2 subjects in column {subject!r}; found {n_sub}.")
    work = d.copy()
    terms = []
    x_term = f"{x}_within" if x in split else x
    for c in [x, *covariates]:
        if c in split:
            w, b = _person_centre(d, c, subject)
            work[f"{c}_within"], work[f"{c}_between"] = w, b
            terms += [(f"{c}_within",), (f"{c}_between",)]
        elif c == x:
            terms.append((x,))
    terms += [(c,) for c in covariates if c not in split]
    m_mean = m_sd = np.nan
    m_range = (np.nan, np.nan)
    if m is not None:
        per = d.groupby(subject, sort=False)[m].agg(["min", "max"])
        varying = per.index[per["min"] != per["max"]].tolist()
        if varying:
            raise DataError(
                f"Moderator {m!r} must be constant within each subject (a level-2 variable); it "
                f"varies within subject(s) {', '.join(map(str, varying[:10]))}"
                + (f" and {len(varying) - 10} more" if len(varying) > 10 else "")
                + ". Use it as x or a covariate instead, or aggregate it per person."
            )
        msub = d.groupby(subject, sort=False)[m].first().astype(float)
        m_mean, m_sd = float(msub.mean()), float(msub.std(ddof=1))
        m_range = (float(msub.min()), float(msub.max()))
        work[m] = d[m].astype(float) - m_mean
        terms += [(m,), (x_term, m)]
    if random_slopes:
        within_sd = work[x_term].astype(float).groupby(d[subject]).std(ddof=0)
        if not (within_sd > 0).any():
            raise ModelError(
                f"{x!r} does not vary within any subject, so a random slope cannot be "
                "estimated; use random_slopes=False."
            )
    rterm = RandomTerm(((x_term,),) if random_slopes else (), True, (subject,))
    spec = ModelSpec(y, tuple(terms), True, (rterm,))
    lmm, work, _ = fit_model(
        work,
        spec,
        reference=reference,
        reml=reml,
        df_method=df_method or "satterthwaite",
        what="hs.mixed",
        subject=subject,
        checked=True,
        correlation=corr,
    )
    return _result(
        lmm,
        work,
        spec,
        dropped,
        subject,
        conf_level,
        y=y,
        x=x,
        m=m,
        x_term=x_term,
        m_stats=(m_mean, m_sd, m_range),
    )


def _mixed_formula(data, formula, reference, conf_level, reml, df_method, corr) -> MixedResult:
    spec = parse_formula(formula)
    lmm, d, dropped = fit_model(data, spec, reference=reference, reml=reml,
                                df_method=df_method, what="hs.mixed", correlation=corr)
    return _result(lmm, d, spec, dropped, None, conf_level, y=spec.response)


def _result(
    lmm,
    d,
    spec,
    dropped,
    subject,
    conf_level,
    *,
    y,
    x=None,
    m=None,
    x_term=None,
    m_stats=(np.nan, np.nan, (np.nan, np.nan)),
) -> MixedResult:
    g0 = spec.random[0].group
    codes = lmm._codes0
    if codes is None:
        codes = pd.factorize(
            d[g0[0]] if len(g0) == 1 else pd.MultiIndex.from_frame(d[list(g0)].astype(str))
        )[0]
    icc = _null_icc(d[y].astype(float).to_numpy(), np.asarray(codes))[0]
    return MixedResult(
        table=lmm.tidy(conf_level),
        variance_components=variance_components(lmm, subject),
        icc=float(icc),
        fit=lmm,
        converged=lmm.converged,
        warnings=lmm.messages,
        n_obs=lmm.n_obs,
        n_subjects=int(lmm.n_levels[":".join(g0)]),
        reml_criterion=lmm.criterion if lmm.reml else float("nan"),
        deviance=lmm.criterion,
        df_method=lmm.df_method,
        excluded=dropped,
        y=y,
        x=x,
        m=m,
        conf_level=conf_level,
        formula=spec_formula(spec),
        singular=lmm.singular,
        n_groups=dict(lmm.n_levels),
        optimiser=lmm.optimiser,
        _lmm=lmm,
        _frame=d,
        _x_term=x_term,
        _m_mean=m_stats[0],
        _m_sd=m_stats[1],
        _m_range=m_stats[2],
    )


def mixed_lrt(smaller: MixedResult, larger: MixedResult) -> pd.DataFrame:
    """Likelihood-ratio test between nested :func:`mixed` fits of the same rows.

    Fit both with ``reml=False`` to compare fixed effects (as lme4's ``anova`` does after its
    ML refit); REML fits may be compared only when their fixed effects are the same (then a
    test of random-effect terms, conservative on the boundary: Self & Liang 1987). Returns
    ``model, n_params, deviance, chisq, df, p_value``.
    """
    if isinstance(smaller, GLMMResult) or isinstance(larger, GLMMResult):
        return glmm_lrt(smaller, larger)
    return likelihood_ratio(smaller, larger)
