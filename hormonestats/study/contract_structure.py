"""The structure of a study contract, checked before anything else.

:func:`structure_problems` walks the parsed YAML and lists every place where it is not what
``schemas/README.md`` documents: a list where a mapping belongs, text where a number belongs,
an unknown key (with the closest valid key suggested). Each problem names its YAML path,
e.g. ``analytes.cortisol.range[1]: expected a number, got 'high'``. Names (analytes, units,
SNPs, instruments, agents) are checked against the registries afterwards, in
:mod:`hormonestats.study.contracts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .words import described as _got
from .words import known_items, suggest, unknown_key

__all__ = ["ANALYTE_OPTIONS", "COLUMN_OPTIONS", "INSTRUMENT_OPTIONS", "SNP_OPTIONS", "TOP_LEVEL",
           "accepts", "suggest", "structure_problems", "unknown_key"]

TABLES = ("subjects", "samples", "genotypes", "responses", "treatments", "cycles")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ------------------------------------------------------------------------ leaf checkers
Checker = Callable[[object, str, list], None]


def _text(value, path, problems) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: expected text, got {_got(value)}")


def _name(value, path, problems) -> None:
    if not (isinstance(value, str) and value.strip()) and not _is_number(value):
        problems.append(f"{path}: expected text, got {_got(value)}")


def _number(value, path, problems) -> None:
    if not _is_number(value):
        problems.append(f"{path}: expected a number, got {_got(value)}")


def _count(value, path, problems) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        problems.append(f"{path}: expected a whole number >= 0, got {_got(value)}")


def _flag(value, path, problems) -> None:
    if not isinstance(value, bool):
        problems.append(f"{path}: expected true or false, got {_got(value)}")


def _text_or_texts(value, path, problems) -> None:
    if isinstance(value, list):
        if not value:
            problems.append(f"{path}: expected text or a list of text, got an empty list")
        for i, v in enumerate(value):
            _text(v, f"{path}[{i}]", problems)
    else:
        _text(value, path, problems)


def _texts(value, path, problems) -> None:
    if value is None or value == []:
        return
    _text_or_texts(value, path, problems)


def _range(value, path, problems) -> None:
    if not isinstance(value, list) or len(value) != 2:
        problems.append(f"{path}: expected [low, high], got {_got(value)}")
        return
    for i, v in enumerate(value):
        _number(v, f"{path}[{i}]", problems)
    if all(_is_number(v) for v in value) and value[0] >= value[1]:
        problems.append(f"{path}: low {value[0]!r} must be below high {value[1]!r}")


def _values(value, path, problems) -> None:
    if not isinstance(value, list) or not value:
        problems.append(f"{path}: expected a list of allowed values, got {_got(value)}")
        return
    for i, v in enumerate(value):
        if isinstance(v, Mapping | list):
            problems.append(f"{path}[{i}]: expected a single value, got {_got(v)}")


def _key(value, path, problems) -> None:
    if isinstance(value, str):
        _text(value, path, problems)
    elif not isinstance(value, list | Mapping) or not value:
        problems.append(f"{path}: expected an answer-key file name, a list of correct options "
                        f"or a mapping item -> correct option, got {_got(value)}")


ANALYTE_OPTIONS: dict[str, Checker] = {
    "unit": _text_or_texts, "matrix": _text_or_texts, "method": _text, "extracted": _flag,
    "range": _range, "enforce_range": _flag,
}
SNP_OPTIONS: dict[str, Checker] = {"strand": _text}
INSTRUMENT_OPTIONS: dict[str, Checker] = {
    "key": _key, "max_missing": _count, "endowment": _number, "multiplier": _number,
    "definition": _text,
}
COLUMN_OPTIONS: dict[str, Checker] = {
    "dtype": _text, "min": _number, "max": _number, "values": _values, "nullable": _flag,
    "required": _flag,
}


def _options(value, path, problems, spec: Mapping[str, Checker], example: str) -> None:
    """One entry's options: null, or a mapping of known keys with values of the right type."""
    if value is None:
        return
    for key, opt in known_items(value, path, problems, spec,
                                f"a mapping of options (e.g. {example})"):
        if opt is not None:
            spec[key](opt, f"{path}.{key}", problems)


