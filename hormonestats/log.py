"""The exclusion/alteration log that travels with derived data.

Every derivation returns a :class:`Derived` pair ``(data, log)``. The log is a tidy DataFrame
with the columns in :data:`LOG_COLUMNS`; one row records one row of one table that a step
excluded, altered or flagged, and why. Logs from several steps are joined with
:func:`combine_logs`; report.py turns them into the methods text and the exclusion accounting
(input rows = analysed rows + logged exclusions).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

__all__ = ["ACTIONS", "LOG_COLUMNS", "Derived", "combine_logs", "empty_log", "log_rows"]

LOG_COLUMNS = ["step", "table", "row", "subject_id", "action", "reason"]

#: The actions a log row may record. ``excluded`` removes the row from the analysis;
#: ``altered`` changes a value (the original is kept in the data); ``flagged`` marks it only.
ACTIONS = ("excluded", "altered", "flagged")


class Derived(NamedTuple):
    """What a derivation returns: the new data and the log of what it excluded or changed.

    Unpacks like a tuple: ``data, log = hs.apply_lod(samples)``.
    """

    data: pd.DataFrame
    log: pd.DataFrame


def empty_log() -> pd.DataFrame:
    """An empty log with the right columns and dtypes.

    >>> list(empty_log().columns)
    ['step', 'table', 'row', 'subject_id', 'action', 'reason']
    """
    return pd.DataFrame(
        {
            "step": pd.Series(dtype="str"),
            "table": pd.Series(dtype="str"),
            "row": pd.Series(dtype="object"),
            "subject_id": pd.Series(dtype="object"),
            "action": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
        }
    )


def log_rows(
    step: str,
    table: str,
    frame: pd.DataFrame,
    mask,
    action: str,
    reason,
    subject_col: str = "subject_id",
) -> pd.DataFrame:
    """Log rows of ``frame`` selected by boolean ``mask``.

    ``reason`` is one string for all rows or a Series aligned with ``frame``. The ``row`` column
    holds the frame's index labels, so the log points back at the caller's rows.

    >>> df = pd.DataFrame({"subject_id": ["s1", "s2"], "value": [1.0, -2.0]})
    >>> log_rows("demo", "samples", df, df["value"] < 0, "excluded", "negative value")
    ... # doctest: +NORMALIZE_WHITESPACE
       step    table  row subject_id    action          reason
    0  demo  samples    1         s2  excluded  negative value
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}, got {action!r}")
    mask = pd.Series(mask, index=frame.index).fillna(False).astype(bool)
    picked = frame.loc[mask]
    if picked.empty:
        return empty_log()
    if isinstance(reason, pd.Series):
        reasons = reason.loc[mask].astype(str).to_list()
    else:
        reasons = [str(reason)] * len(picked)
    subjects = (
        picked[subject_col].to_list() if subject_col in picked.columns else [None] * len(picked)
    )
    out = pd.DataFrame(
        {
            "step": step,
            "table": table,
            "row": list(picked.index),
            "subject_id": subjects,
            "action": action,
            "reason": reasons,
        }
    )
    return out.reset_index(drop=True)


def combine_logs(logs: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate logs in order (empty ones are skipped)."""
    parts = [lg for lg in logs if lg is not None and len(lg)]
    if not parts:
        return empty_log()
    return pd.concat(parts, ignore_index=True)[LOG_COLUMNS]
