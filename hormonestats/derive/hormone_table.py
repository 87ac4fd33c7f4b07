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
from ..log import combine_logs, log_rows
from ..options import ProcessingOptions
from ..registry.units import to_canonical
from ..study.readings import control_mask
from .censored_wells import censored_wells
from .lod import applied_lod_summary, apply_lod
from .precision import aggregate_replicates, inter_assay_cv, intra_assay_cv
from .transforms import log_transform, winsorize
from .wide_table import variable_names, wide

__all__ = ["SAMPLE_OPTIONS", "ProcessedSamples", "SampleMeans", "finish_table", "first_seen",
           "process_samples", "sample_means", "session_dates", "unplaced_samples"]

_TABLE = "samples"

#: The options of :func:`process_samples` and their defaults (those of
#: :class:`hormonestats.options.ProcessingOptions`, in process_samples' spelling).
SAMPLE_OPTIONS = ProcessingOptions().sample_options()


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
    lod_policy: str = SAMPLE_OPTIONS["lod_policy"],
    max_cv: float = SAMPLE_OPTIONS["max_cv"],
    exclude_imprecise: bool = SAMPLE_OPTIONS["exclude_imprecise"],
    transform: str | None = SAMPLE_OPTIONS["transform"],
    winsorize_k: float | None = SAMPLE_OPTIONS["winsorize_k"],
    log_offset: float | None = SAMPLE_OPTIONS["log_offset"],
) -> ProcessedSamples:
    """Raw assay readings -> one analysable value per subject, session and analyte.

    Parameters
    ----------
    study : Study or DataFrame
        A study with a ``samples`` table, or the samples table itself.
    lod_policy : {"flag", "lod/2", "lod/sqrt2", "censored"}
        Below-LOD handling (:func:`hormonestats.apply_lod`). Default LOD/sqrt(2) (Hornung &
        Reed 1990). Under ``"flag"`` below-LOD wells have no value and are excluded from the
        means (logged). Under ``"censored"`` a sample whose wells are all below the LOD holds
        its LOD with ``<column>_censored`` True beside it; a sample with some wells detected
        holds the mean of those (its below-LOD wells excluded, logged; see
        :mod:`hormonestats.derive.censored_wells` for why).
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

    The options are those of :class:`hormonestats.options.ProcessingOptions` (its
    :meth:`~hormonestats.options.ProcessingOptions.sample_options`), checked there.

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
    ProcessingOptions.coerce(None, lod_policy=lod_policy, max_cv=max_cv,
                             exclude_imprecise=exclude_imprecise, transform=transform,
                             winsorize_k=winsorize_k, log_offset=log_offset)  # checked once
    samples = study["samples"] if not isinstance(study, pd.DataFrame) else study
    if samples.empty:
        raise DataError("samples: the table has no rows to process")
    options = {"lod_policy": lod_policy, "max_cv": max_cv,
               "exclude_imprecise": exclude_imprecise}
    means = sample_means(samples, **options)
    means.require_values(lod_policy)
    inter = _inter_cv(samples, control_mask(samples))
    table, wide_log, placed, _ = wide(means.agg)
    agg = means.agg.assign(table_column=placed)
    analytes = first_seen(means.seen)
    table, final_log = finish_table(table, analytes, set(placed.unique()), transform=transform,
                                    winsorize_k=winsorize_k, log_offset=log_offset)
    settings = {**options, "transform": transform, "winsorize_k": winsorize_k,
                "log_offset": log_offset}
    return ProcessedSamples(
        samples=agg.reset_index(drop=True),
        table=table,
        log=combine_logs([means.log, wide_log, final_log]),
        lod_summary=means.lod_summary,
        intra_cv=means.intra_cv,
        inter_cv=inter,
        n_input_rows=means.n_input,
        n_used_wells=means.n_used,
        settings=settings,
    )


@dataclass(frozen=True)
class SampleMeans:
    """One set of wells (a study or a subject partition of it) up to the sample means."""

    agg: pd.DataFrame          # one row per analysed sample (no analysis-table column yet)
    log: pd.DataFrame
    lod_summary: pd.DataFrame  # counts per analyte and matrix
    intra_cv: pd.DataFrame     # per plate and analyte
    n_input: int
    n_used: int
    n_subject_readings: int
    n_no_value: int
    #: first row (label) at which each analyte x matrix appears among the subject readings
    seen: pd.DataFrame
    #: excluded wells by step and reason (:func:`excluded_wells`)
    excluded: pd.DataFrame | None = None

    def require_values(self, lod_policy: str) -> None:
        """Raise when no reading is left to analyse (a study-wide condition)."""
        if self.n_subject_readings and self.n_no_value == self.n_subject_readings \
                or not self.n_subject_readings:
            raise DataError(
                f"samples: no reading is left to analyse after the LOD policy {lod_policy!r} "
                f"({self.n_no_value} of {self.n_subject_readings} subject readings have no "
                "numeric value); choose a substitution policy such as 'lod/sqrt2'"
            )


def sample_means(samples: pd.DataFrame, *, lod_policy: str = SAMPLE_OPTIONS["lod_policy"],
                 max_cv: float = SAMPLE_OPTIONS["max_cv"],
                 exclude_imprecise: bool = False) -> SampleMeans:
    """The wells of ``samples`` -> sample means: controls set aside, LOD policy, canonical
    units, replicate means and CVs (imprecise samples excluded when asked), every decision
    logged; with the quality counts of these wells. Works on any set of whole subjects."""
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
    kept_censored, logged = None, False
    if lod_policy == "censored":
        canon, kept_censored, logged, cens_log = censored_wells(canon, lodded, no_value)
        no_value = no_value & ~kept_censored
        logs.append(cens_log)
    logs.append(log_rows("process_samples", _TABLE, canon, no_value & ~logged, "excluded",
                         f"no numeric value after LOD policy {lod_policy!r}"))
    usable = canon.loc[~no_value] if no_value.any() else canon
    n_subject, n_no_value = len(canon), int(no_value.sum())
    # the quality tables and the analytes first, so that the wells' frames can go
    qc_lod = applied_lod_summary(lodded) if len(lodded) else pd.DataFrame()
    detected = usable if kept_censored is None else usable.loc[~usable["censored_at_lod"]]
    intra = intra_assay_cv(detected, value="value_canonical") \
        if "plate_id" in canon.columns and len(detected) else pd.DataFrame()
    seen = _first_rows(canon)
    del subj, lodded
    if usable.empty:
        return SampleMeans(usable.iloc[0:0], combine_logs(logs), qc_lod, intra, n_input, 0,
                           n_subject, n_no_value, seen, excluded_wells(logs))
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
    return SampleMeans(agg, combine_logs(logs), qc_lod, intra, n_input, len(usable), n_subject,
                       n_no_value, seen, excluded_wells(logs))


def excluded_wells(logs: list[pd.DataFrame]) -> pd.DataFrame:
    """Excluded wells per step and reason of a chain's logs (in the chain's order): ``n``,
    ``rank`` (the step's place in the chain) and ``row`` (the first row it concerns), so that
    partitions' counts combine in the order the accounting of the whole table lists them."""
    parts = []
    for rank, log in enumerate(logs):
        wells = log.loc[(log["table"] == _TABLE) & (log["action"] == "excluded")]
        if len(wells):
            row = pd.to_numeric(wells["row"], errors="coerce")
            parts.append(pd.DataFrame({"step": wells["step"], "reason": wells["reason"],
                                       "rank": rank, "row": row})
                         .groupby(["step", "reason"], sort=False)
                         .agg(n=("row", "size"), rank=("rank", "min"), row=("row", "min"))
                         .reset_index())
    return pd.concat(parts, ignore_index=True) if parts else \
        pd.DataFrame(columns=["step", "reason", "n", "rank", "row"])


def _first_rows(canon: pd.DataFrame) -> pd.DataFrame:
    """Each analyte x matrix of the subject readings with the first row label it appears at
    (its position in a table read whole), for the order of the analysis-table columns."""
    cols = [c for c in ("analyte", "matrix") if c in canon.columns]
    if "analyte" not in cols or canon.empty:
        return pd.DataFrame(columns=["analyte", "matrix", "row"])
    index = canon.index
    ordered = pd.api.types.is_integer_dtype(index) and index.is_monotonic_increasing
    # the first reading of each distinct pair (positions), then the pairs as text
    first = np.flatnonzero(~canon[cols].duplicated().to_numpy() & canon["analyte"].notna()
                           .to_numpy())
    named = canon[cols].iloc[first]
    out = pd.DataFrame({"analyte": named["analyte"].astype(str).to_numpy(),
                        "matrix": named["matrix"].astype(str).to_numpy()
                        if "matrix" in cols else None,
                        "row": index.to_numpy()[first] if ordered else first})
    return out.drop_duplicates(["analyte", "matrix"]).reset_index(drop=True)


def first_seen(seen: pd.DataFrame | list) -> list[str]:
    """The analytes' analysis-table variables in the order they first appear."""
    if isinstance(seen, list):
        seen = pd.concat([s for s in seen if len(s)], ignore_index=True) if \
            any(len(s) for s in seen) else pd.DataFrame(columns=["analyte", "matrix", "row"])
    if seen.empty:
        return []
    seen = seen.sort_values("row", kind="stable").drop_duplicates(["analyte", "matrix"])
    frame = seen[["analyte"] + (["matrix"] if seen["matrix"].notna().any() else [])]
    return [str(a) for a in pd.unique(variable_names(frame))]


def finish_table(table: pd.DataFrame, analytes: list[str], placed: set, *, transform,
                 winsorize_k, log_offset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wide table's study-wide steps: a column for every analyte, the log transform and
    winsorising (which uses the whole study's mean and SD)."""
    logs = []
    for a in analytes:  # an analyte with no analysable sample still gets its (empty) column
        if a not in table.columns:
            table[a] = np.nan
    present = [a for a in analytes if table[a].notna().any()]
    present += sorted(placed - set(analytes))  # the per-sample columns of a series
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
    return table, combine_logs(logs)


def session_dates(source: pd.DataFrame) -> pd.DataFrame:
    """The first date of each subject x session (controls left out): the session's date."""
    source = source[~control_mask(source)]
    return (source[["subject_id", "session", "date"]].dropna()
            .assign(date=lambda f: pd.to_datetime(f["date"], format="mixed"),
                    session=lambda f: f["session"].astype(str))
            .groupby(["subject_id", "session"], as_index=False)["date"].min())


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
