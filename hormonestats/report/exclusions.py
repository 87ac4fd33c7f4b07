"""Exclusion accounting: what the exclusion log says was dropped, altered or flagged, counted.

Used through :mod:`hormonestats.report` (``hs.report.exclusion_summary``,
``hs.report.exclusion_accounting``).
"""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ..log import LOG_COLUMNS

__all__ = ["exclusion_accounting", "exclusion_summary"]


def _check_log(log: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(log, pd.DataFrame):
        raise DataError("the exclusion log must be a DataFrame (see hormonestats.log)")
    missing = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing:
        raise DataError(
            f"exclusion log lacks column(s) {', '.join(missing)}; expected {', '.join(LOG_COLUMNS)}"
        )
    return log


def exclusion_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Count log rows by step, table, action and reason (in the order they were logged).

    Returns
    -------
    DataFrame
        Columns ``step, table, action, reason, n_rows, n_subjects``.

    Examples
    --------
    >>> from hormonestats.log import log_rows
    >>> df = pd.DataFrame({"subject_id": ["s1", "s1", "s2"], "cv": [30.0, 25.0, 2.0]})
    >>> exclusion_summary(log_rows("cv", "samples", df, df["cv"] > 15, "excluded", "CV > 15%"))
       step    table    action    reason  n_rows  n_subjects
    0    cv  samples  excluded  CV > 15%       2           1
    """
    log = _check_log(log)
    keys = ["step", "table", "action", "reason"]
    if log.empty:
        return pd.DataFrame(
            {k: pd.Series(dtype="str") for k in keys}
            | {"n_rows": pd.Series(dtype="int64"), "n_subjects": pd.Series(dtype="int64")}
        )
    out = (
        log.groupby(keys, sort=False, dropna=False)
        .agg(n_rows=("action", "size"), n_subjects=("subject_id", "nunique"))
        .reset_index()
    )
    return out.astype({"n_rows": "int64", "n_subjects": "int64"})


def exclusion_accounting(
    n_input: int,
    log: pd.DataFrame,
    *,
    table: str | None = None,
    n_analysed: int | None = None,
) -> pd.DataFrame:
    """CONSORT-style flow of one table's rows: input, excluded per step and reason, analysed.

    Only ``excluded`` log rows count; a row excluded by several steps is counted once, at the
    first step that excluded it. ``n_input`` must equal analysed + excluded; passing the
    observed ``n_analysed`` checks that the log accounts for every dropped row.

    Parameters
    ----------
    n_input : int
        Rows of ``table`` before any exclusion.
    log : DataFrame
        The exclusion log (:data:`hormonestats.log.LOG_COLUMNS`).
    table : str, optional
        Which table's rows to count; required when the log excludes rows of several tables.
    n_analysed : int, optional
        Rows actually analysed, checked against ``n_input`` minus the logged exclusions.

    Returns
    -------
    DataFrame
        Columns ``stage`` (input/excluded/analysed), ``step``, ``reason``, ``n``.

    Examples
    --------
    >>> from hormonestats.log import log_rows
    >>> df = pd.DataFrame({"subject_id": ["s1", "s2", "s3"], "cv": [30.0, 2.0, 40.0]})
    >>> lg = log_rows("cv", "samples", df, df["cv"] > 15, "excluded", "CV > 15%")
    >>> exclusion_accounting(3, lg)
          stage step    reason  n
    0     input  NaN       NaN  3
    1  excluded   cv  CV > 15%  2
    2  analysed  NaN       NaN  1
    """
    log = _check_log(log)
    excluded = log.loc[log["action"] == "excluded"]
    tables = list(dict.fromkeys(excluded["table"].astype(str)))
    if table is None and len(tables) > 1:
        raise DataError(
            f"the exclusion log excludes rows of several tables ({', '.join(tables)}); "
            "pass table= to say which one n_input counts"
        )
    if table is not None:
        excluded = excluded.loc[excluded["table"].astype(str) == str(table)]
    n_input = int(n_input)
    first = excluded.drop_duplicates(subset=["table", "row"], keep="first")
    counts = (
        first.groupby(["step", "reason"], sort=False, dropna=False).size().rename("n").reset_index()
    )
    n_excluded = int(counts["n"].sum())
    if n_excluded > n_input:
        raise DataError(
            f"the exclusion log excludes {n_excluded} rows but n_input is only {n_input}"
        )
    n_left = n_input - n_excluded
    if n_analysed is not None and int(n_analysed) != n_left:
        raise DataError(
            f"exclusions do not add up: {n_input} input rows - {n_excluded} logged exclusions = "
            f"{n_left}, but {int(n_analysed)} rows were analysed; some exclusion is not logged"
        )
    rows = [("input", pd.NA, pd.NA, n_input)]
    rows += [("excluded", r.step, r.reason, int(r.n)) for r in counts.itertuples()]
    rows.append(("analysed", pd.NA, pd.NA, n_left))
    out = pd.DataFrame(rows, columns=["stage", "step", "reason", "n"])
    out = out.astype({"stage": "str", "step": "str", "reason": "str", "n": "int64"})
    assert out["n"].iloc[0] == out["n"].iloc[1:].sum()  # input = excluded + analysed
    return out
