"""What every hormone time course shares: sample times in minutes, groups, checks, log rows.

Used by :mod:`hormonestats.derive.cortisol` (AUCs and reactivity) and
:mod:`hormonestats.derive.diurnal` (awakening response, diurnal slope).

Sample times
------------
A time column may hold

* numbers: minutes on any origin the study chose (since waking, since the stressor, since the
  session start);
* timedeltas: converted to minutes;
* clock times: datetimes, or text such as ``"08:15"`` or ``"2024-03-01 08:15"``.

With an ``origin`` column (each subject's waking time or stressor onset, of the same kind as
the times) minutes are ``time - origin``. Clock times without an origin are counted from the
first sample of the subject (within each ``by`` group).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..checks import numeric_column
from ..errors import DataError, format_rows
from ..log import empty_log

__all__ = ["as_tuple", "check_duplicates", "groups", "log_frame", "minutes", "numeric"]


def as_tuple(by) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def numeric(data: pd.DataFrame, column: str, step: str) -> pd.Series:
    return numeric_column(data, column, table="samples", step=step)


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_timedelta64_dtype(series):
        return "timedelta"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "clock"
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return "number"
    present = series.dropna()
    if pd.to_numeric(present, errors="coerce").notna().all():
        return "number"
    return "clock"


def _clock(series: pd.Series, column: str, step: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    bad = parsed.isna() & series.notna()
    if bad.any():
        raise DataError(
            f"samples: {step} needs times in column {column!r} (minutes, a timedelta or a clock "
            f"time); cannot read {format_rows(series.index[bad])} (e.g. "
            f"{series[bad].iloc[0]!r})"
        )
    return parsed


def minutes(
    data: pd.DataFrame,
    column: str,
    *,
    step: str,
    origin: str | None = None,
    keys: Sequence[str] = (),
) -> pd.Series:
    """Sample times in minutes (see the module notes); ``keys`` group clock times without origin.

    >>> df = pd.DataFrame({"s": ["a", "a"], "t": ["08:00", "08:45"]})
    >>> minutes(df, "t", step="demo", keys=["s"]).to_list()
    [0.0, 45.0]
    """
    series = data[column]
    kind = _kind(series)
    if origin is not None:
        ref = data[origin]
        ref_kind = _kind(ref)
        if (kind == "number") != (ref_kind == "number"):
            raise DataError(
                f"{step}: columns '{column}' and '{origin}' must both be datetimes (clock times) "
                "or both be numbers (minutes)"
            )
        if kind == "number":
            return numeric(data, column, step) - numeric(data, origin, step)
        if kind == "timedelta" and ref_kind == "timedelta":
            return (series - ref).dt.total_seconds() / 60.0
        diff = _clock(series, column, step) - _clock(ref, origin, step)
        return diff.dt.total_seconds() / 60.0
    if kind == "number":
        return numeric(data, column, step)
    if kind == "timedelta":
        return series.dt.total_seconds() / 60.0
    clock = _clock(series, column, step)
    first = clock.groupby([data[k] for k in keys], dropna=False).transform("min") if keys \
        else clock.min()
    return (clock - first).dt.total_seconds() / 60.0


def check_duplicates(data: pd.DataFrame, keys: list[str], step: str) -> None:
    dup = data.duplicated(subset=keys, keep=False)
    if dup.any():
        raise DataError(
            f"{step}: table 'samples' has more than one row per {keys} in "
            f"{format_rows(data.index[dup])}; aggregate replicates first"
        )


def groups(frame: pd.DataFrame, by: tuple[str, ...]):
    """``(key tuple, label, rows)`` for each ``by`` group (one group of all rows without ``by``)."""
    if not by:
        yield (), "all samples", frame
        return
    for key, part in frame.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        yield key, ", ".join(f"{b}={k}" for b, k in zip(by, key)), part


def log_frame(rows, subjects, action: str, reason: str, step: str) -> pd.DataFrame:
    if not len(rows):
        return empty_log()
    return pd.DataFrame(
        {
            "step": step,
            "table": "samples",
            "row": list(rows),
            "subject_id": list(subjects),
            "action": action,
            "reason": reason,
        }
    )
