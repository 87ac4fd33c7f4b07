"""APA-style number formatting and tables (the only place where numbers become text).

Used through :mod:`hormonestats.report` (``hs.report.apa_table``, ``hs.report.table1``). Every
function takes a tidy table (house rule 2) or a result with a ``.table`` and leaves it
untouched; the rendered text is Markdown, HTML or LaTeX.

Conventions follow the APA Publication Manual (7th ed., 2020): statistical symbols in italics,
two decimals for estimates, exact *p* values to three decimals without a leading zero and
``< .001`` below that, confidence intervals in square brackets.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, HormoneStatsError

__all__ = [
    "apa_table",
    "as_frame",
    "format_ci",
    "format_number",
    "format_p",
    "table1",
    "to_docx",
]

MISSING = "—"
_FORMATS = ("markdown", "html", "latex")


# ----------------------------------------------------------------------------- numbers
def _is_missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value, digits: int = 2) -> str:
    """A number with ``digits`` decimals; missing values become an em dash.

    Examples
    --------
    >>> format_number(1.23456), format_number(-0.0001), format_number(float("nan"))
    ('1.23', '0.00', '—')
    >>> format_number(float("inf"))
    '∞'
    """
    if _is_missing(value):
        return MISSING
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.{digits}f}"
    if re.fullmatch(r"-0\.?0*", text):  # no negative zero after rounding
        text = text[1:]
    return text


def _no_lead(text: str) -> str:
    """Drop the leading zero of a number that cannot exceed 1 (APA): 0.32 -> .32."""
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def format_p(p, digits: int = 3, *, with_p: bool = False) -> str:
    """APA *p* value: exact to ``digits`` decimals without a leading zero, ``< .001`` below.

    Parameters
    ----------
    p : float
        A probability in [0, 1]; missing gives an em dash.
    digits : int
        Decimals (APA: 2 or 3).
    with_p : bool
        Prefix ``p = `` / ``p < `` for running text.

    Examples
    --------
    >>> format_p(0.0321), format_p(0.0004), format_p(0.5), format_p(0.99999)
    ('.032', '< .001', '.500', '> .999')
    >>> format_p(0.0321, with_p=True), format_p(1e-9, with_p=True)
    ('p = .032', 'p < .001')
    """
    if _is_missing(p):
        return MISSING
    p = float(p)
    if not -1e-12 <= p <= 1 + 1e-12:
        raise HormoneStatsError(f"p value must lie in [0, 1], got {p!r}")
    floor = 10.0**-digits
    if p < floor:
        text = "< " + _no_lead(f"{floor:.{digits}f}")
    elif p > 1 - floor:
        text = "> " + _no_lead(f"{1 - floor:.{digits}f}")
    else:
        text = _no_lead(f"{p:.{digits}f}")
    if with_p:
        return "p " + text if text[0] in "<>" else "p = " + text
    return text


def format_ci(lo, hi, digits: int = 2) -> str:
    """Confidence interval in APA brackets.

    Examples
    --------
    >>> format_ci(0.1234, 1.5)
    '[0.12, 1.50]'
    >>> format_ci(float("nan"), 1.0)
    '—'
    """
    if _is_missing(lo) or _is_missing(hi):
        return MISSING
    return f"[{format_number(lo, digits)}, {format_number(hi, digits)}]"


# ----------------------------------------------------------------------------- column specs
@dataclass(frozen=True)
class _Col:
    """One rendered column: header text, italic header?, numeric alignment, cell formatter."""

    header: str
    italic: bool
    numeric: bool
    cell: Callable[[Mapping], str]


#: known columns: name -> (header, italic, kind); kinds decide the cell formatter
_KNOWN: dict[str, tuple[str, bool, str]] = {
    "hypothesis": ("Hypothesis", False, "text"),
    "family": ("Family", False, "text"),
    "equation": ("Equation", False, "text"),
    "mediator": ("Mediator", False, "text"),
    "snp": ("SNP", False, "text"),
    "analyte": ("Analyte", False, "text"),
    "matrix": ("Matrix", False, "text"),
    "plate_id": ("Plate", False, "text"),
    "instrument": ("Instrument", False, "text"),
    "scale": ("Scale", False, "text"),
    "term": ("Term", False, "term"),
    "m_label": ("Moderator level", False, "text"),
    "m_value": ("Moderator value", False, "num"),
    "estimate": ("b", True, "num"),
    "std_error": ("SE", True, "num"),
    "std_estimate": ("β", False, "num"),
    "statistic": ("t", True, "num"),
    "df": ("df", True, "df"),
    "p_value": ("p", True, "p"),
    "p_fdr": ("p (FDR)", True, "p"),
    "p_adjusted": ("p (adj.)", True, "p"),
    "hwe_p": ("p (HWE)", True, "p"),
    "partial_eta2": ("η²p", True, "num"),
    "partial_eta_sq": ("η²p", True, "num"),
    "eta2": ("η²", True, "num"),
    "f2": ("f²", True, "num"),
    "cohens_f2": ("f²", True, "num"),
    "cohens_d": ("d", True, "num"),
    "d": ("d", True, "num"),
    "r": ("r", True, "num"),
    "r2": ("R²", True, "num"),
    "delta_r2": ("ΔR²", True, "num"),
    "predicted_sign": ("Predicted sign", False, "text"),
    "agrees": ("Agrees", False, "bool"),
    "n": ("n", True, "int"),
    "n_called": ("n called", False, "int"),
    "n_below_lod": ("n < LOD", False, "int"),
    "pct_below_lod": ("% < LOD", False, "pct"),
    "call_rate": ("Call rate", False, "num3"),
    "maf": ("MAF", False, "num3"),
    "cv": ("CV (%)", False, "pct"),
    "intra_cv": ("Intra-assay CV (%)", False, "pct"),
    "inter_cv": ("Inter-assay CV (%)", False, "pct"),
    "power": ("Power", False, "num3"),
    "mc_se": ("MC SE", False, "num3"),
    "mean_estimate": ("Mean estimate", False, "num"),
    "coverage": ("Coverage", False, "num3"),
    "alpha": ("α", False, "num"),
    "omega": ("ω", False, "num"),
    "control": ("Control", False, "text"),
    "mean": ("M", True, "num"),
    "sd": ("SD", True, "num"),
    "n_samples": ("n samples", False, "int"),
    "n_plates": ("n plates", False, "int"),
    "n_items": ("Items", False, "int"),
    "omega_total": ("ω", False, "num"),
    "ci_method": ("CI method", False, "text"),
    "status": ("Status", False, "text"),
}

#: order in which known columns appear by default (unknown columns follow in table order)
_ORDER = list(_KNOWN)
_ORDER.insert(_ORDER.index("p_value"), "ci")


def as_frame(table) -> pd.DataFrame:
    """The tidy DataFrame behind ``table`` (a DataFrame, or a result with ``.table``)."""
    if isinstance(table, pd.DataFrame):
        return table
    inner = getattr(table, "table", None)
    if isinstance(inner, pd.DataFrame):
        return inner
    raise DataError(
        f"expected a DataFrame or a result with a .table DataFrame, got {type(table).__name__}"
    )


def _term_label(value) -> str:
    return MISSING if _is_missing(value) else str(value).replace(":", " × ")


def _text(value) -> str:
    if _is_missing(value):
        return MISSING
    return str(value)


def _kind_of(name: str, series: pd.Series) -> str:
    if name in _KNOWN:
        return _KNOWN[name][2]
    if name.startswith("p_") or name.endswith("_p"):
        return "p"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_numeric_dtype(series):
        return "pct" if ("pct" in name or "percent" in name) else "num"
    return "text"


def _cell_formatter(name: str, kind: str, digits: int) -> Callable[[Mapping], str]:
    if kind == "num":
        return lambda r: format_number(r[name], digits)
    if kind == "num3":
        return lambda r: format_number(r[name], max(digits, 3))
    if kind == "pct":
        return lambda r: format_number(r[name], 1)
    if kind == "p":
        return lambda r: format_p(r[name])
    if kind == "int":

        def _int(r):
            v = r[name]
            if _is_missing(v):
                return MISSING
            return str(int(v)) if float(v).is_integer() else format_number(v, digits)

        return _int
    if kind == "df":

        def _df(r):
            v = r[name]
            if _is_missing(v) or math.isinf(float(v)):
                return MISSING
            return str(int(v)) if float(v).is_integer() else format_number(v, 1)

        return _df
    if kind == "bool":
        return lambda r: MISSING if _is_missing(r[name]) else ("yes" if bool(r[name]) else "no")
    if kind == "term":
        return lambda r: _term_label(r[name])
    return lambda r: _text(r[name])


def _stat_header(frame: pd.DataFrame) -> str:
    if "df" not in frame.columns:
        return "t"
    df = pd.to_numeric(frame["df"], errors="coerce").to_numpy(float)
    finite = np.isfinite(df)
    if finite.all():
        return "t"
    if not finite.any():
        return "z"
    return "t / z"


def _column_specs(frame, columns, digits, conf_level) -> list[_Col]:
    has_ci = {"conf_low", "conf_high"} <= set(frame.columns)
    ci_col = _Col(
        f"{conf_level:.0%} CI",
        False,
        True,
        lambda r: format_ci(r["conf_low"], r["conf_high"], digits),
    )
    if columns is None:
        names = [c for c in _ORDER if c in frame.columns or (c == "ci" and has_ci)]
        names += [
            c
            for c in frame.columns
            if c not in _KNOWN and c not in ("conf_low", "conf_high") and c not in names
        ]
        if "df" in names:
            df = pd.to_numeric(frame["df"], errors="coerce").to_numpy(float)
            if not np.isfinite(df).any():
                names.remove("df")  # z tests: no df column
        headers: dict[str, str | None] = dict.fromkeys(names)
    elif isinstance(columns, Mapping):
        headers = dict(columns)
    else:
        headers = dict.fromkeys(columns)
    available = set(frame.columns) | ({"ci"} if has_ci else set())
    unknown = [c for c in headers if c not in available]
    if unknown:
        raise DataError(
            f"apa_table: column(s) {', '.join(map(repr, unknown))} not in the table; "
            f"available: {', '.join(map(str, frame.columns))}" + (", ci" if has_ci else "")
        )
    specs = []
    for name, header in headers.items():
        if name == "ci":
            specs.append(ci_col if header is None else _Col(header, False, True, ci_col.cell))
            continue
        kind = _kind_of(name, frame[name])
        default_header, italic = _KNOWN.get(name, (name.replace("_", " ").capitalize(), False))[:2]
        if name == "statistic":
            default_header = _stat_header(frame)
        specs.append(
            _Col(
                default_header if header is None else header,
                italic if header is None else False,
                kind not in ("text", "term", "bool"),
                _cell_formatter(name, kind, digits),
            )
        )
    return specs


# ----------------------------------------------------------------------------- renderers
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
        align = "".join("r" if c.numeric else "l" for c in specs)
        out = [r"\begin{table}[htbp]", r"\centering"]
        if caption:
            out.append(rf"\caption{{{_latex_escape(caption)}}}")
        out += [rf"\begin{{tabular}}{{{align}}}", r"\hline"]
        heads = [
            rf"\textit{{{_latex_escape(c.header)}}}" if c.italic else _latex_escape(c.header)
            for c in specs
        ]
        out.append(" & ".join(heads) + r" \\")
        out.append(r"\hline")
        for row in rows:
            out.append(" & ".join(_latex_escape(v) for v in row) + r" \\")
        out += [r"\hline", r"\end{tabular}"]
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


# ----------------------------------------------------------------------------- Table 1
_TABLE1_COLUMNS = ["variable", "level", "kind", "group", "n", "mean", "sd", "count", "percent"]
_ALL = "All"


def _is_table1(frame: pd.DataFrame) -> bool:
    return list(frame.columns) == _TABLE1_COLUMNS


def table1(
    subjects: pd.DataFrame,
    *,
    group: str | None = None,
    variables: Sequence[str] | None = None,
    overall: bool = True,
) -> pd.DataFrame:
    """Sample characteristics by group ("Table 1"), as a tidy frame of numbers.

    Continuous variables get ``n`` (non-missing), ``mean`` and ``sd`` (n - 1); categorical ones
    (strings, booleans, categories) one row per level with ``count`` and ``percent`` of the
    group's non-missing values. The first rows (``kind == "n"``) give each group's size. Pass
    the result to :func:`apa_table` for the familiar layout (M (SD), n (%)).

    Parameters
    ----------
    subjects : DataFrame
        One row per participant.
    group : str, optional
        Column defining the groups (e.g. arm); rows with a missing group count in "All" only.
    variables : list of str, optional
        Columns to describe. Default: every column except ``group`` and ``*_id`` columns.
    overall : bool
        Add an "All" group when ``group`` is given.

    Returns
    -------
    DataFrame
        Columns ``variable, level, kind, group, n, mean, sd, count, percent``.

    Examples
    --------
    >>> subj = pd.DataFrame({"subject_id": ["a", "b", "c", "d"], "arm": ["OT", "OT", "PL", "PL"],
    ...                      "age": [20.0, 22.0, 30.0, 34.0], "sex": ["f", "m", "f", "f"]})
    >>> t1 = table1(subj, group="arm")
    >>> t1.query("variable == 'age' and group == 'PL'")[["mean", "sd"]].to_numpy().tolist()
    [[32.0, 2.8284271247461903]]
    >>> print(apa_table(t1))  # doctest: +NORMALIZE_WHITESPACE
    | Characteristic | OT | PL | All |
    |:---|---:|---:|---:|
    | N | 2 | 2 | 4 |
    | age, M (SD) | 21.00 (1.41) | 32.00 (2.83) | 26.50 (6.61) |
    | sex, n (%) |  |  |  |
    | f | 1 (50.0) | 2 (100.0) | 3 (75.0) |
    | m | 1 (50.0) | 0 (0.0) | 1 (25.0) |
    <BLANKLINE>
    """
    if not isinstance(subjects, pd.DataFrame):
        raise DataError("table1 expects a subjects DataFrame (one row per participant)")
    if group is not None and group not in subjects.columns:
        raise DataError(
            f"table1: group column {group!r} not in the subjects table; "
            f"available: {', '.join(map(str, subjects.columns))}"
        )
    if variables is None:
        variables = [
            c
            for c in subjects.columns
            if c != group and not str(c).endswith("_id") and c != "subject"
        ]
    missing = [v for v in variables if v not in subjects.columns]
    if missing:
        raise DataError(
            f"table1: variable(s) {', '.join(map(repr, missing))} not in the subjects table; "
            f"available: {', '.join(map(str, subjects.columns))}"
        )
    groups: list[tuple[str, pd.DataFrame]] = []
    if group is None:
        groups.append((_ALL, subjects))
    else:
        col = subjects[group]
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels = [lv for lv in col.cat.categories if (col == lv).any()]
        else:
            levels = sorted(col.dropna().unique(), key=str)
        groups += [(str(lv), subjects.loc[col == lv]) for lv in levels]
        if overall:
            groups.append((_ALL, subjects))

    recs: list[dict] = []
    nan = float("nan")
    for gname, gdata in groups:
        recs.append(
            dict(
                variable="N",
                level=None,
                kind="n",
                group=gname,
                n=len(gdata),
                mean=nan,
                sd=nan,
                count=len(gdata),
                percent=nan,
            )
        )
    for var in variables:
        full = subjects[var]
        continuous = pd.api.types.is_numeric_dtype(full) and not pd.api.types.is_bool_dtype(full)
        if not continuous:
            if isinstance(full.dtype, pd.CategoricalDtype):
                levels = list(full.cat.categories)
            else:
                levels = sorted(full.dropna().unique(), key=str)
        for gname, gdata in groups:
            values = gdata[var].dropna()
            if continuous:
                v = values.astype(float)
                recs.append(
                    dict(
                        variable=str(var),
                        level=None,
                        kind="continuous",
                        group=gname,
                        n=len(v),
                        mean=float(v.mean()) if len(v) else nan,
                        sd=float(v.std(ddof=1)) if len(v) > 1 else nan,
                        count=nan,
                        percent=nan,
                    )
                )
            else:
                for lv in levels:
                    k = int((values == lv).sum())
                    recs.append(
                        dict(
                            variable=str(var),
                            level=str(lv),
                            kind="categorical",
                            group=gname,
                            n=len(values),
                            mean=nan,
                            sd=nan,
                            count=k,
                            percent=100.0 * k / len(values) if len(values) else nan,
                        )
                    )
    out = pd.DataFrame.from_records(recs, columns=_TABLE1_COLUMNS)
    return out.astype({"n": "int64"})


def _table1_display(t1: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Wide, formatted layout of a :func:`table1` frame (one text column per group)."""
    groups = list(dict.fromkeys(t1["group"]))
    rows: list[dict] = []

    def cells(part: pd.DataFrame, fn) -> dict:
        by_group = {r["group"]: fn(r) for r in part.to_dict("records")}
        return {g: by_group.get(g, MISSING) for g in groups}

    for (variable, kind), part in t1.groupby(["variable", "kind"], sort=False):
        if kind == "n":
            rows.append({"Characteristic": "N", **cells(part, lambda r: str(int(r["count"])))})
        elif kind == "continuous":
            rows.append(
                {
                    "Characteristic": f"{variable}, M (SD)",
                    **cells(
                        part,
                        lambda r: (
                            f"{format_number(r['mean'], digits)} ({format_number(r['sd'], digits)})"
                        ),
                    ),
                }
            )
        else:
            rows.append({"Characteristic": f"{variable}, n (%)", **dict.fromkeys(groups, "")})
            for level, lpart in part.groupby("level", sort=False):
                rows.append(
                    {
                        "Characteristic": str(level),
                        **cells(
                            lpart,
                            lambda r: f"{int(r['count'])} ({format_number(r['percent'], 1)})",
                        ),
                    }
                )
    return pd.DataFrame(rows, columns=["Characteristic", *groups])


def _text_specs(frame: pd.DataFrame, columns) -> list[_Col]:
    """Specs for a frame of preformatted text (Table 1 layout): first column left-aligned."""
    names = list(frame.columns) if columns is None else list(columns)
    unknown = [c for c in names if c not in frame.columns]
    if unknown:
        raise DataError(
            f"apa_table: column(s) {', '.join(map(repr, unknown))} not in the Table 1 layout; "
            f"available: {', '.join(map(str, frame.columns))}"
        )
    headers = dict(columns) if isinstance(columns, Mapping) else dict.fromkeys(names)
    return [
        _Col(headers[c] or str(c), False, c != "Characteristic", (lambda r, c=c: str(r[c])))
        for c in names
    ]


def _prepare(table, columns, digits, conf_level) -> tuple[list[_Col], list[list[str]]]:
    frame = as_frame(table)
    if _is_table1(frame):
        frame = _table1_display(frame, digits)
        specs = _text_specs(frame, columns)
    else:
        specs = _column_specs(frame, columns, digits, conf_level)
    rows = [[spec.cell(rec) for spec in specs] for rec in frame.to_dict("records")]
    return specs, rows


# ----------------------------------------------------------------------------- Word
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
