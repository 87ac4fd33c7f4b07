"""Validate a study against its contract, collecting every failure at once.

``validate(study)`` runs the pandera schemas of every table (lazily: all failures, not the
first) and then the checks across tables; it returns a :class:`ValidationReport` and never
changes the study's tables. Failures make ``report.ok`` false; warnings (values outside the
generous plausible ranges, unextracted plasma oxytocin, salivary estradiol by immunoassay) are
reported but do not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .findings import FAILURE_COLUMNS, ValidationReport, _Collector, _file_rows, _line
from .table_checks import genotype_checks, response_checks, treatment_checks
from .table_columns import key_columns

__all__ = ["CHECKS", "FAILURE_COLUMNS", "Check", "ValidationReport", "validate", "validate_part"]

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


class _KeyCodes:
    """The columns of one table as integer codes, factorised once and shared by the key checks.

    Codes follow pandas' factorisation (as ``DataFrame.duplicated`` and ``groupby`` use it):
    equal values share a code and missing values share one of their own.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._codes: dict = {}

    def codes(self, column) -> tuple[np.ndarray, pd.Index]:
        if column not in self._codes:
            self._codes[column] = pd.factorize(self.frame[column])  # missing -> -1
        return self._codes[column]

    def groups(self, columns) -> np.ndarray:
        """One integer per row, equal exactly when the rows agree on all ``columns``."""
        ids = np.zeros(len(self.frame), dtype=np.int64)
        size = 1
        for column in columns:
            codes, uniques = self.codes(column)
            k = len(uniques) + 1
            if size * k >= 2**62:  # keep the combined code inside int64
                ids, seen = pd.factorize(ids)
                ids, size = ids.astype(np.int64), len(seen)
            ids = ids * k + (codes.astype(np.int64) + 1)
            size *= k
        return ids


def _duplicates(col: _Collector, table: str, frame: pd.DataFrame, codes: _KeyCodes) -> None:
    keys = key_columns(table, frame)
    if not keys or frame.empty:
        return
    dup = pd.Series(codes.groups(keys)).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    for _, grp in frame.loc[dup].groupby(keys, dropna=False, sort=False):
        rows = list(grp.index)
        key_text = ", ".join(f"{k}={grp.iloc[0][k]!r}" for k in keys if pd.notna(grp.iloc[0][k]))
        col.add(table, "+".join(keys), frame, rows, "duplicate key", [key_text] * len(rows),
                [f"{_line(table, r)}: duplicate of rows {_file_rows(rows, table)} ({key_text})"
                 for r in rows])


# ------------------------------------------------------------------------ cross-table checks
def _roster(col: _Collector, tables: dict, codes: dict) -> None:
    from .readings import control_mask

    subjects = tables.get("subjects")
    if subjects is None or "subject_id" not in subjects.columns:
        return
    roster = set(subjects["subject_id"].dropna().astype(str))
    for table, frame in tables.items():
        if table == "subjects" or "subject_id" not in frame.columns:
            continue
        ids = frame["subject_id"]
        mask = _off_roster(ids, roster, codes[table])
        if table == "samples" and mask.any():
            mask &= ~control_mask(frame)
        col.add_where(table, "subject_id", frame, mask, "unknown subject", ids,
                      lambda r, t=table, ids=ids: f"{_line(t, r)}: subject_id {ids[r]!r} "
                                                   "is not in the subjects table")


def _off_roster(ids: pd.Series, roster: set, codes: _KeyCodes) -> pd.Series:
    """True where a subject_id is given but not in the roster."""
    ids_codes, uniques = codes.codes("subject_id")
    if pd.api.types.is_string_dtype(uniques.dtype) and uniques.dtype != object or \
            all(isinstance(u, str) for u in uniques):
        # text ids: look each distinct id up once (no two distinct texts share a code)
        known = np.append(pd.Index(uniques, dtype=object).isin(roster), True)
        return pd.Series(~known[ids_codes], index=ids.index)  # code -1 (missing) -> known
    text = ids if pd.api.types.is_string_dtype(ids) else ids.astype(str)
    return ids.notna() & ~text.isin(roster)


