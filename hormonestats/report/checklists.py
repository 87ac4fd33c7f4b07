"""Reporting checklists filled from a study's contract and data: which items does a study meet?

Four guidelines reviewers in psychoneuroendocrinology hold a paper to:

* the cortisol awakening response consensus (Stalder et al. 2016, PNEC 63:414): waking and
  sampling times, their objective verification, the delay of the first sample after waking
  (flagged from 5 min; Smyth et al. 2013), the number of sampling days, state covariates;
* intranasal oxytocin reporting (Guastella et al. 2013, PNEC 38:612): dose in IU, formulation,
  device, puffs per nostril, the interval between dosing and testing, a placebo;
* menstrual-cycle research (Schmalenberger et al. 2021, PNEC 123:104895): menses onset dates for
  the cycle-day count, ovulation confirmation, hormone verification of phase, contraception;
* assay items: method, kit and lot, LOD and LLOQ, intra- and inter-assay CV, and how values
  below the LOD were handled.

Each item is ``met``, ``not met`` (recorded, but the data fall short: e.g. missing values or a
first sample too late) or ``not recorded`` (the study has nowhere this is written down), with
the evidence found and where in the contract or tables to record it. A guideline is listed only
when it applies (the CAR items when cortisol is sampled within two hours of a recorded waking
time, the
oxytocin items when the contract names intranasal oxytocin, the cycle items when the study has
a cycles table, the assay items when there is a samples table).
:func:`checklist_section_html` gives the checklist as a page section (``hormonestats checklist --html``).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

__all__ = [
    "CHECKLIST_COLUMNS",
    "GUIDELINES",
    "checklist",
    "checklist_section_html",
]

CHECKLIST_COLUMNS = ["guideline", "item", "status", "evidence", "where"]
GUIDELINES = {
    "car": "Cortisol awakening response (Stalder et al. 2016)",
    "oxytocin": "Intranasal oxytocin (Guastella et al. 2013)",
    "cycle": "Menstrual cycle (Schmalenberger et al. 2021)",
    "assay": "Hormone assays",
}
MET, NOT_MET, NOT_RECORDED = "met", "not met", "not recorded"
#: first-sample delay after waking from which a CAR sample counts as late (Smyth et al. 2013)
CAR_DELAY_MIN = 5.0
STATE_COVARIATES = ("sleep_duration", "sleep_quality", "workday", "stress", "awakening_type")


def _column(tables, table, column):
    frame = tables.get(table)
    if frame is None or column not in frame.columns:
        return None
    return frame[column]


def _presence(tables, table, column, where, rows=None):
    """met when every (selected) row has a value, not met when some lack one, else not recorded."""
    col = _column(tables, table, column)
    if col is None:
        return NOT_RECORDED, f"no {table}.{column} column", where
    if rows is not None:
        col = col[rows.reindex(col.index, fill_value=False)]
    if col.empty:
        return NOT_RECORDED, f"no {table} rows to check", where
    missing = int(col.isna().sum())
    if missing:
        return NOT_MET, f"{table}.{column} missing in {missing} of {len(col)} rows", where
    return MET, f"{table}.{column} recorded for all {len(col)} rows", where


def _minutes(series: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().any():
        return numeric
    clock = pd.to_datetime(series.astype("str"), errors="coerce", format="mixed")
    return (clock - clock.dt.normalize()).dt.total_seconds() / 60


def _first_delays(samples, rows):
    """Minutes from waking to the first cortisol sample of each subject and session, or None.

    From ``clock_time`` (or a clock ``sample_time``) minus ``wake_time``; a numeric
    ``sample_time`` is taken as minutes after waking (the contract's convention for CAR data).
    """
    if "wake_time" not in samples.columns:
        return None
    frame = samples.loc[rows]
    clock = next(
        (
            c
            for c in ("clock_time", "sample_time")
            if c in frame.columns and pd.to_numeric(frame[c], errors="coerce").isna().all()
        ),
        None,
    )
    if clock is not None:
        delay = _minutes(frame[clock]) - _minutes(frame["wake_time"])
    elif "sample_time" in frame.columns:
        delay = pd.to_numeric(frame["sample_time"], errors="coerce")
    else:
        return None
    keys = [c for c in ("subject_id", "session") if c in frame.columns]
    return frame.assign(_t=delay).groupby(keys, dropna=False)["_t"].min().dropna()


def _is_awakening_study(samples) -> bool:
    """Cortisol sampled with waking times, the first sample typically within 2 h of waking."""
    if "analyte" not in samples.columns:
        return False
    cort = samples["analyte"].astype(str) == "cortisol"
    first = _first_delays(samples, cort) if cort.any() else None
    return first is not None and not first.empty and float(first.median()) <= 120


# --------------------------------------------------------------------------------------------
# the guidelines
# --------------------------------------------------------------------------------------------
def _car_items(tables, contract):
    samples = tables["samples"]
    cort = samples["analyte"].astype(str) == "cortisol"
    if "sample_type" in samples.columns:
        cort &= samples["sample_type"].astype(str) != "control"
    where_time = "samples.sample_time (minutes after waking, or clock time) per reading"
    items = [
        (
            "Waking time recorded",
            *_presence(tables, "samples", "wake_time", "samples.wake_time per session", cort),
        ),
        ("Sampling times recorded", *_presence(tables, "samples", "sample_time", where_time, cort)),
    ]
    # delay of the first sample after waking
    first = _first_delays(samples, cort)
    if first is None or first.empty:
        items.append(
            (
                "First sample within 5 min of waking",
                NOT_RECORDED,
                "no readable sample times",
                where_time,
            )
        )
    else:
        late = int((first > CAR_DELAY_MIN).sum())
        items.append(
            (
                "First sample within 5 min of waking",
                NOT_MET if late else MET,
                f"{late} of {len(first)} first samples later than {CAR_DELAY_MIN:g} min "
                "after waking (Smyth et al. 2013)",
                where_time,
            )
        )
    verified = [
        c
        for c in ("time_verified", "verification", "actigraphy")
        if _column(tables, "samples", c) is not None or _column(tables, "subjects", c) is not None
    ]
    items.append(
        (
            "Objective verification of waking and sampling times",
            MET if verified else NOT_RECORDED,
            f"column {verified[0]}" if verified else "no verification column",
            "columns.samples.time_verified (e.g. actigraphy, electronic caps) in the "
            "contract and the samples table",
        )
    )
    if "session" in samples.columns:
        days = samples.loc[cort].dropna(subset=["session"]).groupby("subject_id")["session"]
        days = days.nunique()
        status = MET if len(days) and days.min() >= 2 else NOT_MET
        evidence = (
            f"{int(days.min()) if len(days) else 0}-{int(days.max()) if len(days) else 0} "
            "sampling days (sessions) per participant; at least 2 recommended"
        )
    else:
        status, evidence = NOT_RECORDED, "no session column"
    items.append(("Number of sampling days", status, evidence, "samples.session (one per day)"))
    found = [
        c
        for t in ("subjects", "samples")
        for c in STATE_COVARIATES
        if _column(tables, t, c) is not None
    ]
    items.append(
        (
            "State covariates (sleep, workday, stress)",
            MET if found else NOT_RECORDED,
            ", ".join(found) or "none of " + ", ".join(STATE_COVARIATES),
            "columns.samples or columns.subjects: sleep_duration, workday, stress",
        )
    )
    return items


def _oxytocin_items(tables, contract):
    trt = tables.get("treatments")
    where = "treatments table (columns: dose, dose_unit, device, interval_min)"
    if trt is None:
        return [
            (item, NOT_RECORDED, "no treatments table", "tables.treatments: treatments.csv")
            for item in (
                "Dose in IU",
                "Formulation",
                "Device",
                "Puffs per nostril",
                "Interval between dosing and testing",
            )
        ]
    ot = trt["agent"].astype(str) == "intranasal_oxytocin"
    items = []
    dose = _presence(tables, "treatments", "dose", where, ot)
    unit = _column(tables, "treatments", "dose_unit")
    if dose[0] == MET and unit is not None:
        units = set(unit[ot].dropna().astype(str))
        if units != {"IU"}:
            dose = (NOT_MET, f"dose units {sorted(units)}; report oxytocin doses in IU", where)
        else:
            doses = pd.to_numeric(trt.loc[ot, "dose"], errors="coerce")
            span = f"{doses.min():g}" + (f"-{doses.max():g}" if doses.max() > doses.min() else "")
            dose = (MET, f"{span} IU", where)
    items.append(("Dose in IU", *dose))
    extra = "columns.treatments.{} in the contract and the treatments table"
    items.append(
        (
            "Formulation (manufacturer, preparation)",
            *_presence(tables, "treatments", "formulation", extra.format("formulation"), ot),
        )
    )
    items.append(("Device", *_presence(tables, "treatments", "device", "treatments.device", ot)))
    items.append(
        (
            "Puffs per nostril",
            *_presence(
                tables, "treatments", "puffs_per_nostril", extra.format("puffs_per_nostril"), ot
            ),
        )
    )
    items.append(
        (
            "Interval between dosing and testing",
            *_presence(tables, "treatments", "interval_min", "treatments.interval_min", ot),
        )
    )
    placebo = "placebo" in tuple(contract.agents)
    items.append(
        (
            "Placebo condition",
            MET if placebo else NOT_MET,
            "placebo among the contract's agents" if placebo else "no placebo agent",
            "agents: [intranasal_oxytocin, placebo]",
        )
    )
    return items


def _cycle_items(tables, contract):
    cycles = tables.get("cycles")
    events = set(cycles["event"].astype(str)) if cycles is not None else set()
    where = "tables.cycles (events: menses_onset, lh_positive, lh_negative)"
    items = []
    if cycles is None:
        items.append(
            ("Menses onset dates (cycle-day count)", NOT_RECORDED, "no cycles table", where)
        )
        items.append(("Ovulation confirmed (LH test)", NOT_RECORDED, "no cycles table", where))
    else:
        onsets = int((cycles["event"].astype(str) == "menses_onset").sum())
        items.append(
            (
                "Menses onset dates (cycle-day count)",
                MET if onsets else NOT_MET,
                f"{onsets} menses onsets: forward and backward counts",
                where,
            )
        )
        lh = "lh_positive" in events
        items.append(
            (
                "Ovulation confirmed (LH test)",
                MET if lh else NOT_MET,
                "lh_positive events recorded"
                if lh
                else "no LH tests: ovulation only estimated (next onset - 15 days)",
                where,
            )
        )
    hormones = {"estradiol", "progesterone"} & set(contract.analytes)
    items.append(
        (
            "Phase verified by hormones (estradiol, progesterone)",
            MET if len(hormones) == 2 else (NOT_MET if hormones else NOT_RECORDED),
            ", ".join(sorted(hormones)) or "neither measured",
            "analytes: estradiol and progesterone",
        )
    )
    items.append(
        (
            "Hormonal contraception recorded",
            *_presence(tables, "subjects", "contraception", "subjects.contraception"),
        )
    )
    return items


def _assay_items(tables, contract):
    samples = tables["samples"]
    subject_rows = (
        samples["sample_type"].astype(str) != "control"
        if "sample_type" in samples.columns
        else pd.Series(True, index=samples.index)
    )
    methods = {a: spec.method for a, spec in contract.analytes.items()}
    missing = [a for a, m in methods.items() if m is None]
    if "method" in samples.columns:
        missing = [
            a
            for a in missing
            if samples.loc[samples["analyte"].astype(str) == a, "method"].isna().all()
        ]
    items = [
        (
            "Assay method per analyte",
            NOT_MET if missing else MET,
            f"no method for {', '.join(missing)}"
            if missing
            else ", ".join(f"{a}: {m or 'in samples.method'}" for a, m in methods.items()),
            "analytes.<name>.method (immunoassay | lc_ms_ms)",
        )
    ]
    kit = "columns.samples.{} in the contract and the samples table"
    items.append(
        (
            "Kit (manufacturer, catalogue number)",
            *_presence(tables, "samples", "kit", kit.format("kit"), subject_rows),
        )
    )
    items.append(("Kit lot", *_presence(tables, "samples", "lot", kit.format("lot"), subject_rows)))
    items.append(
        (
            "Limit of detection (LOD)",
            *_presence(tables, "samples", "lod", "samples.lod per reading", subject_rows),
        )
    )
    items.append(
        (
            "Lower limit of quantification (LLOQ)",
            *_presence(tables, "samples", "lloq", kit.format("lloq"), subject_rows),
        )
    )
    where_rep = "samples.replicate (duplicate wells) and samples.plate_id"
    if "replicate" in samples.columns:
        keys = [
            c
            for c in ("subject_id", "session", "sample_id", "sample_number", "analyte")
            if c in samples.columns
        ]
        n_rep = samples.loc[subject_rows].groupby(keys, dropna=False).size()
        share = float((n_rep >= 2).mean()) if len(n_rep) else 0.0
        items.append(
            (
                "Intra-assay CV (replicate wells)",
                MET if share > 0 else NOT_MET,
                f"{share:.0%} of samples in duplicate or more",
                where_rep,
            )
        )
    else:
        items.append(
            ("Intra-assay CV (replicate wells)", NOT_RECORDED, "no replicate column", where_rep)
        )
    where_ctl = "samples rows with sample_type: control on every plate (samples.plate_id)"
    if "sample_type" in samples.columns and "plate_id" in samples.columns:
        ctl = samples.loc[~subject_rows]
        plates = ctl["plate_id"].nunique()
        items.append(
            (
                "Inter-assay CV (controls across plates)",
                MET if plates >= 2 else NOT_MET,
                f"controls on {plates} plates",
                where_ctl,
            )
        )
    else:
        items.append(
            (
                "Inter-assay CV (controls across plates)",
                NOT_RECORDED,
                "no sample_type/plate_id columns",
                where_ctl,
            )
        )
    lod = _column(tables, "samples", "lod")
    below = _column(tables, "samples", "below_lod")
    if lod is None and below is None:
        items.append(
            (
                "Values below the LOD and their handling",
                NOT_RECORDED,
                "no LOD or below-LOD flag",
                "samples.lod or samples.below_lod",
            )
        )
    else:
        text = samples["value"].astype(str).str.strip().str.startswith(("<", "ND", "< LOD"))
        numeric = pd.to_numeric(samples["value"], errors="coerce")
        lodv = pd.to_numeric(lod, errors="coerce") if lod is not None else np.nan
        n_below = int((text | (numeric < lodv)).sum())
        items.append(
            (
                "Values below the LOD and their handling",
                MET,
                f"{n_below} readings below the LOD, flagged and kept; the LOD policy "
                "used is written in the methods text and manifest",
                "process_study(lod_policy=...) and the results folder's methods text",
            )
        )
    plasma_ot = [
        a
        for a, spec in contract.analytes.items()
        if a == "oxytocin" and set(spec.matrices) & {"plasma", "serum"}
    ]
    if plasma_ot:
        spec = contract.analytes["oxytocin"]
        status = MET if spec.extracted is not None else NOT_RECORDED
        items.append(
            (
                "Plasma oxytocin: extraction stated",
                status,
                f"extracted: {spec.extracted}",
                "analytes.oxytocin.extracted",
            )
        )
    return items


def checklist(study) -> pd.DataFrame:
    """The reporting checklists that apply to a study, each item met / not met / not recorded.

    Parameters
    ----------
    study : Study
        From :func:`hormonestats.read_study` (its contract and tables).

    Returns
    -------
    DataFrame
        ``guideline, item, status, evidence, where``: one row per item; ``where`` says where in
        the contract or the tables the item is recorded (or would be).

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.report.checklists import checklist
    >>> tab = checklist(hs.read_dataset("example_study"))
    >>> set(tab["status"]) <= {"met", "not met", "not recorded"}
    True
    >>> tab.loc[tab["item"] == "Device", "status"].item()
    'met'
    """
    tables = dict(study.tables)
    contract = study.contract
    rows = []
    samples = tables.get("samples")
    if samples is not None:
        if _is_awakening_study(samples):
            rows += [("car", *item) for item in _car_items(tables, contract)]
    if "intranasal_oxytocin" in tuple(contract.agents):
        rows += [("oxytocin", *item) for item in _oxytocin_items(tables, contract)]
    if "cycles" in tables or "cycles" in contract.tables:
        rows += [("cycle", *item) for item in _cycle_items(tables, contract)]
    if samples is not None:
        rows += [("assay", *item) for item in _assay_items(tables, contract)]
    out = pd.DataFrame(rows, columns=CHECKLIST_COLUMNS)
    out["guideline"] = out["guideline"].map(GUIDELINES)
    return out.astype("str")


def checklist_section_html(table: pd.DataFrame) -> str:
    """The report's checklist section: one table per guideline, with a count of items met."""
    parts = ["<section class='checklist'>", "<h2>Reporting checklists</h2>"]
    if table.empty:
        parts.append("<p>No reporting checklist applies to this study's tables.</p>")
    for guideline, rows in table.groupby("guideline", sort=False):
        met = int((rows["status"] == MET).sum())
        parts.append(f"<h3>{html.escape(guideline)}: {met} of {len(rows)} items met</h3>")
        parts.append(rows.drop(columns="guideline").to_html(index=False, escape=True, border=0))
    parts.append(
        "<p><i>not recorded</i>: the study has no place where the item is written down; the "
        "last column says where in the contract or tables to record it.</p></section>"
    )
    return "\n".join(parts)
