"""Raw assay readings -> one hormone value per subject, session, analyte and sample.

``process_samples`` chains the public assay steps (LOD policy -> canonical units -> replicate
means and CV flags -> one row per subject x session -> log transform -> optional winsorising)
and computes the assay quality tables.

Row accounting holds for the samples table, counted in wells: every input row is either used
in an analysed sample mean or logged as excluded, and every analysed sample's value reaches
the hormone table (``ProcessedSamples.accounting()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from ..log import combine_logs, empty_log, log_rows
from ..registry.units import to_canonical
from ..study.readings import control_mask
from .lod import applied_lod_summary, apply_lod
from .precision import DEFAULT_MAX_CV, aggregate_replicates, inter_assay_cv, intra_assay_cv
from .transforms import log_transform, winsorize

__all__ = ["ProcessedSamples", "process_samples", "unplaced_samples"]

_TABLE = "samples"


@dataclass(frozen=True)
class ProcessedSamples:
    """What :func:`process_samples` returns.

    Attributes
    ----------
    samples : DataFrame
        One row per analysed sample (replicates averaged), canonical units; ``table_column``
        names the analysis-table column that holds the sample's value.
    table : DataFrame
        Wide: one row per subject x session, one column per analyte (canonical unit), its
        ``log_`` column; where a session has several samples of an analyte, one column per
        sample (``<analyte>_s<k>``, ``k`` the sample number) besides the first sample in
        ``<analyte>``, and cortisol features where a session has a cortisol series.
    log : DataFrame
        Every exclusion, alteration and flag (``hormonestats.log.LOG_COLUMNS``).
    lod_summary, intra_cv, inter_cv : DataFrame
        Assay quality: % below LOD per analyte and matrix; mean replicate CV per plate and
        analyte; CV of control means across plates.
    settings : dict
        The parameters used (for the methods text and the manifest).
    """

    samples: pd.DataFrame
    table: pd.DataFrame
    log: pd.DataFrame
    lod_summary: pd.DataFrame
    intra_cv: pd.DataFrame
    inter_cv: pd.DataFrame
    n_input_rows: int
    n_used_wells: int
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"ProcessedSamples({len(self.samples)} samples from {self.n_input_rows} wells; "
                f"table {self.table.shape[0]} x {self.table.shape[1]}; "
                f"{len(self.log)} log entries; settings {self.settings})")

    def _repr_html_(self) -> str:
        from ..display import ResultDisplay

        return ResultDisplay.html(repr(self), [("Row accounting (wells)", self.accounting()),
                                               ("Below the LOD", self.lod_summary)])

    def accounting(self) -> pd.DataFrame:
        """Input rows = wells used + wells excluded, per step and reason; and every analysed
        sample in the analysis table."""
        excl = self.log[(self.log["table"] == _TABLE) & (self.log["action"] == "excluded")]
        rows = [{"stage": "input rows (wells)", "n": self.n_input_rows}]
        for (step, reason), grp in excl.groupby(["step", "reason"], sort=False):
            rows.append({"stage": f"excluded at {step}: {reason}", "n": -len(grp)})
        rows.append({"stage": "wells in analysed samples", "n": self.n_used_wells})
        rows.append({"stage": "analysed samples", "n": len(self.samples)})
        missing = self.unplaced()
        rows.append({"stage": "analysed samples in the analysis table",
                     "n": len(self.samples) - len(missing)})
        out = pd.DataFrame(rows)
        # internal invariants: every well is used or logged, every sample reaches the table
        if self.n_input_rows != self.n_used_wells + len(excl):
            raise AssertionError("row accounting does not balance")
        if len(missing):
            raise AssertionError(f"{len(missing)} analysed samples are not in the table")
        return out

    def unplaced(self) -> pd.DataFrame:
        """Analysed samples whose value is not in their analysis-table cell (none, normally)."""
        return unplaced_samples(self.samples, self.table)


def process_samples(
    study,
    *,
    lod_policy: str = "lod/sqrt2",
    max_cv: float = DEFAULT_MAX_CV,
    exclude_imprecise: bool = False,
    transform: str | None = "log",
    winsorize_k: float | None = None,
    log_offset: float | None = None,
) -> ProcessedSamples:
    """Raw assay readings -> one analysable value per subject, session and analyte.

    Parameters
    ----------
    study : Study or DataFrame
        A study with a ``samples`` table, or the samples table itself.
    lod_policy : {"flag", "lod/2", "lod/sqrt2", "censored"}
        Below-LOD handling (:func:`hormonestats.apply_lod`). Default LOD/sqrt(2) (Hornung &
        Reed 1990). Under ``"flag"`` and ``"censored"`` below-LOD wells have no value and are
        excluded from the means (logged).
    max_cv : float
        Replicate CV (%) above which a sample is flagged (:func:`hormonestats.aggregate_replicates`).
    exclude_imprecise : bool
        Also exclude flagged samples (logged) instead of only flagging them.
    transform : {"log", None}
        Natural log of every analyte column into ``log_<analyte>``.
    winsorize_k : float, optional
        Winsorise the analyte columns at mean +- k SD on the log scale (new ``<analyte>_wins``
        columns; every changed value logged). None: no winsorising.
    log_offset : float, optional
        Offset added before logging when zeros occur (logged); without it zeros raise.

    Returns
    -------
    ProcessedSamples

    Examples
    --------
    >>> import hormonestats as hs
    >>> out = hs.process_samples(hs.read_dataset("biopsykit_cortisol"))
    >>> out.table[["cortisol_auc_g", "cortisol_auc_i"]].notna().all().all()
    np.True_
    """
    samples = study["samples"] if not isinstance(study, pd.DataFrame) else study
    if samples.empty:
        raise DataError("samples: the table has no rows to process")
    n_input = len(samples)
    logs = []
    control = control_mask(samples)
    logs.append(log_rows("process_samples", _TABLE, samples, control, "excluded",
                         "plate control: used for assay quality only"))
    subj = samples.loc[~control]
    lodded, lod_log = apply_lod(subj, policy=lod_policy)
    logs.append(lod_log)
    canon = to_canonical(lodded, value="value_lod")
    no_value = canon["value_canonical"].isna()
    logs.append(log_rows("process_samples", _TABLE, canon, no_value, "excluded",
                         f"no numeric value after LOD policy {lod_policy!r}"))
    usable = canon.loc[~no_value] if no_value.any() else canon
    analysed = usable  # every reading with a value, before any imprecise sample is excluded
    if usable.empty:
        raise DataError(
            f"samples: no reading is left to analyse after the LOD policy {lod_policy!r} "
            f"({int(no_value.sum())} of {len(canon)} subject readings have no numeric value); "
            "choose a substitution policy such as 'lod/sqrt2'"
        )
    # the quality tables and the analyte list first, so that the wells' frames can go
    qc_lod = applied_lod_summary(lodded)
    intra = intra_assay_cv(analysed, value="value_canonical") \
        if "plate_id" in canon.columns else pd.DataFrame()
    named = canon[[c for c in ("analyte", "matrix") if c in canon.columns]]
    analytes = [str(a) for a in pd.unique(_variable(named.dropna(subset=["analyte"])))]
    del subj, lodded, analysed, named
    agg, agg_log = aggregate_replicates(usable, max_cv=max_cv, value="value_canonical")
    logs.append(agg_log)
    # one row per sample: the replicate mean in the canonical unit is the sample's value
    agg = agg.drop(columns=["value", "value_lod", "value_canonical", "unit", "lod"],
                   errors="ignore").rename(columns={"mean": "value", "unit_canonical": "unit"})
    if exclude_imprecise and "cv_flag" in agg.columns:
        imprecise = agg["cv_flag"].fillna(False).astype(bool)
        # exclude the wells behind each imprecise sample, in the caller's row labels
        keys = [k for k in _sample_keys(usable) if k in agg.columns]
        bad_keys = agg.loc[imprecise, keys]
        merged = usable.reset_index().merge(bad_keys, on=keys, how="inner")
        bad_rows = usable.index.isin(merged["index"])
        logs.append(log_rows("process_samples", _TABLE, usable, bad_rows, "excluded",
                             f"replicate CV above {max_cv:g}%"))
        usable = usable.loc[~bad_rows]
        agg = agg.loc[~imprecise]
    n_used = len(usable)
    del canon, usable
    inter = _inter_cv(samples, control)

    table, wide_log, placed = _wide(agg)
    agg = agg.assign(table_column=placed)
    logs.append(wide_log)
    for a in analytes:  # an analyte with no analysable sample still gets its (empty) column
        if a not in table.columns:
            table[a] = np.nan
    present = [a for a in analytes if table[a].notna().any()]
    present += sorted(set(placed.unique()) - set(analytes))  # the per-sample columns of a series
    if transform == "log" and analytes:
        table, tlog = log_transform(table, present, offset=log_offset)
        for a in set(analytes) - set(present):
            table[f"log_{a}"] = np.nan
        logs.append(tlog)
    elif transform not in (None, "log"):
        raise DataError(f"transform must be 'log' or None, got {transform!r}")
    if winsorize_k is not None and present:
        table, wlog = winsorize(table, present, k=winsorize_k, scale="log")
        logs.append(wlog)
        if transform == "log":
            for a in present:
                table[f"log_{a}_wins"] = np.log(table[f"{a}_wins"])
    settings = {"lod_policy": lod_policy, "max_cv": max_cv,
                "exclude_imprecise": exclude_imprecise, "transform": transform,
                "winsorize_k": winsorize_k, "log_offset": log_offset}
    return ProcessedSamples(
        samples=agg.reset_index(drop=True),
        table=table,
        log=combine_logs(logs),
        lod_summary=qc_lod,
        intra_cv=intra,
        inter_cv=inter,
        n_input_rows=n_input,
        n_used_wells=n_used,
        settings=settings,
    )


def unplaced_samples(samples: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Analysed samples (with ``table_column``) whose value is not in their cell of ``table``."""
    idx = [k for k in ("subject_id", "session") if k in samples.columns]
    if samples.empty:
        return samples
    keys = samples[idx].copy()
    if "session" in idx:
        keys["session"] = keys["session"].astype(str).where(keys["session"].notna(), "")
    cells = table.set_index(idx)
    found = np.full(len(samples), np.nan)
    for col, rows in samples.groupby("table_column", sort=False).groups.items():
        pos = samples.index.get_indexer(rows)
        if col not in cells.columns:
            continue
        where = pd.MultiIndex.from_frame(keys.iloc[pos]) if len(idx) > 1 else \
            pd.Index(keys.iloc[pos, 0])
        found[pos] = cells[col].reindex(where).to_numpy(dtype=float)
    value = samples["value"].to_numpy(dtype=float)
    ok = np.isclose(found, value, rtol=1e-12, atol=0.0) & ~np.isnan(found)
    return samples.loc[~ok]


