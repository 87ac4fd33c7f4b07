"""A study: its contract and its tables; reading them from files.

``read_study(contract, data_dir)`` reads every table the contract names from csv, xlsx, sav
(SPSS) or parquet, choosing the reader by file extension. Problems that stop a table from being
read (missing file, empty file, wrong delimiter, a merged Excel header) are collected across all
tables and raised together as one :class:`~hormonestats.errors.DataError`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import DataError
from .conform import clock_times_to_minutes, conform_table
from .contracts import Contract, load_contract
from .spreadsheet_cells import original_cells

__all__ = ["ID_COLUMNS", "READERS", "Study", "parquet_files", "read_study", "read_table",
           "read_tables"]

#: Columns read as text whatever they look like (leading zeros in IDs must survive).
ID_COLUMNS = ("subject_id", "dyad_id", "sample_id", "plate_id", "batch_id", "snp", "item",
              "genotype")
READERS = (".csv", ".xlsx", ".sav", ".parquet")


@dataclass(frozen=True)
class Study:
    """A study's contract and tables.

    ``tables`` maps table name -> DataFrame; ``sources`` maps table name -> file path it was read
    from (empty for simulated studies); ``truth`` holds the true parameter values of a simulated
    study (None for real data).
    """

    contract: Contract
    tables: Mapping[str, pd.DataFrame]
    sources: Mapping[str, str] = field(default_factory=dict)
    truth: Mapping[str, Any] | None = None

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


def _raw_header(path: Path, ext: str) -> list[str] | None:
    """The header as the file holds it (before pandas renames a repeated name to ``x.1``)."""
    if ext == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return next(csv.reader(fh), [])
    if ext == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        finally:
            book.close()
        return ["" if v is None else str(v) for v in first]
    return None


def _repeated_header(header: list[str] | None, table: str, name: str) -> None:
    if not header:
        return
    seen: dict[str, list[int]] = {}
    for i, col in enumerate(header, start=1):
        if str(col).strip():
            seen.setdefault(str(col).strip(), []).append(i)
    repeated = {c: pos for c, pos in seen.items() if len(pos) > 1}
    if repeated:
        text = "; ".join(f"{c!r} in columns {', '.join(map(str, pos))}"
                         for c, pos in repeated.items())
        raise DataError(f"{table} ({name}): the header repeats column names ({text}); every "
                        "column needs its own name")


def read_table(path, *, table: str = "table", contract=None) -> pd.DataFrame:
    """Read one table by extension; raise :class:`DataError` with a plain reason if it can't.

    The header is checked for repeated names as the file holds it, and spreadsheet and SPSS
    artefacts are undone (:func:`~hormonestats.study.conform.conform_table`), so that every
    format reads as the same table as its csv file.

    >>> import io, tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "subjects.csv")
    >>> _ = open(p, "w").write("subject_id;age\\n001;30\\n")
    >>> read_table(p, table="subjects")
    Traceback (most recent call last):
    ...
    hormonestats.errors.DataError: subjects (subjects.csv): the file is separated by ';', not commas; save it as comma-separated csv
    """
    path = Path(path)
    if path.is_dir():  # a parquet dataset: its files in name order, conformed as one table
        parts = [_read_file(f, table) for f in parquet_files(path, table)]
        frame = pd.concat(parts, ignore_index=True)
        return conform_table(table, frame, contract)
    frame = _read_file(path, table)
    if path.suffix.lower() in (".csv", ".xlsx"):  # cells hormonestats wrote inert, as they were
        frame = original_cells(frame)
    return conform_table(table, frame, contract, excel=path.suffix.lower() == ".xlsx")


def _read_file(path: Path, table: str) -> pd.DataFrame:
    """One file as pandas reads it, with the checks that name what stops it being read."""
    ext = path.suffix.lower()
    if ext not in READERS:
        raise DataError(
            f"{table} ({path.name}): cannot read '{ext}' files; use one of {', '.join(READERS)}"
        )
    if not path.exists():
        raise DataError(f"{table}: file {path.name} not found")
    if path.stat().st_size == 0:
        raise DataError(f"{table} ({path.name}): the file is empty")
    try:
        _repeated_header(_raw_header(path, ext), table, path.name)
        if ext == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                header = fh.readline()
            if not header.strip():
                raise DataError(f"{table} ({path.name}): the first line (the header) is empty")
            if "," not in header:
                for sep in (";", "\t", "|"):
                    if sep in header:
                        name = "tabs" if sep == "\t" else f"'{sep}'"
                        raise DataError(
                            f"{table} ({path.name}): the file is separated by {name}, not "
                            "commas; save it as comma-separated csv"
                        )
            frame = pd.read_csv(path, dtype={c: "str" for c in ID_COLUMNS}, encoding="utf-8-sig",
                                keep_default_na=True, na_values=["NA", "N/A", ""])
        elif ext == ".xlsx":
            frame = pd.read_excel(path, dtype={c: "str" for c in ID_COLUMNS})
        elif ext == ".sav":
            frame = pd.read_spss(path, convert_categoricals=False)
        else:
            frame = pd.read_parquet(path)
    except DataError:
        raise
    except (pd.errors.EmptyDataError, pd.errors.ParserError, csv.Error, ValueError,
            OSError, KeyError, StopIteration) as err:
        raise DataError(f"{table} ({path.name}): cannot be read: {err}") from None
    if frame.shape[1] == 0 or (frame.empty and frame.shape[1] <= 1):
        raise DataError(f"{table} ({path.name}): the file has no data rows")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    if unnamed and len(unnamed) >= max(1, frame.shape[1] // 2):
        raise DataError(
            f"{table} ({path.name}): {len(unnamed)} of {frame.shape[1]} columns have no name "
            "(a merged or multi-row header?); the first row must hold one column name per column"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    _repeated_header(list(frame.columns), table, path.name)
    return frame


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
        Listing every table that could not be read (missing, empty, wrong delimiter, merged
        header, unknown extension), all at once.
    """
    if not isinstance(contract, Contract):
        contract = load_contract(contract)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"data folder not found: {data_dir}")
    tables, sources = read_tables(contract, data_dir)
    return Study(contract=contract, tables=MappingProxyType(tables),
                 sources=MappingProxyType(sources))


def read_tables(contract: Contract, data_dir: Path, *, lazy: tuple[str, ...] = ()
                ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every table of the contract read from ``data_dir`` (the ``lazy`` ones only located:
    their entry in ``tables`` is the path), every problem collected into one DataError."""
    tables: dict = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for table, file in contract.tables.items():
        path = _find_file(data_dir, table, file)
        if path is None:
            problems.append(
                f"{table}: no file found (looked for {table}.csv/.xlsx/.sav/.parquet or a folder "
                f"{table}/ of parquet files in the data folder); the contract lists this table"
            )
            continue
        try:
            tables[table] = path if table in lazy else \
                read_table(path, table=table, contract=contract)
            sources[table] = str(path)
        except DataError as err:
            problems.append(str(err))
    if problems:
        word = "table" if len(problems) == 1 else "tables"
        lines = "\n".join(f"  - {p}" for p in problems)
        raise DataError(f"study {contract.name!r}: {len(problems)} {word} could not be read:\n{lines}")
    return tables, sources
