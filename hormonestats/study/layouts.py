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
from .words import suggest

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


def _got(value) -> str:
    return "a mapping" if isinstance(value, Mapping) else "a list" if isinstance(
        value, list) else repr(value)


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


def _one_source(value, path: str, table: str, problems: list[str]) -> None:
    if isinstance(value, str):
        if not value.strip():
            problems.append(f"{path}: expected a file name, got ''")
        return
    if not isinstance(value, Mapping):
        problems.append(f"{path}: expected a file name or a mapping (file, columns, codes, "
                        f"wide, ...), got {_got(value)}")
        return
    for key, opt in value.items():
        where = f"{path}.{key}"
        if key not in SOURCE_OPTIONS:
            problems.append(f"{where}: unknown key {key!r}{suggest(key, SOURCE_OPTIONS)} "
                            f"(allowed: {', '.join(SOURCE_OPTIONS)})")
        elif key in ("file", "sheet", "encoding"):
            if not isinstance(opt, str) or not opt.strip():
                problems.append(f"{where}: expected text, got {_got(opt)}")
        elif key == "columns":
            _text_map(opt, where, problems, targets=True)
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


def apply_layout(frame: pd.DataFrame, source: Source, table: str) -> tuple[
        pd.DataFrame, np.ndarray, np.ndarray | None, list[str]]:
    """The rows of ``table`` one source gives: (frame, file row of each row, file column of each
    row or None, notes). Raises DataError naming the file and the columns it lacks."""
    where = f"{table} ({source.where})"
    notes: list[str] = []
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
    rows = np.arange(2, n + 2)
    cells = None
    if wide:
        k = len(wide)
        names = list(wide)
        values = frame[names].to_numpy(dtype=object if any(
            frame[c].dtype == object for c in names) else None).reshape(-1)
        out = pd.DataFrame({c: np.repeat(out[c].to_numpy(), k) for c in out.columns})
        for col in sorted({g for d in wide.values() for g in d}):
            if col in out.columns:
                raise DataError(f"{where}: the wide pattern names {col!r}, which the file "
                                "also has as a column")
            out[col] = np.tile(np.array([wide[c].get(col) for c in names], dtype=object), n)
        target = source.wide[1]
        if target in out.columns:
            raise DataError(f"{where}: the wide layout's values go to {target!r}, which the "
                            "file also has as a column")
        out[target] = values
        rows = np.repeat(rows, k)
        cells = np.tile(np.array(names, dtype=object), n)
    for col, codes in source.codes.items():
        if col not in out.columns:
            raise DataError(f"{where}: codes are given for column {col!r}, which the table "
                            f"does not have{suggest(col, list(out.columns))}")
        mapping = {str(k): v for k, v in codes.items()}
        s = out[col]
        text = s.map(lambda v: v if not isinstance(v, str) else v.strip())
        keys = text.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                        else str(v if not (isinstance(v, float) and v.is_integer())
                                 else int(v)))
        hit = keys.isin(list(mapping))
        if hit.any():
            out[col] = s.astype(object).where(~hit, keys.map(mapping))
            notes.append(f"{where}: column {col!r}: {int(hit.sum())} value(s) recoded as the "
                         "contract's codes say")
    for col, value in source.set.items():
        if col in out.columns:
            raise DataError(f"{where}: set gives column {col!r} a value, but the file already "
                            "has that column")
        out[col] = value
    return out.infer_objects(), rows, cells, notes
