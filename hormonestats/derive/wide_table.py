"""Sample means -> one row per subject x session: the wide hormone table and its plan.

The pivot makes a few decisions from the whole study: which analytes need their matrix in the
column name (measured in more than one matrix), which analytes form a series (several samples
in a session: one column per sample), whether series samples are labelled by their
``sample_number`` or their order in time, and whether a cortisol series is on the protocol's
shared times or each subject's own. :func:`wide_stats` gathers what those decisions need from
one set of samples, :func:`wide_plan` makes them from the stats of one or of many parts (a
study processed in subject partitions), and :func:`wide` pivots one part by the plan; so the
partitioned path decides exactly as the in-memory one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..log import combine_logs, empty_log

__all__ = ["WidePlan", "variable_names", "wide", "wide_plan", "wide_stats"]


@dataclass(frozen=True)
class WidePlan:
    """The study-wide decisions of the pivot (see the module notes)."""

    #: analytes measured in more than one matrix (their columns are ``<analyte>_<matrix>``)
    by_matrix: frozenset = frozenset()
    #: variables with several samples in a session (a series)
    series: frozenset = frozenset()
    #: series samples labelled by ``sample_number`` (else by their order in time)
    use_numbers: bool = False
    #: every variable, sorted (the table's columns)
    variables: tuple = ()
    #: cortisol series: ``"shared"`` or ``"own"`` times, None without a cortisol series
    schedule: str | None = None
    #: the most cortisol samples of a subject in a session
    n_sched: int = 0
    #: shared schedule: the times of each session group (key: the session label or ``()``)
    times: dict = field(default_factory=dict)


def _pairs(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    analyte = frame["analyte"].astype(str)
    matrix = frame["matrix"].astype(str) if "matrix" in frame.columns else None
    return analyte, matrix


def variable_names(frame: pd.DataFrame, several=None) -> pd.Series:
    """Analysis-table column of each reading: the analyte, or ``<analyte>_<matrix>`` when the
    study measures that analyte in more than one matrix (salivary and serum testosterone must
    not share a column). ``several``: those analytes (default: found in ``frame``)."""
    analyte, matrix = _pairs(frame)
    if matrix is None:
        return analyte
    if several is None:
        n_matrices = matrix.groupby(analyte).transform("nunique")
        return analyte.where(n_matrices <= 1, analyte + "_" + matrix)
    named = analyte.isin(list(several))
    return analyte.where(~named, analyte + "_" + matrix)


def matrices(frame: pd.DataFrame) -> dict:
    """The matrices of each analyte (text, as :func:`variable_names` compares them)."""
    analyte, matrix = _pairs(frame)
    if matrix is None:
        return {a: set() for a in pd.unique(analyte)}
    pairs = pd.DataFrame({"a": analyte, "m": matrix}).drop_duplicates()
    return {a: set(g["m"].dropna()) for a, g in pairs.groupby("a", sort=False)}


def by_matrix(found: list[dict]) -> frozenset:
    """Analytes with more than one matrix in the union of :func:`matrices` results."""
    union: dict = {}
    for part in found:
        for a, ms in part.items():
            union.setdefault(a, set()).update(ms)
    return frozenset(a for a, ms in union.items() if len(ms) > 1)


def _idx(agg: pd.DataFrame) -> list[str]:
    return [k for k in ("subject_id", "session") if k in agg.columns]


def _work(agg: pd.DataFrame, by_matrix_set) -> pd.DataFrame:
    """The columns the pivot reads, keyed by (analyte, matrix) pair and sorted for it."""
    idx = _idx(agg)
    used = [c for c in (*idx, "value", "censored_at_lod", "sample_number", "sample_time")
            if c in agg.columns]
    work = agg[used].assign(variable=variable_names(agg, by_matrix_set))
    if "session" in idx:
        work["session"] = _session_text(work["session"])
    order = [c for c in ("sample_number", "sample_time") if c in work.columns]
    if order:
        work = work.sort_values(idx + ["variable"] + order, kind="stable")
    return work


def wide_stats(agg: pd.DataFrame) -> dict:
    """What :func:`wide_plan` needs from one set of sample means, per (analyte, matrix) pair
    (a pair is one variable whatever the naming): whether it forms a series, whether its
    sample numbers label the samples, its largest series, and the cortisol times by session."""
    idx = _idx(agg)
    stats = {"matrices": matrices(agg), "pairs": {}, "has_time": "sample_time" in agg.columns,
             "has_number": "sample_number" in agg.columns}
    if agg.empty:
        return stats
    analyte, matrix = _pairs(agg)
    a_codes, a_uni = pd.factorize(analyte)
    m_codes, m_uni = pd.factorize(matrix, use_na_sentinel=False) if matrix is not None else \
        (np.zeros(len(agg), dtype=np.int64), [None])
    pair = a_codes.astype(np.int64) * len(m_uni) + m_codes
    keys = [agg[k] for k in idx]
    if "session" in idx:  # as the pivot groups sessions (a missing one is "")
        keys[idx.index("session")] = _session_text(agg["session"])
    group = np.zeros(len(agg), dtype=np.int64)
    for key in [*keys, pd.Series(pair)]:
        codes, uniques = pd.factorize(key, use_na_sentinel=False)
        group, _ = pd.factorize(group * (len(uniques) + 1) + codes)
    size = np.bincount(group)[group]
    number = raw_na = None
    if stats["has_number"]:
        raw_na = agg["sample_number"].isna().to_numpy()
        number = pd.to_numeric(agg["sample_number"], errors="coerce").to_numpy(dtype=float)
    for p in np.unique(pair[a_codes >= 0]):
        rows = pair == p
        a, m = str(a_uni[p // len(m_uni)]), m_uni[p % len(m_uni)]
        m = None if m is None or pd.isna(m) else str(m)
        numbers_ok = number is not None and not raw_na[rows].any() and \
            not np.isnan(number[rows]).any() and \
            not pd.DataFrame({"g": group[rows], "n": number[rows]}).duplicated().any()
        entry = {"analyte": a, "matrix": None if matrix is None else m,
                 "series": bool((size[rows] > 1).any()), "numbers_ok": bool(numbers_ok),
                 "n_max": int(size[rows].max()) if a == "cortisol" else 0, "times": {}}
        if a == "cortisol" and stats["has_time"]:
            part = agg.loc[rows, [k for k in idx if k != "subject_id"] + ["sample_time"]]
            if "session" in idx:
                part = part.assign(session=_session_text(part["session"]))
                entry["times"] = {k: set(v.dropna()) for k, v in
                                  part.groupby("session", sort=False)["sample_time"]}
            else:
                entry["times"] = {(): set(part["sample_time"].dropna())}
        stats["pairs"][(a, m)] = entry
    return stats


def _session_text(session: pd.Series) -> pd.Series:
    return session.astype(str).where(session.notna(), "")


def wide_plan(stats: list[dict]) -> WidePlan:
    """The pivot's study-wide decisions from the :func:`wide_stats` of every part."""
    several = by_matrix([s["matrices"] for s in stats])
    # merge the entries of each pair across parts
    merged: dict = {}
    for s in stats:
        for p, e in s["pairs"].items():
            m = merged.setdefault(p, {"analyte": e["analyte"], "matrix": e["matrix"],
                                      "series": False, "numbers_ok": True, "n_max": 0,
                                      "times": {}})
            m["series"] |= e["series"]
            m["numbers_ok"] &= e["numbers_ok"]
            m["n_max"] = max(m["n_max"], e["n_max"])
            for k, v in e["times"].items():
                m["times"].setdefault(k, set()).update(v)

    def name(e):
        return e["analyte"] if e["analyte"] not in several or e["matrix"] is None else \
            f"{e['analyte']}_{e['matrix']}"

    series = frozenset(name(e) for e in merged.values() if e["series"])
    use_numbers = bool(stats and stats[0]["has_number"]) and all(
        e["numbers_ok"] for e in merged.values() if name(e) in series)
    variables = tuple(sorted({name(e) for e in merged.values()}))
    schedule, n_sched, times = None, 0, {}
    has_time = bool(stats) and stats[0]["has_time"]
    if has_time and "cortisol" in series:
        cortisol = [e for e in merged.values() if name(e) == "cortisol"]
        n_sched = max(e["n_max"] for e in cortisol)
        for e in cortisol:
            for k, v in e["times"].items():
                times.setdefault(k, set()).update(v)
        n_times = max((len(v) for v in times.values()), default=0)
        schedule = "shared" if n_times <= n_sched else "own"
    return WidePlan(by_matrix=several, series=series, use_numbers=use_numbers,
                    variables=variables, schedule=schedule, n_sched=n_sched,
                    times={k: np.array(sorted(v), dtype=float) for k, v in times.items()})


