"""Reading one table from the sources its contract declares (:mod:`.layouts`).

:func:`read_layout` reads each source file (within the data folder, or a root the contract
declares), maps its columns, codes and wide layout into rows of the long table, and joins the
sources in the contract's order. :func:`finish` is what every table read from a file goes
through, whatever its layout: IDs with spaces around them are trimmed with a note saying where,
coded columns are spelled as the registries spell them (:mod:`hormonestats.registry.normalise`),
and date and time columns are read without guessing (:mod:`.dates`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .conform import column_kinds, conform_table
from .findings import RowOrigins

__all__ = ["excel_types", "finish", "read_layout"]


def _spaced_ids(table: str, frame: pd.DataFrame, kinds, rows, where: str) -> list[str]:
    notes = []
    for column in frame.columns:
        if kinds.get(column) != "id":
            continue
        s = frame[column]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        if s.dtype == object:
            codes, uniques = pd.factorize(s)  # each distinct value looked at once
            flags = np.array([isinstance(u, str) and u != u.strip() for u in uniques] + [False])
            spaced = flags[np.where(codes < 0, len(uniques), codes)]
        else:
            spaced = s.str.strip().ne(s).fillna(False).to_numpy(dtype=bool)
        if spaced.any():
            first = np.flatnonzero(spaced)[0]
            notes.append(f"{table} ({where}): {int(spaced.sum())} {column} value(s) had spaces "
                         f"around them, trimmed (first at row {rows[first]}: "
                         f"{s.iloc[first]!r})")
    return notes


def finish(table: str, frame: pd.DataFrame, rows, *, where: str, contract=None,
           dates=None) -> tuple[pd.DataFrame, list[str]]:
    """Trim IDs (with a note), spell codes as the registries do, read dates; a new frame."""
    from ..registry.normalise import normalise_codes
    from .conform import TIME_COLUMNS
    from .dates import read_dates

    rows = np.asarray(rows)
    kinds = column_kinds(table, contract)
    notes = _spaced_ids(table, frame, kinds, rows, where)
    frame, coded = normalise_codes(table, frame, where=f" ({where})")
    notes += coded
    dates = dict(dates or {})
    changed = {}
    for column in frame.columns:
        kind = "time" if column in TIME_COLUMNS.get(table, ()) else kinds.get(column)
        if column in dates or kind in ("date", "time"):
            out, note = read_dates(frame[column], kind=kind or "date", rows=rows,
                                   where=f"{table} ({where}), column {column!r}",
                                   fmt=dates.get(column))
            if out is not frame[column]:
                changed[column] = out
            if note:
                notes.append(note)
    return (frame.assign(**changed) if changed else frame), notes


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def excel_types(table: str, frame: pd.DataFrame, source, kinds, name: str) -> None:
    """Refuse text cells in a sheet column the table holds as numbers, naming each cell."""
    problems = []
    for i, column in enumerate(frame.columns):
        kind = kinds.get(source.columns.get(column, column))
        if kind not in ("float", "int") or frame[column].dtype != object:
            continue
        s = frame[column]
        text = s.map(lambda v: isinstance(v, str) and v.strip() != "")
        bad = text & pd.to_numeric(s.where(text), errors="coerce").isna()
        for pos in np.flatnonzero(bad.to_numpy(dtype=bool))[:5]:
            problems.append(f"{name}!{_letter(i)}{pos + 2}: {s.iloc[pos]!r} is text in the "
                            f"number column {column!r}")
    if problems:
        raise DataError(f"{table}: " + "; ".join(problems))


def _source_path(contract, source, data_dir: Path) -> Path:
    from .._files import inside
    from .contracts import resolve

    path = resolve(source.file, data_dir, contract.roots)
    root = source.file.partition(":")[0]
    folder = Path(contract.roots[root]) if root in contract.roots else data_dir
    if not inside(path, folder):
        raise DataError(f"{source.file!r} lies outside its folder (a link?)")
    return path


def read_layout(contract, table: str, data_dir: Path):
    """(frame, RowOrigins or None, notes, paths) of one table read from its declared sources;
    every source's problem collected into one DataError."""
    from .files import _named, read_file
    from .layouts import apply_layout

    sources = contract.layouts[table]
    kinds = column_kinds(table, contract)
    parts, files, rows, cells, notes, paths, problems = [], [], [], [], [], [], []
    names: list[str] = []
    for i, source in enumerate(sources):
        try:
            path = _source_path(contract, source, Path(data_dir))
            raw, read_notes = read_file(path, table, source)
            excel = path.suffix.lower() == ".xlsx"
            if excel:
                name = path.name if source.sheet is None else f"{path.name}[{source.sheet}]"
                excel_types(table, raw, source, kinds, name)

            def prepare(part, rows, source=source, excel=excel):
                part, notes = finish(table, part, rows, where=source.where,
                                     contract=contract, dates=source.dates)
                return conform_table(table, part, contract, excel=excel), notes

            frame, r, c, layout_notes = apply_layout(raw, source, table, prepare)
        except DataError as err:
            problems.append(_named(str(err), table, Path(source.file).name))
            continue
        parts.append(frame)
        files.append(np.full(len(frame), i, dtype=np.int32))
        rows.append(r)
        if c is None:
            cells.append(np.full(len(frame), -1, dtype=np.int32))
        else:
            cells.append(c[0] + len(names))
            names += c[1]
        notes += read_notes + layout_notes
        paths.append(path)
    if problems:
        raise DataError("; ".join(problems))
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    frame = frame.reset_index(drop=True)
    origins = None
    if names or len(parts) > 1:
        origins = RowOrigins(np.concatenate(files), [s.where for s in sources],
                             np.concatenate(rows), np.concatenate(cells) if names else None,
                             names)
    return frame, origins, notes, paths