def _sample_keys(frame: pd.DataFrame) -> list[str]:
    return [k for k in ("subject_id", "session", "sample_id", "sample_time", "matrix", "analyte")
            if k in frame.columns]


def _inter_cv(samples: pd.DataFrame, control: pd.Series) -> pd.DataFrame:
    if not control.any() or "plate_id" not in samples.columns:
        return pd.DataFrame()
    ctrl = samples.loc[control]
    lodded, _ = apply_lod(ctrl, policy="flag")
    canon = to_canonical(lodded, value="value_lod")
    canon = canon.loc[canon["value_canonical"].notna()]
    if canon["plate_id"].nunique() < 2:
        return pd.DataFrame()
    return inter_assay_cv(canon, value="value_canonical")


def _variable(frame: pd.DataFrame) -> pd.Series:
    """Analysis-table column of each reading: the analyte, or ``<analyte>_<matrix>`` when the
    study measures that analyte in more than one matrix (salivary and serum testosterone must
    not share a column)."""
    analyte = frame["analyte"].astype(str)
    if "matrix" not in frame.columns:
        return analyte
    matrix = frame["matrix"].astype(str)
    n_matrices = matrix.groupby(analyte).transform("nunique")
    return analyte.where(n_matrices <= 1, analyte + "_" + matrix)


