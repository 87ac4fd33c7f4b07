"""Effect sizes with confidence intervals, standardized coefficients and FDR control.

- :func:`fdr`: adjusted p-values across a family of tests (Benjamini & Hochberg 1995 by default),
  through ``statsmodels.stats.multitest.multipletests``.
- :func:`partial_eta_squared`: per-term partial eta squared of an OLS fit from *type 3* F tests
  (each term tested given all the others, i.e. the Wald F of the term's coefficients, the same as
  ``anova_lm(..., typ=3)`` for OLS), with Cohen's f² of the term.
- :func:`f_squared`: Cohen's f² = ΔR² / (1 - R²_full) of a set of terms (Cohen 1988), with its F
  test.
- Confidence intervals for both invert the noncentral F distribution (Steiger 2004, Psychological
  Methods 9:164): the noncentrality bounds ``lambda`` solve ``P(F <= F_obs | lambda) = 1 - a/2`` and
  ``a/2``, and are mapped to ``eta² = lambda / (lambda + N)`` and ``f² = lambda / N`` with
  ``N = df1 + df2 + 1``.
- :func:`standardized_coefficients`: OLS on z-scored variables, CIs from that fit (treating the
  sample SDs as fixed, the usual approximation).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from ..errors import DataError, ModelError
from ._design import INTERCEPT, _as_tuple, _is_numeric, complete_cases, covariate_design
from ._tidy import TIDY_COLUMNS, tidy_statsmodels

__all__ = [
    "f_squared",
    "fdr",
    "noncentral_f_ci",
    "partial_eta_squared",
    "standardized_coefficients",
]

FDR_METHODS = (
    "fdr_bh",
    "fdr_by",
    "holm",
    "bonferroni",
    "hommel",
    "sidak",
    "holm-sidak",
    "simes-hochberg",
    "fdr_tsbh",
    "fdr_tsbky",
)

#: each method in words for a methods text: (the procedure with its source, the symbol of its
#: level: q for a false discovery rate, alpha for a family-wise error rate)
FDR_METHOD_WORDS = {
    "fdr_bh": ("the Benjamini–Hochberg false discovery rate procedure (Benjamini & Hochberg, "
               "1995)", "q"),
    "fdr_by": ("the Benjamini–Yekutieli false discovery rate procedure (Benjamini & Yekutieli, "
               "2001)", "q"),
    "holm": ("Holm's step-down procedure for the family-wise error rate (Holm, 1979)", "α"),
    "bonferroni": ("the Bonferroni correction for the family-wise error rate", "α"),
    "hommel": ("Hommel's procedure for the family-wise error rate (Hommel, 1988)", "α"),
    "sidak": ("the Šidák correction for the family-wise error rate", "α"),
    "holm-sidak": ("the Holm–Šidák step-down procedure for the family-wise error rate", "α"),
    "simes-hochberg": ("Hochberg's step-up procedure for the family-wise error rate "
                       "(Hochberg, 1988)", "α"),
    "fdr_tsbh": ("the two-stage Benjamini–Hochberg false discovery rate procedure", "q"),
    "fdr_tsbky": ("the two-stage Benjamini–Krieger–Yekutieli false discovery rate procedure "
                  "(Benjamini, Krieger & Yekutieli, 2006)", "q"),
}
assert set(FDR_METHOD_WORDS) == set(FDR_METHODS)


def fdr(p_values, *, method: str = "fdr_bh", alpha: float = 0.05) -> pd.DataFrame:
    """Adjust a family of p-values for multiplicity.

    Parameters
    ----------
    p_values : sequence or Series of float
        One p-value per test; missing values stay missing (not counted in the family) and are
        never rejected. A Series keeps its index (e.g. hypothesis names).
    method : str
        Any ``statsmodels`` ``multipletests`` method; default Benjamini–Hochberg (1995) FDR.
    alpha : float
        Family-wise error rate or false discovery rate to control.

    Returns
    -------
    DataFrame
        ``p_value``, ``p_adjusted`` and ``reject`` (bool), in the input order.

    Examples
    --------
    >>> import hormonestats as hs
    >>> hs.fdr([0.01, 0.04, 0.03, 0.5])
       p_value  p_adjusted  reject
    0     0.01    0.04      True
    1     0.04    0.0533... False
    2     0.03    0.0533... False
    3     0.50    0.5       False
    """
    if method not in FDR_METHODS:
        raise ModelError(f"method must be one of {FDR_METHODS}, got {method!r}")
    if not 0 < alpha < 1:
        raise ModelError(f"alpha must be between 0 and 1, got {alpha!r}")
    p = p_values if isinstance(p_values, pd.Series) else pd.Series(list(p_values), dtype=float)
    p = pd.to_numeric(p, errors="coerce").astype(float)
    bad = p.notna() & ((p < 0) | (p > 1))
    if bad.any():
        raise ModelError(f"p-values must lie in [0, 1]; got {p[bad].tolist()[:10]}")
    adj = pd.Series(np.nan, index=p.index, dtype=float)
    rej = pd.Series(False, index=p.index, dtype=bool)
    ok = p.notna()
    if ok.any():
        r, pa, _, _ = multipletests(p[ok].to_numpy(), alpha=alpha, method=method)
        adj[ok] = pa
        rej[ok] = r
    return pd.DataFrame({"p_value": p, "p_adjusted": adj, "reject": rej})


def noncentral_f_ci(
    f_value: float, df1: float, df2: float, conf_level: float = 0.95
) -> tuple[float, float]:
    """Confidence bounds of the noncentrality parameter of an observed F (Steiger 2004).

    A bound is 0 when the observed F is too small for that tail to be inverted.

    >>> lo, hi = noncentral_f_ci(10.0, 1, 100)
    >>> round(lo, 3), round(hi, 3)
    (1.314, 26.656)
    """
    a = (1 - conf_level) / 2

    def bound(target):
        if stats.f.cdf(f_value, df1, df2) <= target:  # even lambda = 0 is too large
            return 0.0

        def fun(lam):
            return stats.ncf.cdf(f_value, df1, df2, lam) - target

        hi = max(10.0, f_value * df1 * 4)
        while fun(hi) > 0:
            hi *= 2
        return float(optimize.brentq(fun, 0.0, hi, xtol=1e-12, rtol=1e-12))

    return bound(1 - a), bound(a)


def _source(name: str) -> str:
    """Model term a coefficient belongs to: ``g[T.b]`` -> ``g``, ``x:g[T.b]`` -> ``x:g``."""
    return ":".join(re.sub(r"\[T\..*\]$", "", part) for part in name.split(":"))


def _term_groups(fit, terms) -> dict[str, list[str]]:
    names = list(fit.model.exog_names)
    if terms is None:
        groups: dict[str, list[str]] = {}
        for nm in names:
            if nm in (INTERCEPT, "const"):
                continue
            groups.setdefault(_source(nm), []).append(nm)
        return groups
    if isinstance(terms, Mapping):
        groups = {str(k): list(_as_tuple(v)) for k, v in terms.items()}
    else:
        groups = {t: [nm for nm in names if _source(nm) == t] or [t] for t in _as_tuple(terms)}
    unknown = sorted({c for cols in groups.values() for c in cols if c not in names})
    if unknown:
        raise ModelError(f"the fit has no coefficient(s) {unknown}; coefficients: {names}")
    return groups


def _wald_f(fit, cols):
    names = list(fit.model.exog_names)
    r = np.zeros((len(cols), len(names)))
    for i, c in enumerate(cols):
        r[i, names.index(c)] = 1.0
    res = fit.f_test(r)
    return float(np.squeeze(res.fvalue)), float(np.squeeze(res.pvalue)), len(cols)


def partial_eta_squared(fit, *, terms=None, conf_level: float = 0.95) -> pd.DataFrame:
    """Partial eta squared (and f²) of each term of an OLS fit, from type 3 F tests.

    ``partial_eta_sq = F df1 / (F df1 + df2)``, with ``F`` the Wald F of the term's
    coefficients given all other terms (type 3; for OLS equal to ``anova_lm(typ=3)``); a
    categorical variable's dummies form one term. CIs by noncentral-F inversion (Steiger 2004).
    A fit with robust covariance gives the robust Wald F, so the eta² is then an approximation.

    Parameters
    ----------
    fit : statsmodels OLS results
        E.g. ``hs.moderation(...).fit``.
    terms : sequence of str or mapping, optional
        Terms to report (default: every term but the intercept), or a mapping of label to
        coefficient names.
    conf_level : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        ``term, df1, df2, statistic, p_value, partial_eta_sq, conf_low, conf_high, f2``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, statsmodels.formula.api as smf
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=100)})
    >>> d["y"] = 0.5 * d.x + rng.normal(size=100)
    >>> pe = partial_eta_squared(smf.ols("y ~ x", d).fit())
    >>> pe["term"].tolist(), bool(pe["conf_low"].iloc[0] < pe["partial_eta_sq"].iloc[0])
    (['x'], True)
    """
    groups = _term_groups(fit, terms)
    df2 = float(fit.df_resid)
    rows = []
    for label, cols in groups.items():
        f_val, p_val, df1 = _wald_f(fit, cols)
        lam_lo, lam_hi = noncentral_f_ci(f_val, df1, df2, conf_level)
        big_n = df1 + df2 + 1
        eta = f_val * df1 / (f_val * df1 + df2)
        rows.append(
            {
                "term": label,
                "df1": float(df1),
                "df2": df2,
                "statistic": f_val,
                "p_value": p_val,
                "partial_eta_sq": eta,
                "conf_low": lam_lo / (lam_lo + big_n),
                "conf_high": lam_hi / (lam_hi + big_n),
                "f2": eta / (1 - eta),
            }
        )
    out = pd.DataFrame(rows)
    out["term"] = out["term"].astype("str")
    return out


def f_squared(fit, terms, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Cohen's f² = ΔR² / (1 - R²_full) of a set of terms of an OLS fit, with F test and CI.

    ΔR² is the drop in R² when the terms' coefficients are removed (the reduced model is refitted
    on the same rows). The F is the nested F change (the fit's Wald F when it has a robust
    covariance). The CI maps the noncentral-F bounds to ``lambda / N``, ``N = df1 + df2 + 1``
    (Steiger 2004).

    Returns
    -------
    DataFrame
        One row: ``term, df1, df2, statistic, p_value, delta_r2, f2, conf_low, conf_high``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=200), "m": rng.normal(size=200)})
    >>> d["y"] = d.x + 0.3 * d.x * d.m + rng.normal(size=200)
    >>> res = hs.moderation(d, y="y", x="x", m="m")
    >>> f2 = f_squared(res.fit, ["x:m"])
    >>> bool(np.isclose(f2["f2"].iloc[0], res.f2))
    True
    """
    cols = [c for cs in _term_groups(fit, terms).values() for c in cs]
    names = list(fit.model.exog_names)
    keep = [i for i, nm in enumerate(names) if nm not in cols]
    exog = np.asarray(fit.model.exog)[:, keep]
    reduced = sm.OLS(np.asarray(fit.model.endog), exog).fit()
    r2 = float(fit.rsquared)
    delta = r2 - float(reduced.rsquared)
    f_val, p_val, df1 = _wald_f(fit, cols)
    df2 = float(fit.df_resid)
    lam_lo, lam_hi = noncentral_f_ci(f_val, df1, df2, conf_level)
    big_n = df1 + df2 + 1
    return pd.DataFrame(
        {
            "term": pd.Series([" + ".join(cols)], dtype="str"),
            "df1": [float(df1)],
            "df2": [df2],
            "statistic": [f_val],
            "p_value": [p_val],
            "delta_r2": [delta],
            "f2": [delta / (1 - r2)],
            "conf_low": [lam_lo / big_n],
            "conf_high": [lam_hi / big_n],
        }
    )