def _entries(value, path, problems, spec, example, *, list_ok: bool) -> None:
    """A mapping name -> options (or, where allowed, a list of names)."""
    if value is None:
        return
    if isinstance(value, list) and list_ok:
        for i, v in enumerate(value):
            _name(v, f"{path}[{i}]", problems)
        return
    if not isinstance(value, Mapping):
        kind = "a mapping (or a list of names)" if list_ok else "a mapping"
        problems.append(f"{path}: expected {kind} of name -> options, got {_got(value)}")
        return
    for name, opts in value.items():
        _options(opts, f"{path}.{name}", problems, spec, example)


def _tables(value, path, problems) -> None:
    if value is None:
        return
    if isinstance(value, list):
        names = value
        for i, v in enumerate(value):
            _text(v, f"{path}[{i}]", problems)
    elif isinstance(value, Mapping):
        from .layouts import layout_problems

        names = list(value)
        for table, file in value.items():
            problems += layout_problems(file, f"{path}.{table}", str(table))
    else:
        problems.append(f"{path}: expected a mapping of table -> file name, got {_got(value)}")
        return
    for table in names:
        if isinstance(table, str) and table not in TABLES:
            problems.append(unknown_key(path, table, TABLES, "table"))


def _columns(value, path, problems) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        problems.append(f"{path}: expected a mapping of table -> columns, got {_got(value)}")
        return
    for table, cols in value.items():
        if table not in TABLES:
            problems.append(unknown_key(path, table, TABLES, "table"))
            continue
        _entries(cols, f"{path}.{table}", problems, COLUMN_OPTIONS,
                 "{dtype: float, min: 0}", list_ok=False)


def _roots(value, path, problems) -> None:
    if not isinstance(value, Mapping) or not value:
        problems.append(f"{path}: expected a mapping name -> folder, got {_got(value)}")
        return
    for name, folder in value.items():
        _text(folder, f"{path}.{name}", problems)


TOP_LEVEL: dict[str, Checker] = {
    "name": _name,
    "description": lambda v, p, pr: None if isinstance(v, str) else _text(v, p, pr),
    "design": _text,
    "tables": _tables,
    "analytes": lambda v, p, pr: _entries(v, p, pr, ANALYTE_OPTIONS,
                                          "{unit: nmol/L, matrix: saliva}", list_ok=False),
    "snps": lambda v, p, pr: _entries(v, p, pr, SNP_OPTIONS, "{strand: forward}",
                                      list_ok=True),
    "instruments": lambda v, p, pr: _entries(v, p, pr, INSTRUMENT_OPTIONS,
                                             "{max_missing: 1}", list_ok=True),
    "agents": _texts,
    "columns": _columns,
    "identifiers_allowed": _texts,
    "roots": _roots,
}


#: What each checker accepts, in words (the contract reference is generated from these tables).
CHECKER_WORDS = {
    "_name": "a name (letters, digits, _)", "_text": "text", "_texts": "a list of text",
    "_text_or_texts": "text or a list of text", "_number": "a number",
    "_count": "a whole number >= 0", "_flag": "true or false", "_range": "[low, high]",
    "_values": "a list of allowed values", "_key": "an answer-key file, a list of correct "
    "options or a mapping item -> correct option", "_tables": "a mapping table -> file",
    "_columns": "a mapping table -> column -> options",
    "_roots": "a mapping name -> folder (other places the contract may read files from)",
}


def accepts(checker) -> str:
    """What a checker of :data:`TOP_LEVEL` or of an options table accepts, in words."""
    return CHECKER_WORDS.get(getattr(checker, "__name__", ""), "a mapping name -> options")


def structure_problems(raw) -> list[str]:
    """Every structural problem of a parsed contract, each with its YAML path.

    >>> structure_problems({"name": "x", "analytes": {"cortisol": {"range": [0, "high"]}},
    ...                     "snps": {"rs53576": {"strnd": "reverse"}}})
    ["analytes.cortisol.range[1]: expected a number, got 'high'", "snps.rs53576.strnd: unknown key 'strnd'; did you mean 'strand'? (allowed: strand)"]
    """
    if not isinstance(raw, Mapping):
        return [f"the contract must be a mapping of keys (name, tables, analytes, ...), got "
                f"{_got(raw)}"]
    problems: list[str] = []
    for key, value in raw.items():
        if key not in TOP_LEVEL:
            problems.append(unknown_key("", key, list(TOP_LEVEL)))
        elif value is not None:
            TOP_LEVEL[key](value, str(key), problems)
    return problems
