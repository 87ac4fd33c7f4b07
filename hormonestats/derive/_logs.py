"""Log entries for the selected rows alone: reasons are formatted for those rows only.

A per-row reason (``"below LOD 0.5: ..."``) built for every row of a million-row table and then
filtered costs more than the step it explains; :func:`log_selected` picks the rows first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..log import empty_log, log_rows


def log_selected(step: str, table: str, frame: pd.DataFrame, mask, action: str,
                 reason) -> pd.DataFrame:
    """:func:`hormonestats.log.log_rows` with ``reason`` a string or a function of the
    selected rows' boolean mask (aligned with ``frame``) returning their reasons."""
    mask = pd.Series(mask, index=frame.index).fillna(False).astype(bool)
    if not mask.any():
        return empty_log()
    # one column is enough (log_rows reads the index and subject_id; a frame with no column
    # counts as empty, as it would there)
    picked = frame.loc[mask, ["subject_id"] if "subject_id" in frame.columns else
                       list(frame.columns[:1])]
    reasons = reason(mask) if callable(reason) else reason
    return log_rows(step, table, picked, np.ones(len(picked), dtype=bool), action, reasons)


def fmt_g(values: pd.Series) -> pd.Series:
    """``f"{v:g}"`` of each value, as a Series with the same index."""
    return pd.Series([f"{v:g}" for v in values.to_numpy(dtype=float)], index=values.index,
                     dtype=object)
