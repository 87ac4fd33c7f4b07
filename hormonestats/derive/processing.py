"""One chain from a study's raw tables to the analysis table, with the log of every decision.

``process_samples`` chains the public assay steps (LOD policy -> canonical units -> replicate
means and CV flags -> one row per subject x session -> log transform -> optional winsorising)
and computes the assay quality tables. ``process_study`` adds the genotype codings, instrument
scores, subject characteristics and treatment arms, giving the analysis table the models use.

Row accounting holds for the samples table, counted in wells: every input row is either used
in an analysed sample mean or logged as excluded (``ProcessedSamples.accounting()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..log import combine_logs, empty_log, log_rows
from ..registry.units import to_canonical
from .assays import (
    DEFAULT_MAX_CV,
    aggregate_replicates,
    apply_lod,
    control_mask,
    inter_assay_cv,
    intra_assay_cv,
    lod_summary,
    log_transform,
    winsorize,
)

__all__ = ["ProcessedSamples", "ProcessedStudy", "instrument_keys", "process_samples",
           "process_study"]

_TABLE = "samples"


@dataclass(frozen=True)
class ProcessedSamples:
    """What :func:`process_samples` returns.

    Attributes
    ----------
    samples : DataFrame
        One row per analysed sample (replicates averaged), canonical units.
    table : DataFrame
        Wide: one row per subject x session, one column per analyte (canonical unit), its
        ``log_`` column, and cortisol features where a session has a cortisol series.
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
        """Input rows = wells used + wells excluded, per step and reason."""
        excl = self.log[(self.log["table"] == _TABLE) & (self.log["action"] == "excluded")]
        rows = [{"stage": "input rows (wells)", "n": self.n_input_rows}]
        for (step, reason), grp in excl.groupby(["step", "reason"], sort=False):
            rows.append({"stage": f"excluded at {step}: {reason}", "n": -len(grp)})
        rows.append({"stage": "wells in analysed samples", "n": self.n_used_wells})
        out = pd.DataFrame(rows)
        if self.n_input_rows != self.n_used_wells + len(excl):
            raise AssertionError("row accounting does not balance")  # internal invariant
        return out


@dataclass(frozen=True)
class ProcessedStudy:
    """What :func:`process_study` returns: the analysis table and everything behind it."""

    table: pd.DataFrame
    samples: ProcessedSamples | None
    scores: pd.DataFrame | None
    genotype_qc: pd.DataFrame | None
    log: pd.DataFrame
    codings: dict = field(default_factory=dict)
    #: genotype QC within each ancestry group (subjects' ``ancestry``), where recorded: pooled
    #: samples of several ancestries deviate from Hardy–Weinberg by mixture alone (Wahlund).
    genotype_qc_by_ancestry: pd.DataFrame | None = None

    def __repr__(self) -> str:
        actions = self.log["action"].value_counts().to_dict() if len(self.log) else {}
        return (f"ProcessedStudy(table {self.table.shape[0]} rows x {self.table.shape[1]} "
                f"columns; log {dict(actions)})")

    def _repr_html_(self) -> str:
        from ..display import ResultDisplay

        log = (self.log.groupby(["step", "action"]).size().rename("n").reset_index()
               if len(self.log) else self.log)
        return ResultDisplay.html(repr(self), [("Analysis table (first rows)", self.table.head()),
                                               ("Log by step", log)])


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
    usable = canon.loc[~no_value]
    if usable.empty:
        raise DataError(
            f"samples: no reading is left to analyse after the LOD policy {lod_policy!r} "
            f"({int(no_value.sum())} of {len(canon)} subject readings have no numeric value); "
            "choose a substitution policy such as 'lod/sqrt2'"
        )
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

    qc_lod = lod_summary(lodded)
    intra = intra_assay_cv(canon.loc[~no_value], value="value_canonical") \
        if "plate_id" in canon.columns else pd.DataFrame()
    inter = _inter_cv(samples, control)

    table, wide_log = _wide(agg)
    logs.append(wide_log)
    analytes = [str(a) for a in pd.unique(_variable(canon.dropna(subset=["analyte"])))]
    for a in analytes:  # an analyte with no analysable sample still gets its (empty) column
        if a not in table.columns:
            table[a] = np.nan
    present = [a for a in analytes if table[a].notna().any()]
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


