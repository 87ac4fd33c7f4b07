"""How each model family tests a registered hypothesis: one runner per family.

A runner is ``(data, hypothesis, columns, covariates, options) -> (result, key)`` where ``key``
is a dict with ``term, estimate, std_error, conf_low, conf_high, p_value, n``: the estimate that
decides the claim. Adding a family takes one entry in :data:`RUNNERS`. The plain regression of
the ``"regression"`` family lives here too, since no other module needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ..errors import ModelError
from ..results import conforms
from ._tidy import TIDY_COLUMNS, excluded_note, tidy_statsmodels

__all__ = [
    "FAMILIES",
    "ITEM_FAMILIES",
    "RUNNERS",
    "RegressionResult",
    "bootstrap_p",
]


# --------------------------------------------------------------------------------------------
# plain regression (the "regression" family)
# --------------------------------------------------------------------------------------------
@conforms("regression", aliases={"n": "n_obs"})
@dataclass(frozen=True)
class RegressionResult:
    """OLS of ``y`` on ``x`` and covariates (the ``"regression"`` family's result)."""

    table: pd.DataFrame = field(repr=False)
    fit: object = field(repr=False)
    y: str
    x: str
    covariates: tuple[str, ...]
    n_obs: int
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def _display(self):
        notes = [excluded_note(self.excluded)] if len(self.excluded) else []
        return (
            f"Regression: {self.y} ~ {self.x} (n = {self.n})",
            [("Coefficients", self.table)],
            notes,
        )

    def _facts(self):
        return {"y": self.y, "x": self.x, "covariates": self.covariates,
                "conf_level": self.conf_level}


def _regression(data, *, y, x, covariates=(), conf_level=0.95) -> RegressionResult:
    from ._design import INTERCEPT, _is_numeric, complete_cases, covariate_design

    missing = [c for c in (y, x, *covariates) if c not in data.columns]
    if missing:
        raise ModelError(f"data has no column(s) {missing}")
    bad = [c for c in (y, x) if not _is_numeric(data[c])]
    if bad:
        raise ModelError(f"column(s) {bad} must be numeric")
    frame, excluded = complete_cases(data, [y, x, *covariates])
    exog = pd.concat(
        [
            pd.DataFrame({INTERCEPT: 1.0, x: frame[x].astype(float)}, index=frame.index),
            covariate_design(frame, covariates),
        ],
        axis=1,
    )
    if len(frame) <= exog.shape[1]:
        raise ModelError(f"only {len(frame)} complete rows for {exog.shape[1]} coefficients")
    fit = sm.OLS(frame[y].astype(float), exog).fit()
    return RegressionResult(
        table=tidy_statsmodels(fit, conf_level)[TIDY_COLUMNS],
        fit=fit,
        y=y,
        x=x,
        covariates=tuple(covariates),
        n_obs=len(frame),
        conf_level=conf_level,
        excluded=excluded,
    )


# --------------------------------------------------------------------------------------------
# deciding estimates
# --------------------------------------------------------------------------------------------
def bootstrap_p(replicates) -> float:
    """Two-sided bootstrap p-value of an estimate against 0.

    ``p = 2 min((#{r <= 0} + 1) / (B + 1), (#{r >= 0} + 1) / (B + 1))``, capped at 1: the share
    of resamples on the far side of zero, counted with the +1 of Davison & Hinkley (1997, ch. 4)
    so that it is never exactly 0. Missing replicates are ignored.

    >>> bootstrap_p([0.1, 0.2, 0.3, -0.1])
    0.8
    """
    r = np.asarray(replicates, dtype=float)
    r = r[np.isfinite(r)]
    b = len(r)
    if b == 0:
        return float("nan")
    lo = (np.sum(r <= 0) + 1) / (b + 1)
    hi = (np.sum(r >= 0) + 1) / (b + 1)
    return float(min(1.0, 2 * min(lo, hi)))


def _key(row, term, n, p_value=None) -> dict:
    return {
        "term": term,
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]),
        "conf_low": float(row["conf_low"]),
        "conf_high": float(row["conf_high"]),
        "p_value": float(row["p_value"]) if p_value is None else float(p_value),
        "n": int(n),
    }


def _key_from_table(table, term, n):
    return _key(table.set_index("term").loc[term], term, n)


# --------------------------------------------------------------------------------------------
# runners: one per family
# --------------------------------------------------------------------------------------------
def _run_moderation(data, hyp, cols, covariates, opts):
    from .moderation import moderation

    res = moderation(
        data, y=cols["y"], x=cols["x"], m=cols["m"], covariates=covariates,
        conf_level=opts["conf_level"], **hyp.options,
    )  # fmt: skip
    if len(res._design.interaction_columns) > 1:
        raise ModelError(
            f"moderator {cols['m']!r} has more than two groups, so no single interaction "
            "estimate decides the claim; map a continuous or two-level moderator"
        )
    return res, _key_from_table(res.table, res.interaction_term, res.n)


def _run_gxe(data, hyp, cols, covariates, opts):
    from ._design import _is_numeric
    from .gxe import gxe

    options = dict(hyp.options)
    if not _is_numeric(data[cols["m"]]):
        options["coding"] = "group"
    res = gxe(
        data, y=cols["y"], x=cols["x"], m=cols["m"], covariates=covariates,
        conf_level=opts["conf_level"], **options,
    )  # fmt: skip
    return res, _key_from_table(res.table, res.interaction_term, res.n)


