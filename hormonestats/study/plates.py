"""Reading plate-reader exports and plate layouts into one long well table.

Reading files belongs to the study stage (files in, tables out); the curve fitting that turns the
optical densities (ODs) into concentrations is in :mod:`hormonestats.derive.standard_curves`.

Two export shapes are read (CSV or xlsx):

* **grid**: an 8 x 12 block per plate. Its header line holds the plate id in the corner cell and
  the column numbers 1-12; eight lines follow, each a row letter A-H and 12 ODs. A line
  ``Plate,<id>`` above a block gives the id when the corner cell is empty, else the xlsx sheet
  name, else the file name. Blocks are separated by blank lines; a file or sheet may hold several.
* **long**: a table with columns ``plate_id, well, od`` (one row per well).

A layout says what each used well holds: ``well, type, sample_id, concentration, dilution,
replicate`` (optionally ``plate_id`` for per-plate layouts, and further columns such as
``subject_id`` or ``session`` that are carried through to the samples table). It is a long table,
or grids whose corner cell names the field (``type``, ``sample_id``, ``concentration``, ...).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import DataError

__all__ = ["WELL_TYPES", "PlateError", "read_plate_layout", "read_plates"]

#: Types a layout well may have.
WELL_TYPES = ("standard", "blank", "nsb", "control", "sample")
ROWS = "ABCDEFGH"
_WELL_RE = re.compile(r"^\s*([A-Ha-h])\s*0*([1-9]|1[0-2])\s*$")
_LAYOUT_FIELDS = ("type", "sample_id", "concentration", "dilution", "replicate")


class PlateError(DataError):
    """A plate export or layout is malformed (the plate and well are named)."""


def _well_name(text) -> str | None:
    m = _WELL_RE.match(str(text))
    return f"{m.group(1).upper()}{int(m.group(2))}" if m else None


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _is_header(cells: list[str]) -> bool:
    nums = [c for c in cells[1:] if c != ""]
    return len(nums) == 12 and all(c.isdigit() and int(c) == i + 1 for i, c in enumerate(nums))


def _parse_grids(lines: list[list[str]], source: str, fallback: str, *, numeric: bool = True):
    """Blocks of ``lines`` (lists of cell text) -> list of (label, {well: value})."""
    blocks = []
    problems: list[str] = []
    pending: str | None = None
    i = 0
    while i < len(lines):
        cells = lines[i]
        first = cells[0] if cells else ""
        if first.lower() == "plate" and len(cells) > 1 and cells[1]:
            pending = cells[1]
            i += 1
            continue
        if not _is_header(cells):  # a blank line, a title or a reader's preamble line
            i += 1
            continue
        label = first or pending or (fallback if not blocks else f"{fallback}_{len(blocks) + 1}")
        pending = None
        values: dict[str, object] = {}
        body = lines[i + 1:i + 9]
        for k, letter in enumerate(ROWS):
            row = body[k] if k < len(body) else []
            if not row or row[0].upper() != letter:
                got = row[0] if row else "end of file"
                problems.append(f"{source}: plate {label!r}: row {letter} missing (found "
                                f"{got!r} on line {i + 2 + k})")
                continue
            cells_row = row[1:13] + [""] * max(0, 13 - len(row))
            if len([c for c in row[13:] if c]) > 0:
                problems.append(f"{source}: plate {label!r}: row {letter} has more than 12 values")
            for col, text in enumerate(cells_row[:12], start=1):
                well = f"{letter}{col}"
                if not numeric:
                    values[well] = text if text != "" else None
                    continue
                if text == "":
                    values[well] = math.nan
                    continue
                try:
                    values[well] = float(text.replace(",", ".") if text.count(",") == 1
                                         and "." not in text else text)
                except ValueError:
                    problems.append(f"{source}: plate {label!r}: well {well} holds {text!r}, "
                                    "not an optical density")
        blocks.append((label, values))
        i += 9
    return blocks, problems


def _sheets(path: Path) -> list[tuple[str, list[list[str]], pd.DataFrame | None]]:
    """(sheet name, cell lines, frame-with-header or None) for each sheet of a file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            book = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        except Exception as err:  # openpyxl raises many types for a broken workbook
            raise PlateError(f"{path.name}: cannot read the workbook ({err})") from err
        out = []
        for name, frame in book.items():
            lines = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
            out.append((str(name), lines))
        return out
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise PlateError(f"{path.name}: cannot read the file ({err})") from err
    dialect = ";" if text.count(";") > text.count(",") else ","
    if "\t" in text and text.count("\t") > text.count(dialect):
        dialect = "\t"
    lines = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=dialect)]
    return [(path.stem, lines)]


