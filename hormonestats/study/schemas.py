"""Pandera schemas of the study tables, compiled from a contract.

Each table gets a ``pandera.pandas.DataFrameSchema`` with its base columns (docs/architecture.md, and
``schemas/README.md``), the contract's allowed values and the contract's extra columns.
Schemas never coerce: a failing cell is reported, not changed. Checks are element-wise so that
every failing row is named; text in a numeric column is one failure per offending cell.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .table_columns import BASE_COLUMNS, SEXES, _Col, key_columns

__all__ = ["BASE_COLUMNS", "SEXES", "build_schemas", "key_columns"]

_TRUE_FALSE = {"true", "false", "1", "0", "yes", "no", "t", "f", "y", "n"}


# ---------------------------------------------------------------- element-wise check functions
def _as_number(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    return pd.to_numeric(s, errors="coerce")


def _is_number(s: pd.Series) -> pd.Series:
    return _as_number(s).notna()


def _is_integer(s: pd.Series) -> pd.Series:
    num = _as_number(s)
    return num.notna() & (num.round() == num)


def _is_bool(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(True, index=s.index)
    return s.map(lambda v: isinstance(v, bool) or str(v).strip().lower() in _TRUE_FALSE)


def _is_time(s: pd.Series) -> pd.Series:
    # clock times became minutes when the study was built (study.conform); what is left must
    # be a number: a column mixing minutes and clock times cannot be read one way
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return pd.Series(True, index=s.index)
    from .conform import TIME_COLUMNS, clock_times_to_minutes

    table = next((t for t, cols in TIME_COLUMNS.items() if s.name in cols), None)
    if table is not None:
        s = clock_times_to_minutes(table, s.to_frame())[s.name]
    return pd.to_numeric(s, errors="coerce").notna()


def _is_date(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return pd.Series(True, index=s.index)
    if pd.api.types.is_numeric_dtype(s):  # a bare number is not a date
        return pd.Series(False, index=s.index)
    number = pd.to_numeric(s, errors="coerce").notna()
    return pd.to_datetime(s, errors="coerce", format="mixed").notna() & ~number


def _is_reading(s: pd.Series) -> pd.Series:
    from .readings import parse_readings

    return ~parse_readings(s)["unparsed"]


def _checks_for(col: _Col, values: tuple | None) -> list[pa.Check]:
    checks: list[pa.Check] = []
    kind = col.kind
    if kind in ("float", "int"):
        checks.append(pa.Check(_is_number, element_wise=False, error="a number"))
        if kind == "int":
            checks.append(pa.Check(_is_integer, error="a whole number"))
    elif kind == "bool":
        checks.append(pa.Check(_is_bool, error="true/false"))
    elif kind == "time":
        checks.append(pa.Check(_is_time, error="minutes or clock times such as 08:30 (not "
                               "both in one column)"))
    elif kind == "date":
        checks.append(pa.Check(_is_date, error="a date"))
    elif kind == "reading":
        checks.append(
            pa.Check(_is_reading, error="a number or a censored reading such as '<0.5' or 'ND'")
        )
    if col.min is not None:
        lo = col.min
        checks.append(
            pa.Check(lambda s, lo=lo: ~(_as_number(s) < lo), error=f"at least {lo:g}")
        )
    if col.max is not None:
        hi = col.max
        checks.append(
            pa.Check(lambda s, hi=hi: ~(_as_number(s) > hi), error=f"at most {hi:g}")
        )
    allowed = values if values is not None else col.values
    if allowed is not None:
        allowed_text = tuple(str(v) for v in allowed)
        checks.append(
            pa.Check(
                lambda s, a=allowed_text: s.astype(str).isin(a),
                error=f"one of: {', '.join(allowed_text)}",
            )
        )
    return checks


def _contract_values(table: str, column: str, contract) -> tuple | None:
    if table == "samples" and column == "analyte" and contract.analytes:
        return tuple(contract.analytes)
    if table == "samples" and column == "matrix" and contract.analytes:
        return tuple(sorted({m for a in contract.analytes.values() for m in a.matrices}))
    if table == "genotypes" and column == "snp" and contract.snps:
        return tuple(contract.snps)
    if table == "responses" and column == "instrument" and contract.instruments:
        return tuple(contract.instruments)
    if table == "treatments" and column == "agent":
        from ..registry.agents import AGENTS

        return tuple(contract.agents) if contract.agents else tuple(AGENTS)
    if table == "treatments" and column == "route":
        from ..registry.agents import ROUTES

        return ROUTES
    if table == "subjects" and column == "contraception":
        try:
            from ..registry.contraception import CONTRACEPTION
        except ImportError:  # pragma: no cover - cycle module is part of the package
            return None
        return tuple(CONTRACEPTION)
    return None


def build_schemas(contract, *, readings: bool = True) -> dict[str, pa.DataFrameSchema]:
    """One pandera schema per table the contract names.

    ``readings=False`` leaves the check of assay readings out (validation parses the readings
    once and reports what cannot be read itself).

    Uniqueness of row keys is checked separately (see ``validation``) so that the report can name
    each duplicated key once, with all its rows.
    """
    out = {}
    for table in contract.tables:
        columns: dict[str, pa.Column] = {}
        for col in BASE_COLUMNS[table]:
            values = _contract_values(table, col.name, contract)
            checks = _checks_for(col, values) if readings or col.kind != "reading" else []
            columns[col.name] = pa.Column(
                dtype=None,
                checks=checks,
                nullable=col.nullable,
                required=col.required,
                coerce=False,
            )
        for spec in contract.columns.get(table, {}).values():
            col = _Col(spec.name, spec.dtype, required=spec.required, nullable=spec.nullable,
                       min=spec.min, max=spec.max, values=spec.values)
            columns[spec.name] = pa.Column(
                dtype=None, checks=_checks_for(col, None), nullable=spec.nullable,
                required=spec.required, coerce=False,
            )
        out[table] = pa.DataFrameSchema(columns=columns, name=table, strict=False, coerce=False)
    return out
