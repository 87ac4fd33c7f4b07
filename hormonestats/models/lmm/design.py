"""Design matrices for the mixed-model engine: fixed effects with treatment coding of categorical
predictors (reference level selectable), random-effect blocks, and the checks and row exclusions
every repeated-measures family shares (missing columns, non-numeric outcomes, missing values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import DataError, ModelError
from ...log import empty_log, log_rows
from .formula import ModelSpec
from .pls import ReBlock


# ---- table checks shared by the repeated-measures families ------------------------------------
def require_columns(data: pd.DataFrame, columns: dict[str, object], table: str = "data") -> None:
    """Collect every missing column (argument -> column name) and raise once."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    missing = []
    for arg, col in columns.items():
        if col is None:
            continue
        cols = [col] if isinstance(col, str) else list(col)
        for c in cols:
            if c not in data.columns:
                missing.append(f"{arg}={c!r}")
    if missing:
        raise DataError(
            f"Table {table!r} lacks column(s) {', '.join(missing)}. "
            f"Available columns: {', '.join(map(str, data.columns))}."
        )


def numeric_problems(data: pd.DataFrame, columns: Sequence[str], table: str = "data") -> list:
    out = []
    for c in columns:
        s = data[c]
        if pd.api.types.is_bool_dtype(s):
            continue
        if not pd.api.types.is_numeric_dtype(s):
            out.append(
                f"column {c!r} of table {table!r} must be numeric (got {s.dtype}); "
                "code categories as numbers first"
            )
    return out


_EMPTY_LOG = empty_log()


def drop_missing(data: pd.DataFrame, columns: Sequence[str], step: str, subject: str | None):
    """Rows with a missing value in any used column are excluded and logged (never silently)."""
    cols = list(dict.fromkeys(c for c in columns if c is not None))
    if not any(data[c].hasnans for c in cols):
        return data, _EMPTY_LOG.copy()
    na = data[cols].isna()
    mask = na.any(axis=1)
    reason = na.apply(
        lambda r: "missing " + ", ".join(c for c, v in r.items() if v), axis=1
    ).astype(str)
    log = log_rows(step, "data", data, mask, "excluded", reason, subject_col=subject or "")
    return data.loc[~mask], log


