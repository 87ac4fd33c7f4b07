"""Contraceptive methods: the vocabulary of the ``contraception`` column and its spellings.

Hormonal contraception changes the hormones a study measures (combined pills suppress the
cycle; progestin-only methods and hormonal IUDs do so partly), so the ``subjects`` table records
each participant's method as one of :data:`CONTRACEPTION`. :func:`normalize_contraception` maps
the many ways a lab writes a method (abbreviations, brand names) to that vocabulary.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import DataError, format_rows

__all__ = ["CONTRACEPTION", "normalize_contraception"]

#: Contraception categories (hormonal methods, IUDs, none).
CONTRACEPTION = (
    "combined_pill",
    "progestin_only_pill",
    "hormonal_iud",
    "copper_iud",
    "implant",
    "ring",
    "patch",
    "injection",
    "none",
)

_CONTRACEPTION_SYNONYMS = {
    "combined_pill": [
        "combined pill",
        "combined oral contraceptive",
        "combined oral contraceptive pill",
        "combined oral contraception",
        "coc",
        "cocp",
        "ocp",
        "oral contraceptive",
        "oral contraceptive pill",
        "pill",
        "the pill",
        "birth control pill",
    ],
    "progestin_only_pill": [
        "progestin only pill",
        "progestogen only pill",
        "progesterone only pill",
        "pop",
        "mini pill",
        "minipill",
    ],
    "hormonal_iud": [
        "hormonal iud",
        "lng iud",
        "levonorgestrel iud",
        "lng ius",
        "ius",
        "intrauterine system",
        "hormonal coil",
        "mirena",
        "kyleena",
        "jaydess",
        "skyla",
        "liletta",
    ],
    "copper_iud": [
        "copper iud",
        "cu iud",
        "copper coil",
        "non hormonal iud",
        "nonhormonal iud",
        "paragard",
    ],
    "implant": [
        "contraceptive implant",
        "etonogestrel implant",
        "nexplanon",
        "implanon",
        "arm implant",
    ],
    "ring": ["vaginal ring", "contraceptive ring", "nuvaring"],
    "patch": ["contraceptive patch", "transdermal patch", "evra", "ortho evra", "xulane"],
    "injection": [
        "injectable",
        "contraceptive injection",
        "depo",
        "depo provera",
        "dmpa",
        "shot",
    ],
    "none": [
        "no",
        "no contraception",
        "no contraceptive",
        "no hormonal contraception",
        "natural cycle",
        "naturally cycling",
        "nc",
    ],
}


def _norm_text(value: str) -> str:
    return re.sub(r"[\s_\-/.]+", " ", str(value).strip().lower()).strip()


_CONTRACEPTION_LOOKUP = {_norm_text(c): c for c in CONTRACEPTION}
for _cat, _words in _CONTRACEPTION_SYNONYMS.items():
    for _w in _words:
        _CONTRACEPTION_LOOKUP[_norm_text(_w)] = _cat


def normalize_contraception(values, *, table: str = "subjects", column: str = "contraception"):
    """Map common spellings of contraceptive methods to :data:`CONTRACEPTION`.

    Matching ignores case, surrounding space and the separators ``- _ / .``; missing values
    stay missing. Brand names map to their method (e.g. Mirena -> hormonal_iud, NuvaRing ->
    ring). ``"no hormonal contraception"`` maps to ``none``: record copper IUD users as
    ``copper_iud``.

    Parameters
    ----------
    values : scalar, list or Series
    table, column : str
        Named in the error message.

    Returns
    -------
    Same kind as the input: a str (or NaN) for a scalar, a list for a list, a Series (same
    index) for a Series.

    Raises
    ------
    DataError
        Listing every unrecognised value with its rows and the allowed categories.

    Examples
    --------
    >>> normalize_contraception(["COC", "Mirena", "none", "Copper IUD"])
    ['combined_pill', 'hormonal_iud', 'none', 'copper_iud']
    """
    scalar = np.isscalar(values) or values is None
    series = pd.Series([values] if scalar else values, dtype=object)
    index = values.index if isinstance(values, pd.Series) else None
    out, bad = [], {}
    for i, v in enumerate(series):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(np.nan)
            continue
        cat = _CONTRACEPTION_LOOKUP.get(_norm_text(v))
        if cat is None:
            bad.setdefault(str(v), []).append(index[i] if index is not None else i)
        out.append(cat)
    if bad:
        listing = "; ".join(f"{v!r} in {format_rows(rows)}" for v, rows in bad.items())
        raise DataError(
            f"table '{table}', column '{column}': unknown contraception value(s): {listing}. "
            f"Allowed categories: {', '.join(CONTRACEPTION)}"
        )
    if scalar:
        return out[0]
    if index is not None:
        return pd.Series(out, index=index, name=values.name, dtype="str")
    return out
