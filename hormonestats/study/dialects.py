"""The dialect of a text table: encoding, separator, decimal mark, thousands separator.

Each is taken from the contract when declared there (``separator: ';'``, ``decimal: ','``,
``encoding: cp1252``), else detected from the file: the encoding from its byte-order mark, else
UTF-8 when every byte reads as UTF-8, else Windows-1252 (a superset of Latin-1's printable
characters) with a note; the separator as the one that splits the first lines into the same
number of fields; a decimal comma where numbers are written ``12,5`` in a file separated by
``;`` or tabs. A dialect that cannot be told apart is refused with a request to declare it; a
file that cannot be read as declared is refused with its name and first offending line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

__all__ = ["Dialect", "detect_dialect", "not_utf8"]

_HEAD_BYTES = 256 * 1024
_SEPARATORS = (",", ";", "\t", "|")
_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
_DOT_NUMBER = re.compile(r"^[+-]?\d*\.\d+$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?P<t>[.' ])\d{3}(?:(?P=t)\d{3})*,\d+$|"
                      r"^[+-]?\d{1,3}(?P<u>[,' ])\d{3}(?:(?P=u)\d{3})*\.\d+$")


@dataclass(frozen=True)
class Dialect:
    """How a text table is written (and what of it was detected rather than declared)."""

    encoding: str
    separator: str
    decimal: str
    thousands: str | None
    notes: tuple[str, ...] = ()


def _encoding(path: Path, head: bytes, declared: str | None) -> tuple[str, list[str]]:
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise DataError(f"{path.name}: encoding {declared!r} is unknown (e.g. utf-8, "
                            "utf-16, cp1252, latin-1)") from None
        _check_decodes(path, declared)
        return declared, []
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", []
    else:
        encoding = "utf-8"
    try:  # the head decides; a bad byte further on is caught when the file is read
        head[:-4].decode(encoding)
    except UnicodeDecodeError:
        return not_utf8(path, encoding)
    return encoding, []


def not_utf8(path: Path, encoding: str = "utf-8") -> tuple[str, list[str]]:
    """Windows-1252 for a file that is not UTF-8, with the note that says where it is not."""
    line, byte = _first_undecodable(path, encoding) or (1, 0)
    return "cp1252", [f"{path.name}: not UTF-8 (byte 0x{byte:02x} on line {line}); read as "
                      "Windows-1252 (Latin-1); declare encoding: in the contract if it is "
                      "another"]


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """(line, byte) of the first byte ``encoding`` cannot read, or None (read in chunks)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                return lines + chunk[:err.start].count(b"\n"), chunk[err.start]
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines, 0
    return None


def _check_decodes(path: Path, encoding: str) -> None:
    bad = _first_undecodable(path, encoding)
    if bad is not None:
        raise DataError(f"{path.name}: cannot be read as {encoding} (the contract's "
                        f"encoding): byte 0x{bad[1]:02x} on line {bad[0]}")


def _sample_rows(text: str, sep: str) -> list[list[str]]:
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of the sample may be cut short
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))


def _separator(path: Path, text: str) -> str:
    fits = {}
    for sep in _SEPARATORS:
        rows = [r for r in _sample_rows(text, sep) if r]
        if not rows or len(rows[0]) < 2:
            continue
        agree = sum(len(r) == len(rows[0]) for r in rows) / len(rows)
        if agree >= 0.8:  # a ragged line is named by the reader, at its own line
            fits[sep] = (agree, len(rows[0]))
    if not fits:
        first = text.splitlines()[0] if text else ""
        if not any(s in first for s in _SEPARATORS):
            return ","  # one column: a comma-separated file of one column
        raise DataError(f"{path.name}: the separator cannot be told (the first lines split "
                        "into different numbers of fields by every separator tried); "
                        "declare separator: in the contract")
    return max(fits, key=fits.get)


def detect_dialect(path: Path, *, separator=None, decimal=None, thousands=None,
                   encoding=None) -> Dialect:
    """The dialect of a csv file: declared values kept, the others detected."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    enc, notes = _encoding(path, head, encoding)
    text = head.decode(enc if enc != "utf-16" else "utf-16", errors="ignore")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DataError(f"{path.name}: the first line (the header) is empty")
    sep = separator or _separator(path, text)
    cells = [c.strip() for r in _sample_rows(text, sep)[1:] for c in r]
    if decimal is None:
        comma = any(_COMMA_NUMBER.match(c) for c in cells)
        dot = any(_DOT_NUMBER.match(c) for c in cells)
        if comma and sep == ",":
            comma = False  # a quoted "12,5" in a comma file is text for the readings parser
        if comma and dot:
            raise DataError(f"{path.name}: numbers are written with both decimal commas and "
                            "decimal points in the first lines; declare decimal: in the "
                            "contract")
        decimal = "," if comma else "."
        if comma:
            notes.append(f"{path.name}: decimal comma detected (separator {sep!r})")
    if thousands is None:
        marks = {m["t"] or m["u"] for c in cells if (m := _GROUPED.match(c))}
        marks.discard(decimal)
        if len(marks) == 1 and marks != {sep}:
            thousands = marks.pop()
            notes.append(f"{path.name}: thousands separator {thousands!r} detected")
    if thousands == "":
        thousands = None
    if thousands is not None and thousands == decimal:
        raise DataError(f"{path.name}: the thousands separator and the decimal mark are both "
                        f"{decimal!r}")
    if sep != "," and separator is None:
        notes.append(f"{path.name}: separator {sep!r} detected")
    return Dialect(enc, sep, decimal, thousands, tuple(notes))
