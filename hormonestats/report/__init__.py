"""Reports: APA tables, Table 1, methods text, exclusion accounting, manifest, results folders.

``hs.report`` is this package. It is the only place where numbers become text (house rule 2):

* :func:`apa_table`, :func:`format_p`, :func:`format_ci`, :func:`table1`, :func:`to_docx`
  (:mod:`.tables`);
* :func:`methods_text`, :func:`exclusion_accounting`, :func:`exclusion_summary`
  (:mod:`.methods`);
* :func:`manifest`, :func:`write_manifest`, :func:`results_folder`
  (:mod:`.provenance`);
* :func:`write_report`: everything above into one atomic results folder.

Importing this module is light: matplotlib is only imported when figures are written.

Examples
--------
>>> import hormonestats as hs
>>> hs.report.format_p(0.0004)
'< .001'
"""

from __future__ import annotations

from .folder import (
    write_report,
)
from .methods import (
    exclusion_accounting,
    exclusion_summary,
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
    format_ci,
    format_number,
    format_p,
    table1,
    to_docx,
)

__all__ = [
    "COMPLETE_MARKER",
    "apa_table",
    "exclusion_accounting",
    "exclusion_summary",
    "file_sha256",
    "format_ci",
    "format_number",
    "format_p",
    "frame_sha256",
    "is_complete",
    "manifest",
    "methods_text",
    "package_versions",
    "results_folder",
    "table1",
    "to_docx",
    "write_manifest",
    "write_report",
]
