"""Suggesting the word a user may have meant (an unknown key, column or value)."""

from __future__ import annotations

import difflib

__all__ = ["suggest"]


def suggest(word, allowed) -> str:
    """``"; did you mean 'strand'?"`` for the closest allowed word, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