def _wide(agg: pd.DataFrame):
    """Pivot sample means to one row per subject x session.

    An analyte sampled once per session gives one column; an analyte sampled several times
    (a cortisol series) gives its first (baseline) sample in ``<analyte>`` and, for cortisol,
    the time-course features (AUCg, AUCi, peak reactivity) from :func:`hormonestats.cortisol_features`.
    """
    from .cortisol import cortisol_features

    idx = [k for k in ("subject_id", "session") if k in agg.columns]
    logs = [empty_log()]
    work = agg.assign(variable=_variable(agg))
    if "session" in idx:
        work["session"] = work["session"].astype(str).where(work["session"].notna(), "")
    order = [c for c in ("sample_number", "sample_time") if c in work.columns]
    if order:
        work = work.sort_values(idx + ["variable"] + order, kind="stable")
    first = work.groupby(idx + ["variable"], sort=True, dropna=False)["value"].first()
    table = first.unstack("variable").reset_index()
    table.columns.name = None
    counts = work.groupby(idx + ["variable"], dropna=False).size()
    multi = counts[counts > 1]
    if "sample_time" in work.columns and "cortisol" in set(
        multi.index.get_level_values("variable")
    ):
        series = work.loc[work["variable"] == "cortisol"]
        by = [k for k in idx if k != "subject_id"]
        n_sched = int(series.groupby(idx, dropna=False).size().max())
        feats, flog = cortisol_features(series, y="value", time="sample_time",
                                        subject="subject_id", by=tuple(by),
                                        min_samples=max(2, n_sched - 1), interpolate=True)
        # these entries concern derived features, not wells: they point at subjects
        logs.append(flog.assign(table="cortisol_features", row=None))
        keep = [c for c in ("auc_g", "auc_i", "auc_i_post", "peak_reactivity", "time_to_peak")
                if c in feats.columns]
        feats = feats[idx + keep].rename(columns={c: f"cortisol_{c}" for c in keep})
        table = table.merge(feats, on=idx, how="left")
    return table, combine_logs(logs)


def instrument_keys(study) -> dict:
    """Answer keys of a study's instruments: from the contract, inline or read from key files."""
    keys = {}
    contract = study.contract
    base = None
    if study.sources:
        base = Path(next(iter(study.sources.values()))).parent
    elif contract.path:
        base = Path(contract.path).parent
    for name, spec in contract.instruments.items():
        if spec.key is None:
            continue
        if isinstance(spec.key, str):
            if base is None:
                raise DataError(f"instruments.{name}: key file {spec.key!r} but no data folder")
            path = base / spec.key
            if not path.exists():
                raise DataError(f"instruments.{name}: key file {spec.key} not found in the data "
                                "folder")
            frame = pd.read_csv(path, dtype={"item": "str"})
            if not {"item", "correct"} <= set(frame.columns):
                raise DataError(f"instruments.{name}: key file {spec.key} needs columns item, "
                                "correct")
            keys[name] = dict(zip(frame["item"], frame["correct"]))
        else:
            keys[name] = spec.key
    return keys


