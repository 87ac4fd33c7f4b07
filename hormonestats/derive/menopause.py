"""Menopause stage from bleeding dates: the menstrual criteria of STRAW+10.

The bleeding history is the ``cycles`` table (``subject_id``, ``date``, ``event``; see
:data:`~hormonestats.derive.cycle.CYCLE_EVENTS`): ``menses_onset`` and ``bleeding`` events
mark the start of a bleeding episode.

Reference: Harlow, S. D., et al. (2012). Executive summary of the Stages of Reproductive Aging
Workshop + 10: addressing the unfinished agenda of staging reproductive aging. Journal of
Clinical Endocrinology & Metabolism, 97, 1159-1168.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .cycle import cycle_events

__all__ = ["STRAW_STAGES", "menopause_stage"]

#: STRAW+10 stages this module assigns (Harlow et al. 2012).
STRAW_STAGES = {
    "-3": "reproductive (late reproductive or earlier)",
    "-2": "early menopausal transition",
    "-1": "late menopausal transition",
    "+1a": "early postmenopause (final menstrual period confirmed)",
}


def menopause_stage(
    bleeding_history: pd.DataFrame,
    *,
    subject: str = "subject_id",
    date: str = "date",
    event: str = "event",
    as_of=None,
    min_difference: int = 7,
    persistence_cycles: int = 10,
    amenorrhoea_days: int = 60,
    fmp_months: int = 12,
) -> pd.DataFrame:
    """STRAW+10 menopause stage from bleeding dates (menstrual criteria only; Harlow et al. 2012).

    Bleeding episode starts are the ``menses_onset`` and ``bleeding`` events of the ``cycles``
    table (same-day duplicates merged); cycle length = days between consecutive starts. Rules,
    checked from the latest stage down; the first that fires gives the stage:

    * ``+1a`` (``fmp_confirmed``): no bleeding for at least ``fmp_months`` (12) calendar
      months between the last bleed and ``as_of``; the last bleed is the final menstrual period
      (``fmp_date``).
    * ``-1`` (``amenorrhoea_60d``): an interval of >= ``amenorrhoea_days`` (60) days without
      bleeding, between two bleeds or from the last bleed to ``as_of``.
    * ``-2`` (``persistent_variability``): a *variable-length cycle* is one whose length differs
      by >= ``min_difference`` (7) days from the preceding cycle; it is *persistent* when a
      further variable-length cycle occurs within ``persistence_cycles`` (10) cycles of it (the
      STRAW+10 definition). The evidence date is the end (next bleed) of the recurring
      variable-length cycle.
    * ``-3``: none of the above, with at least 3 bleeds (2 cycle lengths) observed
      (rule ``none``); with fewer, stage is missing (rule ``insufficient_data``).

    Parameters
    ----------
    bleeding_history : DataFrame
        ``subject``, ``date`` and ``event`` columns (the ``cycles`` table).
    as_of : Timestamp, str, or mapping subject -> date, optional
        Assessment date (end of the observation window). Default: the latest date in the table.

    Returns
    -------
    DataFrame
        One row per subject: ``subject``, ``stage`` ("-3", "-2", "-1", "+1a"), ``stage_name``,
        ``rule``, ``evidence_date`` (when the rule's criterion was met), ``fmp_date``,
        ``n_bleeds``, ``as_of``.

    Notes
    -----
    Supportive criteria (FSH, AMH, antral follicle count) and stage -3a/-3b distinctions are not
    used. STRAW+10 does not apply to people using hormonal contraception or after
    hysterectomy/endometrial ablation.

    Examples
    --------
    >>> d = pd.to_datetime(["2020-01-01", "2020-01-29", "2020-02-26", "2020-06-01"])
    >>> hist = pd.DataFrame({"subject_id": "a", "date": d, "event": "bleeding"})
    >>> menopause_stage(hist, as_of="2020-07-01")[["stage", "rule"]]
      stage             rule
    0    -1  amenorrhoea_60d
    """
    ev = cycle_events(bleeding_history, subject, date, event)
    bleeds = ev[ev["e"].isin(["menses_onset", "bleeding"])]
    default_as_of = ev["d"].max()
    rows = []
    for sid in pd.unique(ev["s"]):
        b = np.sort(bleeds.loc[bleeds["s"] == sid, "d"].unique())
        b = [pd.Timestamp(x) for x in b]
        if isinstance(as_of, Mapping):
            ref = as_of.get(sid, default_as_of)
        else:
            ref = default_as_of if as_of is None else as_of
        ref = pd.Timestamp(ref).normalize()
        row = {
            subject: sid,
            "stage": None,
            "rule": "insufficient_data",
            "evidence_date": pd.NaT,
            "fmp_date": pd.NaT,
            "n_bleeds": len(b),
            "as_of": ref,
        }
        if b:
            last = b[-1]
            lengths = [(b[k + 1] - b[k]).days for k in range(len(b) - 1)]
            gaps = [(b[k], g) for k, g in enumerate(lengths)] + [(last, (ref - last).days)]
            if last + pd.DateOffset(months=fmp_months) <= ref:
                row.update(
                    stage="+1a",
                    rule="fmp_confirmed",
                    evidence_date=last + pd.DateOffset(months=fmp_months),
                    fmp_date=last,
                )
            elif any(g >= amenorrhoea_days for _, g in gaps):
                start, _ = next((s, g) for s, g in gaps if g >= amenorrhoea_days)
                row.update(
                    stage="-1",
                    rule="amenorrhoea_60d",
                    evidence_date=start + pd.Timedelta(days=amenorrhoea_days),
                )
            else:
                # variable[k] refers to cycle k+1 (compared with cycle k)
                var = [
                    k + 1
                    for k in range(len(lengths) - 1)
                    if abs(lengths[k + 1] - lengths[k]) >= min_difference
                ]
                hit = next(
                    (j for i, j in zip(var, var[1:]) if j - i <= persistence_cycles),
                    None,
                )
                if hit is not None:
                    row.update(
                        stage="-2",
                        rule="persistent_variability",
                        evidence_date=b[hit + 1],
                    )
                elif len(lengths) >= 2:
                    row.update(stage="-3", rule="none")
        rows.append(row)
    out = pd.DataFrame(rows)
    out["stage_name"] = out["stage"].map(STRAW_STAGES)
    out["stage"] = pd.array(out["stage"].to_list(), dtype="str")
    for c in ("evidence_date", "fmp_date", "as_of"):
        out[c] = pd.to_datetime(out[c])
    cols = [subject, "stage", "stage_name", "rule", "evidence_date", "fmp_date", "n_bleeds"]
    return out[[*cols, "as_of"]]
