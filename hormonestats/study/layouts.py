"""A lab's own file layouts, declared in the contract and read into the long tables.

A table of the contract may name one file (``subjects: subjects.csv``, the long layout), or
describe where its rows come from: one source or a list of sources, each a file (or a sheet of a
workbook) with

``columns``
    which file column is which standard column (``ParticipantID: subject_id``);
``codes``
    what the codes of a column mean (``sex: {F: female, M: male}``);
``set``
    columns every row of the source shares (``instrument: iri``, ``matrix: saliva``);
``wide``
    a wide layout: the file columns whose names match ``columns`` (a regular expression whose
    named groups are standard columns, e.g. ``IRI_(?P<item>\\d+)`` or
    ``(?P<analyte>[A-Za-z]+)_(?P<unit>[a-z]+_[A-Za-z]+)``) become one row each, their cells
    going to the standard column ``values`` (``response``, ``genotype``, ``value``);
``skip``
    file columns not read into the table;
``separator``, ``decimal``, ``thousands``, ``encoding``
    the dialect of a text file (detected when not declared);
``dates``
    the format of a date or clock-time column (``start: '%d.%m.%Y %H:%M'``), inferred from all
    of the column's values when not declared.

:func:`apply_layout` turns the file's frame into rows of the long table and says where each row
came from (file row and, for a wide layout, file column), so that every message names the cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from ..registry.normalise import CODED_COLUMNS, canonical_code
from .words import described as _got
from .words import known_items, suggest

__all__ = ["SOURCE_OPTIONS", "Source", "WIDE_OPTIONS", "apply_layout", "layout_problems",
           "parse_sources"]

SOURCE_OPTIONS = ("file", "sheet", "columns", "codes", "set", "wide", "skip", "separator",
                  "decimal", "thousands", "encoding", "dates")
WIDE_OPTIONS = ("columns", "values")
_SEPARATORS = (",", ";", "\t", "|")
_DECIMALS = (".", ",")
_THOUSANDS = (",", ".", " ", "'", "")


@dataclass(frozen=True)
class Source:
    """Where some rows of one table come from, and how to read them."""

    file: str
    sheet: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, Mapping] = field(default_factory=dict)
    set: Mapping[str, object] = field(default_factory=dict)
    wide: tuple[str, str] | None = None  # (pattern, values column)
    skip: tuple[str, ...] = ()
    separator: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    dates: Mapping[str, str] = field(default_factory=dict)

    @property
    def plain(self) -> bool:
        """True when the file already is the long table (nothing to map)."""
        return not (self.columns or self.codes or self.set or self.wide or self.skip)

    @property
    def where(self) -> str:
        return self.file if self.sheet is None else f"{self.file}!{self.sheet}"


def _text_map(value, path, problems, *, targets: bool = False) -> None:
    if not isinstance(value, Mapping) or not value:
        problems.append(f"{path}: expected a mapping, got {_got(value)}")
        return
    if targets:
        for k, v in value.items():
            if not isinstance(v, str) or not v.strip():
                problems.append(f"{path}.{k}: expected the name of a column, got {_got(v)}")
        names = [v for v in value.values() if isinstance(v, str)]
        twice = sorted({v for v in names if names.count(v) > 1})
        if twice:
            problems.append(f"{path}: several file columns map to {', '.join(twice)}")


def _near_misses(columns, where: str, table: str, problems: list[str]) -> None:
    """A target that is not a standard column but close to one is a misspelling (a column of
    the study's own keeps a name no standard column resembles)."""
    from .table_columns import BASE_COLUMNS

    if not isinstance(columns, Mapping):
        return
    base = [c.name for c in BASE_COLUMNS.get(table, ())]
    for file_column, target in columns.items():
        if isinstance(target, str) and target not in base:
            hint = suggest(target, base)
            if hint:
                problems.append(f"{where}.{file_column}: {target!r} is not a column of "
                                f"{table}{hint}")


def _one_source(value, path: str, table: str, problems: list[str]) -> None:
    if isinstance(value, str):
        if not value.strip():
            problems.append(f"{path}: expected a file name, got ''")
        return
    for key, opt in known_items(value, path, problems, SOURCE_OPTIONS,
                                "a file name or a mapping (file, columns, codes, wide, ...)"):
        where = f"{path}.{key}"
        if key in ("file", "sheet", "encoding"):
            if not isinstance(opt, str) or not opt.strip():
                problems.append(f"{where}: expected text, got {_got(opt)}")
        elif key == "columns":
            _text_map(opt, where, problems, targets=True)
            _near_misses(opt, where, table, problems)
        elif key == "codes":
            if not isinstance(opt, Mapping):
                problems.append(f"{where}: expected a mapping column -> {{code: value}}, got "
                                f"{_got(opt)}")
            else:
                for col, codes in opt.items():
                    if not isinstance(codes, Mapping) or not codes:
                        problems.append(f"{where}.{col}: expected a mapping code -> value, "
                                        f"got {_got(codes)}")
        elif key == "set":
            _text_map(opt, where, problems)
        elif key == "dates":
            _text_map(opt, where, problems)
        elif key == "skip":
            if not isinstance(opt, list) or not all(isinstance(v, str) for v in opt):
                problems.append(f"{where}: expected a list of column names, got {_got(opt)}")
        elif key == "wide":
            _wide(opt, where, problems)
        else:
            allowed = {"separator": _SEPARATORS, "decimal": _DECIMALS,
                       "thousands": _THOUSANDS}[key]
            if opt not in allowed:
                shown = ", ".join(repr(a) for a in allowed)
                problems.append(f"{where}: expected one of {shown}, got {_got(opt)}")
    if isinstance(value, Mapping) and "file" not in value:
        problems.append(f"{path}: the source names no file (add file: NAME)")


def _wide(opt, where: str, problems: list[str]) -> None:
    if not isinstance(opt, Mapping):
        problems.append(f"{where}: expected a mapping with columns (a pattern) and values "
                        f"(a column), got {_got(opt)}")
        return
    for key in opt:
        if key not in WIDE_OPTIONS:
            problems.append(f"{where}.{key}: unknown key {key!r}{suggest(key, WIDE_OPTIONS)} "
                            f"(allowed: {', '.join(WIDE_OPTIONS)})")
    for key in WIDE_OPTIONS:
        if not isinstance(opt.get(key), str) or not opt.get(key, "").strip():
            problems.append(f"{where}.{key}: expected text, got {_got(opt.get(key))}")
    pattern = opt.get("columns")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as err:
            problems.append(f"{where}.columns: {pattern!r} is not a regular expression ({err})")


def layout_problems(value, path: str, table: str) -> list[str]:
    """Structural problems of one table's entry under ``tables`` (each with its YAML path)."""
    problems: list[str] = []
    if value is None:
        return problems
    if isinstance(value, list):
        if not value:
            problems.append(f"{path}: expected a file or a list of sources, got an empty list")
        for i, v in enumerate(value):
            _one_source(v, f"{path}[{i}]", table, problems)
    else:
        _one_source(value, path, table, problems)
    return problems


def parse_sources(value) -> tuple[Source, ...]:
    """The sources of one table entry (already checked by :func:`layout_problems`)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Source(file=item))
            continue
        wide = item.get("wide")
        out.append(Source(
            file=str(item["file"]), sheet=item.get("sheet"),
            columns={str(k): str(v) for k, v in (item.get("columns") or {}).items()},
            codes={str(k): dict(v) for k, v in (item.get("codes") or {}).items()},
            set=dict(item.get("set") or {}),
            wide=None if wide is None else (str(wide["columns"]), str(wide["values"])),
            skip=tuple(item.get("skip") or ()),
            separator=item.get("separator"), decimal=item.get("decimal"),
            thousands=item.get("thousands"), encoding=item.get("encoding"),
            dates={str(k): str(v) for k, v in (item.get("dates") or {}).items()}))
    return tuple(out)


def wide_columns(source: Source, header) -> dict[str, dict[str, str]]:
    """File column -> {standard column: value from its name} for the columns of a wide layout."""
    if source.wide is None:
        return {}
    pattern = re.compile(source.wide[0])
    out = {}
    for name in header:
        m = pattern.fullmatch(str(name))
        if m is not None:
            out[str(name)] = {k: _from_name(k, v) for k, v in m.groupdict().items()
                              if v is not None}
    return out


def _from_name(column: str, text: str) -> str:
    """A value taken from a column name: item numbers lose their leading zeros (``IRI_01`` is
    item ``1``), units are written with a slash (``nmol_L`` is ``nmol/L``)."""
    if column == "item" and text.isdigit():
        return str(int(text))
    return text


def text_columns(source: Source, header, id_columns) -> list[str]:
    """File columns to read as text: those that become ID columns (leading zeros survive)."""
    named = {f: s for f, s in source.columns.items()}
    out = [c for c in header if named.get(str(c), str(c)) in id_columns]
    if source.wide is not None and source.wide[1] in id_columns:
        out += list(wide_columns(source, header))
    return out


def apply_layout(frame: pd.DataFrame, source: Source, table: str, prepare=None) -> tuple[
        pd.DataFrame, np.ndarray, np.ndarray | None, list[str]]:
    """The rows of ``table`` one source gives: (frame, file row of each row, the file column of
    each row as (codes, names) or None, notes). Raises DataError naming the file and the
    columns it lacks.

    ``prepare(frame, rows) -> (frame, notes)``, when given, finishes columns once per file row
    (before a wide layout repeats them) and the wide layout's own columns after."""
    where = f"{table} ({source.where})"
    header = [str(c) for c in frame.columns]
    missing = [c for c in [*source.columns, *source.skip] if c not in header]
    wide = wide_columns(source, header)
    problems = [f"column {c!r} is not in the file{suggest(c, header)}" for c in missing]
    if source.wide is not None and not wide:
        problems.append(f"no column name matches the wide pattern {source.wide[0]!r} "
                        f"(columns: {', '.join(header[:12])})")
    if problems:
        raise DataError(f"{where}: " + "; ".join(problems))
    keep = [c for c in header if c not in source.skip and c not in wide]
    out = frame[keep].rename(columns=dict(source.columns))
    n = len(frame)
    rows, cells = np.arange(2, n + 2), None
    out, notes = _recode(out, source, where)
    if prepare is not None:
        out, more = prepare(out, rows)
        notes += more
    for col, value in source.set.items():  # the contract's own values: spelled as it says
        if col in out.columns:
            raise DataError(f"{where}: set gives column {col!r} a value, but the file already "
                            "has that column")
        if col in CODED_COLUMNS.get(table, ()):
            value = canonical_code(col, value) or value
        out[col] = _constant(value, n)
    if wide:
        before = list(out.columns)
        out, rows, cells = _melt(frame, out, wide, source, where)
        new = out[[c for c in out.columns if c not in before]]
        new, more = _recode(new, source, where)
        if prepare is not None:
            new, prepared = prepare(new, rows)
            more += prepared
        for column in new.columns:
            out[column] = new[column]
        notes += more
    absent = [c for c in source.codes if c not in out.columns]
    if absent:
        raise DataError(f"{where}: codes are given for column {absent[0]!r}, which the table "
                        f"does not have{suggest(absent[0], list(out.columns))}")
    return out, rows, cells, notes


def _recode(out: pd.DataFrame, source: Source, where: str) -> tuple[pd.DataFrame, list[str]]:
    """The contract's codes applied to the columns ``out`` has (each distinct value once)."""
    notes = []
    for col, codes in source.codes.items():
        if col not in out.columns:
            continue
        mapping = {str(k): v for k, v in codes.items()}
        s = out[col]
        ids, uniques = pd.factorize(s)
        keys = [str(int(u)) if isinstance(u, float) and u.is_integer() else str(u).strip()
                for u in uniques]
        hit_u = np.array([k in mapping for k in keys] + [False])
        hit = hit_u[np.where(ids < 0, len(uniques), ids)]
        if hit.any():
            new_u = np.array([mapping[k] if k in mapping else u for k, u in zip(keys, uniques)]
                             + [None], dtype=object)
            recoded = pd.Series(new_u[np.where(ids < 0, len(uniques), ids)], index=s.index)
            out = out.assign(**{col: recoded.where(hit, s.astype(object)).infer_objects()})
            notes.append(f"{where}: column {col!r}: {int(hit.sum())} value(s) recoded as the "
                         "contract's codes say")
    return out, notes


def _constant(value, n: int):
    """A column of ``n`` copies of ``value`` (text as the text type pandas reads)."""
    if not isinstance(value, str):
        return value
    import pyarrow as pa

    return pd.array(pa.repeat(pa.scalar(value, type=pa.large_string()), n), dtype="str")


def _melt(frame: pd.DataFrame, out: pd.DataFrame, wide: dict, source: Source, where: str):
    """One row per cell of the wide columns, column by column (as ``DataFrame.melt``): the
    frame, the file row and the file column of each row. Column types are kept."""
    n, names = len(frame), list(wide)
    k = len(names)
    out = pd.concat([out] * k, ignore_index=True) if k > 1 else out.reset_index(drop=True)
    for col in sorted({g for d in wide.values() for g in d}):
        if col in out.columns:
            raise DataError(f"{where}: the wide pattern names {col!r}, which the file "
                            "also has as a column")
        named = pd.Series([wide[c].get(col) for c in names], dtype=object)
        numbers = pd.to_numeric(named, errors="coerce")
        if col != "item" and numbers.notna().all():  # sample numbers, times: numbers
            out[col] = np.repeat(numbers.to_numpy(dtype=numbers.dtype), n)
        else:
            out[col] = pd.Series(named.astype("str")).take(np.repeat(np.arange(k), n)).array
    target = source.wide[1]
    if target in out.columns:
        raise DataError(f"{where}: the wide layout's values go to {target!r}, which the file "
                        "also has as a column")
    values = pd.concat([frame[c] for c in names], ignore_index=True)
    out[target] = values.infer_objects() if values.dtype == object else values
    cells = np.repeat(np.arange(k, dtype=np.int32), n)  # codes into the wide columns' names
    return out, np.tile(np.arange(2, n + 2), k), (cells, names)