def process_study(
    study,
    *,
    genotype_coding: str = "additive",
    groupings: bool = True,
    **sample_options,
) -> ProcessedStudy:
    """The analysis table of a study: hormones, genotype codings, scores, subjects, arms.

    Parameters
    ----------
    study : Study
    genotype_coding : str
        Coding for every SNP of the contract (``additive`` counts the registry's minor allele;
        see :func:`hormonestats.code_genotypes`). Named groupings (e.g. rs53576 GG vs
        A-carriers) are added too when ``groupings`` is true.
    **sample_options
        Passed to :func:`process_samples`.

    Returns
    -------
    ProcessedStudy
        ``table``: one row per subject x session (or per subject when there are no sessions).
    """
    from .genotypes import GROUPINGS, code_genotypes, genotype_qc, normalize_genotypes
    from .scoring import score_responses

    tables = study.tables
    logs = []
    subjects = tables["subjects"].copy()
    per_session = None  # hormones, scores: one row per subject x session, outer-joined
    processed = None
    if "samples" in tables:
        processed = process_samples(study, **sample_options)
        logs.append(processed.log)
        per_session = processed.table
        missing = ~subjects["subject_id"].isin(processed.table["subject_id"])
        logs.append(log_rows("process_study", "subjects", subjects, missing, "flagged",
                             "no analysable hormone sample"))
    scores = None
    if "responses" in tables and study.contract.instruments:
        instruments = {n: study.contract.instrument(n) for n in study.contract.instruments}
        endowments = [s.endowment for s in study.contract.instruments.values()
                      if s.endowment is not None]
        opts = {"endowment": endowments[0]} if endowments else {}
        scores, slog = score_responses(tables["responses"], instruments,
                                       keys=instrument_keys(study), **opts)
        logs.append(slog)
        per_session = scores if per_session is None else \
            _join_by_session(per_session, scores, "responses")
    # every subject of the roster stays in the table (with missing values where it has no
    # data), so that models, not merges, decide and report who is analysed
    table = subjects if per_session is None else \
        subjects.merge(per_session, on="subject_id", how="left")
    qc = None
    qc_groups = None
    codings = {}
    if "genotypes" in tables and study.contract.snps:
        strand = {r: s.strand for r, s in study.contract.snps.items()}
        geno, glog = normalize_genotypes(tables["genotypes"], strand=strand)
        logs.append(glog)
        qc = genotype_qc(geno, group=None)
        if "ancestry" in subjects.columns and subjects["ancestry"].notna().any():
            with_group = geno.merge(subjects[["subject_id", "ancestry"]], on="subject_id",
                                    how="left")
            qc_groups = genotype_qc(with_group, group="ancestry")
        snps = list(study.contract.snps)
        coded = code_genotypes(geno, snp=snps, coding=genotype_coding)
        codings[genotype_coding] = [c for c in coded.columns if c != "subject_id"]
        table = table.merge(coded, on="subject_id", how="left")
        if groupings:
            for name, grouping in GROUPINGS.items():
                if grouping.snp in snps:
                    grp = code_genotypes(geno, snp=grouping.snp, coding="group", grouping=name)
                    codings[name] = [name]
                    table = table.merge(grp, on="subject_id", how="left")
    table, alog = _androgens(table)
    logs.append(alog)
    if "cycles" in tables and "session" in table.columns:
        cycle_cols, clog = _cycle_columns(tables)
        if cycle_cols is not None:
            logs.append(clog)
            table = table.assign(session=table["session"].astype(str)).merge(
                cycle_cols, on=["subject_id", "session"], how="left")
    if "treatments" in tables:
        arm = _arm(tables["treatments"])
        if arm is not None:
            frame, keys = arm
            if "session" in keys:
                table = table.assign(session=table["session"].astype(str))
            table = table.merge(frame, on=keys, how="left")
    return ProcessedStudy(table=table, samples=processed, scores=scores, genotype_qc=qc,
                          log=combine_logs(logs), codings=codings,
                          genotype_qc_by_ancestry=qc_groups)


