"""A study: its contract and its tables; reading them from files.

``read_study(contract, data_dir)`` reads every table the contract names from csv, xlsx, sav
(SPSS) or parquet, choosing the reader by file extension. Problems that stop a table from being
read (missing file, empty file, wrong delimiter, a merged Excel header) are collected across all
tables and raised together as one :class:`~hormonestats.errors.DataError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from .._files import inside
from ..errors import DataError
from .conform import clock_times_to_minutes, column_kinds, conform_table
from .contracts import Contract, load_contract
from .files import ID_COLUMNS, READERS, read_file

__all__ = ["ID_COLUMNS", "READERS", "Study", "parquet_files", "read_study", "read_table",
           "read_tables"]



@dataclass(frozen=True)
class Study:
    """A study's contract and tables.

    ``tables`` maps table name -> DataFrame; ``sources`` maps table name -> file path it was read
    from (the first, when the contract reads it from several; empty for simulated studies);
    ``truth`` holds the true parameter values of a simulated study (None for real data);
    ``notes`` says what reading did that the files do not show (a detected dialect, recoded
    values, spaces trimmed from IDs, time zones converted); ``origins`` maps a table read
    through a layout to the file, sheet, row and column of each of its rows
    (:class:`~hormonestats.study.findings.RowOrigins`).
    """

    contract: Contract
    tables: Mapping[str, pd.DataFrame]
    sources: Mapping[str, str] = field(default_factory=dict)
    truth: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = ()
    origins: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # the documented time convention, for every study however it was built: clock times
        # become minutes since midnight (new frames; the caller's frames are not changed)
        tables = {t: _file_rows(clock_times_to_minutes(t, f)) for t, f in self.tables.items()}
        if any(tables[t] is not f for t, f in self.tables.items()):
            object.__setattr__(self, "tables", MappingProxyType(tables))

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    @property
    def data_folder(self) -> Path | None:
        """The folder the tables were read from (where answer keys sit); the contract's folder
        for a study built in memory from a contract file; None otherwise."""
        if self.sources:
            return Path(next(iter(self.sources.values()))).parent
        if self.contract.path:
            return Path(self.contract.path).parent
        return None

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {len(v)} rows" for k, v in self.tables.items())
        return f"Study({self.contract.name!r}; {sizes})"

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{len(v)}</td>"
                       f"<td>{html.escape(', '.join(map(str, v.columns)))}</td></tr>"
                       for k, v in self.tables.items())
        return (f"<h4>Study {html.escape(self.contract.name)} ({self.contract.design})</h4>"
                f"<table><tr><th>table</th><th>rows</th><th>columns</th></tr>{rows}</table>")


def _file_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The table indexed by the row its file shows (header = row 1, first data row = row 2),
    so that every message and log entry that names a row names the file's row."""
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.RangeIndex):
        return frame
    if frame.index.start == 2 and frame.index.step == 1:
        return frame
    return frame.set_axis(pd.RangeIndex(2, len(frame) + 2))


def _find_file(data_dir: Path, table: str, file: str | None) -> Path | None:
    if file is not None:
        return data_dir / file
    for ext in READERS:
        candidate = data_dir / f"{table}{ext}"
        if candidate.exists():
            return candidate
    if (data_dir / table).is_dir():  # a parquet dataset: a folder of parquet files
        return data_dir / table
    return None


def parquet_files(path: Path, table: str) -> list[Path]:
    """The files of a parquet dataset (a folder of ``*.parquet`` files), in name order."""
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".parquet" and p.is_file())
    if not files:
        raise DataError(f"{table} ({path.name}): the folder holds no .parquet files; a table "
                        "read from a folder is a parquet dataset (one or more .parquet files)")
    return files


def read_table(path, *, table: str = "table", contract=None) -> pd.DataFrame:
    """Read one table by extension; raise :class:`DataError` with a plain reason if it can't.

    The dialect of a csv file (separator, decimal mark, encoding) is detected, the header is
    checked for repeated names as the file holds it, and spreadsheet and SPSS artefacts are
    undone (:func:`~hormonestats.study.conform.conform_table`), so that every format reads as
    the same table as its csv file.

    >>> import io, tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "subjects.csv")
    >>> _ = open(p, "w").write("subject_id;age\\n001;30,5\\n")
    >>> read_table(p, table="subjects")
      subject_id   age
    0        001  30.5
    """
    return _read_plain(Path(path), table, contract)[0]


