"""Table 1: sample characteristics by group, as a tidy frame of numbers and its wide layout."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import DataError
from .numbers import MISSING, format_number

__all__ = ["table1"]

_TABLE1_COLUMNS = ["variable", "level", "kind", "group", "n", "mean", "sd", "count", "percent"]
_ALL = "All"


def _is_table1(frame: pd.DataFrame) -> bool:
    return list(frame.columns) == _TABLE1_COLUMNS


def table1(
    subjects: pd.DataFrame,
    *,
    group: str | None = None,
    variables: Sequence[str] | None = None,
    overall: bool = True,
) -> pd.DataFrame:
    """Sample characteristics by group ("Table 1"), as a tidy frame of numbers.

    Continuous variables get ``n`` (non-missing), ``mean`` and ``sd`` (n - 1); dates (a date
    type, or text that is all ISO dates) their range, earliest to latest, in ``level`` (kind
    ``date``); categorical ones (strings, booleans, categories) one row per level with
    ``count`` and ``percent`` of the group's non-missing values. The first rows (``kind == "n"``) give each group's size. Pass
    the result to :func:`apa_table` for the familiar layout (M (SD), n (%)).

    Parameters
    ----------
    subjects : DataFrame
        One row per participant.
    group : str, optional
        Column defining the groups (e.g. arm); rows with a missing group count in "All" only.
    variables : list of str, optional
        Columns to describe. Default: every column except ``group`` and ``*_id`` columns.
    overall : bool
        Add an "All" group when ``group`` is given.

    Returns
    -------
    DataFrame
        Columns ``variable, level, kind, group, n, mean, sd, count, percent``.

    Examples
    --------
    >>> from hormonestats.report import apa_table
    >>> subj = pd.DataFrame({"subject_id": ["a", "b", "c", "d"], "arm": ["OT", "OT", "PL", "PL"],
    ...                      "age": [20.0, 22.0, 30.0, 34.0], "sex": ["f", "m", "f", "f"]})
    >>> t1 = table1(subj, group="arm")
    >>> t1.query("variable == 'age' and group == 'PL'")[["mean", "sd"]].to_numpy().tolist()
    [[32.0, 2.8284271247461903]]
    >>> print(apa_table(t1))  # doctest: +NORMALIZE_WHITESPACE
    | Characteristic | OT | PL | All |
    |:---|---:|---:|---:|
    | N | 2 | 2 | 4 |
    | age, M (SD) | 21.00 (1.41) | 32.00 (2.83) | 26.50 (6.61) |
    | sex, n (%) |  |  |  |
    | f | 1 (50.0) | 2 (100.0) | 3 (75.0) |
    | m | 1 (50.0) | 0 (0.0) | 1 (25.0) |
    <BLANKLINE>
    """
    if not isinstance(subjects, pd.DataFrame):
        raise DataError("table1 expects a subjects DataFrame (one row per participant)")
    if group is not None and group not in subjects.columns:
        raise DataError(
            f"table1: group column {group!r} not in the subjects table; "
            f"available: {', '.join(map(str, subjects.columns))}"
        )
    if variables is None:
        variables = [
            c
            for c in subjects.columns
            if c != group and not str(c).endswith("_id") and c != "subject"
        ]
    missing = [v for v in variables if v not in subjects.columns]
    if missing:
        raise DataError(
            f"table1: variable(s) {', '.join(map(repr, missing))} not in the subjects table; "
            f"available: {', '.join(map(str, subjects.columns))}"
        )
    groups: list[tuple[str, pd.DataFrame]] = []
    if group is None:
        groups.append((_ALL, subjects))
    else:
        col = subjects[group]
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels = [lv for lv in col.cat.categories if (col == lv).any()]
        else:
            levels = sorted(col.dropna().unique(), key=str)
        groups += [(str(lv), subjects.loc[col == lv]) for lv in levels]
        if overall:
            groups.append((_ALL, subjects))

    recs: list[dict] = []
    nan = float("nan")
    for gname, gdata in groups:
        recs.append(
            dict(
                variable="N",
                level=None,
                kind="n",
                group=gname,
                n=len(gdata),
                mean=nan,
                sd=nan,
                count=len(gdata),
                percent=nan,
            )
        )
    for var in variables:
        full = subjects[var]
        dates = _as_dates(full)
        if dates is not None:
            recs += [_date_record(var, gname, dates.loc[gdata.index]) for gname, gdata in groups]
            continue
        continuous = pd.api.types.is_numeric_dtype(full) and not pd.api.types.is_bool_dtype(full)
        if not continuous:
            if isinstance(full.dtype, pd.CategoricalDtype):
                levels = list(full.cat.categories)
            else:
                levels = sorted(full.dropna().unique(), key=str)
        for gname, gdata in groups:
            values = gdata[var].dropna()
            if continuous:
                v = values.astype(float)
                recs.append(
                    dict(
                        variable=str(var),
                        level=None,
                        kind="continuous",
                        group=gname,
                        n=len(v),
                        mean=float(v.mean()) if len(v) else nan,
                        sd=float(v.std(ddof=1)) if len(v) > 1 else nan,
                        count=nan,
                        percent=nan,
                    )
                )
            else:
                for lv in levels:
                    k = int((values == lv).sum())
                    recs.append(
                        dict(
                            variable=str(var),
                            level=str(lv),
                            kind="categorical",
                            group=gname,
                            n=len(values),
                            mean=nan,
                            sd=nan,
                            count=k,
                            percent=100.0 * k / len(values) if len(values) else nan,
                        )
                    )
    out = pd.DataFrame.from_records(recs, columns=_TABLE1_COLUMNS)
    return out.astype({"n": "int64"})


_ISO_DATE = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?"


def _as_dates(values: pd.Series) -> pd.Series | None:
    """The column as datetimes when it holds dates (a date type, or text all ISO dates)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
        return None
    present = values.dropna()
    if present.empty or not present.map(lambda v: isinstance(v, str)).all() or \
            not present.str.fullmatch(_ISO_DATE).all():
        return None
    return pd.to_datetime(values, errors="coerce")


