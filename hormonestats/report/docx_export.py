"""Tables and the methods text as Word documents, through python-docx (optional extra "docx").

Tables follow the APA layout: a bold "Table N" line, the title in italics, horizontal rules
only above and below the header and at the bottom, numbers right-aligned, the note beneath.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .columns import _prepare, column_notes

__all__ = ["methods_docx", "to_docx"]


def _docx():
    try:
        import docx  # optional extra "docx"
    except ImportError as exc:
        raise ImportError(
            "to_docx needs the optional dependency python-docx; install it with "
            '`pip install "hormonestats[docx]"` (or `pip install python-docx`), or use '
            "apa_table(..., fmt='html'/'markdown'/'latex') instead"
        ) from exc
    return docx


def _checked(path, protect) -> Path:
    from .output_guard import check_output_file

    check_output_file(path, protect, what="Word file")
    return Path(path)


def _rule(cell, edges: Sequence[str], size: int = 8) -> None:
    """Draw single horizontal borders (``top``/``bottom``) on one table cell."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = cell._tc.get_or_add_tcPr()
    borders = props.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        props.append(borders)
    for edge in edges:
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:color"), "000000")
        borders.append(el)


def to_docx(tables, path, *, digits: int = 2, notes: bool = True, protect=None) -> Path:
    """Write APA tables to a Word document (needs the optional ``python-docx``).

    Parameters
    ----------
    tables : dict of str -> DataFrame or result, or a list of them
        Captions (dict keys) and tables, written in order as Table 1, Table 2, ...
    path : str or Path
        The ``.docx`` file to write.
    digits : int
        Decimals for estimates, SEs, statistics and CIs.
    notes : bool
        Add the note that explains each column under every table.

    Raises
    ------
    ImportError
        When python-docx is not installed (``pip install "hormonestats[docx]"``).
    """
    docx = _docx()
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    if not isinstance(tables, Mapping):
        tables = {f"Table {i + 1}": t for i, t in enumerate(tables)}
    document = docx.Document()
    for number, (caption, table) in enumerate(tables.items(), start=1):
        specs, rows = _prepare(table, None, digits, 0.95)
        document.add_paragraph().add_run(f"Table {number}").bold = True
        document.add_paragraph().add_run(str(caption)).italic = True
        grid = document.add_table(rows=1, cols=len(specs))
        for cell, spec in zip(grid.rows[0].cells, specs):
            run = cell.paragraphs[0].add_run(spec.header)
            run.italic = spec.italic
            _rule(cell, ("top", "bottom"))
        for values in rows:
            for cell, value, spec in zip(grid.add_row().cells, values, specs):
                cell.text = value
                if spec.numeric:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for cell in grid.rows[-1].cells:
            _rule(cell, ("bottom",))
        note = column_notes(table) if notes else ""
        if note:
            para = document.add_paragraph()
            para.add_run("Note. ").italic = True
            para.add_run(note)
        document.add_paragraph("")
    path = _checked(path, protect)
    document.save(str(path))
    return path


def methods_docx(paragraphs, path, *, heading: str = "Method", protect=None) -> Path:
    """Write a methods text to Word: a heading, then each stage's paragraph with its run-in
    heading in bold (``paragraphs`` as from :func:`hormonestats.report.methods.split_paragraphs`
    or a plain string). ``protect``: the run's inputs, never overwritten (see
    :func:`hormonestats.report.output_guard.check_output_file`)."""
    docx = _docx()
    if isinstance(paragraphs, str):
        from .methods import split_paragraphs

        paragraphs = split_paragraphs(paragraphs)
    document = docx.Document()
    document.add_heading(heading, level=1)
    for stage, text in paragraphs:
        para = document.add_paragraph()
        if stage:
            para.add_run(f"{stage}. ").bold = True
        para.add_run(text)
    path = _checked(path, protect)
    document.save(str(path))
    return path