def _labels(work: pd.DataFrame, keys: list[str], use_numbers: bool) -> pd.Series:
    """Label of each sample within its subject x session x variable: the scheduled
    ``sample_number`` when every sample has a distinct one, else the order in time (1, 2, ...)."""
    if use_numbers:
        number = pd.to_numeric(work["sample_number"], errors="coerce")
        return number.map(lambda v: f"{v:g}")
    rank = work.groupby(keys, sort=False, dropna=False).cumcount() + 1
    return rank.map(str)


def wide(agg: pd.DataFrame, plan: WidePlan | None = None):
    """Pivot sample means to one row per subject x session.

    An analyte sampled once per session gives one column, ``<analyte>``. An analyte sampled
    several times in a session (a cortisol series, pre- and post-dose oxytocin) gives every
    sample its own column ``<analyte>_s<k>`` (``k`` the ``sample_number``, else the order in
    time) and its first sample also in ``<analyte>``; a cortisol series further gives the
    time-course features (AUCg, AUCi, peak reactivity) from
    :func:`hormonestats.cortisol_features`. ``plan``: the study-wide decisions (default: made
    from ``agg`` alone). Returns the table, the log and each sample's analysis-table column
    (aligned with ``agg``).
    """
    if plan is None:
        plan = wide_plan([wide_stats(agg)])
    idx = _idx(agg)
    logs = [empty_log()]
    work = _work(agg, plan.by_matrix)
    groups = idx + ["variable"]
    first = work.groupby(groups, sort=True, dropna=False)["value"].first()
    table = first.unstack("variable").reset_index()
    table.columns.name = None
    missing = [v for v in plan.variables if v not in table.columns]
    if missing:  # a part of the study without some variable: its columns, empty
        table = table.assign(**dict.fromkeys(missing, np.nan))
    table = table[idx + list(plan.variables)]
    column = work["variable"].astype(str)
    per_sample_cols: list[str] = []
    several = work["variable"].isin(list(plan.series))
    if plan.series:
        part = work.loc[several]
        column.loc[several] = part["variable"] + "_s" + _labels(part, groups, plan.use_numbers)
        if several.any():
            per_sample = (work.loc[several].assign(_column=column.loc[several])
                          .pivot_table(index=idx, columns="_column", values="value",
                                       aggfunc="first", sort=True).reset_index())
            per_sample.columns.name = None
            per_sample_cols = [c for c in per_sample.columns if c not in idx]
            table = table.merge(per_sample, on=idx, how="left")
    if "censored_at_lod" in work.columns:  # lod_policy "censored": indicators
        table = _censoring_indicators(table, work, column, idx, groups)
    if plan.schedule is not None:
        series = work.loc[work["variable"] == "cortisol"]
        feats, flog = _cortisol(series, idx, plan)
        logs.append(flog)
        table = table.merge(feats, on=idx, how="left") if feats is not None else \
            table.assign(**dict.fromkeys(CORTISOL_FEATURES, np.nan))
    return table, combine_logs(logs), column.reindex(agg.index), per_sample_cols