def levels_of(series: pd.Series) -> list:
    """Observed levels: category order for categoricals, sorted otherwise."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [lv for lv in series.cat.categories if (series == lv).any()]
    return sorted(series.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))


def is_categorical(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


#: How a dummy column is named, by family: the mixed-model engine's ``x[a]`` (the level as in
#: emmeans' grid) and the regression families' ``x[T.a]`` (treatment coding as statsmodels and
#: patsy name it). Results keep the spelling their tests and users know; one function makes both.
DUMMY_STYLES = {"engine": "{name}[{level}]", "treatment": "{name}[T.{level}]"}


def dummy_name(name: str, level, style: str = "engine") -> str:
    """The column of ``level`` of the categorical ``name``.

    >>> dummy_name("sex", "male"), dummy_name("sex", "male", "treatment")
    ('sex[male]', 'sex[T.male]')
    """
    return DUMMY_STYLES[style].format(name=name, level=level)


def dummies(series: pd.Series, name: str, reference=None, *,
            style: str = "engine") -> tuple[pd.DataFrame, list]:
    """Treatment coding of a categorical column: one 0/1 column per non-reference level,
    named by :func:`dummy_name`. Returns the columns and the level order (reference first)."""
    levels = order_levels(series, name, reference)
    cols = {dummy_name(name, lv, style): (series == lv).astype(float).to_numpy()
            for lv in levels[1:]}
    return pd.DataFrame(cols, index=series.index), levels


def order_levels(series: pd.Series, name: str, reference=None, order=None) -> list:
    levels = levels_of(series)
    if order is not None:
        levels = [lv for lv in order if lv in set(levels)] + [
            lv for lv in levels if lv not in set(order)
        ]
    if reference is not None:
        if reference not in levels:
            raise DataError(
                f"reference level {reference!r} is not a value of column {name!r}; "
                f"values: {', '.join(map(str, levels))}"
            )
        levels = [reference] + [lv for lv in levels if lv != reference]
    return levels


def covariate_columns(d: pd.DataFrame, covariates: Sequence[str], *,
                      style: str = "engine") -> pd.DataFrame:
    """Numeric covariates as they are, categorical ones as treatment dummies (reference: the
    first level of :func:`levels_of`; columns named in ``style``, see :func:`dummy_name`)."""
    parts = []
    for c in covariates:
        s = d[c]
        if not is_categorical(s):
            parts.append(pd.DataFrame({c: s.astype(float)}, index=d.index))
        else:
            parts.append(dummies(s, c, style=style)[0])
    if not parts:
        return pd.DataFrame(index=d.index)
    return pd.concat(parts, axis=1)


# ---- model matrices -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FixedDesign:
    """How to turn a table into ``X``: the terms, the level order of each categorical column
    (reference first) and the resulting column names. Reused for reference grids (emmeans)."""

    terms: tuple
    intercept: bool
    levels: dict
    names: tuple

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        return _term_columns(frame, self.terms, self.intercept, self.levels)[0]


def _var_columns(frame: pd.DataFrame, var: str, levels: dict):
    if var in levels:
        lv = levels[var]
        s = frame[var]
        cols = [(s == v).to_numpy(float) for v in lv[1:]]
        return cols, [f"{var}[{v}]" for v in lv[1:]]
    return [frame[var].to_numpy(float)], [var]


def _term_columns(frame, terms, intercept, levels):
    cols, names = [], []
    if intercept:
        cols.append(np.ones(len(frame)))
        names.append("Intercept")
    for t in terms:
        parts = [_var_columns(frame, v, levels) for v in t]
        acc_c, acc_n = [np.ones(len(frame))], [""]
        for pc, pn in parts:
            acc_c = [a * b for a in acc_c for b in pc]
            acc_n = [f"{a}:{b}" if a else b for a in acc_n for b in pn]
        cols.extend(acc_c)
        names.extend(acc_n)
    X = np.column_stack(cols) if cols else np.empty((len(frame), 0))
    return X, names


def category_levels(
    frame: pd.DataFrame, spec: ModelSpec, reference=None, order=None, factors=()
) -> dict:
    """Level order (reference first) of every categorical column used as a predictor; columns
    in ``factors`` are categorical whatever their type (e.g. a numeric period)."""
    reference = reference or {}
    order = order or {}
    used = [v for t in spec.terms for v in t]
    for r in spec.random:
        used.extend(v for t in r.terms for v in t)
    out = {}
    for v in dict.fromkeys(used):
        if v in factors or is_categorical(frame[v]):
            out[v] = order_levels(frame[v], v, reference.get(v), order.get(v))
    unknown = [k for k in reference if k not in out]
    if unknown:
        raise ModelError(
            f"reference given for {unknown}, which are not categorical predictors of the model"
        )
    return out


def fixed_design(
    frame: pd.DataFrame, spec: ModelSpec, levels: dict
) -> tuple[np.ndarray, FixedDesign]:
    X, names = _term_columns(frame, spec.terms, spec.intercept, levels)
    dup = [n for n in set(names) if names.count(n) > 1]
    if dup:
        raise ModelError(f"Duplicated fixed-effect columns {dup}")
    return X, FixedDesign(spec.terms, spec.intercept, levels, tuple(names))


def random_blocks(frame: pd.DataFrame, spec: ModelSpec, levels: dict) -> list[ReBlock]:
    blocks = []
    for r in spec.random:
        Z, names = _term_columns(frame, r.terms, r.intercept, levels)
        if len(r.group) == 1:
            codes, uniq = pd.factorize(frame[r.group[0]], sort=True)
        else:
            key = pd.MultiIndex.from_frame(frame[list(r.group)].astype(str))
            codes, uniq = pd.factorize(key, sort=True)
        blocks.append(
            ReBlock(r.group_name, np.asarray(codes), len(uniq), Z, tuple(names), r.correlated)
        )
    return blocks
