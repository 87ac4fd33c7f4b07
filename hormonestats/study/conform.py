"""Tables as the contract means them, whatever file format they came from.

Spreadsheets and SPSS files store some values differently from a csv file: booleans as 1/0,
missing text as empty strings, numeric-looking IDs as numbers (``1.0``), dates as Excel serial
numbers, clock times as time cells. :func:`conform_table` undoes these format artefacts so that a
study saved as ``.xlsx``, ``.sav`` or ``.parquet`` reads as the same tables as its csv files.

:func:`clock_times_to_minutes` applies the documented time convention to every study (read from
files or built in memory): a time column written as clock times (``08:30``, ``08:30:15``,
``2024-03-01 08:30``, or spreadsheet time cells) becomes minutes since midnight (of the earliest
date in the column when the values carry dates), so that validation, QC and the analysis all
see numbers. A column that mixes minutes and clock times is left as it is and fails validation.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

__all__ = ["TIME_COLUMNS", "clock_times_to_minutes", "column_kinds", "conform_table"]

#: Columns holding times, per table (minutes, or clock times converted to minutes).
TIME_COLUMNS = {"samples": ("sample_time", "wake_time"), "treatments": ("start", "stop")}
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*$")
_DATED = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}")
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
#: Excel's day zero (serial 1 = 1900-01-01, counting the non-existent 1900-02-29).
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_UNREAD = object()


def column_kinds(table: str, contract=None) -> dict[str, str]:
    """Column -> kind (id, str, float, int, bool, time, date, reading) for one table."""
    from .table_columns import BASE_COLUMNS

    kinds = {c.name: c.kind for c in BASE_COLUMNS.get(table, ())}
    if contract is not None:
        for spec in contract.columns.get(table, {}).values():
            kinds[spec.name] = spec.dtype
    return kinds


def _blank_to_na(s: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(s) and s.dtype != object:
        blank = s.str.strip().eq("").fillna(False).astype(bool)  # vectorised text column
    elif s.dtype == object:
        blank = s.map(lambda v: isinstance(v, str) and not v.strip())
    else:
        return s
    return s.mask(blank) if blank.any() else s


def _ids(s: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(s) and s.dtype != object:
        text = s.str.strip()
        return text.mask(text.eq("").fillna(False).astype(bool))
    return s.map(_id_text).astype(object)


def _id_text(value):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return np.nan
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(value)
    text = str(value).strip()
    return text if text else np.nan


def _as_bool(s: pd.Series) -> pd.Series:
    """True/False from 1/0, 1.0/0.0, "yes"/"no"; unchanged when any value is not one of them."""
    if pd.api.types.is_bool_dtype(s):
        return s

    def one(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        if isinstance(v, bool | np.bool_):
            return bool(v)
        text = str(v).strip().lower()
        return True if text in _TRUE else False if text in _FALSE else _UNREAD

    values = [one(v) for v in s]
    if any(v is _UNREAD for v in values):
        return s
    mapped = pd.Series(values, index=s.index, dtype=object)
    if mapped.notna().all():
        return mapped.astype(bool)
    return mapped.astype(object)


def _as_int(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s) and s.notna().all() and (s.round() == s).all():
        return s.astype("int64")
    return s


def _as_date_text(s: pd.Series, serials: bool) -> pd.Series:
    """ISO dates from datetimes and Excel serial numbers (text as a csv file holds it)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        stamps = s
    elif serials and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        ok = s.isna() | s.between(1, 2958465)
        if not ok.all():
            return s
        stamps = _EXCEL_EPOCH + pd.to_timedelta(s, unit="D")
    elif s.dtype == object and s.map(lambda v: isinstance(v, _dt.date | pd.Timestamp)
                                     or v is None or (isinstance(v, float) and np.isnan(v))
                                     ).all():
        stamps = pd.to_datetime(s)
    else:
        return s
    has_time = (stamps.dropna() != stamps.dropna().dt.normalize()).any()
    fmt = "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"
    return stamps.dt.strftime(fmt).astype(object).where(stamps.notna(), np.nan)


def conform_table(table: str, frame: pd.DataFrame, contract=None, *,
                  excel: bool = False) -> pd.DataFrame:
    """Undo spreadsheet and SPSS artefacts in one table (a new frame; the input is unchanged).

    ``excel=True`` (a table read from ``.xlsx``) also reads numbers in date columns as Excel
    serial dates."""
    kinds = column_kinds(table, contract)
    out = frame.copy()
    for column in out.columns:
        kind = kinds.get(column)
        s = out[column]
        if kind == "id":
            out[column] = _ids(s)
            continue
        s = _blank_to_na(s)
        if kind == "bool":
            s = _as_bool(s)
        elif kind == "int":
            s = _as_int(s)
        elif kind == "float" and excel and pd.api.types.is_integer_dtype(s) \
                and not pd.api.types.is_bool_dtype(s):
            s = s.astype(float)  # a spreadsheet stores 29.0 as the number 29
        elif kind == "date":
            s = _as_date_text(s, excel)
        out[column] = s
    return out


def _clock_minutes(value) -> float | None:
    """Minutes since midnight of one clock time, NaN when blank, None when not a clock time."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, _dt.time):
        return value.hour * 60 + value.minute + value.second / 60
    if isinstance(value, str):
        m = _CLOCK.match(value)
        if m and int(m[1]) < 24 and int(m[2]) < 60:
            return int(m[1]) * 60 + int(m[2]) + float(m[3] or 0) / 60
        if not value.strip():
            return np.nan
    return None


def _minutes(s: pd.Series) -> pd.Series | None:
    """The column in minutes when it is written as clock times (None when it is not)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_datetime64_any_dtype(s):
        stamps = s
    else:
        if s.dropna().empty:
            return None
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            if pd.to_numeric(s, errors="coerce").notna().sum() == s.notna().sum():
                return None  # numbers (as text): minutes already
        clock = [_clock_minutes(v) for v in s]
        if all(v is not None for v in clock):
            return pd.Series(clock, index=s.index, dtype=float)
        dated = s.map(lambda v: isinstance(v, _dt.datetime | pd.Timestamp)
                      or (isinstance(v, str) and bool(_DATED.match(v)))
                      or v is None or (isinstance(v, float) and np.isnan(v)))
        if not dated.all():
            return None
        stamps = pd.to_datetime(s, errors="coerce", format="mixed")
        if stamps.isna().sum() != s.isna().sum():
            return None
    origin = stamps.min().normalize()
    return ((stamps - origin) / pd.Timedelta(minutes=1)).astype(float)


def clock_times_to_minutes(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its clock-time columns in minutes since midnight (the same frame when
    there are none)."""
    changed = {}
    for column in TIME_COLUMNS.get(table, ()):
        if column in frame.columns:
            minutes = _minutes(frame[column])
            if minutes is not None:
                changed[column] = minutes
    return frame.assign(**changed) if changed else frame