def _samples(col: _Collector, frame: pd.DataFrame, contract, parsed, lod,
             codes: _KeyCodes) -> None:
    from ..errors import ContractError
    from ..registry.analytes import get_analyte
    from ..registry.units import normalize_unit, unit_allowed
    from .readings import control_mask

    value = parsed["value"]
    controls = control_mask(frame)
    _lod_behind_censored(col, frame, parsed, lod, controls)
    if not {"analyte", "unit"} <= set(frame.columns):
        return
    _assay_contract(col, frame, contract, controls)

    # unit valid for the analyte (registry) and as the contract declares
    # only the columns the checks below read (each group is a copy of its rows)
    looked_at = frame[[c for c in ("analyte", "unit", "matrix") if c in frame.columns]]
    for (analyte, unit), grp in looked_at.groupby(["analyte", "unit"], dropna=False,
                                                  sort=False):
        if pd.isna(analyte) or pd.isna(unit):
            continue
        try:
            reg = get_analyte(str(analyte))
        except ContractError:
            continue  # reported by the schema (not an analyte of the contract)
        spec = contract.analytes.get(reg.name)
        if not unit_allowed(reg.name, str(unit)):
            rows = list(grp.index)
            col.add("samples", "unit", frame, rows, "unit not valid for analyte", [unit] * len(rows),
                    [f"{_line('samples', r)}: unit {unit!r} is not a unit of {reg.name}; "
                     f"allowed: {', '.join(reg.units)}" for r in rows])
        elif spec is not None and not any(
            normalize_unit(unit) == normalize_unit(u) for u in spec.units
        ):
            rows = list(grp.index)
            col.add("samples", "unit", frame, rows, "unit differs from contract",
                    [unit] * len(rows),
                    [f"{_line('samples', r)}: {reg.name} in {unit!r}; the contract expects "
                     f"{', '.join(spec.units)}" for r in rows])
        # matrix allowed for this analyte
        if spec is not None and "matrix" in frame.columns:
            bad = grp["matrix"].notna() & ~grp["matrix"].isin(spec.matrices)
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

    col.add_where("samples", "value", frame, value < 0, "negative concentration", value,
                  lambda r: f"{_line('samples', r)}: concentration {value[r]:g} is negative")
    if lod is not None:
        flag = None
        if "below_lod" in frame.columns:
            flag = _truthy(frame["below_lod"]).fillna(False).astype(bool)
        below = (value < lod) & ~controls
        if flag is not None:
            below &= ~flag
        col.add_where("samples", "value", frame, below, "below LOD not flagged", value,
                      lambda r: f"{_line('samples', r)}: reading {value[r]:g} is below its "
                                f"LOD {lod[r]:g} but not flagged (write '<LOD' or set "
                                "below_lod)")
    _time_order(col, frame, codes)
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


def _time_order(col: _Collector, frame: pd.DataFrame, codes: _KeyCodes) -> None:
    if not {"sample_number", "sample_time"} <= set(frame.columns):
        return
    keys = [k for k in ("subject_id", "session", "analyte", "matrix", "replicate", "plate_id")
            if k in frame.columns]
    num = pd.to_numeric(frame["sample_number"], errors="coerce")
    t = pd.to_numeric(frame["sample_time"], errors="coerce")
    if t.isna().all():
        t = pd.to_datetime(frame["sample_time"], errors="coerce", format="mixed")
    keep = (num.notna() & t.notna()).to_numpy()
    if not keep.any():
        return
    # one grouping and one sort for the whole table (no Python loop over sessions)
    codes = codes.groups(keys)[keep]
    n = num.to_numpy(dtype=float)[keep]
    tv = t[keep]
    tn = tv.to_numpy(dtype="datetime64[ns]").astype("int64") if \
        pd.api.types.is_datetime64_any_dtype(tv) else tv.to_numpy(dtype=float)
    order = np.lexsort((np.arange(len(n)), n, codes))
    same = codes[order][1:] == codes[order][:-1]
    bad = np.flatnonzero(same & (np.diff(tn[order]) < 0)) + 1
    if len(bad):
        positions = np.flatnonzero(keep)[order[bad]]
        rows = sorted(frame.index[positions])
        col.add("samples", "sample_time", frame, rows, "sample times out of order",
                t.loc[rows].tolist(),
                [f"{_line('samples', r)}: sample {int(num[r])} is timed before the "
                 "sample scheduled ahead of it in the same session" for r in rows])