def _androgens(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Free and bioavailable testosterone and the free androgen index from serum/plasma.

    Needs total testosterone and SHBG of the same blood sample (columns ``testosterone`` and
    ``shbg``, or ``testosterone_serum``/``testosterone_plasma`` when testosterone was also
    measured in saliva); albumin from an ``albumin`` column when measured, else 43 g/L
    (Vermeulen et al. 1999). Canonical units: nmol/L, albumin g/L.
    """
    from .androgens import bioavailable_testosterone, free_androgen_index, free_testosterone

    if "shbg" not in table.columns:
        return table, empty_log()
    t_col = next((c for c in ("testosterone_serum", "testosterone_plasma", "testosterone")
                  if c in table.columns), None)
    if t_col is None:
        return table, empty_log()
    albumin = table["albumin"] if "albumin" in table.columns else 43.0
    if isinstance(albumin, pd.Series):
        albumin = albumin.fillna(43.0)
    total, shbg = table[t_col], table["shbg"]
    out = table.assign(
        free_testosterone=free_testosterone(total, shbg, albumin=albumin),
        bioavailable_testosterone=bioavailable_testosterone(total, shbg, albumin=albumin),
        free_androgen_index=free_androgen_index(total, shbg),
    )
    log = empty_log()
    if "albumin" in table.columns:
        log = log_rows("process_study", "analysis", table, table["albumin"].isna()
                       & total.notna() & shbg.notna(), "altered",
                       "albumin not measured: free testosterone with 43 g/L (Vermeulen 1999)")
    return out, log


#: Cycle columns that go into the analysis table (see :func:`hormonestats.cycle_days`).
CYCLE_COLUMNS = ("cycle_id", "forward_day", "backward_day", "cycle_length", "ovulation_source",
                 "days_from_ovulation", "luteal_length", "cycle_time", "cycle_included",
                 "cycle_phase")


def _cycle_columns(tables) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Cycle day, phase and continuous cycle time of every subject x session with a date.

    The session's date is the first ``date`` of its samples (else of its responses); the
    ``cycles`` table holds the menses onsets and LH tests. Cycles outside the inclusion limits
    are flagged in the log by :func:`hormonestats.cycle_days`, not dropped.
    """
    from .cycle import cycle_days, cycle_phase

    dated = [tables[t] for t in ("samples", "responses")
             if t in tables and {"date", "session"} <= set(tables[t].columns)]
    if not dated:
        return None, empty_log()
    source = dated[0]
    source = source[~control_mask(source)]
    visits = (source[["subject_id", "session", "date"]].dropna()
              .assign(date=lambda f: pd.to_datetime(f["date"], format="mixed"),
                      session=lambda f: f["session"].astype(str))
              .groupby(["subject_id", "session"], as_index=False)["date"].min())
    events = tables["cycles"].assign(
        date=lambda e: pd.to_datetime(e["date"], format="mixed"))
    days, log = cycle_days(visits, events=events, table="analysis")
    days = cycle_phase(days)
    keep = ["subject_id", "session", *[c for c in CYCLE_COLUMNS if c in days.columns]]
    return days[keep], log


def _join_by_session(table: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    """Outer-join per-session data on subject and session when their session labels match.

    In a between-subject design the hormones may be sampled at one visit ("baseline") and the
    tasks done at another ("test"); with one row per subject on each side and no shared session
    label, the join is on subject alone and the other side's label is kept as
    ``<name>_session``.
    """
    if "session" in table.columns and "session" in other.columns:
        left = table.assign(session=table["session"].astype(str))
        right = other.assign(session=other["session"].astype(str))
        shared = set(left["session"]) & set(right["session"])
        single = (not left["subject_id"].duplicated().any()
                  and not right["subject_id"].duplicated().any())
        if shared or not single:
            return left.merge(right, on=["subject_id", "session"], how="outer", sort=False)
        right = right.rename(columns={"session": f"{name}_session"})
        return left.merge(right, on="subject_id", how="outer", sort=False)
    other = other.drop(columns=["session"], errors="ignore") if "session" not in table.columns \
        else other
    return table.merge(other, on="subject_id", how="outer", sort=False)


def _arm(treatments: pd.DataFrame) -> tuple[pd.DataFrame, list[str]] | None:
    """``oxytocin_arm`` = 1 for intranasal oxytocin, 0 for placebo.

    Between designs: one agent per subject, joined on subject. Crossovers: one agent per
    subject and ``session`` (the treatments table names the session), joined on both.
    Returns the frame and its join keys, or None when the agents are not oxytocin/placebo or
    the arm cannot be placed (several agents per subject and no session column).
    """
    if "agent" not in treatments.columns:
        return None
    keys = ["subject_id", "session"] if "session" in treatments.columns and \
        treatments["session"].notna().all() else ["subject_id"]
    work = treatments.assign(**({"session": treatments["session"].astype(str)}
                                if "session" in keys else {}))
    agents = work.groupby(keys)["agent"].agg(lambda s: set(s.astype(str)))
    if not (agents.map(len) == 1).all():
        return None
    agent = agents.map(lambda s: next(iter(s)))
    if not agent.isin(["intranasal_oxytocin", "placebo"]).all():
        return None
    frame = agent.reset_index().assign(
        oxytocin_arm=lambda f: (f["agent"] == "intranasal_oxytocin").astype(int)
    ).drop(columns=["agent"])
    return frame, keys
