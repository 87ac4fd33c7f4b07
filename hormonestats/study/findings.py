"""What validation found: the :class:`ValidationReport` and the collector that fills it.

Rows in messages and in ``failures["row"]`` are numbered as the user's file shows them: the
header is row 1, so the first data row is row 2 (a table built in memory: its position + 2,
the row it would have in a csv or Excel file).
"""

from __future__ import annotations

import html
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ValidationError

__all__ = ["FAILURE_COLUMNS", "FIRST_DATA_ROW", "RowOrigins", "ValidationReport",
           "labelled_tables"]

FAILURE_COLUMNS = ["table", "column", "row", "subject_id", "check", "value", "message"]

#: Rows in messages and in ``failures["row"]`` are numbered as the user's file shows them: the
#: header is row 1, so the first data row is row 2 (in a table built in memory: its position
#: + 2, the row it would have if written to a csv or Excel file).
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class ValidationReport:
    """What ``validate`` found: every failure and warning, as tidy tables.

    Attributes
    ----------
    failures : DataFrame
        One row per failing cell or row: table, column, row (the row as the file shows it:
        the header is row 1, the first data row is row 2), subject_id, check, value, message.
    warnings : DataFrame
        Same columns; things worth a look that do not fail validation.
    n_rows : dict
        Rows per table checked.
    """

    study_name: str
    failures: pd.DataFrame
    warnings: pd.DataFrame
    n_rows: dict

    @property
    def ok(self) -> bool:
        return self.failures.empty

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationError` (carrying this report) if anything failed."""
        if not self.ok:
            raise ValidationError(self.summary(), report=self)

    def by_check(self) -> pd.DataFrame:
        """Failures counted by table, column and check, with the rows involved."""
        if self.failures.empty:
            return pd.DataFrame(columns=["table", "column", "check", "n", "rows"])
        g = self.failures.groupby(["table", "column", "check"], sort=False, dropna=False)
        return g.agg(n=("message", "size"), rows=("row", _rows_text)).reset_index()

    def summary(self, max_per_check: int = 10) -> str:
        """Readable text: failures grouped by table and check, with row numbers."""
        sizes = ", ".join(f"{t} {n}" for t, n in self.n_rows.items())
        if self.ok:
            head = f"Study {self.study_name!r}: valid ({sizes} rows)."
        else:
            head = (f"Study {self.study_name!r}: {len(self.failures)} problem(s) in "
                    f"{self.failures['table'].nunique()} table(s) ({sizes} rows).")
        lines = [head]
        if not self.ok:
            lines.append("Rows are numbered as in the file: the header is row 1, the first "
                         "data row is row 2.")
        for table, part in self.failures.groupby("table", sort=False):
            lines.append(f"\n[{table}]")
            for (column, check), grp in part.groupby(["column", "check"], sort=False,
                                                      dropna=False):
                where = f"{column}: " if isinstance(column, str) and column else ""
                lines.append(f"  {where}{check} ({len(grp)})")
                for msg in grp["message"].head(max_per_check):
                    lines.append(f"    - {msg}")
                if len(grp) > max_per_check:
                    lines.append(f"    ... and {len(grp) - max_per_check} more")
        if not self.warnings.empty:
            lines.append(f"\nWarnings ({len(self.warnings)}):")
            for (table, check), grp in self.warnings.groupby(["table", "check"], sort=False):
                lines.append(f"  [{table}] {check} ({len(grp)}): {grp['message'].iloc[0]}")
        return "\n".join(lines)

    def to_json(self) -> str:
        """Failures and warnings as JSON (records)."""
        def records(frame):
            return json.loads(frame.astype(object).where(frame.notna(), None)
                              .to_json(orient="records", default_handler=str))
        return json.dumps({"study": self.study_name, "ok": self.ok, "n_rows": self.n_rows,
                           "failures": records(self.failures),
                           "warnings": records(self.warnings)}, indent=2)

    def _repr_html_(self) -> str:
        status = "valid" if self.ok else f"{len(self.failures)} problem(s)"
        parts = [f"<h4>Validation of {html.escape(self.study_name)}: {status}</h4>"]
        if not self.ok:
            parts.append(self.failures.to_html(index=False, max_rows=200))
        if not self.warnings.empty:
            parts.append(f"<p><b>Warnings</b> ({len(self.warnings)})</p>")
            parts.append(self.warnings.to_html(index=False, max_rows=50))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return self.summary()


def _rows_text(rows) -> str:
    vals = [str(r) for r in rows if r is not None and not (isinstance(r, float) and np.isnan(r))]
    return ", ".join(vals[:20]) + (f" (+{len(vals) - 20})" if len(vals) > 20 else "")


class _Collector:
    def __init__(self):
        self.failures: list[dict] = []
        self.warnings: list[dict] = []

    def add(self, table, column, frame, rows, check, values, messages, *, warning=False):
        target = self.warnings if warning else self.failures
        for row, value, msg in zip(rows, values, messages):
            sid = None
            if frame is not None and row is not None and "subject_id" in frame.columns:
                try:
                    sid = frame.at[row, "subject_id"]
                except KeyError:
                    sid = None
            shown = None if row is None else _shown(table, row)
            target.append({"table": table, "column": column, "row": shown, "subject_id": sid,
                           "check": check, "value": None if value is None else str(value),
                           "message": msg})

    def add_where(self, table, column, frame, mask, check, values, message, *,
                  warning=False) -> None:
        """Add one finding for every row of ``frame`` where ``mask`` holds: its value from
        ``values`` (a Series on ``frame``'s index) and ``message(row label)``."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = list(frame.index[mask])
        self.add(table, column, frame, rows, check, list(values[mask]),
                 [message(r) for r in rows], warning=warning)

    def frame(self, which) -> pd.DataFrame:
        rows = self.failures if which == "failures" else self.warnings
        out = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
        out["row"] = out["row"].astype("object")
        return out


class RowLabels:
    """The rows a table's positions stand for when the table is checked in parts.

    ``rows[i]`` is the row (as shown: the first data row of the first file is row 2) of
    position ``i`` of the part. When the table was read from several files (a parquet dataset),
    rows count on across the files in name order and messages also name the file and its own
    row: ``samples row 1000003 (part-00001.parquet row 3)``.
    """

    def __init__(self, rows, files=(), starts=()):
        self.rows = np.asarray(rows, dtype=np.int64)
        self.files = list(files)
        self.starts = np.asarray(starts, dtype=np.int64)

    def shown(self, pos) -> int:
        return int(self.rows[int(pos)])

    def text(self, pos) -> str:
        row = self.shown(pos)
        if len(self.files) <= 1:
            return f"row {row}"
        i = int(np.searchsorted(self.starts, row, side="right")) - 1
        return f"row {row} ({self.files[i]} row {row - int(self.starts[i]) + FIRST_DATA_ROW})"


class RowOrigins:
    """Where each row of a table read through a layout came from: its file (and sheet), its
    row there and, for a wide layout, the file column of its cell. ``rows[i]`` is the file row
    of position ``i``; messages read ``row 7 (cortisol.csv row 7, column S2)``. Files and
    columns are held as codes into ``file_names`` and ``column_names``."""

    def __init__(self, file_codes, file_names, rows, column_codes=None, column_names=()):
        self.file_codes = np.asarray(file_codes)
        self.file_names = list(file_names)
        self.rows = np.asarray(rows, dtype=np.int64)
        self.column_codes = None if column_codes is None else np.asarray(column_codes)
        self.column_names = list(column_names)

    def __len__(self) -> int:
        return len(self.rows)

    def shown(self, pos) -> int:
        return int(self.rows[int(pos)])

    def text(self, pos) -> str:
        pos = int(pos)
        where = f"{self.file_names[self.file_codes[pos]]} row {self.rows[pos]}"
        if self.column_codes is not None and self.column_codes[pos] >= 0:
            where += f", column {self.column_names[self.column_codes[pos]]}"
        return f"row {self.rows[pos]} ({where})"


_LABELS: ContextVar = ContextVar("hormonestats_row_labels", default=None)


@contextmanager
def labelled_tables(origins):
    """Within the block, positions of each table of ``origins`` (table -> RowOrigins) are shown
    as the file rows they came from."""
    token = _LABELS.set(dict(origins))
    try:
        yield
    finally:
        _LABELS.reset(token)


@contextmanager
def labelled_rows(table: str, labels: RowLabels):
    """Within the block, positions of ``table`` are shown as ``labels`` say (a part of a table
    read in parts) instead of position + 2."""
    token = _LABELS.set((table, labels))
    try:
        yield
    finally:
        _LABELS.reset(token)


def _labels(table: str) -> RowLabels | RowOrigins | None:
    ctx = _LABELS.get()
    if isinstance(ctx, dict):
        return ctx.get(table)
    return ctx[1] if ctx is not None and ctx[0] == table else None


def _shown(table: str, pos) -> int:
    labels = _labels(table)
    return int(pos) + FIRST_DATA_ROW if labels is None else labels.shown(pos)


def _line(table: str, row) -> str:
    """``samples row 7``: a table position as the row the file shows (header = row 1)."""
    labels = _labels(table)
    if labels is None:
        return f"{table} row {int(row) + FIRST_DATA_ROW}"
    return f"{table} {labels.text(row)}"


def _file_rows(rows, table: str | None = None) -> str:
    return ", ".join(str(_shown(table, r)) for r in rows)
