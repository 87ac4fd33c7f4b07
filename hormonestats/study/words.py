"""Suggesting the word a user may have meant (an unknown key, column or value)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

__all__ = ["described", "known_items", "suggest", "unknown_key"]


def suggest(word, allowed) -> str:
    """``"; did you mean 'strand'?"`` for the closest allowed word, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_key(path: str, key, allowed, what: str = "key") -> str:
    """The message for an unknown key at ``path``, with the closest valid key suggested."""
    where = f"{path}.{key}" if path else str(key)
    return (f"{where}: unknown {what} {key!r}{suggest(key, allowed)} (allowed: "
            f"{', '.join(map(str, allowed))})")


def known_items(value, path: str, problems: list, allowed, expected: str):
    """The ``(key, value)`` pairs of a mapping of options whose keys are ``allowed``, in order.

    A value that is not a mapping adds ``"{path}: expected {expected}, got ..."`` to
    ``problems`` and yields nothing; each unknown key adds :func:`unknown_key`'s message where
    it stands, so the problems keep the order of the keys.

    >>> problems = []
    >>> list(known_items({"file": "a.csv", "fiel": 1}, "samples", problems, ["file"], "a map"))
    [('file', 'a.csv')]
    >>> problems
    ["samples.fiel: unknown key 'fiel'; did you mean 'file'? (allowed: file)"]
    """
    if not isinstance(value, Mapping):
        problems.append(f"{path}: expected {expected}, got {described(value)}")
        return
    for key, opt in value.items():
        if key in allowed:
            yield key, opt
        else:
            problems.append(unknown_key(path, key, list(allowed)))


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
