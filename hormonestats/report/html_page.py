"""report.html: one self-contained page, ordered for a reader, that also prints well.

Order: the study in one paragraph (and its sample, Table 1), the hypothesis family with
plain-language verdicts, the figures, assay and genotype quality control, the methods, then the
appendix tables; tables too long to read inline (the full analysis table) are offered as CSV
downloads embedded in the page. Tables and figures carry numbered captions in words, every
table a note that explains its columns. Images and downloads are data URIs, so the one file is
the whole report; wide tables scroll inside their box.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

import pandas as pd

from .apa import apa_table
from .columns import column_notes

__all__ = ["CAPTIONS", "SECTIONS", "page"]

#: Section of each known table; unknown tables go to the appendix.
SECTIONS = {
    "table1": "study",
    "hypotheses": "results",
    "lod_summary": "qc",
    "intra_assay_cv": "qc",
    "inter_assay_cv": "qc",
    "sample_accounting": "qc",
    "genotype_qc": "qc",
    "genotype_qc_by_ancestry": "qc",
    "reliability": "qc",
    "sampling_reliability": "qc",
    "qc_lod": "qc",
    "qc_cv": "qc",
    "equivalence": "results",
    "checklist": "checklists",
    "deviations": "preregistration",
}

#: Captions in words for the tables and figures a canned analysis writes.
CAPTIONS = {
    "table1": "Sample characteristics",
    "deviations": "Deviations from the pre-registered plan (fill in the reason column)",
    "hypotheses": "Tests of the registered hypotheses, with the false discovery rate controlled "
                  "across the family",
    "sensitivity": "The hypothesis tests under other processing choices (LOD policies, "
                   "winsorising)",
    "lod_summary": "Readings below the limit of detection, by analyte",
    "intra_assay_cv": "Intra-assay coefficients of variation, by plate",
    "inter_assay_cv": "Inter-assay coefficients of variation of the plate controls",
    "sample_accounting": "Assay wells from input to analysed samples",
    "genotype_qc": "Genotype quality control, by SNP",
    "genotype_qc_by_ancestry": "Genotype quality control within ancestry groups",
    "reliability": "Internal consistency of the instruments",
    "sampling_reliability": "Reliability of repeated hormone sampling: intraclass correlation of a "
                            "random-intercept model, Shrout–Fleiss ICC1 and ICC1k with 95% F-based "
                            "intervals, and the samples per person needed for a reliability of "
                            "0.8 (Spearman–Brown)",
    "analysis_table": "The analysis table (one row per participant and session)",
    "equivalence": "Equivalence regions of the predicted effects that were not significant: the "
                   "smallest symmetric bounds the two one-sided tests would establish (Lakens, "
                   "2017)",
    "checklist": "Reporting checklist: items of the cortisol awakening consensus (Stalder et "
                 "al., 2016), the intranasal oxytocin items (Guastella et al., 2013), the "
                 "menstrual-cycle guidelines (Schmalenberger et al., 2021) and the assay items",
    "forest": "Estimates of the hypothesis family with 95% confidence intervals (filled: "
              "significant after FDR adjustment)",
    "qc_lod": "Percentage of readings below the limit of detection, by analyte",
    "qc_cv": "Intra-assay coefficient of variation by plate, one panel per analyte (dashed "
             "line: acceptance limit)",
}

_FIGURE_PATTERNS = (
    (r"(.+)_interaction", "Predicted outcome across {x} at levels of the moderator, hypothesis "
                          "“{h}” (bands or bars: 95% confidence intervals)"),
    (r"(.+)_johnson_neyman", "Johnson–Neyman plot for hypothesis “{h}”: the slope across the "
                             "observed moderator range with its 95% confidence band"),
    (r"(.+)_paths", "Mediation paths for hypothesis “{h}” (unstandardised estimates, 95% CIs)"),
    (r"model_(.+)", "Model coefficients for hypothesis “{h}”"),
)

#: rows or columns beyond which a table is offered as a download instead of shown inline
MAX_INLINE_ROWS = 60
MAX_INLINE_COLUMNS = 16

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.5; }
h1 { font-size: 1.7rem; margin-bottom: 0.4rem; } h2 { margin-top: 2.4rem; }
p.study { font-size: 1.05rem; }
.table-block { margin: 1.4rem 0; max-width: 100%; }
.table-wrap { overflow-x: auto; max-width: 100%; }
p.caption { margin: 0 0 0.3rem 0; } p.caption i { font-style: italic; }
p.note { font-size: 0.85rem; margin: 0.3rem 0 0 0; color: #333; }
table.apa-table { border-collapse: collapse; font-size: 0.9rem; }
table.apa-table thead th { border-top: 2px solid #222; border-bottom: 1px solid #222;
                           padding: 0.25rem 0.6rem; font-weight: normal; white-space: nowrap; }
table.apa-table tbody tr:last-child td { border-bottom: 2px solid #222; }
table.apa-table td { padding: 0.2rem 0.6rem; vertical-align: top; }
table.apa-table td.num { text-align: right; font-variant-numeric: tabular-nums;
                         white-space: nowrap; }
figure { margin: 1.6rem 0; max-width: 100%; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { margin-top: 0.3rem; }
ul.verdicts li { margin-bottom: 0.6rem; }
ul.verdicts .claim { color: #444; font-size: 0.92rem; }
.outcome-supported { color: #0b6e4f; } .outcome-contradicted { color: #b3261e; }
a.download { font-weight: 600; }
@media print {
  body { max-width: none; margin: 0; font-size: 10.5pt; }
  .table-wrap { overflow: visible; }
  table.apa-table { font-size: 8.5pt; }
  figure, .table-block, ul.verdicts li { break-inside: avoid; }
  h2 { break-after: avoid; }
  a.download::after { content: " (in the results folder: " attr(data-file) ")"; }
}
""".strip()


