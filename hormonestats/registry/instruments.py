"""Questionnaire and task instruments: definitions as data, and checks of responses.

An instrument is defined by a small YAML file (the built-ins live in
``hormonestats/registry/definitions/``; a study may load its own with :func:`load_instrument`).
No copyrighted item text ships: a definition holds only item ids, the response range,
reverse-keyed items, subscale membership and the scoring rule.

**Item ids** are strings ``"1"`` .. ``"N"`` in the published item order (``items: 28`` in YAML
is shorthand for that; tasks may name items, e.g. the trust game's ``"sent"`` and
``"returned"``). In the responses table (columns ``subject_id, session, instrument, item,
response``) an item may be written ``1``, ``"1"`` or ``"01"``; all mean item ``"1"``.

**Scoring rules**: ``sum`` (subscale sums), ``mean`` (subscale means), ``key`` (number
correct against a user-supplied answer key, e.g. RMET) and ``trust_game`` (amount sent,
proportion of the endowment sent, amount returned, proportion returned of the multiplied
amount; Berg, Dickhaut & McCabe 1995).

**Missing items**: ``max_missing`` is how many of a subscale's items may be missing for the
subscale to be prorated; scoring lives in :mod:`hormonestats.derive.scoring`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import yaml

from .._yaml import read_yaml
from ..checks import require_columns
from ..errors import ContractError

__all__ = [
    "INSTRUMENTS",
    "SCORINGS",
    "Instrument",
    "get_instrument",
    "load_instrument",
]

SCORINGS = ("sum", "mean", "key", "trust_game")
_PROBLEM_COLUMNS = ["row", "column", "value", "message"]
_REQUIRED = ("name", "items", "response_min", "response_max", "scoring")
_OPTIONAL = (
    "label",
    "citation",
    "reverse",
    "subscales",
    "max_missing",
    "score_range",
    "needs_key",
    "accepts_total",
    "note",
    "output_prefix",
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _item_id(value) -> str:
    """Normalise an item label: 1, 1.0, "1", "01" -> "1"; other strings stripped."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.isdigit():
        return str(int(text))
    return text


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in _PROBLEM_COLUMNS})


