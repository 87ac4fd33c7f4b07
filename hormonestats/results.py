"""The result protocol: what every model result provides (docs/architecture.md, "Results").

Every model family returns a small frozen dataclass that meets :class:`ModelResult`. Code that
handles results of any family (the methods text, the report, equivalence tests, the pipeline,
pooling across imputations) reads these members and never decides a family by class name or by
probing attributes. The conformance test (``tests/test_results_protocol.py``) holds every family
to it.

Members
-------
table : DataFrame
    The tidy estimates: ``term, estimate, std_error, statistic, df, p_value, conf_low,
    conf_high`` (``df`` may be NaN for z tests), plus named effect sizes; for the
    :data:`SUMMARY_FAMILIES` a summary table of their own layout.
n_obs : int
    Rows analysed.
excluded : DataFrame
    The exclusion log of rows the model dropped (``row, column, reason``; empty if none).
family : str
    The model family, one of :data:`FAMILIES` (``"moderation"``, ``"mixed"``, ...).
methods_facts() : dict
    Facts the methods text states about this fit (variables, n, estimation, intervals), as
    plain Python values.
figure() : matplotlib Figure or None
    The family's standard figure, where it has one.
summary() : Summary
    Text (a ``str`` that Jupyter shows as text, not quoted).
_repr_html_() : str
    The same content as HTML, through :class:`hormonestats.display.ResultDisplay`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from .display import ResultDisplay

__all__ = [
    "EXCLUDED_COLUMNS",
    "FAMILIES",
    "SUMMARY_FAMILIES",
    "TIDY_COLUMNS",
    "ModelResult",
    "Summary",
    "conforms",
    "empty_excluded",
    "protocol_problems",
    "short_repr",
]

#: the columns every result's ``table`` starts with (docs/architecture.md, rule 2)
TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
                "conf_high")

#: families whose ``table`` is a summary of other fits or a test's own layout (a TOST row, one
#: row per hypothesis, specification or variant, coverage per term) rather than coefficients
SUMMARY_FAMILIES = ("equivalence", "hypothesis_family", "multiverse", "sensitivity", "coverage")

#: the columns of every result's ``excluded`` log
EXCLUDED_COLUMNS = ("row", "column", "reason")

#: model family -> what it fits (one result type each; the methods text and report key on it)
FAMILIES: dict[str, str] = {
    "moderation": "linear regression with an interaction (simple slopes, Johnson-Neyman)",
    "mediation": "indirect effects with bootstrap intervals",
    "conditional_process": "moderated mediation (conditional indirect effects)",
    "gxe": "gene x environment regression",
    "regression": "linear or logistic regression of one hypothesis",
    "censored": "regression with a censored outcome (Tobit, interval)",
    "censored_mixed": "mixed model with a censored outcome (below-LOD readings)",
    "mixed": "linear or generalized mixed model",
    "crossover": "within-person crossover trial",
    "apim": "actor-partner interdependence model (dyads)",
    "cycle": "within-person menstrual-cycle models",
    "therapy": "hormone therapy over time",
    "equivalence": "two one-sided tests (TOST)",
    "hypothesis_family": "a family of hypotheses with FDR control",
    "multiverse": "a hypothesis under every combination of decisions",
    "sensitivity": "the planned analysis beside its sensitivity variants",
    "coverage": "interval coverage by simulation",
    "pooled": "estimates pooled over multiply imputed data sets (Rubin's rules)",
}


class Summary(str):
    """A result's text summary: a ``str`` that shows as text in Jupyter and at the prompt.

    >>> s = Summary("Fit\\n===")
    >>> s
    Fit
    ===
    >>> isinstance(s, str)
    True
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's plain-text display
        printer.text(str(self))


@runtime_checkable
class ModelResult(Protocol):
    """What every model result provides (see the module docstring)."""

    @property
    def table(self) -> pd.DataFrame: ...

    @property
    def n_obs(self) -> int: ...

    @property
    def excluded(self) -> pd.DataFrame: ...

    @property
    def family(self) -> str: ...

    def methods_facts(self) -> dict[str, Any]: ...

    def figure(self): ...

    def summary(self) -> str: ...

    def _repr_html_(self) -> str: ...


def short_repr(result, title: str) -> str:
    """A result's one-line repr: its type and title, never a dump of its tables.

    >>> short_repr(object(), "Moderation: y ~ x x m (n = 10)")
    '<object: Moderation: y ~ x x m (n = 10); .summary() shows the tables>'
    """
    return f"<{type(result).__name__}: {title}; .summary() shows the tables>"


