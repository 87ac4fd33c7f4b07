"""One chain from a study's raw tables to the analysis table, with the log of every decision.

``process_study`` takes the hormone table of :func:`~hormonestats.derive.hormone_table.process_samples`
and adds the genotype codings, instrument scores, subject characteristics, cycle days and
treatment arms, giving the analysis table the models use. ``ProcessedStudy.accounting()``
carries the samples' row accounting into that table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import DataError
from ..log import combine_logs, empty_log, log_rows
from ..options import ProcessingOptions
from ._keys import isin
from .hormone_table import ProcessedSamples, process_samples, session_dates, unplaced_samples

__all__ = ["ProcessedStudy", "instrument_keys", "process_study"]


@dataclass(frozen=True)
class ProcessedStudy:
    """What :func:`process_study` returns: the analysis table and everything behind it."""

    table: pd.DataFrame
    #: the hormone chain's result; for a scanned study a
    #: :class:`~hormonestats.derive.scanned_processing.PartitionedSamples` (per-sample table
    #: and wells' log on disk)
    samples: ProcessedSamples | None
    scores: pd.DataFrame | None
    genotype_qc: pd.DataFrame | None
    log: pd.DataFrame
    codings: dict = field(default_factory=dict)
    #: genotype QC within each ancestry group (subjects' ``ancestry``), where recorded: pooled
    #: samples of several ancestries deviate from Hardy–Weinberg by mixture alone (Wahlund).
    genotype_qc_by_ancestry: pd.DataFrame | None = None
    #: the processing options used (recorded in the manifest)
    options: ProcessingOptions = field(default_factory=ProcessingOptions)

    def accounting(self) -> pd.DataFrame:
        """The samples' accounting (:meth:`ProcessedSamples.accounting`) carried into the
        analysis table: every analysed sample's value is in its cell, or its subject is logged
        as missing from the subjects table."""
        if self.samples is None:
            return pd.DataFrame(columns=["stage", "n"])
        out = self.samples.accounting()
        stray = self.log.loc[(self.log["step"] == "process_study")
                             & (self.log["action"] == "excluded"), "subject_id"]
        if hasattr(self.samples, "per_subject"):  # partitioned: counts per subject
            counts = self.samples.per_subject
            lost_ids = ~counts.index.isin(self.table["subject_id"])
            n_lost = int(counts[lost_ids].sum())
            n_unlogged = int(counts[lost_ids & ~counts.index.isin(stray)].sum())
            n_samples = self.samples.n_samples
        else:
            lost = unplaced_samples(self.samples.samples, self.table)
            n_lost = len(lost)
            n_unlogged = int((~lost["subject_id"].isin(stray)).sum())
            n_samples = len(self.samples.samples)
        extra = pd.DataFrame([
            {"stage": "analysed samples of subjects not in the subjects table (logged)",
             "n": n_lost - n_unlogged},
            {"stage": "analysed samples in the study's analysis table",
             "n": n_samples - n_lost},
        ])
        if n_unlogged:  # internal invariant
            raise AssertionError(f"{n_unlogged} analysed samples are not in the table")
        return pd.concat([out, extra], ignore_index=True)

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


def instrument_keys(study) -> dict:
    """Answer keys of a study's instruments: from the contract, inline or read from key files."""
    keys = {}
    contract = study.contract
    base = study.data_folder
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
            from ..study.files import read_file  # dialect detected, as every table

            frame = read_file(path, f"instruments.{name}.key")[0]
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
    options: ProcessingOptions | dict | None = None,
    genotype_coding: str = "additive",
    groupings: bool = True,
    out=None,
    **sample_options,
) -> ProcessedStudy:
    """The analysis table of a study: hormones, genotype codings, scores, subjects, arms.

    Parameters
    ----------
    study : Study or ScannedStudy
        A scanned study (:func:`hormonestats.scan_study`) is processed one subject partition
        at a time (see ``out``).
    options : ProcessingOptions or dict, optional
        How raw readings become values (LOD policy, replicate CV limit, transform, outliers);
        default :class:`~hormonestats.options.ProcessingOptions` ().
    genotype_coding : str
        Coding for every SNP of the contract (``additive`` counts the registry's minor allele;
        see :func:`hormonestats.code_genotypes`). Named groupings (e.g. rs53576 GG vs
        A-carriers) are added too when ``groupings`` is true.
    out : str or Path, optional
        For a scanned study (:func:`hormonestats.scan_study`, samples on disk): the new or
        empty folder where the per-sample table and the log of every well are written
        (parquet, one file per subject partition); ``samples`` is then a
        :class:`~hormonestats.derive.scanned_processing.PartitionedSamples`. The analysis
        table equals the one of the study read into memory.
    **sample_options
        The same options as keywords in :func:`process_samples`' spelling (``lod_policy=``,
        ``max_cv=``, ...); they override ``options``.

    Returns
    -------
    ProcessedStudy
        ``table``: one row per subject x session (or per subject when there are no sessions).
    """
    from .genotypes import GROUPINGS, code_genotypes, genotype_qc, normalize_genotypes
    from .scoring import score_responses

    opts = ProcessingOptions.coerce(options, **sample_options)
    tables = study.tables
    logs = []
    subjects = tables["subjects"].copy()
    per_session = None  # hormones, scores: one row per subject x session, outer-joined
    processed = None
    scanned = hasattr(study, "partitions")  # a ScannedStudy: samples processed in partitions
    if scanned:
        from .scanned_processing import process_scanned_samples

        processed = process_scanned_samples(study, out, **opts.sample_options())
    elif out is not None:
        raise DataError("process_study: out= is for a scanned study (hs.scan_study), whose "
                        "per-sample table and log are written there")
    elif "samples" in tables:
        processed = process_samples(study, **opts.sample_options())
    if processed is not None:
        logs.append(processed.log)
        per_session = processed.table
        missing = ~isin(subjects["subject_id"], processed.table["subject_id"])
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
    if per_session is not None:
        stray = ~isin(per_session["subject_id"], subjects["subject_id"])
        logs.append(log_rows("process_study", "analysis", per_session, stray, "excluded",
                             "subject not in the subjects table"))
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
        cycle_cols, clog = _cycle_columns(tables, processed.visits if scanned else None)
        if cycle_cols is not None:
            logs.append(clog)
            table = table.assign(session=table["session"].astype(str)).merge(
                cycle_cols, on=["subject_id", "session"], how="left")
    if "treatments" in tables:
        arm = _arm(tables["treatments"])
        logs.append(_arm_log(tables["treatments"], arm))
        if arm is not None:
            frame, keys = arm
            if "session" in keys:
                table = table.assign(session=table["session"].astype(str))
            table = table.merge(frame, on=keys, how="left")
    return ProcessedStudy(table=table, samples=processed, scores=scores, genotype_qc=qc,
                          log=combine_logs(logs), codings=codings,
                          genotype_qc_by_ancestry=qc_groups, options=opts)


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