def standardized_coefficients(
    data: pd.DataFrame,
    *,
    y: str,
    x,
    covariates: Sequence[str] = (),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Standardized regression coefficients (beta) with CIs: OLS of z(y) on z(x), z(covariates).

    Numeric predictors are z-scored (sample SD); non-numeric covariates enter as 0/1 dummies,
    not standardized (their beta is in SD units of ``y``). Rows with missing values are dropped.
    The CI treats the sample SDs as fixed. For interaction models use
    :func:`hormonestats.moderation`'s ``std_estimate`` (Friedrich 1982).

    Returns
    -------
    DataFrame
        Tidy columns (``term, estimate, ...``) without the intercept.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(0, 10, size=100)})
    >>> d["y"] = 0.05 * d.x + rng.normal(size=100)
    >>> standardized_coefficients(d, y="y", x="x")["term"].tolist()
    ['x']
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    xs, covariates = _as_tuple(x), _as_tuple(covariates)
    frame, _ = complete_cases(data, [y, *xs, *covariates])
    problems = [
        f"column {c!r} must be numeric (dtype {frame[c].dtype})"
        for c in (y, *xs)
        if not _is_numeric(frame[c])
    ]
    if problems:
        raise ModelError("; ".join(problems))

    def z(s):
        s = s.astype(float)
        return (s - s.mean()) / s.std(ddof=1)

    design = covariate_design(frame, (*xs, *covariates))
    for c in design.columns:
        if "[T." not in c:
            design[c] = z(design[c])
    exog = pd.concat([pd.Series(1.0, index=frame.index, name=INTERCEPT), design], axis=1)
    fit = sm.OLS(z(frame[y]), exog).fit()
    tab = tidy_statsmodels(fit, conf_level)[TIDY_COLUMNS]
    return tab[tab["term"] != INTERCEPT].reset_index(drop=True)
