"""The results folder of a canned analysis: tables, figures, report.html and the manifest."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..study.spreadsheet_cells import write_csv
from .docx_export import methods_docx, to_docx
from .methods import exclusion_accounting, exclusion_summary
from .provenance import (
    results_folder,
    write_manifest,
)
from .tables import (
    apa_table,
    as_frame,
)

__all__ = ["write_report"]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

def _check_name(kind: str, name) -> str:
    name = str(name)
    if not _SAFE_NAME.match(name):
        raise DataError(
            f"{kind} name {name!r} cannot be used as a file name; use letters, digits, '_', "
            "'-' and '.', starting with a letter or digit"
        )
    return name


def _csv(frame: pd.DataFrame, path: Path) -> None:
    """A table as CSV, text cells a spreadsheet would run as formulas written inert."""
    write_csv(frame, path)


def _figure_of(obj):
    fig = getattr(obj, "figure", None) if not hasattr(obj, "savefig") else obj
    if fig is None or not hasattr(fig, "savefig"):
        raise DataError(f"expected a matplotlib Figure or Axes, got {type(obj).__name__}")
    return fig


def _n_input_accounting(n_input, log) -> list[tuple[str, pd.DataFrame]]:
    if n_input is None or log is None:
        return []
    if isinstance(n_input, Mapping):
        return [
            (str(t), exclusion_accounting(int(n), log, table=str(t))) for t, n in n_input.items()
        ]
    return [("", exclusion_accounting(int(n_input), log))]


def write_report(
    folder,
    *,
    title: str,
    tables: Mapping | None = None,
    figures: Mapping | None = None,
    methods: str | None = None,
    log: pd.DataFrame | None = None,
    manifest: Mapping | None = None,
    n_input: int | Mapping[str, int] | None = None,
    summary: str | None = None,
    verdicts: pd.DataFrame | None = None,
    captions: Mapping[str, str] | None = None,
    sections: Mapping[str, str] | None = None,
    downloads=None,
    digits: int = 2,
    dpi: int = 200,
    protect=None,
) -> Path:
    """Write a complete, self-describing results folder atomically.

    Layout: ``tables/<name>.csv`` (full precision), ``tables/<name>.md`` (APA Markdown) and
    ``tables/<name>.tex`` (LaTeX, booktabs), ``tables.docx`` (every table, APA style, when
    python-docx is installed), ``figures/<name>.png`` and ``.svg``, ``exclusion_log.csv`` and
    ``exclusions.csv`` (counts by step and reason; with ``n_input`` also
    ``exclusion_accounting.csv``), ``methods.md`` (and ``methods.docx``), ``report.html``,
    ``manifest.json`` and, last, the ``COMPLETE`` marker (see :func:`results_folder`).
    Re-running with the same inputs gives byte-identical CSV tables.

    ``report.html`` is one self-contained page ordered for a reader (see
    :mod:`hormonestats.report.html_page`): the study paragraph (``summary``) and Table 1, the
    hypotheses with plain-language ``verdicts``, the figures, the quality-control tables, the
    methods, the appendix tables; long tables are embedded as CSV downloads.

    Parameters
    ----------
    folder : str or Path
        The results folder (replaced atomically if it exists).
    title : str
        Report title.
    tables : dict of name -> DataFrame or result
        Tables to write (a result contributes its ``.table``).
    figures : dict of name -> Figure or Axes
        Figures to write (not closed).
    methods : str, optional
        Methods text (e.g. from :func:`methods_text`).
    log : DataFrame, optional
        The exclusion log.
    manifest : dict, optional
        From :func:`manifest`; a bare one (versions, time) is made when omitted.
    n_input : int or dict of table -> int, optional
        Input rows, for the CONSORT-style :func:`exclusion_accounting`.
    summary : str, optional
        The study in one paragraph, at the top of the page.
    verdicts : DataFrame, optional
        From :func:`plain_verdicts`: one line per hypothesis in words.
    captions : dict of name -> str, optional
        Captions in words for tables and figures (known names have defaults).
    sections : dict of name -> {"study", "results", "qc", "appendix"}, optional
        Where a table goes on the page (known names have defaults, others: appendix).
    downloads : collection of names, optional
        Tables offered only as CSV downloads in the page; default: those with more than 60
        rows or 16 columns.
    digits, dpi : int
        Decimals in the APA tables; resolution of the PNG files.
    protect : RunInputs or paths, optional
        The run's inputs (:mod:`hormonestats.report.output_guard`); the folder may neither
        hold one nor be, contain or lie in a data folder. The input files named in
        ``manifest`` are always protected.

    Returns
    -------
    Path
        The finished folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tab = pd.DataFrame({"term": ["x"], "estimate": [0.5], "std_error": [0.1],
    ...                     "p_value": [0.01], "conf_low": [0.3], "conf_high": [0.7]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = write_report(pathlib.Path(d, "run"), title="Demo", tables={"coefs": tab})
    ...     sorted(p.name for p in out.rglob("*") if p.is_file())
    ['COMPLETE', 'coefs.csv', 'coefs.md', 'coefs.tex', 'manifest.json', 'report.html', 'tables.docx']
    """
    from .html_page import caption_for, flow_table, grouped_exclusions, page
    from .methods import split_paragraphs

    tables = dict(tables or {})
    figures = dict(figures or {})
    frames = {_check_name("table", k): as_frame(v) for k, v in tables.items()}
    figs = {_check_name("figure", k): _figure_of(v) for k, v in figures.items()}
    accounting = _n_input_accounting(n_input, log)
    summary_log = exclusion_summary(log) if log is not None else None
    if manifest is None:
        from .provenance import manifest as _make_manifest

        manifest = _make_manifest()
    paragraphs = split_paragraphs(methods) if methods else []

    from .output_guard import manifest_inputs

    with results_folder(folder, protect=manifest_inputs(manifest, protect)) as out:
        if frames:
            (out / "tables").mkdir()
        for name, frame in frames.items():
            _csv(frame, out / "tables" / f"{name}.csv")
            caption = caption_for(name, captions)
            (out / "tables" / f"{name}.md").write_text(
                apa_table(frame, caption=caption, digits=digits), encoding="utf-8"
            )
            (out / "tables" / f"{name}.tex").write_text(
                apa_table(frame, caption=caption, digits=digits, fmt="latex"), encoding="utf-8"
            )
        if frames and _has_docx():
            to_docx({caption_for(n, captions): f for n, f in frames.items()},
                    out / "tables" / "tables.docx", digits=digits)
        pngs = []
        if figs:
            from .plots import save

            (out / "figures").mkdir()
        for name, fig in figs.items():
            png, _svg = save(fig, out / "figures" / name, formats=("png", "svg"), dpi=dpi)
            size = tuple(float(v) for v in fig.get_size_inches())
            pngs.append((name, png.read_bytes(), size))
        if methods:
            md = "\n\n".join(f"**{st}.** {tx}" if st else tx for st, tx in paragraphs)
            (out / "methods.md").write_text("# Methods\n\n" + md + "\n", encoding="utf-8")
            if _has_docx():
                methods_docx(paragraphs, out / "methods.docx")
        qc_extra = []
        if log is not None:
            _csv(log, out / "exclusion_log.csv")
            _csv(summary_log, out / "exclusions.csv")
            qc_extra.append(("Exclusion log by step and reason (reasons differing only in their "
                             "numbers merged; every reason is in exclusions.csv)",
                             grouped_exclusions(summary_log)))
        for tname, acc in accounting:
            suffix = f"_{tname}" if tname else ""
            _csv(acc, out / f"exclusion_accounting{suffix}.csv")
        if accounting:
            qc_extra.append(("Rows of each input table from input to analysis",
                             flow_table(accounting)))
        versions = manifest.get("packages", {}) if isinstance(manifest, Mapping) else {}
        text = page(
            title=title, summary=summary, frames=frames, figures=pngs, methods=paragraphs,
            verdicts=verdicts, qc_extra=qc_extra, versions=versions, sections=sections,
            captions=captions, downloads=None if downloads is None else set(downloads),
            digits=digits,
        )
        (out / "report.html").write_text(text, encoding="utf-8")
        write_manifest(out / "manifest.json", manifest)
    return Path(folder)


def _has_docx() -> bool:
    import importlib.util

    return importlib.util.find_spec("docx") is not None
