"""A subject partition's file read back as ``read_study`` reads those rows.

The partition files are written by :mod:`hormonestats.study.scanning`; each carries the
dataset row of every row in :data:`ROW_COLUMN` and, in the partition's description, the
conversions decided on the whole column and the columns with a missing value anywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .conform import _id_text, conform_table

__all__ = ["ROW_COLUMN", "read_partition", "subject_buckets", "whole_dtype"]

#: The column of a partition file that holds each row's row in the dataset.
ROW_COLUMN = "_row"


def whole_dtype(s: pd.Series, has_null: bool) -> pd.Series:
    """The dtype a column has in the whole table: integers and yes/no columns with a missing
    value anywhere read as float64 and object (as pandas reads them from parquet)."""
    if has_null and pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("float64")
    if has_null and pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(object)
    return s


def read_partition(part: dict, contract) -> pd.DataFrame:
    """One partition file as ``read_study`` reads those rows (see the module notes)."""
    import pyarrow.parquet as pq

    frame = pq.read_table(part["path"]).to_pandas()
    frame.index = pd.Index(frame.pop(ROW_COLUMN).to_numpy(), name=None)
    for c in part["nulls"]:
        frame[c] = whole_dtype(frame[c], True)
    decided = part["conversions"]
    plain = [c for c in frame.columns if c not in decided]
    out = conform_table("samples", frame[plain], contract)
    for c, (values, converted, has_null) in decided.items():
        s = frame[c]
        pos = pd.Index(values).get_indexer(s)
        if has_null:
            pos[s.isna().to_numpy()] = len(converted) - 1
        if (pos < 0).any():  # internal invariant: every value was seen while partitioning
            raise AssertionError(f"samples: value of column {c!r} not seen while partitioning")
        out[c] = converted.iloc[pos].set_axis(frame.index)
    return out[list(frame.columns)]


def subject_buckets(ids, k: int) -> np.ndarray:
    """The subject partition of each subject id (``k`` partitions): a hash of the id as the
    tables hold it after reading (text, stripped; :func:`~hormonestats.study.conform.conform_table`),
    so that ``" S01"`` and ``"S01"`` land together; a missing id in partition 0."""
    ids = pd.Series(ids)
    if pd.api.types.is_string_dtype(ids.dtype) and ids.dtype != object:
        text = ids.str.strip()  # what conform_table does to text ids
        text = text.mask(text.eq("").fillna(False).astype(bool))
    else:
        text = ids.map(_id_text)
    known = text.notna().to_numpy()
    out = np.zeros(len(text), dtype=np.int64)
    if known.any() and k > 1:
        values = text[known].astype(object).to_numpy()
        out[known] = (pd.util.hash_array(values) % np.uint64(k)).astype(np.int64)
    return out