@dataclass(frozen=True)
class Instrument:
    """One instrument definition (data only; see the module docstring for conventions).

    Attributes
    ----------
    name : str
        Short snake_case name, also the prefix of score columns (``iri`` -> ``iri_pt``).
    label, citation, note : str
        Human-readable name, source (author, year), remarks.
    items : tuple of str
        Item ids.
    response_min, response_max : float or None
        Allowed response range (``None`` = no fixed bound, e.g. the trust game).
    reverse : tuple of str
        Reverse-keyed items, scored ``response_min + response_max - response``.
    subscales : Mapping[str, tuple of str]
        Subscale name -> items.
    scoring : {"sum", "mean", "key", "trust_game"}
    max_missing : int
        Items a subscale may miss and still be prorated.
    score_range : tuple or None
        Range of a subscale score (and of a task ``total`` row).
    needs_key : bool
        Scoring needs an answer key (RMET).
    accepts_total : bool
        A row with item ``"total"`` may give the task score directly.
    output_prefix : str
        Prefix of score columns (default ``name``).
    endowment, multiplier : float or None
        Trust game: the study's endowment and multiplier (set from the contract; the
        multiplier defaults to 3 when scoring).
    """

    name: str
    items: tuple[str, ...]
    response_min: float | None
    response_max: float | None
    scoring: str
    label: str = ""
    citation: str = ""
    reverse: tuple[str, ...] = ()
    subscales: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_missing: int = 0
    score_range: tuple[float, float] | None = None
    needs_key: bool = False
    accepts_total: bool = False
    note: str = ""
    output_prefix: str = ""
    endowment: float | None = None
    multiplier: float | None = None

    @property
    def prefix(self) -> str:
        return self.output_prefix or self.name

    @property
    def score_columns(self) -> tuple[str, ...]:
        """Names of the columns :func:`score_instrument` produces.

        >>> get_instrument("iri").score_columns
        ('iri_pt', 'iri_fs', 'iri_ec', 'iri_pd')
        """
        if self.scoring == "trust_game":
            p = self.prefix
            return (f"{p}_sent", f"{p}_sent_prop", f"{p}_returned", f"{p}_returned_prop")
        return tuple(f"{self.prefix}_{s}" for s in self.subscales)

    def check_responses(
        self,
        responses: pd.DataFrame,
        *,
        endowment=None,
        multiplier=None,
    ) -> pd.DataFrame:
        """Problems in this instrument's rows of a responses table, as a tidy frame.

        Rows of other instruments (column ``instrument``) are ignored. Reports unknown items,
        non-numeric responses, responses outside ``[response_min, response_max]`` (for a
        ``total`` row: outside ``score_range``), and, for the trust game, ``sent`` outside
        ``[0, endowment]`` and ``returned`` outside ``[0, multiplier x sent]``.

        Parameters
        ----------
        responses : DataFrame
            Long responses table (``item``, ``response``; optional ``instrument``,
            ``endowment``, ``multiplier`` columns).
        endowment, multiplier : float, optional
            Trust game only; a column of the same name in ``responses`` takes precedence.

        Returns
        -------
        DataFrame
            Columns ``row, column, value, message``; empty when all is well.

        Examples
        --------
        >>> df = pd.DataFrame({"instrument": "pss10", "item": [1, 2, 11],
        ...                    "response": [0, 5, 2]})
        >>> get_instrument("pss10").check_responses(df)[["row", "column"]]
           row    column
        0    1  response
        1    2      item
        """
        _require(responses, ["item", "response"], "responses")
        rows = _rows_of(responses, self)
        problems: list[dict] = []
        items = set(self.items)
        numeric = pd.to_numeric(rows["response"], errors="coerce")
        for label, item_raw, value, num in zip(rows.index, rows["item"], rows["response"], numeric):
            item = _item_id(item_raw)
            is_total = item == "total" and self.accepts_total
            if item not in items and not is_total:
                allowed = ", ".join(self.items[:3]) + (
                    f" .. {self.items[-1]}" if len(self.items) > 3 else ""
                )
                extra = " or 'total'" if self.accepts_total else ""
                problems.append(
                    _problem(
                        label,
                        "item",
                        item_raw,
                        f"unknown item {item_raw!r} for {self.name}; items are {allowed}{extra}",
                    )
                )
                continue
            if _blank(value):
                continue  # missing responses are handled (and logged) by scoring
            if np.isnan(num):
                problems.append(
                    _problem(
                        label,
                        "response",
                        value,
                        f"non-numeric response {value!r} to {self.name} item {item}",
                    )
                )
                continue
            if is_total:
                lo, hi = self.score_range if self.score_range else (None, None)
                what = "task total"
            else:
                lo, hi = self.response_min, self.response_max
                what = f"item {item}"
            if (lo is not None and num < lo) or (hi is not None and num > hi):
                problems.append(
                    _problem(
                        label,
                        "response",
                        value,
                        f"{self.name} {what} response {value!r} outside [{lo}, {hi}]",
                    )
                )
        if self.scoring == "trust_game":
            problems.extend(_trust_problems(
                rows, self.endowment if endowment is None else endowment,
                self.multiplier if multiplier is None else multiplier))
        if not problems:
            return _empty_problems()
        return pd.DataFrame(problems, columns=_PROBLEM_COLUMNS)


def _problem(row, column, value, message) -> dict:
    return {"row": row, "column": column, "value": value, "message": message}


