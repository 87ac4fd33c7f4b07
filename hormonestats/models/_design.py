"""Design matrices of the regression families: complete cases, dummies, centred products.

Shared by moderation, gene x environment, censored regression, effect sizes and the plain
regression of the hypothesis registry: :func:`complete_cases` splits off (and records) rows with
missing values, :func:`covariate_design` turns covariates into design columns (treatment-coded
dummies for non-numeric ones, reference = first sorted level) and :class:`Design` turns raw
``x``, ``m`` and covariate values into the model columns of an ``x`` by ``m`` model, for fitting
and for predictions alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..errors import DataError
from .lmm.design import covariate_columns, dummy_name, is_categorical, levels_of

__all__ = ["INTERCEPT", "Design", "complete_cases", "covariate_design"]

INTERCEPT = "Intercept"


# --------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------
def _as_tuple(names) -> tuple[str, ...]:
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    return tuple(names)


def _is_numeric(series: pd.Series) -> bool:
    return not is_categorical(series)


def complete_cases(
    data: pd.DataFrame, columns: Sequence[str], *, table: str = "data"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``data`` into the complete rows on ``columns`` and a tidy record of the others.

    Returns ``(kept, excluded)``; ``excluded`` has one row per dropped row with the row label,
    the ``subject_id`` when the data have one (else missing) and the reason naming the columns
    that were missing. Raises :class:`DataError` if a column is absent.

    >>> df = pd.DataFrame({"y": [1.0, None, 3.0], "x": [1.0, 2.0, None]})
    >>> kept, excluded = complete_cases(df, ["y", "x"])
    >>> len(kept), excluded["reason"].tolist()
    (1, ['missing y', 'missing x'])
    """
    absent = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if absent:
        raise DataError(
            f"{table} has no column(s) {', '.join(map(repr, absent))}; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    cols = list(dict.fromkeys(columns))
    missing = data[cols].isna()
    bad = missing.any(axis=1)
    reasons = [
        "missing " + ", ".join(c for c in cols if missing.at[idx, c]) for idx in data.index[bad]
    ]
    subjects = (
        data.loc[bad, "subject_id"].to_list()
        if "subject_id" in data.columns
        else [None] * len(reasons)
    )
    excluded = pd.DataFrame(
        {
            "row": pd.Series(list(data.index[bad]), dtype="object"),
            "subject_id": pd.Series(subjects, dtype="object"),
            "reason": pd.Series(reasons, dtype="str"),
        }
    )
    return data.loc[~bad].copy(), excluded


def _levels(series: pd.Series) -> tuple:
    return tuple(levels_of(series))


def covariate_design(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Design columns of the covariates: numeric ones as they are, others as dummies named
    ``name[T.level]`` (the engine's :func:`~hormonestats.models.lmm.design.covariate_columns`
    in the regression families' spelling)."""
    return covariate_columns(frame, covariates, style="treatment")


# --------------------------------------------------------------------------------------------
# the design: how raw values become model columns (used for fitting and for predictions)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """Everything needed to turn raw x, m and covariate values into model columns."""

    x: str
    m: str
    x_center: float
    m_center: float
    m_levels: tuple | None  # categorical moderator levels (reference first) or None
    cov_columns: tuple[str, ...]
    cov_means: tuple[float, ...]
    # extra products (covariate column, "x" or "m"); the covariate column enters centred
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def m_columns(self) -> tuple[str, ...]:
        if self.m_levels is None:
            return (self.m,)
        return tuple(dummy_name(self.m, lev, "treatment") for lev in self.m_levels[1:])

    @property
    def interaction_columns(self) -> tuple[str, ...]:
        return tuple(f"{self.x}:{c}" for c in self.m_columns)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        return tuple(f"{c}:{self.x if w == 'x' else self.m}" for c, w in self.extra)

    def uncentred(self, cov_means) -> Design:
        """The same design without centring of ``x`` and ``m`` and with new covariate means
        (for the refit on z-scores behind standardized coefficients)."""
        return replace(
            self, x_center=0.0, m_center=0.0, cov_means=tuple(float(v) for v in cov_means)
        )

    def build(self, x_raw, m_raw, cov: pd.DataFrame) -> pd.DataFrame:
        """Model matrix from raw values (``cov`` holds the covariate design columns)."""
        n = len(cov)
        idx = cov.index
        out = {INTERCEPT: np.ones(n)}
        xc = np.asarray(x_raw, dtype=float) - self.x_center
        out[self.x] = xc
        if self.m_levels is None:
            mcols = {self.m: np.asarray(m_raw, dtype=float) - self.m_center}
        else:
            m_raw = np.asarray(m_raw, dtype=object)
            mcols = {dummy_name(self.m, lev, "treatment"): (m_raw == lev).astype(float)
                     for lev in self.m_levels[1:]}
        out.update(mcols)
        for c in self.cov_columns:
            out[c] = cov[c].to_numpy(float)
        for name, col in zip(self.interaction_columns, mcols.values()):
            out[name] = xc * col
        means = dict(zip(self.cov_columns, self.cov_means))
        m_single = next(iter(mcols.values()))
        for (c, w), name in zip(self.extra, self.extra_columns):
            centred = cov[c].to_numpy(float) - means[c]
            out[name] = centred * (xc if w == "x" else m_single)
        return pd.DataFrame(out, index=idx)
