"""Equivalence tests: is an effect small enough to ignore? Two one-sided tests (TOST).

A non-significant effect is not evidence of no effect (Lakens 2017, Soc Psychol Personal Sci
8:355; Quintana 2020 on underpowered intranasal oxytocin studies). The two one-sided tests of
Schuirmann (1987) ask instead whether the effect lies inside equivalence bounds
``(low, high)``: with estimate ``b``, standard error ``s`` and the result's reference
distribution (t with the result's df; normal where the result has none)::

    t_lower = (b - low) / s,   p_lower = P(T >= t_lower)      H0: effect <= low
    t_upper = (b - high) / s,  p_upper = P(T <= t_upper)      H0: effect >= high
    p = max(p_lower, p_upper)

The effect is declared equivalent at ``alpha`` when ``p < alpha``, which is the same as the
``1 - 2 alpha`` interval lying inside the bounds. :func:`equivalence_regions` gives, for each
tested hypothesis of a family, the narrowest symmetric bounds the data would call equivalent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelError
from ..results import ModelResult, conforms, empty_excluded

__all__ = ["EquivalenceResult", "equivalence_regions", "equivalence_test"]

SCALES = ("raw", "d")

EQUIVALENCE_COLUMNS = [
    "term",
    "estimate",
    "std_error",
    "df",
    "bound_low",
    "bound_high",
    "t_lower",
    "p_lower",
    "t_upper",
    "p_upper",
    "p_value",
    "conf_low",
    "conf_high",
    "equivalent",
]


@conforms("equivalence")
@dataclass(frozen=True)
class EquivalenceResult:
    """Result of :func:`equivalence_test`.

    Attributes
    ----------
    table : DataFrame
        One row: ``term, estimate, std_error, df, bound_low, bound_high`` (raw units),
        ``t_lower, p_lower, t_upper, p_upper``, ``p_value`` (the larger one-sided p),
        ``conf_low, conf_high`` (the ``1 - 2 alpha`` interval) and ``equivalent``.
    bounds : tuple of float
        The bounds as given (in ``scale`` units).
    scale : str
        ``"raw"`` or ``"d"`` (standardized; see :func:`equivalence_test`).
    standardizer : float
        Raw units per standardized unit (1 for ``scale="raw"``).
    tested_family : str
        The family of the result whose term was tested.
    n_obs, excluded
        Those of the result whose term was tested.
    """

    table: pd.DataFrame = field(repr=False)
    term: str
    bounds: tuple[float, float]
    scale: str
    standardizer: float
    alpha: float
    equivalent: bool
    p_value: float
    tested_family: str = ""
    n_obs: int | None = None
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    def _facts(self):
        return {"term": self.term, "bounds": self.bounds, "scale": self.scale,
                "alpha": self.alpha, "tested_family": self.tested_family}

    def _display(self):
        row = self.table.iloc[0]
        dist = "z" if not np.isfinite(row["df"]) else f"t({row['df']:.4g})"
        verdict = "equivalent" if self.equivalent else "not shown equivalent"
        notes = [
            f"Two one-sided tests (Schuirmann 1987; Lakens 2017), {dist} reference; the effect is "
            f"{verdict} at alpha = {self.alpha:g} (p = {self.p_value:.4g}); "
            f"CI at {1 - 2 * self.alpha:.0%}.",
        ]
        if self.scale == "d":
            notes.append(
                f"Bounds {self.bounds} given in standardized units; 1 unit = "
                f"{self.standardizer:.4g} raw units of the estimate."
            )
        title = f"Equivalence test of {self.term}: bounds [{row['bound_low']:.4g}, {row['bound_high']:.4g}]"
        return title, [("", self.table)], notes


#: families whose ``.fit`` is a statsmodels result of one design (standardized bounds need it)
_STATSMODELS_FAMILIES = ("moderation", "gxe", "regression", "mediation", "conditional_process")


def _row(result, term: str, mediator=None) -> pd.Series:
    if not isinstance(result, ModelResult) or not {"term", "estimate", "std_error"} <= set(
        result.table.columns
    ):
        raise ModelError(
            f"equivalence_test needs a result with a tidy .table (term, estimate, std_error); "
            f"got a {type(result).__name__}"
        )
    table = result.table
    rows = table.loc[table["term"].astype(str) == term]
    if mediator is not None and "mediator" in rows.columns:
        rows = rows.loc[rows["mediator"].astype(str) == str(mediator)]
    if rows.empty:
        raise ModelError(
            f"term {term!r} is not in the result's table; terms: "
            f"{', '.join(dict.fromkeys(table['term'].astype(str)))}"
        )
    if len(rows) > 1:
        raise ModelError(
            f"term {term!r} has {len(rows)} rows in the table (one per mediator?); pick one with "
            "mediator="
        )
    return rows.iloc[0]


def _standardizer(result, term: str) -> float:
    """Raw units per SD unit for the coefficient ``term`` (see :func:`equivalence_test`)."""
    fit = result.fit if result.family in _STATSMODELS_FAMILIES else None
    names = list(fit.model.exog_names) if fit is not None else []
    if term not in names:
        raise ModelError(
            f"scale='d' needs {term!r} to be a coefficient of the result's fitted design "
            f"({', '.join(names) or 'none'}); give the bounds in raw units instead"
        )
    y = np.asarray(fit.model.endog, float)
    col = np.asarray(fit.model.exog, float)[:, names.index(term)]
    values = np.unique(col)
    if values.size == 2:
        # a group difference (0/1, centred 0/1 or any two codes): Cohen's d with the residual
        # (pooled within-group) SD, per unit of the column (the two codes' distance)
        return float(np.sqrt(fit.scale) / (values[1] - values[0]))
    return float(np.std(y, ddof=1) / np.std(col, ddof=1))


def equivalence_test(
    result,
    *,
    term: str,
    bounds: tuple[float, float],
    scale: str = "raw",
    alpha: float = 0.05,
    mediator=None,
) -> EquivalenceResult:
    """Two one-sided tests of whether ``term`` lies inside ``bounds`` (TOST).

    Parameters
    ----------
    result
        Any result with a tidy ``.table`` (``term, estimate, std_error`` and, where the result
        has one, ``df``): moderation, gene x environment, censored, mixed, mediation, ...
        Without a finite ``df`` (z-based results, bootstrap rows) the normal distribution is
        used.
    term : str
        The table's term to test (e.g. ``"oxt:e2"`` or ``"indirect"``).
    bounds : (low, high)
        Equivalence bounds, ``low < high`` (usually ``(-delta, delta)``; Lakens 2017 on how to
        choose them: the smallest effect of interest).
    scale : {"raw", "d"}
        Units of ``bounds``: the estimate's own units, or standardized units. With ``"d"`` the
        bounds are multiplied by the residual SD for a two-valued predictor (0/1, also when
        centred, as :func:`hormonestats.moderation` does by default: Cohen's d of the group
        difference; divided by the distance of the two codes when it is not 1) and by
        ``sd(y) / sd(x)`` for a continuous one (the standardized coefficient's units, as
        ``std_estimate``); only for coefficients of the fitted design.
    alpha : float
        Level of each one-sided test.
    mediator : optional
        Picks the row of one mediator when the table has one row per mediator.

    Returns
    -------
    EquivalenceResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(7)
    >>> d = pd.DataFrame({"ot": rng.integers(0, 2, 400), "e2": rng.normal(size=400)})
    >>> d["rmet"] = 0.02 * d.ot * d.e2 + rng.normal(size=400)
    >>> res = hs.moderation(d, y="rmet", x="ot", m="e2")
    >>> eq = hs.equivalence_test(res, term="ot:e2", bounds=(-0.3, 0.3))
    >>> eq.equivalent, bool(eq.table["p_value"].iloc[0] < 0.05)
    (True, True)
    """
    if scale not in SCALES:
        raise ModelError(f"scale must be one of {SCALES}, got {scale!r}")
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"bounds must be two numbers (low, high), got {bounds!r}") from exc
    if not low < high:
        raise ModelError(f"bounds must satisfy low < high, got {bounds!r}")
    if not 0 < alpha < 0.5:
        raise ModelError(f"alpha must be between 0 and 0.5, got {alpha!r}")
    row = _row(result, term, mediator)
    unit = _standardizer(result, term) if scale == "d" else 1.0
    lo_raw, hi_raw = low * unit, high * unit
    est, se = float(row["estimate"]), float(row["std_error"])
    df = float(row["df"]) if "df" in row.index and pd.notna(row["df"]) else np.inf
    if not (np.isfinite(se) and se > 0):
        raise ModelError(f"term {term!r} has no usable standard error ({se!r})")
    dist = stats.t(df) if np.isfinite(df) else stats.norm()
    t_lower, t_upper = (est - lo_raw) / se, (est - hi_raw) / se
    p_lower, p_upper = float(dist.sf(t_lower)), float(dist.cdf(t_upper))
    p = max(p_lower, p_upper)
    q = float(dist.ppf(1 - alpha))
    table = pd.DataFrame(
        {
            "term": pd.Series([term], dtype="str"),
            "estimate": est,
            "std_error": se,
            "df": df,
            "bound_low": lo_raw,
            "bound_high": hi_raw,
            "t_lower": t_lower,
            "p_lower": p_lower,
            "t_upper": t_upper,
            "p_upper": p_upper,
            "p_value": p,
            "conf_low": est - q * se,
            "conf_high": est + q * se,
            "equivalent": bool(p < alpha),
        }
    )[EQUIVALENCE_COLUMNS]
    return EquivalenceResult(
        table=table,
        term=term,
        bounds=(low, high),
        scale=scale,
        standardizer=unit,
        alpha=alpha,
        equivalent=bool(p < alpha),
        p_value=p,
        tested_family=result.family,
        n_obs=result.n_obs,
        excluded=result.excluded,
    )


def equivalence_regions(family_result, *, alpha: float = 0.05) -> pd.DataFrame:
    """For each tested hypothesis whose predicted effect is not significant, the equivalence region.

    ``family_result`` is a :func:`hormonestats.test_hypotheses` result (or a frame with its
    table's columns). For each tested hypothesis whose interval includes 0, the ``1 - 2 alpha``
    interval (normal approximation from the estimate and its SE) and the narrowest symmetric
    bound ``delta`` for which TOST would call the effect equivalent to zero: ``delta =
    max(|conf_low|, |conf_high|)`` of that interval. Effects smaller than ``delta`` cannot be
    ruled out; a reader compares ``delta`` with the smallest effect of interest.

    Columns: ``hypothesis, term, estimate, std_error, tost_low, tost_high, delta_min``
    (``tost_low`` / ``tost_high``: the ``1 - 2 alpha`` interval, named apart from the 95%
    ``conf_low`` / ``conf_high`` of the model tables).
    """
    is_family = isinstance(family_result, ModelResult) and family_result.family == "hypothesis_family"
    table = family_result.table if is_family else family_result
    cols = ["hypothesis", "term", "estimate", "std_error", "tost_low", "tost_high", "delta_min"]
    need = {"hypothesis", "term", "estimate", "std_error", "conf_low", "conf_high", "status"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        raise ModelError("equivalence_regions needs a hypothesis-family result (test_hypotheses)")
    tested = table.loc[table["status"].astype(str) == "tested"]
    null = tested.loc[(tested["conf_low"] <= 0) & (tested["conf_high"] >= 0)]
    q = float(stats.norm.ppf(1 - alpha))
    est, se = null["estimate"].to_numpy(float), null["std_error"].to_numpy(float)
    lo, hi = est - q * se, est + q * se
    return pd.DataFrame(
        {
            "hypothesis": null["hypothesis"].astype(str).to_numpy(),
            "term": null["term"].astype(str).to_numpy(),
            "estimate": est,
            "std_error": se,
            "tost_low": lo,
            "tost_high": hi,
            "delta_min": np.maximum(np.abs(lo), np.abs(hi)),
        },
        columns=cols,
    )