def _sample_labels(work: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Label of each sample within its subject x session x variable: the scheduled
    ``sample_number`` when every sample has a distinct one, else the order in time (1, 2, ...)."""
    if "sample_number" in work.columns and work["sample_number"].notna().all():
        number = pd.to_numeric(work["sample_number"], errors="coerce")
        if number.notna().all() and not work.assign(_n=number).duplicated(keys + ["_n"]).any():
            return number.map(lambda v: f"{v:g}")
    rank = work.groupby(keys, sort=False, dropna=False).cumcount() + 1
    return rank.map(str)


def _wide(agg: pd.DataFrame):
    """Pivot sample means to one row per subject x session.

    An analyte sampled once per session gives one column, ``<analyte>``. An analyte sampled
    several times in a session (a cortisol series, pre- and post-dose oxytocin) gives every
    sample its own column ``<analyte>_s<k>`` (``k`` the ``sample_number``, else the order in
    time) and its first sample also in ``<analyte>``; a cortisol series further gives the
    time-course features (AUCg, AUCi, peak reactivity) from
    :func:`hormonestats.cortisol_features`. Returns the table, the log and each sample's
    analysis-table column (aligned with ``agg``).
    """
    from .cortisol import cortisol_features

    idx = [k for k in ("subject_id", "session") if k in agg.columns]
    logs = [empty_log()]
    # the columns the pivot and the cortisol features read (sorting the rest would copy them)
    used = [c for c in (*idx, "value", "sample_number", "sample_time") if c in agg.columns]
    work = agg[used].assign(variable=_variable(agg))
    if "session" in idx:
        work["session"] = work["session"].astype(str).where(work["session"].notna(), "")
    order = [c for c in ("sample_number", "sample_time") if c in work.columns]
    if order:
        work = work.sort_values(idx + ["variable"] + order, kind="stable")
    groups = idx + ["variable"]
    first = work.groupby(groups, sort=True, dropna=False)["value"].first()
    table = first.unstack("variable").reset_index()
    table.columns.name = None
    counts = work.groupby(groups, dropna=False)["value"].transform("size")
    column = work["variable"].astype(str)
    series_vars = sorted(set(work.loc[counts > 1, "variable"]))
    if series_vars:
        several = work["variable"].isin(series_vars)
        part = work.loc[several]
        column.loc[several] = part["variable"] + "_s" + _sample_labels(part, groups)
        per_sample = (work.loc[several].assign(_column=column.loc[several])
                      .pivot_table(index=idx, columns="_column", values="value",
                                   aggfunc="first", sort=True).reset_index())
        per_sample.columns.name = None
        table = table.merge(per_sample, on=idx, how="left")
    if "sample_time" in work.columns and "cortisol" in series_vars:
        series = work.loc[work["variable"] == "cortisol"]
        by = [k for k in idx if k != "subject_id"]
        n_sched = int(series.groupby(idx, dropna=False).size().max())
        n_times = int(series.groupby(by, dropna=False)["sample_time"].nunique().max()) if by \
            else int(series["sample_time"].nunique())
        # the protocol's nominal times when every subject was sampled on them, else each
        # subject's own times (Pruessner et al. 2003 AUCs over the subject's intervals)
        schedule = "shared" if n_times <= n_sched else "own"
        feats, flog = cortisol_features(series, y="value", time="sample_time",
                                        subject="subject_id", by=tuple(by), schedule=schedule,
                                        min_samples=max(2, n_sched - 1), interpolate=True)
        # these entries concern derived features, not wells: they point at subjects
        logs.append(flog.assign(table="cortisol_features", row=None))
        keep = [c for c in ("auc_g", "auc_i", "auc_i_post", "peak_reactivity", "time_to_peak")
                if c in feats.columns]
        feats = feats[idx + keep].rename(columns={c: f"cortisol_{c}" for c in keep})
        table = table.merge(feats, on=idx, how="left")
    return table, combine_logs(logs), column.reindex(agg.index)
