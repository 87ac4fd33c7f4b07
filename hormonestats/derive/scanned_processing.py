"""The hormone chain of a scanned study (samples on disk), one subject partition at a time.

Two passes over the subject partitions of a
:class:`~hormonestats.study.scanning.ScannedStudy`, each partition a task of the execution
layer (this process, local processes or a Dask cluster):

1. the sample means (:func:`~hormonestats.derive.hormone_table.sample_means`: controls set
   aside, LOD policy, canonical units, replicate means and CVs), with the counts the assay
   quality tables need and what the wide pivot must decide from the whole study
   (:func:`~hormonestats.derive.wide_table.wide_stats`);
2. the wide pivot of each partition by the study-wide plan.

The partitions' tables are then joined and the study-wide steps run once on the joined table
(a column per analyte, the log transform, winsorising with the whole study's mean and SD), so
the analysis table equals the in-memory one. The plate controls' partition gives the
inter-assay CV. The per-sample table and the log of every well are written to the output
folder (``samples/`` and ``log/``, parquet, one file per partition) rather than held in
memory; the intra-assay CV (a mean of sample CVs per plate) and the LOD summary (counts) are
combined from the partitions' sums.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..log import LOG_COLUMNS, combine_logs
from ..study.readings import control_mask
from .hormone_table import (
    SAMPLE_OPTIONS,
    _inter_cv,
    excluded_wells,
    finish_table,
    first_seen,
    sample_means,
    session_dates,
    unplaced_samples,
)
from .wide_table import CORTISOL_FEATURES, wide, wide_plan, wide_stats

__all__ = ["PartitionedSamples", "process_scanned_samples"]

_TABLE = "samples"


class PartitionedSamples:
    """What :func:`process_scanned_samples` returns: :class:`ProcessedSamples`' tables, with
    the per-sample table and the wells' log on disk (``samples_path``, ``log_path``; read them
    with :meth:`read_samples` and :meth:`read_log`)."""

    def __init__(self, *, table, log, lod_summary, intra_cv, inter_cv, n_input_rows,
                 n_used_wells, n_samples, n_unplaced, per_subject, excluded, settings,
                 visits, folder: Path):
        self.table = table
        self.log = log  # the study-wide steps' log (the wells' log is in log_path)
        self.lod_summary = lod_summary
        self.intra_cv = intra_cv
        self.inter_cv = inter_cv
        self.n_input_rows = n_input_rows
        self.n_used_wells = n_used_wells
        self.n_samples = n_samples
        self.n_unplaced = n_unplaced
        self.per_subject = per_subject  # analysed samples per subject_id
        self.excluded = excluded  # excluded wells by (step, reason), in order
        self.settings = settings
        self.visits = visits  # first sample date of each subject x session (or None)
        self.folder = folder
        self.samples_path = folder / "samples"
        self.log_path = folder / "log"

    def __repr__(self) -> str:
        return (f"PartitionedSamples({self.n_samples} samples from {self.n_input_rows} wells; "
                f"table {self.table.shape[0]} x {self.table.shape[1]}; samples and log in "
                f"{self.folder.name}/; settings {self.settings})")

    def read_samples(self) -> pd.DataFrame:
        """The per-sample table (every partition: as large as the study's samples)."""
        return _read_parts(self.samples_path)

    def read_log(self) -> pd.DataFrame:
        """The log entries of the wells (``LOG_COLUMNS``); the study-wide steps' entries are
        in ``log`` (and in the :class:`ProcessedStudy`'s log)."""
        return combine_logs([_read_parts(self.log_path)])

    def accounting(self) -> pd.DataFrame:
        """Input rows = wells used + wells excluded, per step and reason; and every analysed
        sample in the analysis table (as :meth:`ProcessedSamples.accounting`)."""
        rows = [{"stage": "input rows (wells)", "n": self.n_input_rows}]
        rows += [{"stage": f"excluded at {step}: {reason}", "n": -int(n)}
                 for (step, reason), n in self.excluded.items()]
        rows.append({"stage": "wells in analysed samples", "n": self.n_used_wells})
        rows.append({"stage": "analysed samples", "n": self.n_samples})
        rows.append({"stage": "analysed samples in the analysis table",
                     "n": self.n_samples - self.n_unplaced})
        if self.n_input_rows != self.n_used_wells + int(self.excluded.sum()):
            raise AssertionError("row accounting does not balance")
        if self.n_unplaced:
            raise AssertionError(f"{self.n_unplaced} analysed samples are not in the table")
        return pd.DataFrame(rows)


def process_scanned_samples(study, out=None, **options) -> PartitionedSamples:
    """:func:`hormonestats.process_samples` of a scanned study, partition by partition.

    ``options``: those of :func:`~hormonestats.derive.hormone_table.process_samples`, with its
    defaults. ``out``: the folder for the per-sample table and the wells' log (made; it must be
    new or empty); default: a folder in the study's working folder, removed with it.
    """
    unknown = set(options) - set(SAMPLE_OPTIONS)
    if unknown:
        raise TypeError(f"process_samples() got unexpected options {sorted(unknown)}")
    if study.n_rows == 0:
        raise DataError("samples: the table has no rows to process")
    folder = _out_folder(study, out)
    try:
        return _process(study, folder, **{**SAMPLE_OPTIONS, **options})
    except BaseException:
        # a run that stopped leaves no half-written results: the folder held nothing before
        # (it was new or empty), so everything in it is this run's
        for child in folder.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise


def _process(study, folder: Path, *, lod_policy, max_cv, exclude_imprecise, transform,
             winsorize_k, log_offset) -> PartitionedSamples:
    parts = study.partitions()
    options = {"lod_policy": lod_policy, "max_cv": max_cv,
               "exclude_imprecise": exclude_imprecise}
    run = partial(_run, study)
    first = run(partial(_means_task, study.contract, options, str(folder)),
                list(enumerate(parts)), "sample means")
    subject = [r for r in first if not r["controls"]]
    n_subject = sum(r["n_subject"] for r in subject)
    n_no_value = sum(r["n_no_value"] for r in subject)
    if n_subject == 0 or n_no_value == n_subject:
        raise DataError(
            f"samples: no reading is left to analyse after the LOD policy {lod_policy!r} "
            f"({n_no_value} of {n_subject} subject readings have no numeric value); choose a "
            "substitution policy such as 'lod/sqrt2'")
    plan = wide_plan([r["stats"] for r in subject if r["stats"] is not None])
    second = run(partial(_wide_task, plan, str(folder)),
                 [r["means"] for r in subject if r["means"] is not None], "wide table")
    table = _join([r["table"] for r in second], plan,
                  sorted(set().union(*[r["columns"] for r in second])))
    placed = set().union(*[r["placed"] for r in second])
    if (folder / ".means").is_dir():
        (folder / ".means").rmdir()  # emptied by the second pass
    table, final_log = finish_table(table, first_seen([r["seen"] for r in subject]), placed,
                                    transform=transform, winsorize_k=winsorize_k,
                                    log_offset=log_offset)
    controls = [r for r in first if r["controls"]]
    excluded = _combine_excluded([r["excluded"] for r in first])
    return PartitionedSamples(
        table=table, log=final_log, lod_summary=_lod_summary([r["lod"] for r in subject]),
        intra_cv=_intra_cv([r["intra"] for r in subject]),
        inter_cv=controls[0]["inter"] if controls else pd.DataFrame(),
        n_input_rows=sum(r["n_input"] for r in first),
        n_used_wells=sum(r["n_used"] for r in subject),
        n_samples=sum(r["n_samples"] for r in second),
        n_unplaced=sum(r["n_unplaced"] for r in second),
        per_subject=pd.concat([r["per_subject"] for r in second]) if second else
        pd.Series(dtype=int),
        excluded=excluded,
        settings={**options, "transform": transform, "winsorize_k": winsorize_k,
                  "log_offset": log_offset},
        visits=_concat([r["visits"] for r in first]),
        folder=folder,
    )


# ------------------------------------------------------------------------------- the tasks
def _run(study, func, tasks, label):
    from ..parallel import map_tasks

    return map_tasks(func, tasks, n_jobs=study.n_jobs, scheduler=study.scheduler, batch_size=1,
                     label=label)


def _means_task(contract, options, folder, task, seed=None) -> dict:
    from ..study.partition_files import read_partition

    i, part = task
    frame = read_partition(part, contract)
    control = control_mask(frame)
    out = {"controls": part["controls"], "n_input": len(frame), "visits": _visits(frame)}
    if part["controls"] or control.all():
        from ..log import log_rows

        log = log_rows("process_samples", _TABLE, frame, control, "excluded",
                       "plate control: used for assay quality only")
        _write_log(log, folder, f"{i:05d}-controls")
        out.update(controls=True, inter=_inter_cv(frame, control), n_subject=0, n_no_value=0,
                   excluded=excluded_wells([log]), means=None, stats=None)
        return out
    means = sample_means(frame, **options)
    _write_log(means.log, folder, f"{i:05d}-means")
    path = None
    if len(means.agg):
        path = Path(folder) / ".means" / f"part-{i:05d}.pkl"
        path.parent.mkdir(exist_ok=True)
        means.agg.to_pickle(path)
    out.update(
        means=None if path is None else (i, str(path)),
        stats=wide_stats(means.agg) if len(means.agg) else None,
        lod=means.lod_summary, intra=means.intra_cv, n_used=means.n_used,
        n_subject=means.n_subject_readings, n_no_value=means.n_no_value, seen=means.seen,
        excluded=means.excluded)
    return out


def _wide_task(plan, folder, task, seed=None) -> dict:
    i, path = task
    agg = pd.read_pickle(path)
    table, log, placed, columns = wide(agg, plan)
    agg = agg.assign(table_column=placed)
    _write_log(log, folder, f"{i:05d}-wide")
    samples = Path(folder) / "samples"
    samples.mkdir(exist_ok=True)
    agg.reset_index(drop=True).to_parquet(samples / f"part-{i:05d}.parquet")
    n_unplaced = len(unplaced_samples(agg, table))
    Path(path).unlink()  # the pass-1 file this module wrote
    return {"table": table, "columns": set(columns), "placed": set(placed.unique()),
            "n_samples": len(agg), "n_unplaced": n_unplaced,
            "per_subject": agg["subject_id"].value_counts(dropna=False)
            if "subject_id" in agg.columns else pd.Series(dtype=int)}


# ------------------------------------------------------------------------------- combining
def _join(tables: list[pd.DataFrame], plan, per_sample: list[str]) -> pd.DataFrame:
    """The partitions' wide tables as one, in the in-memory table's row and column order."""
    idx = [k for k in ("subject_id", "session") if k in tables[0].columns]
    columns = idx + list(plan.variables) + per_sample + \
        (list(CORTISOL_FEATURES) if plan.schedule is not None else [])
    table = pd.concat(tables, ignore_index=True)
    for c in columns:
        if c not in table.columns:
            table[c] = np.nan
    table = table[columns + [c for c in table.columns if c not in columns]]
    return table.sort_values(idx, kind="stable", na_position="last").reset_index(drop=True)


def _lod_summary(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    by = [c for c in parts[0].columns if c not in ("n", "n_below_lod", "pct_below_lod",
                                                    "n_above_range")]
    out = (pd.concat(parts, ignore_index=True).groupby(by, dropna=False, sort=True)
           [["n", "n_below_lod", "n_above_range"]].sum().reset_index())
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_below_lod"] = 100.0 * out["n_below_lod"] / out["n"].where(out["n"] > 0)
    return out[[*by, "n", "n_below_lod", "pct_below_lod", "n_above_range"]]


def _intra_cv(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean replicate CV per plate and analyte over the partitions (a plate holds samples of
    many subjects): the CVs' sum over their count."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    by = [c for c in parts[0].columns if c not in ("n_samples", "intra_cv")]
    work = pd.concat(parts, ignore_index=True)
    work = work.assign(_sum=work["intra_cv"] * work["n_samples"])
    out = work.groupby(by, dropna=False, sort=True)[["n_samples", "_sum"]].sum().reset_index()
    out["intra_cv"] = out.pop("_sum") / out["n_samples"]
    return out


def _combine_excluded(parts: list[pd.DataFrame]) -> pd.Series:
    """Excluded wells per (step, reason) over the partitions, in the order of the chain and
    then of the first row (as the whole table's log lists them)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.Series(dtype=int)
    work = pd.concat(parts, ignore_index=True)
    out = work.groupby(["step", "reason"], sort=False).agg(n=("n", "sum"), rank=("rank", "min"),
                                                           row=("row", "min"))
    return out.sort_values(["rank", "row"], kind="stable")["n"]


def _visits(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The first sample date of each subject x session (for the cycle columns)."""
    if not {"date", "session"} <= set(frame.columns):
        return None
    return session_dates(frame)


def _concat(frames: list) -> pd.DataFrame | None:
    frames = [f for f in frames if f is not None]
    return pd.concat(frames, ignore_index=True) if frames else None


def _write_log(log: pd.DataFrame, folder: str, name: str) -> None:
    if not len(log):
        return
    path = Path(folder) / "log"
    path.mkdir(exist_ok=True)
    log[LOG_COLUMNS].astype({"row": "Int64"}).to_parquet(path / f"part-{name}.parquet")


def _read_parts(path: Path) -> pd.DataFrame:
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else []
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True) if files else \
        pd.DataFrame()


def _out_folder(study, out) -> Path:
    if out is None:
        return Path(tempfile.mkdtemp(prefix="processed-", dir=study.working_folder()))
    else:
        folder = Path(out)
    if folder.exists() and any(folder.iterdir()):
        raise DataError(f"process_study: the output folder {folder.name} is not empty; give a "
                        "new or empty folder (nothing is overwritten)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
