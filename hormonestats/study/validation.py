"""Validate a study against its contract, collecting every failure at once.

``validate(study)`` runs the pandera schemas of every table (lazily: all failures, not the
first) and then the checks across tables; it returns a :class:`ValidationReport` and never
changes the study's tables. Failures make ``report.ok`` false; warnings (values outside the
generous plausible ranges, unextracted plasma oxytocin, salivary estradiol by immunoassay) are
reported but do not.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..errors import ValidationError
from .schemas import key_columns

__all__ = ["FAILURE_COLUMNS", "ValidationReport", "validate"]

FAILURE_COLUMNS = ["table", "column", "row", "subject_id", "check", "value", "message"]

#: Column names that look like direct identifiers (matched on the lower-cased name).
IDENTIFIER_PATTERNS = {
    "name": r"^(first_?|last_?|full_?|given_?|family_?|sur)?name$|^(fore|sur)name$",
    "e-mail": r"e_?mail",
    "birth date": r"birth|^dob$|date_of_birth",
    "phone": r"phone|^tel(ephone)?$|mobile",
    "address": r"address|street|postcode|zip_?code|^zip$",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


@dataclass(frozen=True)
class ValidationReport:
    """What ``validate`` found: every failure and warning, as tidy tables.

    Attributes
    ----------
    failures : DataFrame
        One row per failing cell or row: table, column, row (the table's row index, 0-based),
        subject_id, check, value, message.
    warnings : DataFrame
        Same columns; things worth a look that do not fail validation.
    n_rows : dict
        Rows per table checked.
    """

    study_name: str
    failures: pd.DataFrame
    warnings: pd.DataFrame
    n_rows: dict

    @property
    def ok(self) -> bool:
        return self.failures.empty

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationError` (carrying this report) if anything failed."""
        if not self.ok:
            raise ValidationError(self.summary(), report=self)

    def by_check(self) -> pd.DataFrame:
        """Failures counted by table, column and check, with the rows involved."""
        if self.failures.empty:
            return pd.DataFrame(columns=["table", "column", "check", "n", "rows"])
        g = self.failures.groupby(["table", "column", "check"], sort=False, dropna=False)
        return g.agg(n=("message", "size"), rows=("row", _rows_text)).reset_index()

    def summary(self, max_per_check: int = 10) -> str:
        """Readable text: failures grouped by table and check, with row numbers."""
        sizes = ", ".join(f"{t} {n}" for t, n in self.n_rows.items())
        if self.ok:
            head = f"Study {self.study_name!r}: valid ({sizes} rows)."
        else:
            head = (f"Study {self.study_name!r}: {len(self.failures)} problem(s) in "
                    f"{self.failures['table'].nunique()} table(s) ({sizes} rows).")
        lines = [head]
        if not self.ok:
            lines.append("Rows are counted from 0 in each table (in a csv file, row r is on "
                         "line r + 2, after the header).")
        for table, part in self.failures.groupby("table", sort=False):
            lines.append(f"\n[{table}]")
            for (column, check), grp in part.groupby(["column", "check"], sort=False,
                                                      dropna=False):
                where = f"{column}: " if isinstance(column, str) and column else ""
                lines.append(f"  {where}{check} ({len(grp)})")
                for msg in grp["message"].head(max_per_check):
                    lines.append(f"    - {msg}")
                if len(grp) > max_per_check:
                    lines.append(f"    ... and {len(grp) - max_per_check} more")
        if not self.warnings.empty:
            lines.append(f"\nWarnings ({len(self.warnings)}):")
            for (table, check), grp in self.warnings.groupby(["table", "check"], sort=False):
                lines.append(f"  [{table}] {check} ({len(grp)}): {grp['message'].iloc[0]}")
        return "\n".join(lines)

    def to_json(self) -> str:
        """Failures and warnings as JSON (records)."""
        def records(frame):
            return json.loads(frame.astype(object).where(frame.notna(), None)
                              .to_json(orient="records", default_handler=str))
        return json.dumps({"study": self.study_name, "ok": self.ok, "n_rows": self.n_rows,
                           "failures": records(self.failures),
                           "warnings": records(self.warnings)}, indent=2)

    def _repr_html_(self) -> str:
        status = "valid" if self.ok else f"{len(self.failures)} problem(s)"
        parts = [f"<h4>Validation of {html.escape(self.study_name)}: {status}</h4>"]
        if not self.ok:
            parts.append(self.failures.to_html(index=False, max_rows=200))
        if not self.warnings.empty:
            parts.append(f"<p><b>Warnings</b> ({len(self.warnings)})</p>")
            parts.append(self.warnings.to_html(index=False, max_rows=50))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return self.summary()


def _rows_text(rows) -> str:
    vals = [str(r) for r in rows if r is not None and not (isinstance(r, float) and np.isnan(r))]
    return ", ".join(vals[:20]) + (f" (+{len(vals) - 20})" if len(vals) > 20 else "")


class _Collector:
    def __init__(self):
        self.failures: list[dict] = []
        self.warnings: list[dict] = []

    def add(self, table, column, frame, rows, check, values, messages, *, warning=False):
        target = self.warnings if warning else self.failures
        for row, value, msg in zip(rows, values, messages):
            sid = None
            if frame is not None and row is not None and "subject_id" in frame.columns:
                try:
                    sid = frame.at[row, "subject_id"]
                except KeyError:
                    sid = None
            target.append({"table": table, "column": column, "row": row, "subject_id": sid,
                           "check": check, "value": None if value is None else str(value),
                           "message": msg})

    def frame(self, which) -> pd.DataFrame:
        rows = self.failures if which == "failures" else self.warnings
        out = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
        out["row"] = out["row"].astype("object")
        return out


def _line(table: str, row) -> str:
    return f"{table} row {row}"


# ------------------------------------------------------------------------------- schema checks
def _schema_failures(col: _Collector, table: str, frame: pd.DataFrame, schema) -> None:
    try:
        schema.validate(frame, lazy=True, inplace=False)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        for rec in cases.to_dict("records"):
            column = rec.get("column")
            check = str(rec.get("check"))
            value = rec.get("failure_case")
            row = rec.get("index")
            row = None if row is None or (isinstance(row, float) and np.isnan(row)) else row
            if check == "column_in_dataframe":
                col.add(table, value, None, [None], "required column",
                        [None], [f"{table}: required column '{value}' is missing"])
            elif check.startswith("not_nullable"):
                col.add(table, column, frame, [row], "missing value", [None],
                        [f"{_line(table, row)}: '{column}' is empty; a value is required"])
            else:
                col.add(table, column, frame, [row], f"must be {check}", [value],
                        [f"{_line(table, row)}: '{column}' is {value!r}; expected {check}"])


def _duplicates(col: _Collector, table: str, frame: pd.DataFrame) -> None:
    keys = key_columns(table, frame)
    if not keys:
        return
    dup = frame.duplicated(subset=keys, keep=False)
    if not dup.any():
        return
    for _, grp in frame.loc[dup].groupby(keys, dropna=False, sort=False):
        rows = list(grp.index)
        key_text = ", ".join(f"{k}={grp.iloc[0][k]!r}" for k in keys if pd.notna(grp.iloc[0][k]))
        col.add(table, "+".join(keys), frame, rows, "duplicate key", [key_text] * len(rows),
                [f"{_line(table, r)}: duplicate of rows {', '.join(map(str, rows))} ({key_text})"
                 for r in rows])


# ------------------------------------------------------------------------ cross-table checks
def _roster(col: _Collector, tables: dict) -> None:
    from .readings import control_mask

    subjects = tables.get("subjects")
    if subjects is None or "subject_id" not in subjects.columns:
        return
    roster = set(subjects["subject_id"].dropna().astype(str))
    for table, frame in tables.items():
        if table == "subjects" or "subject_id" not in frame.columns:
            continue
        ids = frame["subject_id"]
        mask = ids.notna() & ~ids.astype(str).isin(roster)
        if table == "samples":
            mask &= ~control_mask(frame)
        if mask.any():
            rows = list(frame.index[mask])
            col.add(table, "subject_id", frame, rows, "unknown subject", ids[mask].tolist(),
                    [f"{_line(table, r)}: subject_id {ids[r]!r} is not in the subjects table"
                     for r in rows])


def _samples(col: _Collector, frame: pd.DataFrame, contract) -> None:
    from ..errors import ContractError
    from ..registry.analytes import get_analyte
    from ..registry.units import normalize_unit, unit_allowed
    from .readings import control_mask, parse_readings

    if not {"analyte", "value", "unit"} <= set(frame.columns):
        return
    lod = pd.to_numeric(frame["lod"], errors="coerce") if "lod" in frame.columns else None
    parsed = parse_readings(frame["value"], lod=lod)
    value = parsed["value"]
    controls = control_mask(frame)

    # unit valid for the analyte (registry) and as the contract declares
    for (analyte, unit), grp in frame.groupby(["analyte", "unit"], dropna=False, sort=False):
        if pd.isna(analyte) or pd.isna(unit):
            continue
        try:
            reg = get_analyte(str(analyte))
        except ContractError:
            continue  # reported by the schema (not an analyte of the contract)
        spec = contract.analytes.get(reg.name)
        rows = list(grp.index)
        if not unit_allowed(reg.name, str(unit)):
            col.add("samples", "unit", frame, rows, "unit not valid for analyte", [unit] * len(rows),
                    [f"{_line('samples', r)}: unit {unit!r} is not a unit of {reg.name}; "
                     f"allowed: {', '.join(reg.units)}" for r in rows])
        elif spec is not None and not any(
            normalize_unit(unit) == normalize_unit(u) for u in spec.units
        ):
            col.add("samples", "unit", frame, rows, "unit differs from contract",
                    [unit] * len(rows),
                    [f"{_line('samples', r)}: {reg.name} in {unit!r}; the contract expects "
                     f"{', '.join(spec.units)}" for r in rows])
        # matrix allowed for this analyte
        if spec is not None and "matrix" in frame.columns:
            bad = grp["matrix"].notna() & ~grp["matrix"].astype(str).isin(spec.matrices)
            if bad.any():
                rws = list(grp.index[bad])
                col.add("samples", "matrix", frame, rws, "matrix not in contract",
                        grp.loc[bad, "matrix"].tolist(),
                        [f"{_line('samples', r)}: {reg.name} in {frame.at[r, 'matrix']!r}; the "
                         f"contract allows {', '.join(spec.matrices)}" for r in rws])
        # range bounds from the contract (in the declared unit)
        if spec is not None and spec.range is not None and unit_allowed(reg.name, str(unit)):
            lo, hi = spec.range
            vals = value.loc[grp.index]
            out = (vals < lo) | (vals > hi)
            if out.any():
                rws = list(grp.index[out])
                col.add("samples", "value", frame, rws, "outside contract range",
                        vals[out].tolist(),
                        [f"{_line('samples', r)}: {reg.name} {vals[r]:g} {unit} is outside "
                         f"[{lo:g}, {hi:g}]" for r in rws], warning=not spec.enforce_range)
        elif unit_allowed(reg.name, str(unit)) and "matrix" in frame.columns:
            _plausible(col, frame, grp, value, reg, unit)

    neg = value < 0
    if neg.any():
        rows = list(frame.index[neg])
        col.add("samples", "value", frame, rows, "negative concentration", value[neg].tolist(),
                [f"{_line('samples', r)}: concentration {value[r]:g} is negative" for r in rows])
    if lod is not None:
        flag = None
        if "below_lod" in frame.columns:
            flag = frame["below_lod"].map(lambda v: str(v).strip().lower() in ("true", "1", "yes"))
        below = (value < lod) & ~controls
        if flag is not None:
            below &= ~flag
        if below.any():
            rows = list(frame.index[below])
            col.add("samples", "value", frame, rows, "below LOD not flagged",
                    value[below].tolist(),
                    [f"{_line('samples', r)}: reading {value[r]:g} is below its LOD "
                     f"{lod[r]:g} but not flagged (write '<LOD' or set below_lod)" for r in rows])
    _time_order(col, frame)
    _assay_warnings(col, frame, contract)


def _plausible(col, frame, grp, value, reg, unit) -> None:
    from ..errors import UnitError
    from ..registry.units import convert

    for mtx, sub in grp.groupby("matrix", sort=False):
        bounds = reg.plausible.get(str(mtx))
        if not bounds:
            continue
        vals = value.loc[sub.index]
        try:
            canonical = reg.canonical_for(str(mtx))
            canon = convert(vals, reg.name, unit, canonical)
        except UnitError:  # a bad unit is reported by the unit check
            continue
        out = (canon < bounds[0]) | (canon > bounds[1])
        if out.any():
            rws = list(sub.index[out])
            col.add("samples", "value", frame, rws, "implausible value", vals[out].tolist(),
                    [f"{_line('samples', r)}: {reg.name} {vals[r]:g} {unit} in {mtx} is outside "
                     f"the plausible range {bounds[0]:g}-{bounds[1]:g} {canonical}"
                     for r in rws], warning=True)


def _time_order(col: _Collector, frame: pd.DataFrame) -> None:
    if not {"sample_number", "sample_time"} <= set(frame.columns):
        return
    keys = [k for k in ("subject_id", "session", "analyte", "matrix", "replicate", "plate_id")
            if k in frame.columns]
    num = pd.to_numeric(frame["sample_number"], errors="coerce")
    t = pd.to_numeric(frame["sample_time"], errors="coerce")
    if t.isna().all():
        t = pd.to_datetime(frame["sample_time"], errors="coerce", format="mixed")
    work = pd.DataFrame({"n": num, "t": t}, index=frame.index)
    for k in keys:
        work[k] = frame[k]
    work = work.dropna(subset=["n", "t"])
    if work.empty:
        return
    for _, grp in work.groupby(keys, dropna=False, sort=False):
        g = grp.sort_values("n")
        bad = g["t"].diff() < pd.Timedelta(0) if pd.api.types.is_datetime64_any_dtype(g["t"]) \
            else g["t"].diff() < 0
        if bad.any():
            rows = list(g.index[bad.to_numpy()])
            col.add("samples", "sample_time", frame, rows, "sample times out of order",
                    g.loc[rows, "t"].tolist(),
                    [f"{_line('samples', r)}: sample {int(g.at[r, 'n'])} is timed before the "
                     "sample scheduled ahead of it in the same session" for r in rows])


def _assay_warnings(col: _Collector, frame: pd.DataFrame, contract) -> None:
    if "matrix" not in frame.columns:
        return
    analyte = frame["analyte"].astype(str)
    matrix = frame["matrix"].astype(str)
    if "extracted" in frame.columns:
        extracted = frame["extracted"].map(lambda v: str(v).strip().lower() in ("true", "1", "yes"))
        mask = (analyte == "oxytocin") & matrix.isin(["plasma", "serum"]) & ~extracted
        if mask.any():
            rows = list(frame.index[mask])
            col.add("samples", "extracted", frame, rows, "unextracted plasma oxytocin",
                    [None] * len(rows),
                    ["oxytocin measured in unextracted plasma/serum by immunoassay can read "
                     ">100x extracted values and not correlate with them (Szeto et al. 2011; "
                     "McCullough et al. 2013)"] * len(rows), warning=True)
    if "method" in frame.columns:
        mask = (analyte == "estradiol") & (matrix == "saliva") & (
            frame["method"].astype(str) == "immunoassay")
        if mask.any():
            rows = list(frame.index[mask])[:1]
            col.add("samples", "method", frame, rows, "salivary estradiol by immunoassay",
                    [None], ["salivary estradiol immunoassays track cycle phase poorly "
                             "(Arslan et al. 2023); prefer LC-MS/MS or serum for phase "
                             f"({int(mask.sum())} readings)"], warning=True)


def _genotypes(col: _Collector, frame: pd.DataFrame, contract) -> None:
    from .genotype_calls import genotype_problems

    if not {"snp", "genotype"} <= set(frame.columns):
        return
    known = frame["snp"].astype(str).isin(list(contract.snps)) if contract.snps else \
        pd.Series(True, index=frame.index)
    strand = {rsid: spec.strand for rsid, spec in contract.snps.items()}
    problems = genotype_problems(frame.loc[known], strand=strand or None)
    if len(problems):
        rows = problems["row"].tolist()
        col.add("genotypes", "genotype", frame, rows, "alleles not those of the SNP",
                problems["value"].tolist(),
                [f"{_line('genotypes', r)}: {m}" for r, m in zip(rows, problems["message"])])


def _responses(col: _Collector, frame: pd.DataFrame, contract) -> None:
    if "instrument" not in frame.columns:
        return
    for name, spec in contract.instruments.items():
        part = frame.loc[frame["instrument"].astype(str) == name]
        if part.empty:
            continue
        instrument = contract.instrument(name)
        kwargs = {"endowment": spec.endowment} if spec.endowment is not None else {}
        problems = instrument.check_responses(part, **kwargs)
        if len(problems):
            col.add("responses", "response", frame, problems["row"].tolist(),
                    f"outside {name} definition", problems["value"].tolist(),
                    [f"{_line('responses', r)}: {m}" for r, m in
                     zip(problems["row"], problems["message"])])


def _identifiers(col: _Collector, tables: dict, contract) -> None:
    allowed = set(contract.identifiers_allowed)
    for table, frame in tables.items():
        for column in frame.columns:
            if column in allowed:
                continue
            low = str(column).strip().lower().replace(" ", "_").replace("-", "_")
            kind = next((k for k, pat in IDENTIFIER_PATTERNS.items() if re.search(pat, low)),
                        None)
            if kind is None and frame[column].dtype != object and not \
                    pd.api.types.is_string_dtype(frame[column]):
                continue
            if kind is None:
                sample = frame[column].dropna().astype(str).head(200)
                if len(sample) and sample.map(lambda v: bool(_EMAIL.match(v))).mean() > 0.5:
                    kind = "e-mail"
            if kind is not None:
                col.add(table, column, None, [None], "direct identifier", [None],
                        [f"{table}: column '{column}' looks like a direct identifier ({kind}); "
                         "remove it or list it under identifiers_allowed in the contract"])


def validate(study) -> ValidationReport:
    """Check every table of a study against its contract; collect all failures.

    Parameters
    ----------
    study : Study
        From :func:`hormonestats.read_study`, :func:`hormonestats.read_dataset` or
        :func:`hormonestats.simulate_study`.

    Returns
    -------
    ValidationReport
        ``.ok``, ``.failures``, ``.warnings``, ``.summary()``, ``.raise_for_errors()``.

    Examples
    --------
    >>> import hormonestats as hs
    >>> report = hs.validate(hs.read_dataset("example_study"))
    >>> report.ok
    True
    """
    contract = study.contract
    tables = dict(study.tables)
    col = _Collector()
    schemas = contract.schemas()
    for table, frame in tables.items():
        if table in schemas:
            _schema_failures(col, table, frame, schemas[table])
        if table in ("subjects", "samples", "genotypes", "responses", "treatments", "cycles"):
            _duplicates(col, table, frame)
    _roster(col, tables)
    if "samples" in tables:
        _samples(col, tables["samples"], contract)
    if "genotypes" in tables:
        _genotypes(col, tables["genotypes"], contract)
    if "responses" in tables:
        _responses(col, tables["responses"], contract)
    _identifiers(col, tables, contract)
    failures = col.frame("failures")
    warnings = col.frame("warnings")
    return ValidationReport(
        study_name=contract.name,
        failures=failures,
        warnings=warnings,
        n_rows={t: len(f) for t, f in tables.items()},
    )