def _read_plain(path: Path, table: str, contract) -> tuple[pd.DataFrame, list[str]]:
    """A table whose file is the long table: the frame and the notes on reading it."""
    from .sources import finish

    if path.is_dir() and path.suffix.lower() in (".parquet", ""):
        # a parquet dataset: its files in name order, conformed as one table
        parts = [read_file(f, table)[0] for f in parquet_files(path, table)]
        frame = pd.concat(parts, ignore_index=True)
        return conform_table(table, frame, contract), []
    frame, notes = read_file(path, table)
    if path.suffix.lower() == ".xlsx":
        from .layouts import Source
        from .sources import excel_types

        excel_types(table, frame, Source(file=path.name), column_kinds(table, contract),
                    path.name)
    frame, more = finish(table, frame, range(2, len(frame) + 2), where=path.name,
                         contract=contract)
    return conform_table(table, frame, contract, excel=path.suffix.lower() == ".xlsx"), \
        notes + more


def read_study(contract, data_dir) -> Study:
    """Read the tables a contract names from ``data_dir``.

    Parameters
    ----------
    contract : Contract, str or Path
        A loaded contract or the path of its YAML file.
    data_dir : str or Path
        The folder holding the table files.

    Returns
    -------
    Study

    Raises
    ------
    DataError
        Listing every table that could not be read (missing, empty, undecidable dialect or
        dates, merged cells, unknown extension, a file outside the data folder), all at once.
    """
    if not isinstance(contract, Contract):
        contract = load_contract(contract)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"data folder not found: {data_dir}")
    found = _read_all(contract, data_dir)
    return Study(contract=contract, tables=MappingProxyType(found.tables),
                 sources=MappingProxyType(found.sources), notes=tuple(found.notes),
                 origins=MappingProxyType(found.origins))


def read_tables(contract: Contract, data_dir: Path, *, lazy: tuple[str, ...] = ()
                ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every table of the contract read from ``data_dir`` (the ``lazy`` ones only located:
    their entry in ``tables`` is the path), every problem collected into one DataError."""
    found = _read_all(contract, Path(data_dir), lazy=lazy)
    return found.tables, found.sources


@dataclass
class _Found:
    tables: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    origins: dict = field(default_factory=dict)


def _read_all(contract: Contract, data_dir: Path, *, lazy: tuple[str, ...] = ()) -> _Found:
    from .sources import read_layout

    found = _Found()
    problems: list[str] = []
    for table, file in contract.tables.items():
        if table in contract.layouts and table in lazy:
            problems.append(f"{table}: a table read through a layout (columns, codes, wide) is "
                            "read into memory; --scan reads the long table as parquet")
            continue
        if table in contract.layouts:
            try:
                frame, origins, notes, paths = read_layout(contract, table, data_dir)
            except DataError as err:
                problems.append(str(err))
                continue
            found.tables[table] = frame
            found.sources[table] = str(paths[0])
            found.notes += notes
            if origins is not None:
                found.origins[table] = origins
            continue
        path = _find_file(data_dir, table, file)
        if path is None:
            problems.append(
                f"{table}: no file found (looked for {table}.csv/.xlsx/.sav/.parquet or a folder "
                f"{table}/ of parquet files in the data folder); the contract lists this table"
            )
            continue
        try:
            if file is not None and not inside(path, data_dir):
                raise DataError(f"{table}: {file!r} lies outside the data folder (a link?)")
            if table in lazy:
                found.tables[table] = path
            else:
                found.tables[table], notes = _read_plain(path, table, contract)
                found.notes += notes
            found.sources[table] = str(path)
        except DataError as err:
            problems.append(str(err))
    if problems:
        word = "table" if len(problems) == 1 else "tables"
        lines = "\n".join(f"  - {p}" for p in problems)
        raise DataError(f"study {contract.name!r}: {len(problems)} {word} could not be read:\n{lines}")
    return found
