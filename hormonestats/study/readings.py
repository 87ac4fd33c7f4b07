"""Reading assay results as written in the files: numbers, censored readings, decimal commas.

A reading may be a number, a censored result (``"<0.5"``, ``"below LOD"``, ``"> 100"``), a
decimal-comma number (``"0,5"``) or unreadable text. :func:`parse_readings` turns a column of
them into numbers and flags; validation and the assay steps both use it.
"""

from __future__ import annotations

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


def _numbers(text: pd.Series) -> pd.Series:
    """Floats from numeric text (a decimal comma accepted unless it may be a thousands mark)."""
    value = pd.to_numeric(text.where(text.str.fullmatch(_NUM, na=False)), errors="coerce")
    comma = text.str.fullmatch(_RE_DECIMAL_COMMA.pattern, na=False) & \
        ~text.str.fullmatch(_RE_THOUSANDS.pattern, na=False)
    if comma.any():
        value = value.where(~comma, pd.to_numeric(text.where(comma).str.replace(",", "."),
                                                  errors="coerce"))
    return value.astype(float)


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
        items = readings.to_list() if not isinstance(readings.dtype, pd.StringDtype) else None
    else:
        items = list(np.atleast_1d(np.asarray(readings, dtype=object)))
        index = pd.RangeIndex(len(items))
    n = len(readings) if items is None else len(items)
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
    if isinstance(readings, pd.Series) and isinstance(readings.dtype, pd.StringDtype) and n:
        return _parse_text_column(readings, lods)
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
    series = pd.Series(items, index=pd.RangeIndex(n), dtype=object)
    value = np.full(n, np.nan)
    below = np.zeros(n, dtype=bool)
    above = np.zeros(n, dtype=bool)
    limit = np.full(n, np.nan)
    unparsed = np.zeros(n, dtype=bool)
    num = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    present = series.notna().to_numpy()
    numeric = ~np.isnan(num)
    # booleans convert to 0/1 but are not readings: look only where a 0 or 1 came out
    maybe_bool = np.flatnonzero(numeric & ((num == 0) | (num == 1)))
    if len(maybe_bool):
        is_bool = series.iloc[maybe_bool].map(lambda v: isinstance(v, bool | np.bool_))
        unparsed[maybe_bool[is_bool.to_numpy(dtype=bool)]] = True
    inf = numeric & np.isinf(num)
    unparsed |= inf
    ok = numeric & ~inf & ~unparsed
    value[ok] = num[ok]
    rest = np.flatnonzero(present & ~numeric)
    if len(rest):
        raw = series.iloc[rest]
        is_text = raw.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool) \
            if raw.dtype == object else np.ones(len(rest), dtype=bool)
        unparsed[rest[~is_text]] = True
        rest = rest[is_text]
        text = pd.Series(series.iloc[rest].to_numpy(), dtype="str").str.strip()
        low = text.str.lower()
        empty = (text == "") | low.isin(["nan", "na", "n/a"])
        comma = _numbers(text).to_numpy()
        compact = low.str.replace(r"\s+", "", regex=True)
        word_below = compact.isin(_BELOW_WORDS).to_numpy()
        word_above = compact.isin(_ABOVE_WORDS).to_numpy()
        lt = compact.str.extract(_RE_BELOW.pattern, expand=False)
        gt = compact.str.extract(_RE_ABOVE.pattern, expand=False)
        lt_num = _numbers(lt).to_numpy()
        gt_num = _numbers(gt).to_numpy()
        empty = empty.to_numpy()
        is_num = ~empty & ~np.isnan(comma)
        value[rest[is_num]] = comma[is_num]
        below_word = ~empty & ~is_num & word_below
        above_word = ~empty & ~is_num & ~below_word & word_above
        below_num = ~empty & ~is_num & ~below_word & ~above_word & ~np.isnan(lt_num)
        above_num = ~empty & ~is_num & ~below_word & ~above_word & ~below_num & \
            ~np.isnan(gt_num)
        below[rest[below_word | below_num]] = True
        above[rest[above_word | above_num]] = True
        limit[rest[below_word]] = lods[rest[below_word]]
        limit[rest[below_num]] = lt_num[below_num]
        limit[rest[above_num]] = gt_num[above_num]
        unparsed[rest[~(empty | is_num | below_word | above_word | below_num | above_num)]] = True
    return pd.DataFrame(
        {
            "reading": pd.Series(items, index=index, dtype=object),
            "value": value,
            "below_lod": below,
            "above_range": above,
            "limit": limit,
            "unparsed": unparsed,
        },
        index=index,
    )


def _parse_text_column(readings: pd.Series, lods: np.ndarray) -> pd.DataFrame:
    """``parse_readings`` of a text column: each distinct text is read once.

    A text column holds only text and missing values (no booleans or numbers that could
    compare equal to one another), so reading its distinct values and spreading them back over
    the rows gives the same result as reading every row; readings such as ``"<LOD"`` take
    their limit from the row's ``lod`` afterwards.
    """
    codes, uniques = pd.factorize(readings)  # missing values get code -1
    distinct = np.asarray(uniques, dtype=object)
    once = parse_readings(pd.Series(distinct, dtype=object))
    take = np.where(codes < 0, len(distinct), codes)  # the extra last slot: a missing value

    def spread(column: str, missing) -> np.ndarray:
        return np.append(once[column].to_numpy(), missing)[take]

    below = spread("below_lod", False)
    limit = spread("limit", np.nan)
    # below the LOD with no number of its own ("<LOD", "ND"): the row's own LOD is the limit
    limit = np.where(below & np.isnan(limit), lods, limit)
    return pd.DataFrame(
        {
            "reading": pd.Series(np.append(distinct, readings.dtype.na_value)[take],
                                 index=readings.index, dtype=object),
            "value": spread("value", np.nan),
            "below_lod": below,
            "above_range": spread("above_range", False),
            "limit": limit,
            "unparsed": spread("unparsed", False),
        },
        index=readings.index,
    )


def control_mask(samples: pd.DataFrame) -> pd.Series:
    """True for plate-control rows (``sample_type == "control"``), False elsewhere."""
    if "sample_type" not in samples.columns:
        return pd.Series(False, index=samples.index)
    return samples["sample_type"].astype("str").str.strip().str.lower().eq("control")