def conforms(family: str, *, aliases: Mapping[str, str] | None = None, short: bool = True):
    """Class decorator: make a result dataclass meet :class:`ModelResult`.

    The class provides ``_display()`` returning ``(title, [(caption, table), ...], notes)``
    and ``_facts()`` returning its family's facts for the methods text. The decorator adds,
    all through one path:

    - ``family``: the class's family (one of :data:`FAMILIES`), a constant;
    - ``summary()``: a :class:`Summary` composed by :class:`~hormonestats.display.ResultDisplay`;
    - ``_repr_html_()``: the same content as HTML;
    - ``methods_facts()``: ``family``, ``n_obs`` and ``n_excluded`` plus ``_facts()``;
    - ``figure()``: None unless the class defines it (figures live in the report layer,
      keyed by ``family``: :data:`hormonestats.report.plots.FAMILY_FIGURES`);
    - a one-line repr naming the title (``short=False`` keeps the class's own);
    - ``aliases``: read-only old names, ``{old: protocol name}`` (e.g. ``{"dropped":
      "excluded"}``).

    >>> from dataclasses import dataclass
    >>> @conforms("regression", aliases={"n": "n_obs"})
    ... @dataclass(frozen=True)
    ... class Fit:
    ...     table: pd.DataFrame
    ...     n_obs: int
    ...     excluded: pd.DataFrame
    ...     def _display(self):
    ...         return "Fit", [("", self.table)], []
    ...     def _facts(self):
    ...         return {"y": "y"}
    >>> r = Fit(pd.DataFrame({"term": ["x"]}), 3, empty_excluded())
    >>> r.family, r.n, r.methods_facts()["y"]
    ('regression', 3, 'y')
    """
    if family not in FAMILIES:
        raise ValueError(f"family {family!r} is not one of FAMILIES")

    def wrap(cls):
        for member in ("_display", "_facts"):
            if not callable(getattr(cls, member, None)):
                raise TypeError(f"{cls.__name__} needs a {member}() method to conform")
        if "family" in getattr(cls, "__dataclass_fields__", {}):
            raise TypeError(f"{cls.__name__} has a field 'family'; the protocol reserves it")

        def summary(self) -> Summary:
            """Plain-text summary: the result's tables and notes."""
            return Summary(ResultDisplay.text(*self._display()))

        def _repr_html_(self) -> str:
            return ResultDisplay.html(*self._display())

        def methods_facts(self) -> dict[str, Any]:
            """Facts the methods text states about this fit (plain Python values)."""
            return {"family": self.family, "n_obs": self.n_obs,
                    "n_excluded": len(self.excluded), **self._facts()}

        cls.family = family
        cls.summary, cls._repr_html_, cls.methods_facts = summary, _repr_html_, methods_facts
        if "figure" not in vars(cls):
            cls.figure = lambda self: None
        if short:
            cls.__repr__ = lambda self: short_repr(self, self._display()[0])
        for old, new in (aliases or {}).items():
            setattr(cls, old, property(lambda self, _n=new: getattr(self, _n),
                                       doc=f"Old name of ``{new}`` (read-only)."))
        return cls

    return wrap


def empty_excluded() -> pd.DataFrame:
    """An empty exclusion log with the protocol's columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in EXCLUDED_COLUMNS})


def protocol_problems(result: Any) -> list[str]:
    """Every way ``result`` falls short of :class:`ModelResult` (empty when it conforms).

    Used by the conformance test over all families; cheap enough to call on any result.
    """
    problems: list[str] = []
    name = type(result).__name__
    for member in ("table", "n_obs", "excluded", "family", "methods_facts", "figure",
                   "summary", "_repr_html_"):
        if not hasattr(result, member):
            problems.append(f"{name} has no {member}")
    if problems:
        return problems
    table = result.table
    if not isinstance(table, pd.DataFrame):
        problems.append(f"{name}.table is a {type(table).__name__}, not a DataFrame")
    elif result.family not in SUMMARY_FAMILIES:
        missing = [c for c in TIDY_COLUMNS if c not in table.columns]
        if missing:
            problems.append(f"{name}.table lacks the tidy columns {missing}")
    if result.family not in FAMILIES:
        problems.append(f"{name}.family {result.family!r} is not one of FAMILIES")
    n_obs = result.n_obs
    if not isinstance(n_obs, int | type(None)) or isinstance(n_obs, bool):
        problems.append(f"{name}.n_obs is a {type(n_obs).__name__}, not an int")
    excluded = result.excluded
    if not isinstance(excluded, pd.DataFrame):
        problems.append(f"{name}.excluded is a {type(excluded).__name__}, not a DataFrame")
    facts = result.methods_facts()
    if not isinstance(facts, dict):
        problems.append(f"{name}.methods_facts() returned a {type(facts).__name__}, not a dict")
    text = result.summary()
    if not isinstance(text, Summary):
        problems.append(f"{name}.summary() returned a {type(text).__name__}, not a Summary")
    page = result._repr_html_()
    if not isinstance(page, str) or "<" not in page:
        problems.append(f"{name}._repr_html_() returned no HTML")
    return problems
