"""Text cells a spreadsheet would run as a formula: written inert, read back as they were.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula when a CSV or xlsx file is opened in a spreadsheet (``=HYPERLINK(...)``,
``+cmd|' /C calc'!A0``). Every CSV and xlsx hormonestats writes, and every download embedded
in ``report.html``, carries such a cell with a leading apostrophe (the OWASP rule for CSV
injection), which the spreadsheet shows as text. Reading a table (``read_study``) takes the
apostrophe off again, so that a written table read back is the table that was written.

Line ends inside a cell. A text cell may hold a carriage return, a CR LF pair or a lone line
feed. The csv writer quotes a cell only when it holds a character of the line terminator, so a
table with a carriage return in any text cell is written with CR LF record ends (RFC 4180's own
line end; every other table keeps LF): every cell holding CR or LF is then quoted and reads
back exactly (:func:`csv_text`, :func:`write_csv`).

Only text cells change: numbers stay numbers, and text that is a plain number (``"-0.31"``)
cannot run and is left as it is. A text that already begins with apostrophes before such a
character gets one more, so the round trip is exact for every text.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["csv_text", "inert_cells", "inert_text", "original_cells", "original_text",
           "write_csv"]

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


def _holds_cr(frame: pd.DataFrame) -> bool:
    """Whether any text cell or column name holds a carriage return."""
    if any(isinstance(c, str) and "\r" in c for c in frame.columns):
        return True
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if isinstance(column.dtype, pd.StringDtype) or column.dtype == object:
            if column.map(lambda v: isinstance(v, str) and "\r" in v).any():
                return True
    return False


def _csv_options(frame: pd.DataFrame) -> dict:
    return {"index": False, "lineterminator": "\r\n" if _holds_cr(frame) else "\n"}


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text: cells inert, line ends inside cells quoted (module docstring).

    >>> csv_text(pd.DataFrame({"id": ["S1", "=1+1"]}))
    "id\\nS1\\n'=1+1\\n"
    >>> csv_text(pd.DataFrame({"note": ["a\\rb"]}))
    'note\\r\\n"a\\rb"\\r\\n'
    """
    out = inert_cells(frame)
    return out.to_csv(**_csv_options(out))


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write :func:`csv_text` of ``frame`` to ``path`` (UTF-8, line ends as they are)."""
    out = inert_cells(frame)
    out.to_csv(path, encoding="utf-8", **_csv_options(out))