def _date_text(value) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else \
        stamp.strftime("%Y-%m-%d %H:%M")


def _date_record(var, gname: str, dates: pd.Series) -> dict:
    present = dates.dropna()
    span = (f"{_date_text(present.min())} – {_date_text(present.max())}" if len(present)
            else MISSING)
    nan = float("nan")
    return dict(variable=str(var), level=span, kind="date", group=gname, n=len(present),
                mean=nan, sd=nan, count=nan, percent=nan)


def _table1_display(t1: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Wide, formatted layout of a :func:`table1` frame (one text column per group)."""
    groups = list(dict.fromkeys(t1["group"]))
    rows: list[dict] = []

    def cells(part: pd.DataFrame, fn) -> dict:
        by_group = {r["group"]: fn(r) for r in part.to_dict("records")}
        return {g: by_group.get(g, MISSING) for g in groups}

    for (variable, kind), part in t1.groupby(["variable", "kind"], sort=False):
        if kind == "n":
            rows.append({"Characteristic": "N", **cells(part, lambda r: str(int(r["count"])))})
        elif kind == "date":
            rows.append({"Characteristic": f"{variable}, range",
                         **cells(part, lambda r: str(r["level"]))})
        elif kind == "continuous":
            rows.append(
                {
                    "Characteristic": f"{variable}, M (SD)",
                    **cells(
                        part,
                        lambda r: (
                            f"{format_number(r['mean'], digits)} ({format_number(r['sd'], digits)})"
                        ),
                    ),
                }
            )
        else:
            rows.append({"Characteristic": f"{variable}, n (%)", **dict.fromkeys(groups, "")})
            for level, lpart in part.groupby("level", sort=False):
                rows.append(
                    {
                        "Characteristic": str(level),
                        **cells(
                            lpart,
                            lambda r: f"{int(r['count'])} ({format_number(r['percent'], 1)})",
                        ),
                    }
                )
    return pd.DataFrame(rows, columns=["Characteristic", *groups])

