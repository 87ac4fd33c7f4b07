"""Column checks shared by every stage: required columns present, numbers where numbers belong.

Each check raises :class:`~hormonestats.errors.DataError` naming the table, the step that
needs the column, and the rows at fault (docs/architecture.md, rule 5).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .errors import DataError, format_rows

__all__ = ["numeric_column", "require_columns"]


def require_columns(data, columns: Iterable[str], *, table: str, step: str) -> None:
    """Raise unless ``data`` is a DataFrame holding every column of ``columns``.

    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], table="samples", step="demo")
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{table}: {step} needs a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{table}: {step} needs column(s) {missing}; the table has {list(data.columns)}"
        )


def numeric_column(data: pd.DataFrame, column: str, *, table: str, step: str) -> pd.Series:
    """The column as float; text that is not a number raises, naming its rows.

    Missing values stay missing (NaN).

    >>> numeric_column(pd.DataFrame({"v": ["1.5", None]}), "v", table="samples", step="demo")
    0    1.5
    1    NaN
    Name: v, dtype: float64
    """
    col = data[column]
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() & col.notna()
    if bad.any():
        raise DataError(
            f"{table}: {step} needs numbers in column {column!r}; text at "
            f"{format_rows(data.index[bad])} (e.g. {col[bad].iloc[0]!r}); read censored "
            "results with hormonestats.apply_lod or parse_readings first"
        )
    return num.astype(float)
