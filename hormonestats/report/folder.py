"""The results folder of a canned analysis: tables, figures, report.html and the manifest."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import DataError
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

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
table.apa-table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
table.apa-table caption { text-align: left; font-style: italic; padding-bottom: 0.3rem; }
table.apa-table thead th { border-top: 2px solid #222; border-bottom: 1px solid #222;
                           padding: 0.25rem 0.7rem; font-weight: normal; }
table.apa-table tbody tr:last-child td { border-bottom: 2px solid #222; }
table.apa-table td { padding: 0.2rem 0.7rem; }
table.apa-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; }
figcaption { font-style: italic; }
""".strip()


def _check_name(kind: str, name) -> str:
    name = str(name)
    if not _SAFE_NAME.match(name):
        raise DataError(
            f"{kind} name {name!r} cannot be used as a file name; use letters, digits, '_', "
            "'-' and '.', starting with a letter or digit"
        )
    return name


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
    digits: int = 2,
    dpi: int = 200,
) -> Path:
    """Write a complete, self-describing results folder atomically.

    Layout: ``tables/<name>.csv`` (full precision) and ``tables/<name>.md`` (APA),
    ``figures/<name>.png`` and ``.svg``, ``exclusion_log.csv`` and ``exclusions.csv`` (counts by
    step and reason; with ``n_input`` also ``exclusion_accounting.csv``), ``methods.md``,
    ``report.html`` (one self-contained page: figures embedded as base64 PNG),
    ``manifest.json`` and, last, the ``COMPLETE`` marker (see :func:`results_folder`).
    Re-running with the same inputs gives byte-identical CSV tables.

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
    digits, dpi : int
        Decimals in the APA tables; resolution of the PNG files.

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
    ['COMPLETE', 'coefs.csv', 'coefs.md', 'manifest.json', 'report.html']
    """
    tables = dict(tables or {})
    figures = dict(figures or {})
    frames = {_check_name("table", k): as_frame(v) for k, v in tables.items()}
    figs = {_check_name("figure", k): _figure_of(v) for k, v in figures.items()}
    accounting = _n_input_accounting(n_input, log)
    summary = exclusion_summary(log) if log is not None else None
    if manifest is None:
        from .provenance import manifest as _make_manifest

        manifest = _make_manifest()

    body = [f"<h1>{html.escape(title)}</h1>"]
    with results_folder(folder) as out:
        if frames:
            (out / "tables").mkdir()
            body.append("<h2>Tables</h2>")
        for name, frame in frames.items():
            frame.to_csv(out / "tables" / f"{name}.csv", index=False, lineterminator="\n")
            (out / "tables" / f"{name}.md").write_text(
                apa_table(frame, caption=name, digits=digits), encoding="utf-8"
            )
            body.append(apa_table(frame, caption=name, digits=digits, fmt="html"))
        if figs:
            from .plots import save

            (out / "figures").mkdir()
            body.append("<h2>Figures</h2>")
        for name, fig in figs.items():
            png, _svg = save(fig, out / "figures" / name, formats=("png", "svg"), dpi=dpi)
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(name)}</figcaption></figure>"
            )
        if methods:
            (out / "methods.md").write_text(methods.rstrip() + "\n", encoding="utf-8")
            body.append("<h2>Methods</h2>")
            body += [f"<p>{html.escape(p.strip())}</p>" for p in methods.split("\n\n") if p]
        if log is not None:
            log.to_csv(out / "exclusion_log.csv", index=False, lineterminator="\n")
            summary.to_csv(out / "exclusions.csv", index=False, lineterminator="\n")
            body.append("<h2>Exclusions</h2>")
            body.append(apa_table(summary, caption="Exclusion log by step and reason", fmt="html"))
        for tname, acc in accounting:
            suffix = f"_{tname}" if tname else ""
            acc.to_csv(out / f"exclusion_accounting{suffix}.csv", index=False, lineterminator="\n")
            caption = "Participant/sample flow" + (f" ({tname} table)" if tname else "")
            body.append(apa_table(acc, caption=caption, fmt="html"))
        versions = manifest.get("packages", {}) if isinstance(manifest, Mapping) else {}
        if versions:
            listed = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
            body.append(f"<h2>Software</h2><p>{html.escape(listed)}</p>")
        page = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n"
            + "\n".join(body)
            + "\n</body>\n</html>\n"
        )
        (out / "report.html").write_text(page, encoding="utf-8")
        write_manifest(out / "manifest.json", manifest)
    return Path(folder)
