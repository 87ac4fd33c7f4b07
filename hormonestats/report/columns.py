"""How each column of a tidy table is shown: header, italics, alignment, cell text, meaning.

The shared core of every table renderer (:mod:`.apa` for Markdown/HTML/LaTeX, :mod:`.docx_export`
for Word): :func:`_prepare` turns a tidy table (or a result's ``.table``) into column specs and
rows of text; the table notes explain each column in the words of :mod:`.glossary`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from .characteristics import _is_table1, _table1_display
from .glossary import TABLE_NOTES, explain_column
from .numbers import MISSING, _is_missing, format_ci, format_number, format_p

__all__ = ["COLUMN_NOTES", "as_frame", "column_notes"]

#: the glossary's short meanings for table notes (one glossary: :mod:`.glossary`)
COLUMN_NOTES = TABLE_NOTES


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
        names = _shown_names(frame, None)
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



def column_notes(table, *, columns=None, conf_level: float = 0.95) -> str:
    """One sentence explaining every shown column of an APA table, for its note.

    Examples
    --------
    >>> tab = pd.DataFrame({"term": ["x"], "estimate": [0.5], "std_error": [0.1],
    ...                     "p_value": [0.01], "conf_low": [0.3], "conf_high": [0.7]})
    >>> column_notes(tab)
    'Term = model term (× marks an interaction); b = unstandardised estimate; SE = standard error; 95% CI = confidence interval; p = p value (two-sided).'
    """
    frame = as_frame(table)
    if _is_table1(frame):
        return ("M (SD) = mean (standard deviation) of a continuous characteristic; n (%) = count "
                "(percentage of the group's non-missing values) of a category.")
    specs = _column_specs(frame, columns, 2, conf_level)
    names = _shown_names(frame, columns)
    parts = []
    for name, spec in zip(names, specs):
        meaning = TABLE_NOTES.get(name) or _glossary_meaning(name)
        if meaning is None:
            continue
        parts.append(f"{spec.header} = {meaning}")
    return "; ".join(parts) + "." if parts else ""


def _glossary_meaning(name: str) -> str | None:
    """A column without a short note, in the glossary's sentence (lower-cased)."""
    text = explain_column(name)
    if text is None:
        return None
    text = text.rstrip(".")
    return text[0].lower() + text[1:] if text[:2].istitle() else text


def _shown_names(frame: pd.DataFrame, columns) -> list[str]:
    """The column names behind :func:`_column_specs` (same order)."""
    has_ci = {"conf_low", "conf_high"} <= set(frame.columns)
    if columns is not None:
        return list(columns)
    names = [c for c in _ORDER if c in frame.columns or (c == "ci" and has_ci)]
    names += [c for c in frame.columns
              if c not in _KNOWN and c not in ("conf_low", "conf_high") and c not in names]
    if "df" in names:
        df = pd.to_numeric(frame["df"], errors="coerce").to_numpy(float)
        if not np.isfinite(df).any():
            names.remove("df")
    return names
