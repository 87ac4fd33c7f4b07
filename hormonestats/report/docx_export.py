"""Tables (and text) as a Word document through python-docx."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .columns import _prepare

__all__ = ["to_docx"]


def to_docx(tables, path, *, digits: int = 2) -> Path:
    """Write APA tables to a Word document (needs the optional ``python-docx``).

    Parameters
    ----------
    tables : dict of str -> DataFrame or result, or a list of them
        Captions (dict keys) and tables, written in order.
    path : str or Path
        The ``.docx`` file to write.

    Raises
    ------
    ImportError
        When python-docx is not installed (``pip install "hormonestats[docx]"``).
    """
    try:
        import docx  # optional extra "docx"
    except ImportError as exc:
        raise ImportError(
            "to_docx needs the optional dependency python-docx; install it with "
            '`pip install "hormonestats[docx]"` (or `pip install python-docx`), or use '
            "apa_table(..., fmt='html'/'markdown'/'latex') instead"
        ) from exc
    if not isinstance(tables, Mapping):
        tables = {f"Table {i + 1}": t for i, t in enumerate(tables)}
    document = docx.Document()
    for caption, table in tables.items():
        specs, rows = _prepare(table, None, digits, 0.95)
        document.add_paragraph(str(caption))
        grid = document.add_table(rows=1, cols=len(specs))
        for cell, spec in zip(grid.rows[0].cells, specs):
            cell.text = spec.header
        for values in rows:
            for cell, value in zip(grid.add_row().cells, values):
                cell.text = value
        document.add_paragraph("")
    path = Path(path)
    document.save(str(path))
    return path
