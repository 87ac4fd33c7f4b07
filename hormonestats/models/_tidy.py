"""Shared vocabulary of model results: tidy tables and their notes.

A coefficient table is a DataFrame whose columns come from :data:`TIDY_COLUMNS` plus named
effect sizes (docs/architecture.md, rule 2); the display and the rest of the result protocol
are in :mod:`hormonestats.results` (rule 3).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import format_rows
from ..results import TIDY_COLUMNS as _TIDY

__all__ = [
    "TIDY_COLUMNS",
    "ci_from_se",
    "excluded_note",
    "tidy_statsmodels",
]

#: the tidy columns as a list (to index DataFrames with)
TIDY_COLUMNS = list(_TIDY)


def ci_from_se(estimate, std_error, conf_level: float = 0.95, df=None):
    """Wald interval: t-based when ``df`` is given (finite), normal otherwise.

    >>> lo, hi = ci_from_se(1.0, 0.5)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.02, 1.98)
    """
    alpha = 1 - conf_level
    if df is None or (np.isscalar(df) and not np.isfinite(df)):
        q = stats.norm.ppf(1 - alpha / 2)
    else:
        q = stats.t.ppf(1 - alpha / 2, df)
    estimate = np.asarray(estimate, dtype=float)
    std_error = np.asarray(std_error, dtype=float)
    return estimate - q * std_error, estimate + q * std_error


def tidy_statsmodels(fit, conf_level: float = 0.95, df: float | None = None) -> pd.DataFrame:
    """Tidy coefficient table from a fitted statsmodels regression result.

    Uses the fit's own test distribution: t with the residual df for OLS/WLS (unless the fit
    uses a normal reference, e.g. robust covariances with ``use_t=False``), z otherwise.
    """
    params = pd.Series(fit.params)
    bse = pd.Series(fit.bse, index=params.index)
    use_t = bool(getattr(fit, "use_t", False))
    if df is None:
        df = float(fit.df_resid) if use_t else np.inf
    stat = params / bse
    if np.isfinite(df):
        p = 2 * stats.t.sf(np.abs(stat), df)
    else:
        p = 2 * stats.norm.sf(np.abs(stat))
    lo, hi = ci_from_se(params, bse, conf_level, df if np.isfinite(df) else None)
    return pd.DataFrame(
        {
            "term": params.index.astype(str),
            "estimate": params.to_numpy(float),
            "std_error": bse.to_numpy(float),
            "statistic": stat.to_numpy(float),
            "df": float(df),
            "p_value": np.asarray(p, float),
            "conf_low": lo,
            "conf_high": hi,
        }
    )


def as_dict(obj: Any) -> dict:
    """Shallow dict of a dataclass's public fields (for reports and manifests)."""
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def excluded_note(excluded: pd.DataFrame, why: str = "") -> str:
    """The note a result prints about the rows it left out (``excluded`` has a ``row`` column).

    >>> excluded_note(pd.DataFrame({"row": [3, 7]}), "for missing values")
    '2 row(s) excluded for missing values (rows 3, 7).'
    """
    reason = f" {why}" if why else ""
    return f"{len(excluded)} row(s) excluded{reason} ({format_rows(excluded['row'])})."