def _assay_warnings(col: _Collector, frame: pd.DataFrame, contract) -> None:
    if "matrix" not in frame.columns:
        return
    analyte = frame["analyte"].astype(str)
    matrix = frame["matrix"].astype(str)
    if "extracted" in frame.columns:
        extracted = _truthy(frame["extracted"]).fillna(False).astype(bool)
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
            n = int(mask.sum())
            col.add("samples", "method", frame, rows, SALIVARY_E2, [n],
                    [salivary_e2_message(n)], warning=True)


#: A warning given once per study, at the first reading it concerns (value: how many).
SALIVARY_E2 = "salivary estradiol by immunoassay"


def salivary_e2_message(n: int) -> str:
    return ("salivary estradiol immunoassays track cycle phase poorly (Arslan et al. 2023); "
            f"prefer LC-MS/MS or serum for phase ({n} readings)")


def _identifiers(col: _Collector, tables: dict, contract) -> None:
    from .identifiers import identifier_kind

    allowed = set(contract.identifiers_allowed)
    for table, frame in tables.items():
        for column in frame.columns:
            if column in allowed:
                continue
            kind = identifier_kind(column, frame[column])
            if kind is not None:
                col.add(table, column, None, [None], "direct identifier", [None],
                        [f"{table}: column '{column}' looks like a direct identifier ({kind}); "
                         "remove it or list it under identifiers_allowed in the contract"])


def _empty_tables(col: _Collector, tables: dict) -> None:
    for table, frame in tables.items():
        if frame.empty:
            col.add(table, None, None, [None], "no data rows", [None],
                    [f"{table}: the table has a header but no data rows; the contract lists "
                     "this table, so it needs its rows (or remove it from the contract)"])