def _blank(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _require(frame, columns, table) -> None:
    require_columns(frame, columns, table=table, step="instrument scoring")


def _rows_of(responses: pd.DataFrame, inst: Instrument) -> pd.DataFrame:
    if "instrument" not in responses.columns:
        return responses
    names = responses["instrument"].astype(str).str.strip().str.lower()
    return responses.loc[names == inst.name]


def _trust_problems(rows, endowment, multiplier) -> list[dict]:
    out = []
    num = pd.to_numeric(rows["response"], errors="coerce")
    items = rows["item"].map(_item_id)
    endow = _per_row(rows, "endowment", endowment)
    mult = _per_row(rows, "multiplier", 3 if multiplier is None else multiplier)
    keys = [c for c in ("subject_id", "session") if c in rows.columns]
    sent_mask = items == "sent"
    for label in rows.index[sent_mask]:
        value, e = num.loc[label], endow.loc[label]
        if np.isnan(value):
            continue
        if np.isnan(e):
            out.append(
                _problem(
                    label,
                    "endowment",
                    None,
                    "trust game needs the endowment (column 'endowment' or endowment=)",
                )
            )
        elif value < 0 or value > e:
            out.append(
                _problem(
                    label,
                    "response",
                    rows.at[label, "response"],
                    f"trust game amount sent {value:g} outside [0, endowment {e:g}]",
                )
            )
    if keys:
        sent = num[sent_mask].groupby([rows.loc[sent_mask, k] for k in keys]).first()
    for label in rows.index[items == "returned"]:
        value = num.loc[label]
        if np.isnan(value):
            continue
        bound = np.nan
        if keys:
            key = tuple(rows.loc[label, k] for k in keys)
            key = key[0] if len(keys) == 1 else key
            if key in sent.index:
                bound = sent.loc[key] * mult.loc[label]
        if value < 0 or (not np.isnan(bound) and value > bound):
            out.append(
                _problem(
                    label,
                    "response",
                    rows.at[label, "response"],
                    f"trust game amount returned {value:g} outside [0, multiplier x sent "
                    f"= {bound:g}]",
                )
            )
    return out


def _per_row(rows, column, default) -> pd.Series:
    if column in rows.columns:
        values = pd.to_numeric(rows[column], errors="coerce")
        if default is not None:
            values = values.fillna(float(default))
        return values.astype(float)
    return pd.Series(np.nan if default is None else float(default), index=rows.index)


# --------------------------------------------------------------------------- loading


def _as_items(value, problems, where) -> tuple[str, ...]:
    if isinstance(value, bool):
        problems.append(f"{where} must be a list of item ids or a number of items")
        return ()
    if isinstance(value, int):
        if value < 1:
            problems.append(f"{where} must be at least 1")
            return ()
        return tuple(str(i) for i in range(1, value + 1))
    if isinstance(value, (list, tuple)):
        return tuple(_item_id(v) for v in value)
    problems.append(f"{where} must be a list of item ids or a number of items, got {value!r}")
    return ()


def load_instrument(path_or_mapping) -> Instrument:
    """Build an :class:`Instrument` from a YAML file or a mapping, validating it.

    Parameters
    ----------
    path_or_mapping : str, Path or Mapping
        YAML file (read with ``yaml.safe_load``) or the already-parsed mapping. Required
        keys: ``name, items, response_min, response_max, scoring``; optional: ``label,
        citation, reverse, subscales, max_missing, score_range, needs_key, accepts_total,
        note, output_prefix``. ``items: N`` means ``"1"`` .. ``"N"``; a subscale ``all``
        means every item.

    Raises
    ------
    ContractError
        Listing every problem of the definition at once.

    Examples
    --------
    >>> inst = load_instrument({"name": "panas_pa", "items": 10, "response_min": 1,
    ...                         "response_max": 5, "scoring": "sum",
    ...                         "subscales": {"total": "all"}})
    >>> inst.items[:3], inst.score_columns
    (('1', '2', '3'), ('panas_pa_total',))
    """
    if isinstance(path_or_mapping, (str, Path)):
        path = Path(path_or_mapping)
        spec = read_yaml(path, what="instrument file")
        where = f"instrument file {path.name!r}"
    else:
        spec = path_or_mapping
        where = "instrument definition"
    if not isinstance(spec, Mapping):
        raise ContractError(f"{where} must be a mapping of keys, got {type(spec).__name__}")
    problems: list[str] = []
    missing = [k for k in _REQUIRED if k not in spec]
    if missing:
        problems.append(f"missing key(s) {', '.join(missing)}")
    for key in spec:
        if key not in _REQUIRED + _OPTIONAL:
            close = difflib.get_close_matches(str(key), _REQUIRED + _OPTIONAL, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{key}: unknown key {key!r}{hint} (allowed: "
                            f"{', '.join(_REQUIRED + _OPTIONAL)})")
    name = str(spec.get("name", ""))
    if "name" in spec and not _NAME.match(name):
        problems.append(f"name {name!r} must be snake_case (letters, digits, underscores)")
    items = _as_items(spec.get("items", ()), problems, "items") if "items" in spec else ()
    dup = sorted({i for i in items if items.count(i) > 1})
    if dup:
        problems.append(f"items repeated: {', '.join(dup)}")
    item_set = set(items)
    lo, hi = spec.get("response_min"), spec.get("response_max")
    for key, val in (("response_min", lo), ("response_max", hi)):
        if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float))):
            problems.append(f"{key} must be a number or null, got {val!r}")
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo >= hi:
        problems.append(f"response_min {lo} must be below response_max {hi}")
    scoring = spec.get("scoring")
    if "scoring" in spec and scoring not in SCORINGS:
        problems.append(f"scoring {scoring!r} must be one of {', '.join(SCORINGS)}")
    reverse = _as_items(spec.get("reverse") or [], problems, "reverse")
    stray = [r for r in reverse if r not in item_set]
    if stray:
        problems.append(f"reverse names items not in items: {', '.join(stray)}")
    if reverse and (lo is None or hi is None):
        problems.append("reverse-keyed items need both response_min and response_max")
    subscales: dict[str, tuple[str, ...]] = {}
    raw_subscales = spec.get("subscales") or {}
    if not isinstance(raw_subscales, Mapping):
        problems.append("subscales must be a mapping name -> list of items")
        raw_subscales = {}
    for sub, members in raw_subscales.items():
        if not _NAME.match(str(sub)):
            problems.append(f"subscale name {sub!r} must be snake_case")
        if members == "all":
            subscales[str(sub)] = items
            continue
        its = _as_items(members, problems, f"subscale {sub!r}")
        stray = [i for i in its if i not in item_set]
        if stray:
            problems.append(f"subscale {sub!r} names items not in items: {', '.join(stray)}")
        subscales[str(sub)] = its
    if scoring in ("sum", "mean", "key") and not subscales:
        problems.append(f"scoring {scoring!r} needs at least one subscale (e.g. total: all)")
    if scoring == "trust_game" and not {"sent", "returned"} <= item_set:
        problems.append("trust_game scoring needs items 'sent' and 'returned'")
    max_missing = spec.get("max_missing", 0)
    if isinstance(max_missing, bool) or not isinstance(max_missing, int) or max_missing < 0:
        problems.append(f"max_missing must be a whole number >= 0, got {max_missing!r}")
    score_range = spec.get("score_range")
    if score_range is not None:
        if (
            not isinstance(score_range, (list, tuple))
            or len(score_range) != 2
            or not all(isinstance(v, (int, float)) for v in score_range)
            or score_range[0] >= score_range[1]
        ):
            problems.append(f"score_range must be [low, high], got {score_range!r}")
            score_range = None
        else:
            score_range = (score_range[0], score_range[1])
    needs_key = bool(spec.get("needs_key", scoring == "key"))
    if (scoring == "key") != needs_key:
        problems.append("needs_key must be true exactly when scoring is 'key'")
    if problems:
        label = f" {name!r}" if name else ""
        raise ContractError(f"{where}{label} is invalid:\n- " + "\n- ".join(problems))
    return Instrument(
        name=name,
        items=items,
        response_min=lo,
        response_max=hi,
        scoring=scoring,
        label=str(spec.get("label", "")),
        citation=str(spec.get("citation", "")),
        reverse=reverse,
        subscales=MappingProxyType(subscales),
        max_missing=int(max_missing),
        score_range=score_range,
        needs_key=needs_key,
        accepts_total=bool(spec.get("accepts_total", False)),
        note=str(spec.get("note", "")),
        output_prefix=str(spec.get("output_prefix", "") or ""),
    )


def _load_builtins() -> Mapping[str, Instrument]:
    folder = resources.files("hormonestats.registry").joinpath("definitions")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            spec = yaml.safe_load(entry.read_text(encoding="utf-8"))
            inst = load_instrument(spec)
            out[inst.name] = inst
    return MappingProxyType(out)


#: Built-in instruments (name -> :class:`Instrument`), read from the package's YAML files.
INSTRUMENTS: Mapping[str, Instrument] = _load_builtins()


def get_instrument(name) -> Instrument:
    """Look up a built-in instrument by name (an :class:`Instrument` is returned as is).

    Examples
    --------
    >>> get_instrument("pss10").reverse
    ('4', '5', '7', '8')
    """
    if isinstance(name, Instrument):
        return name
    key = str(name).strip().lower().replace("-", "_")
    if key in INSTRUMENTS:
        return INSTRUMENTS[key]
    raise ContractError(
        f"unknown instrument {name!r}; built-in instruments: {', '.join(sorted(INSTRUMENTS))}. "
        "Define others in YAML and load them with load_instrument()."
    )