def caption_for(name: str, captions: Mapping[str, str] | None = None) -> str:
    """The caption of a table or figure: given, known, from its name pattern, or its name."""
    if captions and name in captions:
        return str(captions[name])
    if name in CAPTIONS:
        return CAPTIONS[name]
    for pattern, words in _FIGURE_PATTERNS:
        match = re.fullmatch(pattern, name)
        if match:
            return words.format(h=match[1], x="the predictor")
    return name.replace("_", " ").capitalize()


def flow_table(accounting: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """One row per table: rows in, excluded and analysed (from exclusion_accounting)."""
    rows = []
    for name, acc in accounting:
        n = dict(zip(acc["stage"], acc["n"]))
        excluded = int(acc.loc[acc["stage"] == "excluded", "n"].sum())
        rows.append({"table": name or "data", "n_input": int(n.get("input", 0)),
                     "n_excluded": excluded, "n_analysed": int(n.get("analysed", 0))})
    return pd.DataFrame(rows, columns=["table", "n_input", "n_excluded", "n_analysed"])


def grouped_exclusions(summary: pd.DataFrame) -> pd.DataFrame:
    """The exclusion summary with reasons that differ only in their numbers merged (e.g. one
    row for every "replicate CV k% > max_cv 15%"), for reading; the CSV keeps every reason."""
    if summary.empty:
        return summary
    pattern = summary["reason"].astype(str).str.replace(r"\d+(\.\d+)?", "#", regex=True)
    keyed = summary.assign(_pattern=pattern)
    out = []
    for _key, part in keyed.groupby(["step", "table", "action", "_pattern"], sort=False):
        first = part.iloc[0]
        reason = str(first["reason"])
        if len(part) > 1:
            reason += f" (and {len(part) - 1} similar)"
        out.append({"step": first["step"], "table": first["table"], "action": first["action"],
                    "reason": reason, "n_rows": int(part["n_rows"].sum()),
                    "n_subjects": int(part["n_subjects"].sum())})
    return pd.DataFrame(out, columns=list(summary.columns))


def _inline(frame: pd.DataFrame) -> bool:
    return len(frame) <= MAX_INLINE_ROWS and frame.shape[1] <= MAX_INLINE_COLUMNS


def _table_block(number: int, caption: str, frame: pd.DataFrame, digits: int,
                 note: str | None = None) -> str:
    explained = column_notes(frame)
    note = " ".join(n for n in (note, explained) if n)
    body = apa_table(frame, digits=digits, fmt="html")
    out = [
        '<div class="table-block">',
        f'<p class="caption"><b>Table {number}.</b> <i>{html.escape(caption)}</i></p>',
        f'<div class="table-wrap">{body}</div>',
    ]
    if note:
        out.append(f'<p class="note"><i>Note.</i> {html.escape(note)}</p>')
    out.append("</div>")
    return "\n".join(out)


def _download(name: str, caption: str, frame: pd.DataFrame) -> str:
    from ..study.spreadsheet_cells import csv_text

    data = csv_text(frame).encode("utf-8")
    uri = "data:text/csv;base64," + base64.b64encode(data).decode("ascii")
    return (
        f'<li><a class="download" download="{html.escape(name)}.csv" '
        f'data-file="tables/{html.escape(name)}.csv" href="{uri}">{html.escape(caption)}</a> '
        f"(CSV, {len(frame)} rows × {frame.shape[1]} columns)</li>"
    )


def _figure_block(number: int, caption: str, png: bytes, size_in: tuple[float, float]) -> str:
    data = base64.b64encode(png).decode("ascii")
    width = max(1, round(size_in[0] * 96))  # CSS pixels: the figure at its physical size
    return (
        f'<figure><img alt="Figure {number}. {html.escape(caption)}" width="{width}" '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption><b>Figure {number}.</b> <i>{html.escape(caption)}</i></figcaption>"
        "</figure>"
    )


def _preregistration(frames, where, captions, table) -> list[str]:
    """The pre-registration section: the deviations from the plan, or that there were none
    (the caption says which plan, and whether it still matches its hash)."""
    names = [n for n in frames if where.get(n) == "preregistration"]
    if not names:
        return []
    out = ["<h2>Pre-registration and deviations</h2>"]
    for name in names:
        if len(frames[name]):
            out.append(table(name, frames[name]))
        else:
            out.append(f'<p class="prereg">{html.escape(caption_for(name, captions))}.</p>')
    return out


def page(
    *,
    title: str,
    summary: str | None,
    frames: Mapping[str, pd.DataFrame],
    figures: list[tuple[str, bytes, tuple[float, float]]],
    methods: list[tuple[str | None, str]],
    verdicts: pd.DataFrame | None,
    qc_extra: list[tuple[str, pd.DataFrame]],
    versions: Mapping[str, str],
    sections: Mapping[str, str] | None,
    captions: Mapping[str, str] | None,
    downloads: set[str] | None,
    digits: int,
) -> str:
    """The whole report.html text."""
    where = {**SECTIONS, **(sections or {})}
    number = {"table": 0}

    def table(name: str, frame: pd.DataFrame, caption: str | None = None) -> str:
        number["table"] += 1
        return _table_block(number["table"], caption or caption_for(name, captions), frame,
                            digits)

    def section_tables(section: str) -> list[str]:
        out = []
        for name, frame in frames.items():
            if where.get(name, "appendix") == section and name not in offered:
                out.append(table(name, frame))
        return out

    offered = {n for n, f in frames.items()
               if where.get(n) != "preregistration" and (
                   (downloads is not None and n in downloads)
                   or (downloads is None and not _inline(f)))}
    body = [f"<h1>{html.escape(title)}</h1>"]
    if summary:
        body.append(f'<p class="study">{html.escape(summary)}</p>')
    body += section_tables("study")
    results = section_tables("results")
    if verdicts is not None or results:
        body.append("<h2>Hypotheses</h2>")
    if verdicts is not None and len(verdicts):
        items = []
        for r in verdicts.to_dict("records"):
            claim = f' <span class="claim">Claim: {html.escape(r["claim"])}</span>' if r.get(
                "claim") else ""
            outcome = str(r.get("outcome", "")).replace(" ", "-")
            items.append(
                f'<li><b>{html.escape(r["hypothesis"])}</b>: <span class="outcome-{outcome}">'
                f'{html.escape(r["verdict"])}</span>{claim}</li>'
            )
        body.append('<ul class="verdicts">\n' + "\n".join(items) + "\n</ul>")
    body += results
    body += _preregistration(frames, where, captions, table)
    number["figure"] = 0

    def figure_blocks(section: str) -> list[str]:
        out = []
        for name, png, size in figures:
            if where.get(name, "results") == section:
                number["figure"] += 1
                out.append(_figure_block(number["figure"], caption_for(name, captions), png, size))
        return out

    shown = figure_blocks("results")
    if shown:
        body.append("<h2>Figures</h2>")
        body += shown
    qc = figure_blocks("qc") + section_tables("qc")
    if qc or qc_extra:
        body.append("<h2>Assay, genotype and measurement quality</h2>")
        body += qc
        body += [table("exclusions", frame, caption) for caption, frame in qc_extra]
    checklists = section_tables("checklists")
    if checklists:
        body.append("<h2>Reporting checklists</h2>")
        body += checklists
    if methods:
        body.append("<h2>Methods</h2>")
        for stage, text in methods:
            lead = f"<b>{html.escape(stage)}.</b> " if stage else ""
            body.append(f"<p>{lead}{html.escape(text)}</p>")
    appendix = section_tables("appendix")
    if appendix or offered:
        body.append("<h2>Appendix: tables</h2>")
        body += appendix
        if offered:
            body.append("<p>Too long to read here; download as CSV (full precision):</p>")
            body.append("<ul>" + "".join(_download(n, caption_for(n, captions), frames[n])
                                         for n in frames if n in offered) + "</ul>")
    if versions:
        listed = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
        body.append(f"<h2>Software</h2><p>{html.escape(listed)}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
