"""lme4-style model formulas, parsed into column names (never evaluated as code).

Grammar (a subset of R's model formulae, Wilkinson & Rogers 1973, with lme4's random-effect bars):

* ``y ~ a + b`` main effects; ``a:b`` interaction (product) term; ``a*b`` = ``a + b + a:b``;
  ``1`` / ``0`` / ``-1`` keep or drop the intercept.
* ``(expr | g)`` correlated random effects of ``expr`` (an intercept is implied unless ``0 +`` or
  ``- 1``) per level of ``g``; ``(expr || g)`` the same terms uncorrelated (one term per column);
  ``g`` may be ``a:b`` (the interaction of two factors) or ``a/b`` (nested: ``a`` and ``a:b``).
* Column names are identifiers (letters, digits, ``_`` and ``.``) or written in backticks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

from ...errors import ModelError

_NAME = re.compile(r"`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*")


@dataclass(frozen=True)
class RandomTerm:
    """``(terms | group)``: fixed-style terms, whether an intercept is included, the grouping
    factor (a tuple of column names, joined by ``:`` for an interaction) and correlation."""

    terms: tuple
    intercept: bool
    group: tuple
    correlated: bool = True

    @property
    def group_name(self) -> str:
        return ":".join(self.group)


@dataclass(frozen=True)
class ModelSpec:
    """A parsed formula: response, fixed terms (tuples of column names), intercept, random terms."""

    response: str
    terms: tuple
    intercept: bool = True
    random: tuple = field(default=())

    def columns(self) -> list[str]:
        """Every column the model uses (response first, no duplicates)."""
        cols = [self.response]
        for t in self.terms:
            cols.extend(t)
        for r in self.random:
            for t in r.terms:
                cols.extend(t)
            cols.extend(r.group)
        return list(dict.fromkeys(cols))


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside parentheses."""
    out, depth, cur, i = [], 0, [], 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ModelError(f"Unbalanced ')' in formula part {text!r}")
        if depth == 0 and text.startswith(sep, i):
            out.append("".join(cur))
            cur = []
            i += len(sep)
            continue
        cur.append(ch)
        i += 1
    if depth != 0:
        raise ModelError(f"Unbalanced '(' in formula part {text!r}")
    out.append("".join(cur))
    return out


def _name(token: str, formula: str) -> str:
    token = token.strip()
    m = _NAME.fullmatch(token)
    if not m:
        raise ModelError(
            f"Cannot read {token!r} in formula {formula!r}: terms must be column names "
            "(letters, digits, _ and .; other names in backticks), joined by +, : or *. "
            "Transformations such as log(x) are not evaluated: add a column instead."
        )
    return token[1:-1] if token.startswith("`") else token


def _expand(text: str, formula: str) -> tuple[list[tuple], bool | None]:
    """Fixed-style terms of a '+' list; returns (terms, intercept flag or None if unstated)."""
    intercept = None
    terms: list[tuple] = []
    # "-1" / "- 1" drops the intercept
    text = re.sub(r"-\s*1\b", "+0", text)
    for part in _split_top(text, "+"):
        part = part.strip()
        if not part:
            continue
        if part in ("1", "0"):
            intercept = part == "1"
            continue
        factors = [tuple(_name(v, formula) for v in f.split(":")) for f in part.split("*")]
        for k in range(1, len(factors) + 1):
            for combo in combinations(factors, k):
                vars_ = tuple(dict.fromkeys(v for f in combo for v in f))
                if not any(set(vars_) == set(t) for t in terms):
                    terms.append(vars_)
    # R orders terms by degree (main effects, then two-way interactions, ...)
    terms.sort(key=len)
    return terms, intercept


def _groups(text: str, formula: str) -> list[tuple]:
    """``a`` -> [(a,)]; ``a:b`` -> [(a, b)]; ``a/b`` -> [(a,), (a, b)]."""
    parts = [tuple(_name(v, formula) for v in p.split(":")) for p in text.split("/")]
    out, acc = [], ()
    for p in parts:
        acc = acc + p
        out.append(acc)
    return out


def parse_formula(formula: str) -> ModelSpec:
    """Parse ``"y ~ x + (x | subject) + (1 | plate)"`` into a :class:`ModelSpec`."""
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ModelError(f"A formula needs exactly one '~' (response ~ terms), got {formula!r}")
    lhs, rhs = formula.split("~")
    response = _name(lhs, formula)
    rhs = re.sub(r"-\s*1\b", "+ 0", rhs)  # "- 1" drops the intercept, wherever it stands
    fixed_parts, random = [], []
    for part in _split_top(rhs, "+"):
        s = part.strip()
        if s.startswith("(") and s.endswith(")") and "|" in s:
            inner = s[1:-1]
            if "||" in inner:
                expr, grp = inner.split("||", 1)
                correlated = False
            else:
                expr, grp = inner.split("|", 1)
                correlated = True
            terms, icpt = _expand(expr, formula)
            icpt = True if icpt is None else icpt
            if not terms and not icpt:
                raise ModelError(f"Random term {s!r} in {formula!r} has no effects.")
            for g in _groups(grp.strip(), formula):
                if correlated:
                    random.append(RandomTerm(tuple(terms), icpt, g, True))
                else:
                    if icpt:
                        random.append(RandomTerm((), True, g, False))
                    for t in terms:
                        random.append(RandomTerm((t,), False, g, False))
        elif s.startswith("(") and s.endswith(")"):
            fixed_parts.append(s[1:-1])
        else:
            fixed_parts.append(s)
    terms, icpt = _expand("+".join(fixed_parts), formula)
    return ModelSpec(response, tuple(terms), True if icpt is None else icpt, tuple(random))
