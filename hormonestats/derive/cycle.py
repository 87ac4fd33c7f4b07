"""Menstrual cycle days, phases and continuous cycle time.

The canonical study table is ``cycles``: one row per event with columns ``subject_id``,
``date`` (datetime64) and ``event``, one of :data:`CYCLE_EVENTS`.

Day-count conventions (Schmalenberger et al. 2021)
--------------------------------------------------
* Forward day: the day of menses onset is **day 1** (there is no day 0); the next day is day 2.
* Backward day: the day *before* the next onset is **day -1**; the onset day itself belongs to
  the next cycle's forward count.
* Ovulation: the day after the first positive LH test of the cycle (LH+1,
  ``ovulation_source="lh"``); without an LH test, next onset minus 15 days
  (``"estimated"``, i.e. backward day -15); without a next onset and without LH it cannot be
  estimated (``"unavailable"``).

References
----------
Schmalenberger, K. M., et al. (2021). How to study the menstrual cycle: Practical tools and
recommendations. Psychoneuroendocrinology, 123, 104895.

Nagpal, A., Schmalenberger, K. M., et al. (2025). Studying the menstrual cycle as a continuous
variable: Implementing phase-aligned cycle time scaling (PACTS) with the menstrualcycleR package.
OSF Preprints, doi:10.31219/osf.io/hd5xw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..checks import require_columns
from ..errors import DataError, format_rows
from ..log import Derived, empty_log, log_rows

__all__ = [
    "CYCLE_EVENTS",
    "CYCLE_LIMITS",
    "PHASE_WINDOWS",
    "cycle_days",
    "cycle_phase",
]

#: Event vocabulary of the ``cycles`` table.
CYCLE_EVENTS = ("menses_onset", "lh_positive", "lh_negative", "bleeding")

#: Inclusion limits (days, inclusive) for a cycle and its luteal phase; typical choices in
#: the cycle literature (Schmalenberger et al. 2021).
CYCLE_LIMITS = {"cycle_length": (21, 35), "luteal_length": (7, 18)}

#: Days from the next onset back to the estimated ovulation when no LH test is positive.
OVULATION_BACKWARD_DAYS = 15

_INF = np.inf

#: Phase windows per scheme. Each entry is ``(phase, conditions)``; conditions map an anchor
#: (``forward`` = forward day, onset = 1; ``backward`` = backward day, -1 = day before next
#: onset; ``ovulation`` = days from ovulation, 0 = ovulation day) to an inclusive ``(low,
#: high)`` range; all conditions must hold; the first matching entry wins; a day matching no
#: entry gets no phase (NaN).
#:
#: ``schmalenberger2021``: the count-based phases recommended by Schmalenberger et al. (2021):
#: perimenstrual days -3 to +2, mid-follicular +4 to +7, periovulatory -15 to -12, mid-luteal
#: -9 to -5 (gaps between them are deliberately unassigned). These windows were taken from the
#: paper's recommendations as summarised by later work and should be checked against its phase
#: table before a publication relies on them (check).
#:
#: ``five_phase``: a contiguous partition anchored on menses and ovulation: menstrual forward
#: days 1-5; premenstrual the final week before onset (backward -7 to -1, the premenstrual
#: week of the DSM-5 PMDD criteria, American Psychiatric Association 2013); periovulatory
#: ovulation day -2 to +1; follicular from day 6 to before the periovulatory window; luteal
#: from after it to backward day -8.
PHASE_WINDOWS: dict[str, list[tuple[str, dict[str, tuple[float, float]]]]] = {
    "schmalenberger2021": [
        ("perimenstrual", {"backward": (-3, -1)}),
        ("perimenstrual", {"forward": (1, 2)}),
        ("midfollicular", {"forward": (4, 7)}),
        ("periovulatory", {"backward": (-15, -12)}),
        ("midluteal", {"backward": (-9, -5)}),
    ],
    "five_phase": [
        ("menstrual", {"forward": (1, 5)}),
        ("premenstrual", {"backward": (-7, -1)}),
        ("periovulatory", {"ovulation": (-2, 1)}),
        ("follicular", {"forward": (6, _INF), "ovulation": (-_INF, -3)}),
        ("luteal", {"ovulation": (2, _INF), "backward": (-_INF, -8)}),
    ],
}

_ANCHOR_COLUMNS = {
    "forward": "forward_day",
    "backward": "backward_day",
    "ovulation": "days_from_ovulation",
}

# ----------------------------------------------------------------------------- validation
def _dates(series: pd.Series, table: str, column: str) -> pd.Series:
    if not pd.api.types.is_datetime64_any_dtype(series):
        parsed = pd.to_datetime(series, errors="coerce")
        bad = parsed.isna() & series.notna()
        if bad.any():
            raise DataError(
                f"table '{table}', column '{column}': not a date in {format_rows(series.index[bad])}"
            )
        series = parsed
    return series.dt.normalize()


def cycle_events(events: pd.DataFrame, subject: str, date: str, event: str) -> pd.DataFrame:
    """The ``cycles`` table checked: subject, normalised date and event per row."""
    require_columns(events, [subject, date, event], table="cycles", step="cycle events")
    ev = pd.DataFrame(
        {"s": events[subject], "d": _dates(events[date], "cycles", date), "e": events[event]}
    )
    bad = ~ev["e"].isin(CYCLE_EVENTS)
    problems = []
    if bad.any():
        vals = sorted({str(v) for v in ev.loc[bad, "e"]})
        problems.append(
            f"column '{event}' has unknown event(s) {vals} in {format_rows(ev.index[bad])}; "
            f"allowed: {', '.join(CYCLE_EVENTS)}"
        )
    if ev["d"].isna().any():
        problems.append(f"column '{date}' is missing in {format_rows(ev.index[ev['d'].isna()])}")
    if problems:
        raise DataError("table 'cycles': " + "; ".join(problems))
    return ev


# ----------------------------------------------------------------------------- cycle days
_NEW_COLUMNS = [
    "cycle_id",
    "cycle_start",
    "forward_day",
    "backward_day",
    "cycle_length",
    "ovulation_date",
    "ovulation_day",
    "ovulation_source",
    "days_from_ovulation",
    "luteal_length",
    "cycle_time",
    "cycle_included",
    "cycle_flag",
]


def _cycle_table(ev_subject: pd.DataFrame, limits) -> pd.DataFrame:
    """One row per cycle of one subject: start, next onset, ovulation and checks."""
    onsets = np.sort(ev_subject.loc[ev_subject["e"] == "menses_onset", "d"].unique())
    lh = np.sort(ev_subject.loc[ev_subject["e"] == "lh_positive", "d"].unique())
    rows = []
    (c_lo, c_hi), (l_lo, l_hi) = limits["cycle_length"], limits["luteal_length"]
    for k, start in enumerate(onsets):
        start = pd.Timestamp(start)
        nxt = pd.Timestamp(onsets[k + 1]) if k + 1 < len(onsets) else pd.NaT
        in_cycle = lh[(lh >= start) & ((lh < nxt) if nxt is not pd.NaT else True)]
        length = (nxt - start).days if nxt is not pd.NaT else np.nan
        if len(in_cycle):
            ov, source = pd.Timestamp(in_cycle[0]) + pd.Timedelta(days=1), "lh"
        elif nxt is not pd.NaT:
            ov, source = nxt - pd.Timedelta(days=OVULATION_BACKWARD_DAYS), "estimated"
        else:
            ov, source = pd.NaT, "unavailable"
        luteal = (nxt - ov).days if (nxt is not pd.NaT and ov is not pd.NaT) else np.nan
        reasons = []
        if nxt is pd.NaT:
            reasons.append(
                "incomplete cycle: no next menses onset, so backward day and cycle length are "
                "unknown"
                + (
                    " and ovulation cannot be estimated (no positive LH test)"
                    if source == "unavailable"
                    else ""
                )
            )
        else:
            if not c_lo <= length <= c_hi:
                reasons.append(f"cycle length {length} days outside {c_lo}-{c_hi}")
            if source == "lh" and not l_lo <= luteal <= l_hi:
                reasons.append(f"luteal length {luteal} days outside {l_lo}-{l_hi}")
        rows.append(
            {
                "cycle_id": k + 1,
                "cycle_start": start,
                "next_onset": nxt,
                "cycle_length": length,
                "ovulation_date": ov,
                "ovulation_source": source,
                "luteal_length": luteal,
                "cycle_included": not reasons,
                "cycle_flag": "; ".join(reasons) if reasons else None,
            }
        )
    return pd.DataFrame(rows)


def cycle_days(
    data: pd.DataFrame,
    *,
    events: pd.DataFrame,
    date: str = "date",
    subject: str = "subject_id",
    event: str = "event",
    table: str = "samples",
) -> Derived:
    """Cycle day counts, ovulation, continuous cycle time and inclusion checks per observation.

    Parameters
    ----------
    data : DataFrame
        Observation rows (e.g. sessions or daily diaries) with ``subject`` and ``date``.
    events : DataFrame
        The ``cycles`` table: ``subject``, ``date`` and ``event`` (:data:`CYCLE_EVENTS`).
        Only ``menses_onset`` and ``lh_positive`` are used here.
    date, subject, event : str
        Column names (the same names in both tables; ``event`` only in ``events``).
    table : str
        Name of ``data`` in the log.

    Returns
    -------
    Derived
        ``data``: a copy of ``data`` with new columns

        * ``cycle_id`` (1, 2, ... per subject, in onset order), ``cycle_start``;
        * ``forward_day`` (onset = 1), ``backward_day`` (day before next onset = -1);
        * ``cycle_length`` (days from onset to next onset);
        * ``ovulation_date``, ``ovulation_day`` (its forward day), ``ovulation_source``
          (``"lh"``: LH+1, the day after the cycle's first positive LH test; ``"estimated"``:
          next onset - 15 days; ``"unavailable"``), ``days_from_ovulation`` (0 = ovulation);
        * ``luteal_length`` (days from ovulation to next onset; 15 when estimated);
        * ``cycle_time`` in [-1, 1], the ovulation-centred phase-aligned scaling (Nagpal et al.
          2025, building on Schmalenberger et al. 2021): with ``d = forward_day - 1``,
          ``o = ovulation_day - 1`` and ``L = cycle_length``, ``-1 + d / o`` before ovulation
          (-1 on the onset day) and ``(d - o) / (L - 1 - o)`` from ovulation on (0 on the
          ovulation day, +1 on the last day before the next onset); NaN for excluded cycles;
        * ``cycle_included`` (cycle 21-35 days and, when LH-confirmed, luteal 7-18 days;
          :data:`CYCLE_LIMITS`) and ``cycle_flag`` (the reasons when not).

        Rows before the first recorded onset get only a backward day. ``log``: every row in a
        failing or incomplete cycle, or before the first onset, as ``flagged`` (never dropped).

    Examples
    --------
    >>> cycles = pd.DataFrame({"subject_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-29"]),
    ...     "event": ["menses_onset", "menses_onset"]})
    >>> obs = pd.DataFrame({"subject_id": ["a"], "date": pd.to_datetime(["2024-01-14"])})
    >>> out, log = cycle_days(obs, events=cycles)
    >>> out[["forward_day", "backward_day", "cycle_length", "ovulation_source", "cycle_time"]]
       forward_day  backward_day  cycle_length ovulation_source  cycle_time
    0           14           -15            28        estimated         0.0
    """
    require_columns(data, [subject, date], table=table, step="cycle_days")
    clash = [c for c in _NEW_COLUMNS if c in data.columns]
    if clash:
        raise DataError(
            f"table '{table}' already has column(s) {clash} that cycle_days would add; "
            "rename or drop them first"
        )
    ev = cycle_events(events, subject, date, event)
    obs_dates = _dates(data[date], table, date)
    n = len(data)
    cols = {
        "cycle_id": pd.array([pd.NA] * n, dtype="Int64"),
        "cycle_start": np.full(n, np.datetime64("NaT", "ns")),
        "forward_day": pd.array([pd.NA] * n, dtype="Int64"),
        "backward_day": pd.array([pd.NA] * n, dtype="Int64"),
        "cycle_length": pd.array([pd.NA] * n, dtype="Int64"),
        "ovulation_date": np.full(n, np.datetime64("NaT", "ns")),
        "ovulation_day": pd.array([pd.NA] * n, dtype="Int64"),
        "ovulation_source": np.array([None] * n, dtype=object),
        "days_from_ovulation": pd.array([pd.NA] * n, dtype="Int64"),
        "luteal_length": pd.array([pd.NA] * n, dtype="Int64"),
        "cycle_time": np.full(n, np.nan),
        "cycle_included": np.zeros(n, dtype=bool),
        "cycle_flag": np.array([None] * n, dtype=object),
    }
    tables = {s: _cycle_table(g, CYCLE_LIMITS) for s, g in ev.groupby("s", sort=False)}
    subj = data[subject].to_numpy()
    dates = obs_dates.to_numpy()
    for i in range(n):
        ct = tables.get(subj[i])
        d = pd.Timestamp(dates[i])
        if pd.isna(d):
            cols["cycle_flag"][i] = f"missing {date}"
            continue
        if ct is None or ct.empty:
            cols["cycle_flag"][i] = "no menses onset recorded for this subject"
            continue
        starts = ct["cycle_start"]
        before = ct.index[starts <= d]
        if not len(before):
            first = starts.iloc[0]
            cols["backward_day"][i] = (d - first).days
            cols["cycle_flag"][i] = "before the first recorded menses onset"
            continue
        c = ct.loc[before[-1]]
        fwd = (d - c["cycle_start"]).days + 1
        cols["cycle_id"][i] = int(c["cycle_id"])
        cols["cycle_start"][i] = c["cycle_start"].to_datetime64()
        cols["forward_day"][i] = fwd
        cols["ovulation_source"][i] = c["ovulation_source"]
        cols["cycle_included"][i] = bool(c["cycle_included"])
        cols["cycle_flag"][i] = c["cycle_flag"]
        if not pd.isna(c["next_onset"]):
            cols["backward_day"][i] = (d - c["next_onset"]).days
            cols["cycle_length"][i] = int(c["cycle_length"])
        if not pd.isna(c["ovulation_date"]):
            ov = c["ovulation_date"]
            ov_day = (ov - c["cycle_start"]).days + 1
            cols["ovulation_date"][i] = ov.to_datetime64()
            cols["ovulation_day"][i] = ov_day
            cols["days_from_ovulation"][i] = (d - ov).days
            if not pd.isna(c["luteal_length"]):
                cols["luteal_length"][i] = int(c["luteal_length"])
            if c["cycle_included"]:
                dd, o, length = fwd - 1, ov_day - 1, int(c["cycle_length"])
                if dd < o:
                    cols["cycle_time"][i] = -1.0 + dd / o
                elif length - 1 - o > 0:
                    cols["cycle_time"][i] = (dd - o) / (length - 1 - o)
    out = data.copy()
    for name in _NEW_COLUMNS:
        values = cols[name]
        if name in ("ovulation_source", "cycle_flag"):
            values = pd.array(values, dtype="str")
        out[name] = pd.Series(values, index=data.index)
    flag = out["cycle_flag"].notna()
    log = log_rows(
        "cycle_days", table, out, flag, "flagged", out["cycle_flag"], subject_col=subject
    )
    return Derived(out, log if len(log) else empty_log())


def cycle_phase(
    days_frame: pd.DataFrame, *, scheme: str = "schmalenberger2021", column: str = "cycle_phase"
) -> pd.DataFrame:
    """Cycle phase category from the day counts of :func:`cycle_days`.

    Parameters
    ----------
    days_frame : DataFrame
        Output of :func:`cycle_days` (needs ``forward_day``, ``backward_day``,
        ``days_from_ovulation`` and ``cycle_included``).
    scheme : str
        A key of :data:`PHASE_WINDOWS`: ``"schmalenberger2021"`` (perimenstrual days -3 to +2,
        mid-follicular +4 to +7, periovulatory -15 to -12, mid-luteal -9 to -5; Schmalenberger
        et al. 2021) or ``"five_phase"`` (menstrual, follicular, periovulatory, luteal,
        premenstrual; windows in :data:`PHASE_WINDOWS`).
    column : str
        Name of the new column.

    Returns
    -------
    DataFrame
        A copy with the new column (str); missing where the day is in no window, a needed count
        is unknown, or the cycle is excluded (``cycle_included`` False).

    Examples
    --------
    >>> cycles = pd.DataFrame({"subject_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-29"]),
    ...     "event": ["menses_onset", "menses_onset"]})
    >>> obs = pd.DataFrame({"subject_id": ["a"] * 3,
    ...     "date": pd.to_datetime(["2024-01-02", "2024-01-14", "2024-01-22"])})
    >>> cycle_phase(cycle_days(obs, events=cycles).data)["cycle_phase"].tolist()
    ['perimenstrual', 'periovulatory', 'midluteal']
    """
    if scheme not in PHASE_WINDOWS:
        raise DataError(f"unknown cycle phase scheme {scheme!r}; allowed: {sorted(PHASE_WINDOWS)}")
    needed = [*_ANCHOR_COLUMNS.values(), "cycle_included"]
    require_columns(days_frame, needed, table="cycle days", step="cycle_phase")
    anchors = {
        a: pd.to_numeric(days_frame[c], errors="coerce").astype(float).to_numpy()
        for a, c in _ANCHOR_COLUMNS.items()
    }
    included = days_frame["cycle_included"].fillna(False).astype(bool).to_numpy()
    phase = np.array([None] * len(days_frame), dtype=object)
    for name, conds in reversed(PHASE_WINDOWS[scheme]):  # earlier entries overwrite later ones
        hit = np.ones(len(days_frame), dtype=bool)
        for anchor, (lo, hi) in conds.items():
            v = anchors[anchor]
            hit &= ~np.isnan(v) & (v >= lo) & (v <= hi)
        phase[hit] = name
    phase[~included] = None
    out = days_frame.copy()
    out[column] = pd.Series(pd.array(phase, dtype="str"), index=days_frame.index)
    return out
