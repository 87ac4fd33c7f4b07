"""Inference on a fitted mixed model: tidy tables of linear contrasts, estimated marginal means
with pairwise contrasts (the reference grid of Searle, Speed & Milliken 1980, as emmeans builds
it), and likelihood-ratio tests between nested fits."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import ModelError
from .._tidy import TIDY_COLUMNS


def tidy_rows(rows, conf_level, rename=None) -> pd.DataFrame:
    """(term, estimate, se, df) tuples -> the tidy table (t tests; z where df is infinite)."""
    term, est, se, df = (list(c) for c in zip(*rows)) if rows else ([], [], [], [])
    est, se, df = np.array(est, float), np.array(se, float), np.array(df, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    finite = np.isfinite(df)
    p = np.where(
        finite,
        2 * stats.t.sf(np.abs(stat), np.where(finite, df, 1.0)),
        2 * stats.norm.sf(np.abs(stat)),
    )
    alpha = 1 - conf_level
    q = np.where(
        finite, stats.t.ppf(1 - alpha / 2, np.where(finite, df, 1.0)), stats.norm.ppf(1 - alpha / 2)
    )
    lo, hi = est - q * se, est + q * se
    rename = rename or {}
    out = pd.DataFrame(
        {
            "term": [rename.get(t, t) for t in term],
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "df": df,
            "p_value": p,
            "conf_low": lo,
            "conf_high": hi,
        }
    )
    return out if list(out.columns) == TIDY_COLUMNS else out[TIDY_COLUMNS]


def emmeans_rows(lmm, frame: pd.DataFrame, factor: str):
    """Estimated marginal means of each level of ``factor`` and the contrast matrix rows.

    The reference grid crosses the levels of every categorical predictor; numeric predictors are
    held at their means over the analysed rows (emmeans' defaults). Each mean averages the
    grid's predictions over the other factors with equal weights.
    """
    design = lmm.design
    if design is None:
        raise ModelError("estimated marginal means need a model fitted from a formula")
    if factor not in design.levels:
        cats = ", ".join(design.levels) or "none"
        raise ModelError(
            f"{factor!r} is not a categorical predictor of the model; categorical: {cats}"
        )
    used = list(dict.fromkeys(v for t in design.terms for v in t))
    cats = [v for v in used if v in design.levels]
    grid = pd.DataFrame(list(product(*[design.levels[c] for c in cats])), columns=cats)
    for v in used:
        if v not in design.levels:
            grid[v] = float(frame[v].astype(float).mean())
    Xg = design.matrix(grid)
    levels = design.levels[factor]
    Ls = np.array([Xg[(grid[factor] == lv).to_numpy()].mean(axis=0) for lv in levels])
    return levels, Ls


def emmeans_table(
    lmm, frame, factor, conf_level=0.95, adjust: str = "none"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(means, pairwise contrasts later minus earlier level), with the fit's df (Satterthwaite
    or Kenward-Roger); p values and intervals of the contrasts adjusted by ``adjust``
    (:data:`~hormonestats.models.lmm.adjust.ADJUST_METHODS`)."""
    from .adjust import adjust_pairs, check_adjust

    check_adjust(adjust)
    levels, Ls = emmeans_rows(lmm, frame, factor)
    means = tidy_rows(
        [(str(lv), *lmm.contrast(L)) for lv, L in zip(levels, Ls)], conf_level
    ).rename(columns={"term": factor})
    rows, C = [], []
    for j in range(1, len(levels)):
        for i in range(j):
            rows.append((f"{levels[j]} - {levels[i]}", *lmm.contrast(Ls[j] - Ls[i])))
            C.append(Ls[j] - Ls[i])
    pairs = tidy_rows(rows, conf_level).rename(columns={"term": "contrast"})
    if adjust != "none" and len(rows):
        C = np.array(C)
        pairs = adjust_pairs(pairs, C @ lmm.cov @ C.T, len(levels), adjust, conf_level)
    return means, pairs


def likelihood_ratio(small, big) -> pd.DataFrame:
    """Likelihood-ratio test of a model against a larger one that contains it.

    Both must be maximum-likelihood fits (``reml=False``), or REML fits with the same fixed
    effects (then only the random-effects structure is compared; the p value is conservative
    for a variance on its boundary, Self & Liang 1987). Returns ``model, n_params, deviance,
    chisq, df, p_value``.
    """
    a, b = getattr(small, "_lmm", small), getattr(big, "_lmm", big)
    if a.n_obs != b.n_obs:
        raise ModelError(
            f"The models were fitted to different rows ({a.n_obs} vs {b.n_obs}); a "
            "likelihood-ratio test needs the same observations."
        )
    if a.reml or b.reml:
        if not (a.reml and b.reml) or a.names != b.names:
            raise ModelError(
                "Compare fixed effects with maximum-likelihood fits: refit both with "
                "reml=False (REML criteria of models with different fixed effects are not "
                "comparable)."
            )
    if b.n_params <= a.n_params:
        a, b = b, a
    chisq = max(a.criterion - b.criterion, 0.0)
    df = b.n_params - a.n_params
    p = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    return pd.DataFrame(
        {
            "model": ["smaller", "larger"],
            "n_params": [a.n_params, b.n_params],
            "deviance": [a.criterion, b.criterion],
            "chisq": [np.nan, chisq],
            "df": [np.nan, df],
            "p_value": [np.nan, p],
        }
    )