def _censoring_indicators(table, work, column, idx, groups) -> pd.DataFrame:
    """``<column>_censored`` (True: the value is the LOD the reading lies below) beside every
    value column, the first sample's column included; False where the value is observed."""
    flag = work.groupby(groups, sort=True, dropna=False)["censored_at_lod"]
    first = flag.first().unstack("variable")
    parts = [first.rename(columns=lambda v: f"{v}_censored")]
    several = column != work["variable"].astype(str)
    if several.any():
        per = (work.loc[several].assign(_column=column.loc[several] + "_censored")
               .pivot_table(index=idx, columns="_column", values="censored_at_lod",
                            aggfunc="first", sort=True))
        parts.append(per)
    flags = pd.concat(parts, axis=1).reset_index()
    flags.columns.name = None
    out = table.merge(flags, on=idx, how="left")
    cols = [c for c in flags.columns if c not in idx]
    out[cols] = out[cols].astype("boolean")
    return out


#: The cortisol features the table holds (from :func:`hormonestats.cortisol_features`).
CORTISOL_FEATURES = ("cortisol_auc_g", "cortisol_auc_i", "cortisol_peak_reactivity",
                     "cortisol_time_to_peak")


def _cortisol(series: pd.DataFrame, idx: list[str], plan: WidePlan):
    """Cortisol features of every subject x session with a series (Pruessner et al. 2003 AUCs
    over the protocol's shared times, else each subject's own)."""
    from .cortisol import cortisol_features

    if series.empty:
        return None, empty_log()
    by = [k for k in idx if k != "subject_id"]
    options = dict(y="value", time="sample_time", subject="subject_id", by=tuple(by),
                   min_samples=max(2, plan.n_sched - 1), interpolate=True)
    if plan.schedule == "own":
        feats, flog = cortisol_features(series, schedule="own", **options)
    else:  # each session on the times all subjects of the study were sampled at
        parts, logs = [], []
        groups = series.groupby(by[0], sort=True, dropna=False) if by else [((), series)]
        for key, grp in groups:
            times = plan.times.get(key, np.array([]))
            sched = times if len(times) >= 2 else "shared"
            f, lg = cortisol_features(grp, schedule=sched, **options)
            parts.append(f)
            logs.append(lg)
        feats, flog = pd.concat(parts, ignore_index=True), combine_logs(logs)
    keep = [c for c in ("auc_g", "auc_i", "auc_i_post", "peak_reactivity", "time_to_peak")
            if c in feats.columns]
    feats = feats[idx + keep].rename(columns={c: f"cortisol_{c}" for c in keep})
    # these entries concern derived features, not wells: they point at subjects
    return feats, flog.assign(table="cortisol_features", row=None)
