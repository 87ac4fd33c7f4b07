"""Excel workbooks read as they are: the named (or first visible) sheet, within bounds.

Before a value is read, the workbook's own XML is looked at (streamed, never loaded whole): the
sheets and whether each is hidden, the dimension the sheet claims, its merged cells, and formula
cells that carry no stored value. A hidden sheet is never read unless the contract names it; a
merged cell in the table, a formula without a stored value (the file was written by a program
that does not calculate), a sheet larger than :data:`MAX_CELLS` or a damaged file is refused,
naming the sheet and cell (``subjects.xlsx!C27``).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import iterparse

import pandas as pd

from ..errors import DataError

__all__ = ["MAX_CELLS", "read_sheet", "sheet_names"]

#: The largest sheet (rows x columns it claims or holds) read into memory.
MAX_CELLS = 50_000_000
_MAX_UNCOMPRESSED = 2 * 1024**3
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _cells(ref: str) -> int:
    """How many cells a range such as ``A1:XFD1048576`` spans."""
    parts = ref.split(":")
    ends = [_REF.match(p) for p in parts]
    if not all(ends):
        return 0
    if len(ends) == 1:
        return 1
    cols = abs(_col_number(ends[1][1]) - _col_number(ends[0][1])) + 1
    rows = abs(int(ends[1][2]) - int(ends[0][2])) + 1
    return cols * rows


def _sheets(book: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(name, state, xml path) of every sheet, in workbook order."""
    rels = {}
    with book.open("xl/_rels/workbook.xml.rels") as fh:
        for _, el in iterparse(fh):
            if el.tag.endswith("Relationship"):
                target = el.get("Target", "")
                rels[el.get("Id")] = target.lstrip("/") if target.startswith("/") else \
                    posixpath.normpath(posixpath.join("xl", target))
    out = []
    with book.open("xl/workbook.xml") as fh:
        for _, el in iterparse(fh):
            if el.tag == f"{_NS}sheet":
                out.append((el.get("name"), el.get("state", "visible"), rels.get(el.get(_REL))))
    return out


def _open(path: Path) -> zipfile.ZipFile:
    try:
        book = zipfile.ZipFile(path)
        size = sum(i.file_size for i in book.infolist())
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise DataError(f"{path.name}: not a readable xlsx workbook (truncated or damaged: "
                        f"{err})") from None
    if size > _MAX_UNCOMPRESSED:
        book.close()
        raise DataError(f"{path.name}: the workbook unpacks to {size:,} bytes, more than "
                        f"{_MAX_UNCOMPRESSED:,}")
    return book


def sheet_names(path: Path) -> list[tuple[str, str]]:
    """(name, state) of each sheet of a workbook (state: visible, hidden or veryHidden)."""
    with _open(path) as book:
        try:
            return [(n, s) for n, s, _ in _sheets(book)]
        except (KeyError, SyntaxError, zipfile.BadZipFile) as err:
            raise DataError(f"{path.name}: not a readable xlsx workbook ({err})") from None


def _choose(path: Path, sheets, sheet: str | None) -> tuple[str, str, list[str]]:
    notes = []
    if sheet is not None:
        found = [s for s in sheets if s[0] == sheet]
        if not found:
            names = ", ".join(repr(s[0]) for s in sheets)
            raise DataError(f"{path.name}: no sheet named {sheet!r} (sheets: {names})")
        return found[0][0], found[0][2], notes
    visible = [s for s in sheets if s[1] == "visible"]
    if not visible:
        raise DataError(f"{path.name}: every sheet is hidden; name the sheet in the contract")
    hidden = [s[0] for s in sheets if s[1] != "visible"]
    if hidden:
        notes.append(f"{path.name}: hidden sheet(s) {', '.join(map(repr, hidden))} not read "
                     f"(read the first visible sheet, {visible[0][0]!r})")
    return visible[0][0], visible[0][2], notes


def _inspect(book: zipfile.ZipFile, member: str, where: str) -> None:
    """Refuse a sheet that claims too many cells, has merged cells or formulas without values."""
    problems = []
    formula_without_value: list[str] = []
    with book.open(member) as fh:
        cell_ref, has_f, has_v = None, False, False
        for event, el in iterparse(fh, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == f"{_NS}c":
                    cell_ref, has_f, has_v = el.get("r"), False, False
                continue
            if tag == f"{_NS}dimension":
                ref = el.get("ref", "")
                if _cells(ref) > MAX_CELLS:
                    raise DataError(f"{where}: the sheet claims the range {ref} "
                                    f"({_cells(ref):,} cells), more than {MAX_CELLS:,}; "
                                    "save a copy holding only the table")
            elif tag == f"{_NS}f":
                has_f = True
            elif tag == f"{_NS}v":
                has_v = has_v or bool(el.text)
            elif tag == f"{_NS}is":
                has_v = True
            elif tag == f"{_NS}c":
                if has_f and not has_v:
                    formula_without_value.append(cell_ref)
                el.clear()
            elif tag == f"{_NS}row":
                el.clear()
            elif tag == f"{_NS}mergeCell":
                problems.append(f"merged cells {where}!{el.get('ref')} (their value "
                                "belongs to the first cell only); unmerge them and fill "
                                "every cell")
    if formula_without_value:
        cells = ", ".join(f"{where}!{r}" for r in formula_without_value[:10])
        more = len(formula_without_value) - 10
        problems.append(f"{len(formula_without_value)} formula cell(s) without a stored value "
                        f"({cells}{f' and {more} more' if more > 0 else ''}); open the file "
                        "in a spreadsheet program, let it calculate, and save it")
    if problems:
        raise DataError(f"{where.split('[')[0]}: " + "; ".join(problems))


def read_sheet(path: Path, sheet: str | None, *, text_columns=()) -> tuple[
        pd.DataFrame, str, list[str]]:
    """The table of one sheet: (frame, sheet name, notes). The first row is the header."""
    with _open(path) as book:
        try:
            sheets = _sheets(book)
            name, member, notes = _choose(path, sheets, sheet)
            _inspect(book, member, f"{path.name}" if sheet is None else f"{path.name}[{name}]")
        except (KeyError, SyntaxError, zipfile.BadZipFile, EOFError) as err:
            raise DataError(f"{path.name}: not a readable xlsx workbook ({err})") from None
    try:
        frame = pd.read_excel(path, sheet_name=name, engine="openpyxl",
                              dtype={c: "str" for c in text_columns})
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(f"{path.name}[{name}]: cannot be read: {err}") from None
    return frame, name, notes
