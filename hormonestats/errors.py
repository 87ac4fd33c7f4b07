"""Errors that speak the researcher's language.

Every error raised for bad input is a :class:`HormoneStatsError` (a ``ValueError``), so callers
can catch one type; the subclasses say which stage complained. Messages name the table, column,
rows and the values that were expected.
"""

from __future__ import annotations

__all__ = [
    "ContractError",
    "DataError",
    "HormoneStatsError",
    "ModelError",
    "UnitError",
    "ValidationError",
    "format_rows",
]


class HormoneStatsError(ValueError):
    """Base class of every error hormonestats raises for bad input."""


class ContractError(HormoneStatsError):
    """A study contract names something the registries do not know, or is malformed."""


class DataError(HormoneStatsError):
    """A table cannot be read or lacks what a step needs (column, rows, values)."""


class UnitError(HormoneStatsError):
    """A unit is unknown for an analyte, or a conversion is impossible."""


class ModelError(HormoneStatsError):
    """A model cannot be fitted as asked (missing variables, too few rows, no variance)."""


class ValidationError(HormoneStatsError):
    """Validation found problems; ``.report`` holds the full :class:`ValidationReport`."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


def format_rows(rows, limit: int = 10) -> str:
    """Render row labels for a message: ``rows 3, 7, 12`` (shortened after ``limit``).

    >>> format_rows([3, 7, 12])
    'rows 3, 7, 12'
    >>> format_rows(range(15), limit=3)
    'rows 0, 1, 2 and 12 more'
    """
    rows = list(rows)
    if not rows:
        return "no rows"
    head = ", ".join(str(r) for r in rows[:limit])
    word = "row" if len(rows) == 1 else "rows"
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{word} {head}{more}"
