"""Suggesting the word a user may have meant (an unknown key, column or value)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

__all__ = ["described", "suggest", "unknown_key"]


def suggest(word, allowed) -> str:
    """``"; did you mean 'strand'?"`` for the closest allowed word, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_key(path: str, key, allowed, what: str = "key") -> str:
    """The message for an unknown key at ``path``, with the closest valid key suggested."""
    where = f"{path}.{key}" if path else str(key)
    return (f"{where}: unknown {what} {key!r}{suggest(key, allowed)} (allowed: "
            f"{', '.join(map(str, allowed))})")


def described(value) -> str:
    """A value as an error message says what it got: ``'abc'``, ``a mapping``, ``a list``,
    ``nothing (null)``, ``true (true/false)``, ``3``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    return repr(value)