def _truthy(s: pd.Series) -> pd.Series:
    """True/False/NA from booleans, 1/0 or yes/no text (each distinct value read once)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        t = str(v).strip().lower()
        return True if t in ("true", "1", "1.0", "yes", "y", "t") else \
            False if t in ("false", "0", "0.0", "no", "n", "f") else None

    known = np.array([one(v) for v in uniques] + [None], dtype=object)
    return pd.Series(known[codes], index=s.index, dtype=object)


def _assay_contract(col: _Collector, frame: pd.DataFrame, contract, controls) -> None:
    """Method and extraction of each reading as the contract declares them."""
    analyte = frame["analyte"].astype(str)
    for name, spec in contract.analytes.items():
        mine = (analyte == name) & ~controls
        if spec.method is not None and "method" in frame.columns:
            method = frame["method"]
            bad = mine & method.notna() & (method.astype(str) != spec.method)
            col.add_where("samples", "method", frame, bad, "method differs from contract",
                          method, lambda r, name=name, spec=spec, method=method: (
                              f"{_line('samples', r)}: {name} measured by {method[r]!r}; "
                              f"the contract says {spec.method}"))
        if spec.extracted is not None and "extracted" in frame.columns:
            flag = _truthy(frame["extracted"])
            bad = mine & flag.notna() & (flag != spec.extracted)
            if bad.any():
                rows = list(frame.index[bad])
                said = "extracted" if spec.extracted else "unextracted"
                col.add("samples", "extracted", frame, rows, "extraction differs from contract",
                        frame.loc[bad, "extracted"].tolist(),
                        [f"{_line('samples', r)}: {name} extracted={frame.at[r, 'extracted']}; "
                         f"the contract says {said} samples" for r in rows])


def _lod_behind_censored(col: _Collector, frame, parsed, lod, controls) -> None:
    """A reading below the LOD needs a limit > 0 (its own number or the row's LOD)."""
    flagged = parsed["below_lod"].copy()
    if "below_lod" in frame.columns:
        flagged |= _truthy(frame["below_lod"]).fillna(False).astype(bool)
    limit = parsed["limit"].where(parsed["limit"].notna() & parsed["below_lod"],
                                  lod if lod is not None else np.nan)
    bad = flagged & ~(limit > 0) & ~controls
    if bad.any():
        rows = list(frame.index[bad])
        col.add("samples", "lod", frame, rows, "below LOD without an LOD > 0",
                frame.loc[bad, "value"].tolist(),
                [f"{_line('samples', r)}: reading {frame.at[r, 'value']!r} is below the limit "
                 "of detection, but the row has no LOD above 0 (fill in 'lod', or write the "
                 "limit, e.g. '<0.5')" for r in rows])


def _named_files(col: _Collector, study) -> None:
    """Every file the contract names (answer keys) exists and has the columns it needs."""
    contract = study.contract
    base = study.data_folder
    for name, spec in contract.instruments.items():
        if not isinstance(spec.key, str):
            continue
        where = f"instruments.{name}.key"
        path = None if base is None else base / spec.key
        if path is None or not path.is_file():
            col.add("contract", where, None, [None], "named file missing", [spec.key],
                    [f"{where}: the answer key file {spec.key!r} is not in the data folder"])
            continue
        try:
            from .files import read_file  # dialect detected, as every table

            head = read_file(path, "answer key")[0].columns
        except (ValueError, OSError, pd.errors.ParserError) as err:
            col.add("contract", where, None, [None], "named file unreadable", [spec.key],
                    [f"{where}: the answer key file {spec.key!r} cannot be read: {err}"])
            continue
        if not {"item", "correct"} <= set(head):
            col.add("contract", where, None, [None], "named file lacks columns", [spec.key],
                    [f"{where}: the answer key file {spec.key!r} needs columns item, correct; "
                     f"it has {', '.join(map(str, head))}"])


def _samples_table(col: _Collector, samples: pd.DataFrame, contract, codes: _KeyCodes) -> None:
    """The checks of the samples table's readings (its rows, not the other tables)."""
    from .readings import parse_readings

    if "value" not in samples.columns:
        return
    lod = pd.to_numeric(samples["lod"], errors="coerce") if "lod" in samples.columns else None
    parsed = parse_readings(samples["value"], lod=lod)  # parsed once, used by every check
    _unparsed(col, samples, parsed)
    _samples(col, samples, contract, parsed, lod, codes)
    _before_waking(col, samples)


def _before_waking(col: _Collector, frame: pd.DataFrame) -> None:
    """A warning for each sample timed before its participant woke (a clock or date slip)."""
    if not {"sample_time", "wake_time"} <= set(frame.columns):
        return
    t = pd.to_numeric(frame["sample_time"], errors="coerce")
    wake = pd.to_numeric(frame["wake_time"], errors="coerce")
    bad = (t < wake).to_numpy(dtype=bool)
    col.add_where("samples", "sample_time", frame, bad, "sample before waking", t,
                  lambda r: f"{_line('samples', r)}: sampled at {t[r]:g} min, before waking "
                            f"at {wake[r]:g} min", warning=True)


def validate_part(contract, part: pd.DataFrame, subjects: pd.DataFrame | None,
                  labels) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Failures and warnings of one part of a samples table read in parts.

    ``part`` holds some rows of the samples table (every row of each subject it holds, so that
    keys and sample-time order are checked whole); ``labels``
    (:class:`~hormonestats.study.findings.RowLabels`) gives the rows they are in the dataset;
    ``subjects`` is the roster. Runs the checks of :data:`CHECKS` that do not need the whole
    study (schema, keys, roster, readings, units, ranges, LOD flags, time order, identifiers).
    """
    from .findings import labelled_rows

    frame = part.reset_index(drop=True)
    tables = {"samples": frame} if subjects is None else {"subjects": subjects, "samples": frame}
    with labelled_rows("samples", labels):
        col = _run_checks(contract, tables, checked=("samples",), study=None)
    return col.frame("failures"), col.frame("warnings")


def _unparsed(col: _Collector, frame: pd.DataFrame, parsed: pd.DataFrame) -> None:
    bad = parsed["unparsed"]
    if bad.any():
        rows = list(frame.index[bad])
        what = "a number or a censored reading such as '<0.5' or 'ND'"
        col.add("samples", "value", frame, rows, f"must be {what}", frame.loc[bad, "value"],
                [f"{_line('samples', r)}: 'value' is {frame.at[r, 'value']!r}; expected {what}"
                 for r in rows])


def validate(study) -> ValidationReport:
    """Check every table of a study against its contract; collect all failures.

    Parameters
    ----------
    study : Study or ScannedStudy
        From :func:`hormonestats.read_study`, :func:`hormonestats.read_dataset` or
        :func:`hormonestats.simulate_study`; or from :func:`hormonestats.scan_study` (samples
        on disk), whose samples table is checked one subject partition at a time with the
        same results.

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
    if hasattr(study, "validate_partitions"):  # a ScannedStudy: samples checked in parts
        return study.validate_partitions()
    if getattr(study, "origins", None):  # tables read through a layout: name the file rows
        from .findings import labelled_tables

        with labelled_tables(study.origins):
            return validate(dataclasses.replace(study, origins={}))
    contract = study.contract
    # positions, so that every message can name the row as the file shows it
    tables = {t: f.reset_index(drop=True) for t, f in study.tables.items()}
    col = _run_checks(contract, tables, checked=tuple(tables), study=study)
    return ValidationReport(
        study_name=contract.name,
        failures=col.frame("failures"),
        warnings=col.frame("warnings"),
        n_rows={t: len(f) for t, f in tables.items()},
    )


# ------------------------------------------------------------------------------- the check list
@dataclass(frozen=True)
class Check:
    """One check: its reason code, what it runs, whether it needs the whole study."""

    code: str
    run: Callable[[_Checking], None]
    whole_study: bool = False


@dataclass
class _Checking:
    """What a check reads; ``checked``: the tables whose rows it checks (others: looked up)."""

    col: _Collector
    tables: dict
    checked: tuple
    codes: dict
    contract: object
    study: object | None


def _schema_and_keys(c: _Checking) -> None:
    schemas = c.contract.schemas(readings=False)
    for table in c.checked:
        if table in schemas:
            _schema_failures(c.col, table, c.tables[table], schemas[table])
        _duplicates(c.col, table, c.tables[table], c.codes[table])


def _table_check(table: str, check, *, keyed: bool = False) -> Callable[[_Checking], None]:
    def run(c: _Checking) -> None:
        if table in c.checked:
            check(c.col, c.tables[table], c.contract, *((c.codes[table],) if keyed else ()))
    return run


#: Every check, in the order its findings are listed; ``validate`` runs them all on the study,
#: ``validate_part`` those that do not need the whole study on a part of the samples table.
CHECKS: tuple[Check, ...] = (
    Check("empty_table", lambda c: _empty_tables(c.col, c.tables), whole_study=True),
    Check("schema_and_keys", _schema_and_keys),
    Check("roster", lambda c: _roster(c.col, c.tables, c.codes)),
    Check("samples", _table_check("samples", _samples_table, keyed=True)),
    Check("genotypes", _table_check("genotypes", genotype_checks)),
    Check("responses", _table_check("responses", response_checks)),
    Check("treatments", _table_check("treatments", treatment_checks)),
    Check("named_files", lambda c: _named_files(c.col, c.study), whole_study=True),
    Check("identifiers", lambda c: _identifiers(
        c.col, {t: c.tables[t] for t in c.checked}, c.contract)),
)


def _run_checks(contract, tables: dict, *, checked: tuple, study) -> _Collector:
    c = _Checking(_Collector(), tables, checked, {t: _KeyCodes(tables[t]) for t in checked},
                  contract, study)
    for check in CHECKS:
        if study is not None or not check.whole_study:
            check.run(c)
    return c.col
