"""Dates and clock times as a lab writes them, read without guessing.

A date or time column is read with the format the contract declares for it (``dates: {start:
'%d.%m.%Y %H:%M'}``), else with a format inferred from *all* of its values: ISO dates
(``2024-04-29``, with or without a time and a time-zone offset) or day/month/year dates
(``29.04.2024``, ``04/29/2024``) whose order some value decides (a first number above 12 makes
the column day-first, a second above 12 month-first). A column in which every value could be
either is refused, naming its rows; so is a column mixing ISO and day/month dates, and a clock
time that cannot exist (``25:61``), each at its own row. Time-zone offsets are converted to the
offset of the column's first value, with a note. The column comes out as ISO text, which the
rest of the reading (minutes since midnight for times) takes as it always has.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["read_dates"]

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                  r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$")
_DMY = re.compile(r"^(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4})"
                  r"(?P<time>[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _rows(rows, mask) -> str:
    picked = [str(r) for r in np.asarray(rows)[np.asarray(mask)]]
    return ", ".join(picked[:10]) + (f" (+{len(picked) - 10} more)" if len(picked) > 10 else "")


def _text(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v.strip() if isinstance(v, str) else v)


def _iso_text(stamps: pd.Series, kind: str) -> pd.Series:
    ok = stamps.dropna()
    timed = kind == "time" or bool((ok != ok.dt.normalize()).any())
    fmt = "%Y-%m-%d %H:%M:%S" if timed else "%Y-%m-%d"
    return stamps.dt.strftime(fmt).astype(object).where(stamps.notna(), np.nan)


def _declared(s: pd.Series, fmt: str, kind: str, where: str, rows) -> pd.Series:
    text = _text(s)
    present = text.notna() & text.astype(str).ne("")
    stamps = pd.to_datetime(text.where(present), format=fmt, errors="coerce")
    bad = present & stamps.isna()
    if bad.any():
        first = text[bad].iloc[0]
        raise DataError(f"{where}: {int(bad.sum())} value(s) do not follow the declared date "
                        f"format {fmt!r} (rows {_rows(rows, bad)}; e.g. {first!r})")
    return _iso_text(stamps, kind)


def _clock_problems(text: pd.Series, where: str, rows) -> None:
    def impossible(v):
        m = _CLOCK.match(v) if isinstance(v, str) else None
        return bool(m) and (int(m[1]) > 23 or int(m[2]) > 59 or int(m[3] or 0) > 59)

    bad = text.map(impossible)
    if bad.any():
        values = ", ".join(repr(v) for v in text[bad].head(5))
        raise DataError(f"{where}: clock time(s) that cannot exist ({values}) at row(s) "
                        f"{_rows(rows, bad)}")


def _day_month(text: pd.Series, dmy: pd.Series, where: str, rows) -> pd.Series:
    parts = text[dmy].str.extract(_DMY.pattern)
    a, b = parts["a"].astype(int), parts["b"].astype(int)
    day_first, month_first = (a > 12).any(), (b > 12).any()
    if day_first and month_first:
        raise DataError(f"{where}: the dates put the day first in some rows and the month "
                        f"first in others (e.g. rows {_rows(rows[dmy.to_numpy()], a > 12)} vs "
                        f"{_rows(rows[dmy.to_numpy()], b > 12)}); declare the format")
    if not (day_first or month_first):
        raise DataError(f"{where}: every date could be day-first or month-first (rows "
                        f"{_rows(rows, dmy)}: no day above 12 decides it); declare the format "
                        "in the contract, e.g. dates: {COLUMN: '%d.%m.%Y'}")
    day, month = (a, b) if day_first else (b, a)
    iso = parts["y"] + "-" + month.map("{:02d}".format) + "-" + day.map("{:02d}".format) + \
        parts["time"].fillna("").str.replace("T", " ")
    out = text.astype(object).copy()
    out[dmy] = iso
    return out


def _with_offsets(text: pd.Series, tz: pd.Series, where: str) -> tuple[pd.Series, str | None]:
    if not tz.notna().any():
        return text, None
    if tz.notna().sum() != text.map(lambda v: isinstance(v, str) and v != "").sum():
        raise DataError(f"{where}: some times carry a time-zone offset and others do not")
    stamps = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    first = stamps.dropna().index[0]
    offset = str(tz[first]).replace("Z", "+00:00")
    if ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    local = stamps.dt.tz_convert(f"Etc/GMT{'-' if offset[0] == '+' else '+'}"
                                 f"{int(offset[1:3])}") if offset[3:] == ":00" else None
    if local is None:
        raise DataError(f"{where}: time-zone offset {offset} is not whole hours")
    note = None
    if tz.dropna().nunique() > 1:
        note = (f"{where}: times carry the offsets {', '.join(sorted(tz.dropna().unique()))}; "
                f"all converted to UTC{offset} (the first value's)")
    return local.dt.tz_localize(None).dt.strftime("%Y-%m-%d %H:%M:%S").where(
        stamps.notna(), np.nan), note


def read_dates(s: pd.Series, *, kind: str, where: str, rows, fmt: str | None = None
               ) -> tuple[pd.Series, str | None]:
    """A date (``kind="date"``) or time (``"time"``) column as ISO text, and a note or None.

    ``rows`` are the file rows of the values (for messages). Columns that hold no text (numbers,
    spreadsheet dates) are returned unchanged.
    """
    rows = np.asarray(rows)
    if fmt is not None:
        return _declared(s, fmt, kind, where, rows), None
    if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
        return s, None
    text = _text(s)
    is_str = text.map(lambda v: isinstance(v, str) and v != "")
    if not is_str.any():
        return s, None
    _clock_problems(text, where, rows)
    iso = is_str & text.map(lambda v: isinstance(v, str) and bool(_ISO.match(v)))
    dmy = is_str & text.map(lambda v: isinstance(v, str) and bool(_DMY.match(v)))
    if iso.any() and dmy.any():
        raise DataError(f"{where}: dates written two ways: ISO (year first) in most rows but "
                        f"{text[dmy].iloc[0]!r} at row(s) {_rows(rows, dmy)}; write every date "
                        "the same way or declare the format")
    note = None
    if dmy.any():
        text = _day_month(text, dmy, where, rows)
    elif iso.any():
        tz = text.where(iso).str.extract(_ISO.pattern, expand=False)
        if isinstance(tz, pd.DataFrame):
            tz = tz.iloc[:, 0]
        text, note = _with_offsets(text.where(iso, text), tz, where)
    else:
        return s, None
    return text, note
