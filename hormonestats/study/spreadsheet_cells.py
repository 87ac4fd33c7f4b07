"""Text cells a spreadsheet would run as a formula: written inert, read back as they were.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula when a CSV or xlsx file is opened in a spreadsheet (``=HYPERLINK(...)``,
``+cmd|' /C calc'!A0``). Every CSV and xlsx hormonestats writes, and every download embedded
in ``report.html``, carries such a cell with a leading apostrophe (the OWASP rule for CSV
injection), which the spreadsheet shows as text. Reading a table (``read_study``) takes the
apostrophe off again, so that a written table read back is the table that was written.

Only text cells change: numbers stay numbers, and text that is a plain number (``"-0.31"``)
cannot run and is left as it is. A text that already begins with apostrophes before such a
character gets one more, so the round trip is exact for every text.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["inert_cells", "inert_text", "original_cells", "original_text"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _runs(text: str) -> bool:
    """Whether ``text``, its leading apostrophes aside, would run as a formula."""
    rest = text.lstrip("'")
    return rest.startswith(_TRIGGERS) and not _NUMBER.fullmatch(rest)


def inert_text(value):
    """A text cell as written: an apostrophe before a formula; anything else unchanged.

    >>> inert_text("=HYPERLINK(1)"), inert_text("-0.31"), inert_text(-2), inert_text("S01")
    ("'=HYPERLINK(1)", '-0.31', -2, 'S01')
    """
    return "'" + value if isinstance(value, str) and _runs(value) else value


def original_text(value):
    """A text cell as read: the apostrophe :func:`inert_text` added taken off.

    >>> original_text("'=HYPERLINK(1)"), original_text("'quoted"), original_text("''=x")
    ('=HYPERLINK(1)', "'quoted", "'=x")
    """
    if isinstance(value, str) and value.startswith("'") and _runs(value[1:]):
        return value[1:]
    return value


def _apply(frame: pd.DataFrame, func) -> pd.DataFrame:
    changed = {}
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if isinstance(column.dtype, pd.StringDtype):
            # only a text starting with an apostrophe or a trigger can change: found at once
            maybe = column.str.contains(r"^['=+\-@\t\r]", regex=True).fillna(False) \
                .to_numpy(dtype=bool)
            if maybe.any():
                part = column[maybe]
                if part.map(lambda v: func(v) is not v).any():
                    changed[i] = column.mask(maybe, part.map(func))
        elif column.dtype == object:
            if column.map(lambda v: func(v) is not v).any():
                changed[i] = column.map(func)
    header = [func(c) if isinstance(c, str) else c for c in frame.columns]
    if not changed and header == list(frame.columns):
        return frame
    out = frame.copy()
    for i, values in changed.items():
        out.isetitem(i, values)
    out.columns = header
    return out


def inert_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame to write: every text cell (and column name) made inert; a new frame when
    anything changes, the caller's frame never.

    >>> inert_cells(pd.DataFrame({"id": ["=1+1", "S1"], "x": [-1.5, 2.0]}))["id"].tolist()
    ["'=1+1", 'S1']
    """
    return _apply(frame, inert_text)


def original_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as read, with the apostrophes :func:`inert_cells` added taken off."""
    return _apply(frame, original_text)
