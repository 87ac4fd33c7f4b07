"""Membership of key columns (subject ids) at the speed of Arrow.

pandas 3 answers ``Series.isin`` on a ``str`` column by converting every value of the other
column to a Python object first; with two Arrow-backed string columns, :func:`isin` asks Arrow's
``is_in`` kernel directly and gives the same answer (a missing value matches a missing value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow_strings(obj) -> bool:
    dtype = getattr(obj, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _arrow(series: pd.Series):
    arr = pa.array(series.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def isin(values: pd.Series, other) -> pd.Series:
    """``values.isin(other)``; through Arrow when both are Arrow-backed string columns."""
    if not (_arrow_strings(values) and isinstance(other, pd.Series | pd.Index)
            and _arrow_strings(other)):
        return values.isin(other)
    left = _arrow(values)
    right = _arrow(other).cast(left.type)
    found = pc.is_in(left, value_set=right)
    return pd.Series(np.array(found, dtype=np.bool_), index=values.index, name=values.name)
