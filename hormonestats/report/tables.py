"""APA number formatting and tables: one import point over the modules that hold them.

* :mod:`.numbers` — :func:`format_number`, :func:`format_p`, :func:`format_ci`;
* :mod:`.columns` — how each column is shown and explained (:func:`as_frame`,
  :func:`column_notes`);
* :mod:`.apa` — :func:`apa_table` (Markdown, HTML, LaTeX with booktabs rules);
* :mod:`.characteristics` — :func:`table1` (sample characteristics by group);
* :mod:`.docx_export` — :func:`to_docx` (Word, through python-docx).

This is the only place where numbers become text (docs/architecture.md, rule 2).
"""

from __future__ import annotations

from .apa import apa_table
from .characteristics import table1
from .columns import COLUMN_NOTES, as_frame, column_notes
from .docx_export import to_docx
from .numbers import MISSING, _no_lead, format_ci, format_number, format_p

__all__ = [
    "COLUMN_NOTES",
    "MISSING",
    "_no_lead",
    "apa_table",
    "as_frame",
    "column_notes",
    "format_ci",
    "format_number",
    "format_p",
    "table1",
    "to_docx",
]