def _long_table(lines: list[list[str]]) -> pd.DataFrame | None:
    """The lines as a table if the first non-empty line names plate_id, well and od."""
    start = next((k for k, row in enumerate(lines) if any(row)), None)
    if start is None:
        return None
    header = [c.strip().lower() for c in lines[start]]
    if not {"plate_id", "well", "od"} <= set(header):
        return None
    rows = [r + [""] * (len(header) - len(r)) for r in lines[start + 1:] if any(r)]
    return pd.DataFrame([r[:len(header)] for r in rows], columns=header)


def _read_one(path: Path) -> tuple[list[pd.DataFrame], list[str]]:
    frames, problems = [], []
    if not path.exists():
        raise PlateError(f"{path}: no such plate export")
    for sheet, lines in _sheets(path):
        source = path.name if sheet == path.stem else f"{path.name} [{sheet}]"
        long = _long_table(lines)
        if long is not None:
            wells = long["well"].map(_well_name)
            for k in long.index[wells.isna()]:
                problems.append(f"{source}: line {k + 2}: well {long.at[k, 'well']!r} is not "
                                "a well name A1-H12")
            od = pd.to_numeric(long["od"].replace("", math.nan), errors="coerce")
            for k in long.index[od.isna() & long["od"].ne("")]:
                problems.append(f"{source}: plate {long.at[k, 'plate_id']!r}: well "
                                f"{long.at[k, 'well']} holds {long.at[k, 'od']!r}, not an "
                                "optical density")
            frames.append(pd.DataFrame({"plate_id": long["plate_id"].astype(str),
                                        "well": wells, "od": od, "source": path.name}))
            continue
        blocks, probs = _parse_grids(lines, source, sheet)
        problems += probs
        if not blocks and not probs:
            problems.append(f"{source}: no 8 x 12 plate grid (a line with the column numbers "
                            "1-12) and no long table (columns plate_id, well, od)")
        for label, values in blocks:
            frames.append(pd.DataFrame({"plate_id": label, "well": list(values),
                                        "od": list(values.values()), "source": path.name}))
    return frames, problems


def _paths(path_or_paths) -> list[Path]:
    if isinstance(path_or_paths, str | Path):
        return [Path(path_or_paths)]
    return [Path(p) for p in path_or_paths]


def read_plate_layout(layout) -> pd.DataFrame:
    """Read a plate layout (long table or field grids; a path or a DataFrame) and check it.

    Returns one row per used well with ``well, type, sample_id, concentration, dilution,
    replicate`` (and ``plate_id`` and any extra columns the layout had). ``dilution`` defaults
    to 1 and ``replicate`` to the well's order within its sample id on the plate.

    Raises
    ------
    PlateError
        Every problem at once: bad well names, unknown types, standards or controls without a
        numeric concentration, samples without a sample id, non-positive dilutions, duplicate
        wells.

    Examples
    --------
    >>> lay = pd.DataFrame({"well": ["A1", "A2"], "type": ["standard", "sample"],
    ...                     "sample_id": ["STD1", "P1"], "concentration": [0.3, None]})
    >>> read_plate_layout(lay)[["well", "type", "dilution", "replicate"]].to_dict("list")
    {'well': ['A1', 'A2'], 'type': ['standard', 'sample'], 'dilution': [1.0, 1.0], 'replicate': [1, 1]}
    """
    if isinstance(layout, pd.DataFrame):
        frame = layout.copy()
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        name = "layout"
    else:
        path = Path(layout)
        if not path.exists():
            raise PlateError(f"{path}: no such plate layout")
        name = path.name
        frame = None
        for _sheet, lines in _sheets(path):
            start = next((k for k, row in enumerate(lines) if any(row)), None)
            header = [c.strip().lower() for c in lines[start]] if start is not None else []
            if "well" in header and "type" in header:
                rows = [r + [""] * (len(header) - len(r)) for r in lines[start + 1:] if any(r)]
                frame = pd.DataFrame([r[:len(header)] for r in rows], columns=header)
                frame = frame.replace("", pd.NA)
                break
            blocks, probs = _parse_grids(lines, name, "layout", numeric=False)
            if probs:
                raise PlateError("plate layout is malformed:\n  " + "\n  ".join(probs))
            fields = {label.strip().lower(): vals for label, vals in blocks}
            if "type" in fields:
                unknown = set(fields) - set(_LAYOUT_FIELDS)
                if unknown:
                    raise PlateError(f"{name}: layout grids {sorted(unknown)} are not layout "
                                     f"fields; allowed: {', '.join(_LAYOUT_FIELDS)}")
                used = [w for w, v in fields["type"].items() if v not in (None, "")]
                frame = pd.DataFrame({"well": used})
                for field, vals in fields.items():
                    frame[field] = [vals.get(w) for w in used]
                break
        if frame is None:
            raise PlateError(f"{name}: not a plate layout (a table with columns well, type, ... "
                             "or 8 x 12 grids labelled type, sample_id, concentration, ...)")
    return _check_layout(frame, name)


