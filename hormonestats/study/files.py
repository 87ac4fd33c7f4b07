"""One table file read as it is written: its kind checked, its dialect or sheet found.

:func:`read_file` refuses what is not a regular file of bounded size, a file whose first bytes
contradict its extension (a ``.sav`` that is really a csv), a damaged workbook or parquet file,
an empty file or header, repeated column names and a merged or multi-row header; it reads a csv
file in its dialect (:mod:`.dialects`) and a workbook's sheet as it is (:mod:`.excel`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ..errors import DataError

__all__ = ["ID_COLUMNS", "READERS", "read_file"]

#: Columns read as text whatever they look like (leading zeros in IDs must survive).
ID_COLUMNS = ("subject_id", "dyad_id", "sample_id", "plate_id", "batch_id", "snp", "item",
              "genotype")
READERS = (".csv", ".xlsx", ".sav", ".parquet")


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
        first = head[:1].decode("latin-1")
        looks = "text (a csv file renamed?)" if first.isascii() and first.isprintable() \
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
    if ext in (".csv", ".xlsx"):  # cells hormonestats wrote inert, read back as they were
        from .spreadsheet_cells import original_cells

        frame = original_cells(frame)
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

    def read(encoding):
        return pd.read_csv(path, sep=d.separator, decimal=d.decimal, thousands=d.thousands,
                           encoding=encoding, keep_default_na=True, na_values=["NA", "N/A", ""],
                           dtype={c: "str" for c in text_columns(source, header, ID_COLUMNS)})

    notes = list(d.notes)
    try:
        try:
            frame = read(d.encoding)
        except UnicodeDecodeError:
            if source.encoding is not None or d.encoding != "utf-8":
                raise
            from .dialects import not_utf8  # a bad byte past the head: read as Windows-1252

            encoding, more = not_utf8(path)
            frame, notes = read(encoding), notes + more
    except pd.errors.ParserError as err:
        raise DataError(f"{path.name}: cannot be read with separator {d.separator!r}: "
                        f"{str(err).strip().removeprefix('Error tokenizing data. C error: ')}"
                        ) from None
    frame.columns = [str(c).lstrip("\ufeff") for c in frame.columns]
    return frame, notes
