"""APA number formatting: estimates, *p* values and confidence intervals as text.

Conventions follow the APA Publication Manual (7th ed., 2020): two decimals for estimates, exact
*p* values to three decimals without a leading zero and ``< .001`` below that, confidence
intervals in square brackets, an em dash for a missing value.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from ..errors import HormoneStatsError

__all__ = ["MISSING", "format_ci", "format_number", "format_p"]

MISSING = "—"


def _is_missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value, digits: int = 2) -> str:
    """A number with ``digits`` decimals; missing values become an em dash.

    Examples
    --------
    >>> format_number(1.23456), format_number(-0.0001), format_number(float("nan"))
    ('1.23', '0.00', '—')
    >>> format_number(float("inf"))
    '∞'
    """
    if _is_missing(value):
        return MISSING
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.{digits}f}"
    if re.fullmatch(r"-0\.?0*", text):  # no negative zero after rounding
        text = text[1:]
    return text


def _no_lead(text: str) -> str:
    """Drop the leading zero of a number that cannot exceed 1 (APA): 0.32 -> .32."""
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def format_p(p, digits: int = 3, *, with_p: bool = False) -> str:
    """APA *p* value: exact to ``digits`` decimals without a leading zero, ``< .001`` below.

    Parameters
    ----------
    p : float
        A probability in [0, 1]; missing gives an em dash.
    digits : int
        Decimals (APA: 2 or 3).
    with_p : bool
        Prefix ``p = `` / ``p < `` for running text.

    Examples
    --------
    >>> format_p(0.0321), format_p(0.0004), format_p(0.5), format_p(0.99999)
    ('.032', '< .001', '.500', '> .999')
    >>> format_p(0.0321, with_p=True), format_p(1e-9, with_p=True)
    ('p = .032', 'p < .001')
    """
    if _is_missing(p):
        return MISSING
    p = float(p)
    if not -1e-12 <= p <= 1 + 1e-12:
        raise HormoneStatsError(f"p value must lie in [0, 1], got {p!r}")
    floor = 10.0**-digits
    if p < floor:
        text = "< " + _no_lead(f"{floor:.{digits}f}")
    elif p > 1 - floor:
        text = "> " + _no_lead(f"{1 - floor:.{digits}f}")
    else:
        text = _no_lead(f"{p:.{digits}f}")
    if with_p:
        return "p " + text if text[0] in "<>" else "p = " + text
    return text


def format_ci(lo, hi, digits: int = 2) -> str:
    """Confidence interval in APA brackets.

    Examples
    --------
    >>> format_ci(0.1234, 1.5)
    '[0.12, 1.50]'
    >>> format_ci(float("nan"), 1.0)
    '—'
    """
    if _is_missing(lo) or _is_missing(hi):
        return MISSING
    return f"[{format_number(lo, digits)}, {format_number(hi, digits)}]"