def _cycle_columns(tables, visits=None) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Cycle day, phase and continuous cycle time of every subject x session with a date.

    The session's date is the first ``date`` of its samples (else of its responses); the
    ``cycles`` table holds the menses onsets and LH tests. Cycles outside the inclusion limits
    are flagged in the log by :func:`hormonestats.cycle_days`, not dropped.
    """
    from .cycle import cycle_days, cycle_phase

    if visits is None:
        dated = [tables[t] for t in ("samples", "responses")
                 if t in tables and {"date", "session"} <= set(tables[t].columns)]
        if not dated:
            return None, empty_log()
        visits = session_dates(dated[0])
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


def _arm_log(treatments: pd.DataFrame, arm) -> pd.DataFrame:
    """Why no ``oxytocin_arm`` column when oxytocin was given: several agents in one period."""
    if arm is not None or "agent" not in treatments.columns:
        return empty_log()
    agents = treatments["agent"].astype(str)
    if not agents.isin(["intranasal_oxytocin", "placebo"]).all():
        return empty_log()  # other agents: no oxytocin arm is defined
    keys = ["subject_id", "session"] if "session" in treatments.columns and \
        treatments["session"].notna().all() else ["subject_id"]
    several = agents.groupby([treatments[k].astype(str) for k in keys]).transform("nunique") > 1
    where = "subject and session" if len(keys) == 2 else "subject (no session column)"
    return log_rows("process_study", "treatments", treatments, several, "flagged",
                    f"more than one agent per {where}: no oxytocin_arm column for any row")


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
