"""Reports: APA tables, Table 1, methods text, exclusion accounting, manifest, results folders.

``hs.report`` is this package. It is the only place where numbers become text (docs/architecture.md, rule 2):

* :func:`apa_table` (Markdown, HTML, LaTeX with booktabs), :func:`format_p`,
  :func:`format_ci`, :func:`table1`, :func:`column_notes`, :func:`to_docx` (:mod:`.tables`
  over :mod:`.numbers`, :mod:`.columns`, :mod:`.apa`, :mod:`.characteristics`,
  :mod:`.docx_export`);
* :func:`methods_text` and :func:`methods_sections` (paragraphs by stage, :mod:`.methods`
  over :mod:`.methods_sentences`), :func:`methods_docx`, :func:`exclusion_accounting`,
  :func:`exclusion_summary` (:mod:`.exclusions`), :func:`plain_verdicts` (:mod:`.verdicts`);
* :func:`manifest`, :func:`write_manifest`, :func:`results_folder`
  (:mod:`.provenance`);
* :func:`write_report`: everything above into one atomic results folder, with a
  self-contained report.html ordered for a reader (:mod:`.html_page`).

Figures are :mod:`hormonestats.plots` (:mod:`.plots` over :mod:`.figure_theme`,
:mod:`.model_figures`, :mod:`.data_figures`).

Importing this module is light: matplotlib is only imported when figures are written.

Examples
--------
>>> import hormonestats as hs
>>> hs.report.format_p(0.0004)
'< .001'
"""

from __future__ import annotations

from .docx_export import methods_docx
from .folder import (
    write_report,
)
from .methods import (
    exclusion_accounting,
    exclusion_summary,
    methods_sections,
    methods_text,
)
from .provenance import (
    COMPLETE_MARKER,
    file_sha256,
    frame_sha256,
    is_complete,
    manifest,
    package_versions,
    results_folder,
    write_manifest,
)
from .tables import (
    apa_table,
    column_notes,
    format_ci,
    format_number,
    format_p,
    table1,
    to_docx,
)
from .verdicts import plain_verdicts

__all__ = [
    "COMPLETE_MARKER",
    "apa_table",
    "column_notes",
    "exclusion_accounting",
    "exclusion_summary",
    "file_sha256",
    "format_ci",
    "format_number",
    "format_p",
    "frame_sha256",
    "is_complete",
    "manifest",
    "methods_docx",
    "methods_sections",
    "methods_text",
    "package_versions",
    "plain_verdicts",
    "results_folder",
    "table1",
    "to_docx",
    "write_manifest",
    "write_report",
]