def _check_layout(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    problems: list[str] = []
    for col in ("well", "type"):
        if col not in frame.columns:
            raise PlateError(f"{name}: the layout has no column {col!r}; it needs well, type "
                             "(and sample_id, concentration, dilution, replicate)")
    out = frame.copy()

    def where(k) -> str:
        if "plate_id" in out.columns:
            return f"plate {out.at[k, 'plate_id']!r}, well {out.at[k, 'well']}"
        return f"well {out.at[k, 'well']}"

    wells = out["well"].map(_well_name)
    for k in out.index[wells.isna()]:
        problems.append(f"{name}: row {k + 1}: {out.at[k, 'well']!r} is not a well name A1-H12")
    out["well"] = wells.fillna(out["well"].astype(str))
    out["type"] = out["type"].astype("str").str.strip().str.lower()
    for k in out.index[~out["type"].isin(WELL_TYPES)]:
        problems.append(f"{name}: {where(k)}: unknown well type {frame.at[k, 'type']!r}; "
                        f"allowed: {', '.join(WELL_TYPES)}")
    if "plate_id" in out.columns:
        out["plate_id"] = out["plate_id"].astype(str)
    if "sample_id" not in out.columns:
        out["sample_id"] = pd.NA
    out["sample_id"] = out["sample_id"].map(lambda v: None if pd.isna(v) or str(v) == ""
                                            else str(v)).astype(object)
    for col, default in (("concentration", math.nan), ("dilution", 1.0)):
        raw = out[col] if col in out.columns else pd.Series(pd.NA, index=out.index)
        num = pd.to_numeric(raw, errors="coerce")
        for k in out.index[num.isna() & raw.notna()]:
            problems.append(f"{name}: {where(k)}: {col} {raw[k]!r} is not a number")
        out[col] = num.fillna(default).astype(float)
    for k in out.index[out["dilution"] <= 0]:
        problems.append(f"{name}: {where(k)}: dilution {out.at[k, 'dilution']:g} must be > 0")
    need = out["type"].isin(["standard", "control"])
    for k in out.index[need & (out["concentration"].isna() | (out["concentration"] < 0))]:
        problems.append(f"{name}: {where(k)}: a {out.at[k, 'type']} needs its nominal "
                        "concentration (a number >= 0)")
    for k in out.index[out["type"].isin(["sample", "control"]) & out["sample_id"].isna()]:
        problems.append(f"{name}: {where(k)}: a {out.at[k, 'type']} needs a sample_id")
    out.loc[out["type"].eq("standard") & out["sample_id"].isna(), "sample_id"] = (
        "STD_" + out["concentration"].map(lambda v: f"{v:g}"))
    out.loc[out["type"].isin(["blank", "nsb"]) & out["sample_id"].isna(), "sample_id"] = (
        out["type"].str.upper())
    keys = ["plate_id", "well"] if "plate_id" in out.columns else ["well"]
    for _, grp in out[out.duplicated(keys, keep=False)].groupby(keys):
        problems.append(f"{name}: {where(grp.index[0])} appears {len(grp)} times")
    if problems:
        raise PlateError("plate layout is malformed:\n  " + "\n  ".join(problems))
    group = [k for k in ("plate_id",) if k in out.columns] + ["sample_id"]
    order = out.groupby(group, dropna=False, sort=False).cumcount() + 1
    if "replicate" in out.columns:
        rep = pd.to_numeric(out["replicate"], errors="coerce")
        out["replicate"] = rep.fillna(order).astype(int)
    else:
        out["replicate"] = order.astype(int)
    return out.reset_index(drop=True)


def read_plates(path_or_paths, layout=None) -> pd.DataFrame:
    """Read plate-reader exports (grids or long tables, CSV or xlsx) into a long well table.

    Parameters
    ----------
    path_or_paths : path or list of paths
        Exports; each may hold several plates (grid blocks, xlsx sheets, or a long table).
    layout : path, DataFrame or None
        The plate layout (see :func:`read_plate_layout`): one for every plate, or per-plate
        rows with a ``plate_id`` column. Wells the layout does not use get type ``"unused"``.

    Returns
    -------
    pandas.DataFrame
        One row per well: ``plate_id, well, row, column, od, source`` and, with a layout,
        ``type, sample_id, concentration, dilution, replicate`` and the layout's extra columns.

    Raises
    ------
    PlateError
        Malformed grids (plate and row or well named), non-numeric ODs, a plate id seen twice,
        plates without a layout, layout wells missing from the data (plate and well named).

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.datasets import dataset_path
    >>> folder = dataset_path("cortisol_elisa") / "plates"
    >>> wells = hs.read_plates(sorted(folder.glob("export_*")), layout=folder / "layout.csv")
    >>> sorted(wells["plate_id"].unique())
    ['CORT01', 'CORT02', 'CORT03', 'CORT04']
    """
    frames, problems = [], []
    for path in _paths(path_or_paths):
        f, p = _read_one(path)
        frames += f
        problems += p
    if problems:
        raise PlateError("plate export is malformed:\n  " + "\n  ".join(problems))
    if not frames:
        raise PlateError("no plate data were given")
    wells = pd.concat(frames, ignore_index=True)
    seen = wells.groupby("plate_id")["source"].agg(lambda s: sorted(set(s)))
    dup = wells.duplicated(["plate_id", "well"], keep=False)
    if dup.any():
        plates = sorted(wells.loc[dup, "plate_id"].unique())
        raise PlateError("plate ids appear more than once: " + "; ".join(
            f"{p!r} in {', '.join(seen[p])}" for p in plates))
    wells["row"] = wells["well"].str[0]
    wells["column"] = wells["well"].str[1:].astype(int)
    wells = wells[["plate_id", "well", "row", "column", "od", "source"]]
    if layout is None:
        return wells
    lay = read_plate_layout(layout)
    return _join_layout(wells, lay)


def _join_layout(wells: pd.DataFrame, lay: pd.DataFrame) -> pd.DataFrame:
    plates = list(dict.fromkeys(wells["plate_id"]))
    if "plate_id" in lay.columns:
        missing = [p for p in plates if p not in set(lay["plate_id"])]
        if missing:
            raise PlateError(f"plates {', '.join(map(repr, missing))} have no rows in the "
                             f"layout (its plates: {', '.join(sorted(set(lay['plate_id'])))})")
        extra = sorted(set(lay["plate_id"]) - set(plates))
        if extra:
            raise PlateError(f"the layout describes plates {', '.join(map(repr, extra))} that "
                             f"are not in the exports (read: {', '.join(map(repr, plates))})")
    else:
        lay = pd.concat([lay.assign(plate_id=p) for p in plates], ignore_index=True)
    merged = lay.merge(wells, on=["plate_id", "well"], how="left", indicator=True)
    absent = merged["_merge"].eq("left_only") | merged["od"].isna()
    if absent.any():
        text = [f"plate {r.plate_id!r}, well {r.well} ({r.type} {r.sample_id})"
                for r in merged[absent].itertuples()]
        raise PlateError(f"{len(text)} layout wells have no optical density in the data: "
                         + "; ".join(text[:20]) + (" ..." if len(text) > 20 else ""))
    out = wells.merge(lay, on=["plate_id", "well"], how="left")
    out["type"] = out["type"].fillna("unused")
    return out.reset_index(drop=True)


def iter_plates(wells: pd.DataFrame) -> Iterable[tuple[str, pd.DataFrame]]:
    """(plate_id, wells of that plate) in the order the plates were read."""
    for plate in dict.fromkeys(wells["plate_id"]):
        yield plate, wells[wells["plate_id"] == plate]
