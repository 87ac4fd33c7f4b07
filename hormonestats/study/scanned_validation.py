"""Validation of a scanned study (samples on disk), one subject partition at a time.

Every partition runs the samples table's checks of :func:`hormonestats.validate` with the
contract's pandera schema (:func:`~hormonestats.study.validation.validate_part`); the other
tables are checked in memory as usual. The partitions' findings are collected, not raised:
pandera's own Dask path (``schema.validate(dask_frame)``) maps the same pandas schema over the
partitions but stops at the first partition that fails, which would hide the others' failures.
Findings that name no row (a missing column, an identifier column) are reported once.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from .findings import FAILURE_COLUMNS, ValidationReport
from .partition_files import subject_buckets
from .reading import Study
from .validation import SALIVARY_E2, salivary_e2_message

__all__ = ["validate_scanned"]

def validate_scanned(study) -> ValidationReport:
    """:func:`hormonestats.validate` of a :class:`~hormonestats.study.scanning.ScannedStudy`:
    the same failures and warnings as for the study read into memory (in row order within the
    samples table)."""
    from ..parallel import map_tasks
    from .validation import validate

    contract = study.contract
    others = validate(Study(contract=contract, tables=study.tables, sources=study.sources))
    parts = study.partitions()
    subjects = study.tables.get("subjects")
    files = ([f.name for f in study.files], study.starts)
    tasks = parts
    if subjects is not None and "subject_id" in subjects.columns:
        # each partition gets the roster's subjects of its own partition (a subject id is
        # on the roster exactly when it is on its partition's share of it)
        ids = subjects["subject_id"].reset_index(drop=True)
        share = subject_buckets(ids.tolist(), study.n_buckets)
        tasks = [{**p, "roster": ids[share == p["bucket"]].to_frame()} for p in parts]
    results = map_tasks(partial(_validate_partition, contract, files), tasks,
                        n_jobs=study.n_jobs, scheduler=study.scheduler, batch_size=1,
                        weights=[p["rows"] for p in parts], label="validating samples")
    failures = [r[0] for r in results]
    warnings = [r[1] for r in results]
    if study.n_rows == 0:
        failures.append(_table_finding(
            "no data rows", "samples: the table has a header but no data rows; the contract "
            "lists this table, so it needs its rows (or remove it from the contract)"))
    warnings += [_table_finding("dataset files differ", p) for p in study.file_problems]
    n_rows = dict(others.n_rows)
    n_rows = {**{t: n_rows[t] for t in n_rows}, "samples": study.n_rows}
    report = ValidationReport(
        study_name=contract.name,
        failures=_merge(others.failures, failures),
        warnings=_merge(others.warnings, warnings),
        n_rows={t: n_rows[t] for t in [*contract.tables] if t in n_rows},
    )
    return report


def _validate_partition(contract, files, part, seed=None):
    from .findings import RowLabels
    from .partition_files import read_partition
    from .validation import validate_part

    frame = read_partition(part, contract)
    labels = RowLabels(frame.index.to_numpy(), files[0], files[1])
    return validate_part(contract, frame, part.get("roster"), labels)


def _table_finding(check: str, message: str) -> pd.DataFrame:
    return pd.DataFrame([{"table": "samples", "column": None, "row": None, "subject_id": None,
                          "check": check, "value": None, "message": message}],
                        columns=FAILURE_COLUMNS)


def _merge(others: pd.DataFrame, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The other tables' findings, then the samples table's: in row order, the ones that
    name no row once."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return others
    samples = pd.concat(parts, ignore_index=True)
    once = samples["check"] == SALIVARY_E2  # one warning per study: the first row, all readings
    if once.any():
        first = samples.loc[once].iloc[[pd.to_numeric(samples.loc[once, "row"]).argmin()]]
        n = int(pd.to_numeric(samples.loc[once, "value"]).sum())
        first = first.assign(value=str(n), message=salivary_e2_message(n))
        samples = pd.concat([samples.loc[~once], first], ignore_index=True)
    rowless = samples["row"].isna()
    once = samples.loc[rowless].drop_duplicates(["table", "column", "check", "message"])
    rows = samples.loc[~rowless]
    rows = rows.iloc[pd.to_numeric(rows["row"]).argsort(kind="stable")]
    out = pd.concat([x for x in (others, once, rows) if len(x)], ignore_index=True)
    out["row"] = out["row"].astype("object")
    return out[FAILURE_COLUMNS]
