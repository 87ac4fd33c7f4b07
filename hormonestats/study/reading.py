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

    if path.is_dir():  # a parquet dataset: its files in name order, conformed as one table
        parts = [read_file(f, table)[0] for f in parquet_files(path, table)]
        frame = pd.concat(parts, ignore_index=True)
        return conform_table(table, frame, contract), []
    frame, notes = read_file(path, table)
    frame, more = finish(table, frame, range(2, len(frame) + 2), where=path.name,
                         contract=contract)
    return conform_table(table, frame, contract, excel=path.suffix.lower() == ".xlsx"), \
        notes + more


def _magic(path: Path, ext: str, table: str) -> None:
    """Refuse a file whose first bytes say it is not what its extension claims."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if ext == ".parquet":
            fh.seek(max(0, path.stat().st_size - 4))
            tail = fh.read(4)
    expected = {".xlsx": (b"PK\x03\x04",), ".sav": (b"$FL2", b"$FL3"),
                ".parquet": (b"PAR1",)}.get(ext)
    if expected and not head.startswith(expected) or (ext == ".parquet" and tail != b"PAR1"):
        looks = "text (a csv file renamed?)" if head[:1].isascii() and head[:1].isprintable() \
            else "another kind of file, or a damaged one"
        raise DataError(f"{table} ({path.name}): not a {ext} file: its first bytes look like "
                        f"{looks}")


def read_file(path: Path, table: str, source=None) -> tuple[pd.DataFrame, list[str]]:
    """One file as it is written (dialect, sheet), with the checks that name what stops it
    being read; ``source`` (:class:`~hormonestats.study.layouts.Source`) may declare the
    dialect and sheet. Returns the frame and notes on what was detected."""
    from .._files import MAX_DATA_BYTES, checked_file
    from .layouts import Source, text_columns

    source = source or Source(file=path.name)
    ext = path.suffix.lower()
    if ext not in READERS:
        raise DataError(
            f"{table} ({path.name}): cannot read '{ext}' files; use one of {', '.join(READERS)}"
        )
    checked_file(path, what=f"{table}: file", limit=MAX_DATA_BYTES)
    if path.stat().st_size == 0:
        raise DataError(f"{table} ({path.name}): the file is empty")
    _magic(path, ext, table)
    notes: list[str] = []
    try:
        if ext == ".csv":
            frame, notes = _read_csv(path, table, source)
        elif ext == ".xlsx":
            from .excel import read_sheet

            header = read_sheet_header(path, source.sheet)
            frame, _, notes = read_sheet(path, source.sheet, text_columns=text_columns(
                source, header, ID_COLUMNS))
            _repeated_header(header, table, path.name)
        elif ext == ".sav":
            frame = pd.read_spss(path, convert_categoricals=False)
        else:
            frame = _read_parquet(path)
    except DataError as err:
        raise DataError(_named(str(err), table, path.name)) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, csv.Error, ValueError,
            OSError, KeyError, StopIteration, UnicodeError) as err:
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
    return frame, notes


def _named(text: str, table: str, name: str) -> str:
    """A message from a reading helper, starting with the table and file it is about."""
    if text.startswith(name):
        return f"{table} ({name}){text[len(name):]}"
    return text if text.startswith((f"{table} ", f"{table}:")) else f"{table}: {text}"


def read_sheet_header(path: Path, sheet) -> list[str]:
    """The first row of the sheet to be read, as the file holds it."""
    from openpyxl import load_workbook

    from .excel import sheet_names

    names = sheet_names(path)
    name = sheet or next((n for n, state in names if state == "visible"), None)
    book = load_workbook(path, read_only=True)
    try:
        if name not in book.sheetnames:
            return []
        first = next(book[name].iter_rows(max_row=1, values_only=True), ())
    finally:
        book.close()
    return ["" if v is None else str(v) for v in first]


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow

    try:
        return pd.read_parquet(path)
    except pyarrow.ArrowException as err:
        raise DataError(f"{path.name}: cannot be read as parquet (damaged pages?): "
                        f"{str(err).splitlines()[0]}") from None


def _read_csv(path: Path, table: str, source) -> tuple[pd.DataFrame, list[str]]:
    from .dialects import detect_dialect
    from .layouts import text_columns

    d = detect_dialect(path, separator=source.separator, decimal=source.decimal,
                       thousands=source.thousands, encoding=source.encoding)
    with path.open(encoding=d.encoding, newline="") as fh:
        header = next(csv.reader(fh, delimiter=d.separator), [])
    header = [h.lstrip("\ufeff") for h in header]
    if not any(h.strip() for h in header):
        raise DataError(f"{path.name}: the first line (the header) is empty")
    _repeated_header(header, table, path.name)
    try:
        frame = pd.read_csv(path, sep=d.separator, decimal=d.decimal, thousands=d.thousands,
                            encoding=d.encoding, keep_default_na=True,
                            na_values=["NA", "N/A", ""],
                            dtype={c: "str" for c in text_columns(source, header, ID_COLUMNS)})
    except pd.errors.ParserError as err:
        raise DataError(f"{path.name}: cannot be read with separator {d.separator!r}: "
                        f"{str(err).strip().removeprefix('Error tokenizing data. C error: ')}"
                        ) from None
    frame.columns = [str(c).lstrip("\ufeff") for c in frame.columns]
    return frame, list(d.notes)


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
        if table in contract.layouts and table not in lazy:
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
            if file is not None and not _inside(path, data_dir):
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


def _inside(path: Path, folder: Path) -> bool:
    from .._files import inside

    return inside(path, folder)
