"""Reading assay results as written in the files: numbers, censored readings, decimal commas.

A reading may be a number, a censored result (``"<0.5"``, ``"below LOD"``, ``"> 100"``), a
decimal-comma number (``"0,5"``) or unreadable text. :func:`parse_readings` turns a column of
them into numbers and flags; validation and the assay steps both use it.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["control_mask", "parse_readings"]

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_RE_NUM = re.compile(rf"^{_NUM}$")
_RE_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_RE_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$")
_RE_BELOW = re.compile(r"^(?:<=|<|≤)(?P<num>.+)$")
_RE_ABOVE = re.compile(r"^(?:>=|>|≥)(?P<num>.+)$")
_BELOW_WORDS = {
    "<lod",
    "<lloq",
    "<loq",
    "<dl",
    "<mdl",
    "<llod",
    "<detectionlimit",
    "nd",
    "n.d.",
    "n.d",
    "notdetected",
    "notdetectable",
    "undetectable",
    "belowdetection",
    "belowdetectionlimit",
    "belowlod",
    "belowlloq",
    "bdl",
}
_ABOVE_WORDS = {
    ">uloq",
    ">ulod",
    ">range",
    ">standard",
    "aboverange",
    "abovetherange",
    "aboveuloq",
    "abovedetection",
    "abovedetectionlimit",
    "outofrangehigh",
}


def _to_float(text: str) -> float | None:
    """Float from a numeric string; decimal comma accepted unless it may be a thousands mark."""
    if _RE_NUM.match(text):
        return float(text)
    if _RE_DECIMAL_COMMA.match(text) and not _RE_THOUSANDS.match(text):
        return float(text.replace(",", "."))
    return None


def _parse_one(item, row_lod: float):
    """(value, below, above, limit, unparsed) for one reading."""
    nan = math.nan
    if item is None or item is pd.NA or item is pd.NaT:
        return nan, False, False, nan, False
    if isinstance(item, bool | np.bool_):
        return nan, False, False, nan, True
    if isinstance(item, int | float | np.integer | np.floating):
        x = float(item)
        if math.isnan(x):
            return nan, False, False, nan, False
        if math.isinf(x):
            return nan, False, False, nan, True
        return x, False, False, nan, False
    if not isinstance(item, str):
        return nan, False, False, nan, True
    text = item.strip()
    if text == "" or text.lower() in ("nan", "na", "n/a"):
        return nan, False, False, nan, False
    x = _to_float(text)
    if x is not None:
        return x, False, False, nan, False
    compact = re.sub(r"\s+", "", text.lower())
    if compact in _BELOW_WORDS:
        return nan, True, False, row_lod, False
    if compact in _ABOVE_WORDS:
        return nan, False, True, nan, False
    m = _RE_BELOW.match(compact)
    if m:
        limit = _to_float(m["num"])
        if limit is not None:
            return nan, True, False, limit, False
    m = _RE_ABOVE.match(compact)
    if m:
        limit = _to_float(m["num"])
        if limit is not None:
            return nan, False, True, limit, False
    return nan, False, False, nan, True


def parse_readings(readings, *, lod=None) -> pd.DataFrame:
    """Read assay results that may contain censoring text ("<0.5", "ND", "> ULOQ").

    Never raises for text: what cannot be read is marked ``unparsed``.

    Parameters
    ----------
    readings : array-like or pandas.Series
        Reported results: numbers, numeric strings, or censoring text.
    lod : float, array-like or pandas.Series, optional
        The limit of detection per reading (aligned with ``readings``); it becomes the
        ``limit`` of readings such as ``"< LOD"`` or ``"ND"`` that carry no number.

    Returns
    -------
    pandas.DataFrame
        Index aligned with ``readings`` and columns ``reading`` (original), ``value`` (float;
        NaN when censored, empty or unreadable), ``below_lod``, ``above_range``, ``limit``
        (the number in ``"<0.5"``/``">200"``, the row's ``lod`` for ``"<LOD"``/``"ND"``/
        ``"n.d."``/``"below detection"``, NaN otherwise) and ``unparsed``.

    Notes
    -----
    Accepted: numbers and numeric strings (``"12.5"``, ``"1e3"``); a decimal comma
    (``"12,5"`` is 12.5) unless the text could be a thousands separator (``"1,250"`` is
    ambiguous and is marked ``unparsed``); ``"<0.5"``, ``"< 0.5"``, ``"<=0.5"``; ``"<LOD"``,
    ``"<LLOQ"``, ``"ND"``, ``"n.d."``, ``"not detected"``, ``"below detection"``; ``">200"``,
    ``"> ULOQ"``, ``"above range"`` (limit NaN when there is no number). Case and spaces do not
    matter. Empty strings and NaN give ``value`` NaN with ``unparsed`` False; booleans,
    infinities and any other text are ``unparsed``.

    Examples
    --------
    >>> parse_readings(["12.5", "<0.5", "ND", "> ULOQ", "12,5", "abc"], lod=0.3)
      reading  value  below_lod  above_range  limit  unparsed
    0    12.5   12.5      False        False    NaN     False
    1    <0.5    NaN       True        False    0.5     False
    2      ND    NaN       True        False    0.3     False
    3  > ULOQ    NaN      False         True    NaN     False
    4    12,5   12.5      False        False    NaN     False
    5     abc    NaN      False        False    NaN      True
    """
    if isinstance(readings, pd.Series):
        index = readings.index
        items = readings.to_list()
    else:
        items = list(np.atleast_1d(np.asarray(readings, dtype=object)))
        index = pd.RangeIndex(len(items))
    n = len(items)
    if lod is None:
        lods = np.full(n, np.nan)
    elif isinstance(lod, pd.Series):
        lods = pd.to_numeric(lod, errors="coerce").to_numpy(dtype=float)
    elif np.ndim(lod) == 0:
        lods = np.full(n, np.nan if lod is None else float(lod))
    else:
        lods = pd.to_numeric(pd.Series(list(lod)), errors="coerce").to_numpy(dtype=float)
    if len(lods) != n:
        raise DataError(f"parse_readings: lod has {len(lods)} values for {n} readings")
    if isinstance(readings, pd.Series) and (
        pd.api.types.is_float_dtype(readings.dtype) or pd.api.types.is_integer_dtype(readings.dtype)
    ):
        # fast path for numeric columns: no text to read
        x = readings.to_numpy(dtype=float, na_value=np.nan)
        inf = np.isinf(x)
        return pd.DataFrame(
            {
                "reading": pd.Series(items, index=index, dtype=object),
                "value": np.where(inf, np.nan, x),
                "below_lod": np.zeros(n, dtype=bool),
                "above_range": np.zeros(n, dtype=bool),
                "limit": np.full(n, np.nan),
                "unparsed": inf,
            },
            index=index,
        )
    parsed = [_parse_one(item, lods[i]) for i, item in enumerate(items)]
    cols = list(zip(*parsed)) if parsed else [[], [], [], [], []]
    return pd.DataFrame(
        {
            "reading": pd.Series(items, index=index, dtype=object),
            "value": np.asarray(cols[0], dtype=float),
            "below_lod": np.asarray(cols[1], dtype=bool),
            "above_range": np.asarray(cols[2], dtype=bool),
            "limit": np.asarray(cols[3], dtype=float),
            "unparsed": np.asarray(cols[4], dtype=bool),
        },
        index=index,
    )


def control_mask(samples: pd.DataFrame) -> pd.Series:
    """True for plate-control rows (``sample_type == "control"``), False elsewhere."""
    if "sample_type" not in samples.columns:
        return pd.Series(False, index=samples.index)
    return samples["sample_type"].astype("str").str.strip().str.lower().eq("control")
