"""APA-style tables as Markdown, HTML or LaTeX (booktabs) text.

Used through :mod:`hormonestats.report` (``hs.report.apa_table``). Every function takes a tidy
table (docs/architecture.md, rule 2) or a result with a ``.table`` and leaves it untouched. Statistical symbols
are in italics, as the APA Publication Manual (7th ed., 2020) asks.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from ..errors import HormoneStatsError
from .columns import _prepare

__all__ = ["apa_table"]

_FORMATS = ("markdown", "html", "latex")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"$<$",
    ">": r"$>$",
    "—": "---",
    "∞": r"$\infty$",
    "×": r"$\times$",
    "β": r"$\beta$",
    "α": r"$\alpha$",
    "ω": r"$\omega$",
    "η": r"$\eta$",
    "Δ": r"$\Delta$",
    "²": r"$^2$",
}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _render(specs, rows, fmt, caption, note) -> str:
    if fmt == "markdown":
        out = []
        if caption:
            out += [f"*{_md_escape(caption)}*", ""]
        heads = [f"*{_md_escape(c.header)}*" if c.italic else _md_escape(c.header) for c in specs]
        out.append("| " + " | ".join(heads) + " |")
        out.append("|" + "|".join("---:" if c.numeric else ":---" for c in specs) + "|")
        for row in rows:
            out.append("| " + " | ".join(_md_escape(v) for v in row) + " |")
        if note:
            out += ["", f"*Note.* {_md_escape(note)}"]
        return "\n".join(out) + "\n"
    if fmt == "html":
        out = ['<table class="apa-table">']
        if caption:
            out.append(f"<caption>{html.escape(caption)}</caption>")
        heads = [
            f"<th><i>{html.escape(c.header)}</i></th>"
            if c.italic
            else f"<th>{html.escape(c.header)}</th>"
            for c in specs
        ]
        out.append("<thead><tr>" + "".join(heads) + "</tr></thead>")
        out.append("<tbody>")
        for row in rows:
            cells = "".join(
                f'<td class="{"num" if c.numeric else "text"}">{html.escape(v)}</td>'
                for c, v in zip(specs, row)
            )
            out.append(f"<tr>{cells}</tr>")
        out.append("</tbody>")
        if note:
            out.append(
                f'<tfoot><tr><td colspan="{len(specs)}"><i>Note.</i> {html.escape(note)}'
                "</td></tr></tfoot>"
            )
        out.append("</table>")
        return "\n".join(out) + "\n"
    if fmt == "latex":
        # booktabs rules (\toprule, \midrule, \bottomrule): needs \usepackage{booktabs}
        align = "".join("r" if c.numeric else "l" for c in specs)
        out = [r"\begin{table}[htbp]", r"\centering"]
        if caption:
            out.append(rf"\caption{{{_latex_escape(caption)}}}")
        out += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
        heads = [
            rf"\textit{{{_latex_escape(c.header)}}}" if c.italic else _latex_escape(c.header)
            for c in specs
        ]
        out.append(" & ".join(heads) + r" \\")
        out.append(r"\midrule")
        for row in rows:
            out.append(" & ".join(_latex_escape(v) for v in row) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}"]
        if note:
            out.append(rf"\par\smallskip\textit{{Note.}} {_latex_escape(note)}")
        out.append(r"\end{table}")
        return "\n".join(out) + "\n"
    raise HormoneStatsError(f"fmt must be one of {', '.join(_FORMATS)}, got {fmt!r}")


def apa_table(
    table,
    *,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    caption: str | None = None,
    note: str | None = None,
    fmt: str = "markdown",
    digits: int = 2,
    conf_level: float = 0.95,
) -> str:
    """Render a tidy table (or a result's ``.table``) as an APA-style table.

    Estimates get ``digits`` decimals, ``conf_low``/``conf_high`` merge into one bracketed CI
    column, *p* values follow :func:`format_p`, ``df`` is dropped when every test is a z test,
    and interaction terms ``x:m`` read ``x × m``. A frame from :func:`table1` is laid out as a
    sample-characteristics table (one column per group).

    Parameters
    ----------
    table : DataFrame or result
        Tidy table (``term, estimate, std_error, statistic, df, p_value, conf_low, conf_high``
        and any effect sizes), a hypothesis/power/QC table, or a result with ``.table``.
    columns : list or dict, optional
        Columns to show, in order (``"ci"`` stands for the merged CI); a dict maps each column
        to its header. Default: every column, known ones in APA order.
    caption, note : str, optional
        Table title and the note printed under the table.
    fmt : {"markdown", "html", "latex"}
    digits : int
        Decimals for estimates, SEs, statistics and CIs.
    conf_level : float
        Only used to label the CI column.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> tab = pd.DataFrame({"term": ["x", "x:m"], "estimate": [0.512, -0.2],
    ...                     "std_error": [0.1, 0.05], "statistic": [5.12, -4.0],
    ...                     "df": [96.0, 96.0], "p_value": [1e-6, 0.0321],
    ...                     "conf_low": [0.31, -0.3], "conf_high": [0.71, -0.1]})
    >>> print(apa_table(tab))
    | Term | *b* | *SE* | *t* | *df* | 95% CI | *p* |
    |:---|---:|---:|---:|---:|---:|---:|
    | x | 0.51 | 0.10 | 5.12 | 96 | [0.31, 0.71] | < .001 |
    | x × m | -0.20 | 0.05 | -4.00 | 96 | [-0.30, -0.10] | .032 |
    <BLANKLINE>
    """
    if fmt not in _FORMATS:
        raise HormoneStatsError(f"fmt must be one of {', '.join(_FORMATS)}, got {fmt!r}")
    specs, rows = _prepare(table, columns, digits, conf_level)
    return _render(specs, rows, fmt, caption, note)