def _run_mediation(data, hyp, cols, covariates, opts):
    from .mediation import mediation

    res = mediation(
        data, x=cols["x"], mediator=cols["mediator"], y=cols["y"], covariates=covariates,
        n_boot=opts["n_boot"], seed=opts["seed"], conf_level=opts["conf_level"],
    )  # fmt: skip
    row = res.table.loc[res.table["term"] == "indirect"].iloc[0]
    p = bootstrap_p(np.asarray(res.boot_indirect)[:, 0])
    return res, _key(row, "indirect", res.n, p_value=p)


def _run_regression(data, hyp, cols, covariates, opts):
    res = _regression(
        data, y=cols["y"], x=cols["x"], covariates=covariates, conf_level=opts["conf_level"]
    )
    return res, _key_from_table(res.table, cols["x"], res.n)


def _run_mixed(data, hyp, cols, covariates, opts):
    from .mixed import mixed

    res = mixed(
        data, y=cols["y"], x=cols["x"], subject=cols["subject"], covariates=covariates,
        conf_level=opts["conf_level"], **hyp.options,
    )  # fmt: skip
    return res, _key_from_table(res.table, f"{cols['x']}_within", res.n_obs)


def _run_crossover(data, hyp, cols, covariates, opts):
    from .crossover import crossover

    res = crossover(
        data, y=cols["y"], drug=cols["drug"], period=cols["period"], subject=cols["subject"],
        sequence=cols.get("sequence"), covariates=covariates, conf_level=opts["conf_level"],
        **hyp.options,
    )  # fmt: skip
    if len(res.drug_effect) != 1:
        raise ModelError(
            f"the drug column {cols['drug']!r} has {len(res.drug_effect) + 1} conditions, so no "
            "single drug effect decides the claim; map a two-condition column (oxytocin/placebo)"
        )
    row = res.drug_effect.iloc[0]
    return res, _key(row, str(row["term"]), res.n_obs)


def _mean_of_terms(fit, terms, conf_level) -> dict:
    """The mean of coefficients ``terms`` of an OLS fit, with its t test on the fit's df."""
    from scipy import stats

    c = pd.Series(1.0 / len(terms), index=list(terms))
    params = fit.params[c.index]
    cov = fit.cov_params().loc[c.index, c.index]
    est = float(c @ params)
    se = float(np.sqrt(c @ cov @ c))
    df = float(fit.df_resid)
    t = est / se
    q = stats.t.ppf(0.5 + conf_level / 2, df)
    return {"estimate": est, "std_error": se, "conf_low": est - q * se,
            "conf_high": est + q * se, "p_value": float(2 * stats.t.sf(abs(t), df))}


def _run_apim(data, hyp, cols, covariates, opts):
    from .dyadic import apim

    res = apim(
        data, y=cols["y"], x=cols["x"], dyad=cols["dyad"], role=cols.get("role"),
        covariates=covariates, conf_level=opts["conf_level"], **hyp.options,
    )  # fmt: skip
    term = cols["x"] if hyp.key_term == "actor" else f"{cols['x']}_partner"
    if not res.distinguishable:
        return res, _key_from_table(res.table, term, res.n_obs)
    # distinguishable dyads: the claim is about both members, so the deciding estimate is the
    # mean of the two role-specific effects (each role's own is in the model table)
    terms = [f"{term}[{lv}]" for lv in res.role_levels]
    key = _mean_of_terms(res.fit, terms, opts["conf_level"])
    return res, {"term": f"{term} (mean of roles)", **key, "n": int(res.n_obs)}


def _run_phase_contrast(data, hyp, cols, covariates, opts):
    from .phase_contrast import run_phase_contrast

    return run_phase_contrast(data, hyp, cols, covariates, opts)


def _run_item_glmm(data, hyp, cols, covariates, opts):
    from .item_accuracy import item_accuracy

    items = opts.get("items")
    if items is None:
        raise ModelError("no item-level responses were given (items=...)")
    subject = cols["subject"]
    if subject not in items.columns and "subject_id" in items.columns:
        items = items.rename(columns={"subject_id": subject})
    res = item_accuracy(items, data, x=cols["x"], m=cols["m"], subject=subject,
                        covariates=covariates, conf_level=opts["conf_level"])
    return res, _key_from_table(res.table, res.interaction_term, res.n_obs)


#: families whose runner needs the item-level table (``test_hypotheses(items=...)``)
ITEM_FAMILIES = ("item_glmm",)

#: family -> runner ``(data, hypothesis, columns, covariates, options) -> (result, key)``.
RUNNERS: Mapping[str, Callable] = MappingProxyType(
    {
        "moderation": _run_moderation,
        "mediation": _run_mediation,
        "gxe": _run_gxe,
        "regression": _run_regression,
        "mixed": _run_mixed,
        "crossover": _run_crossover,
        "apim": _run_apim,
        "phase_contrast": _run_phase_contrast,
        "item_glmm": _run_item_glmm,
    }
)
FAMILIES = tuple(RUNNERS)
