"""The day's cortisol rhythm: the awakening response (CAR) and the diurnal slope.

Both take long-format data (one row per saliva sample) and return one row per subject (times
any ``by`` groups such as the sampling day). They never mutate the caller's frame. Sample times
follow :mod:`hormonestats.derive.timecourse`; AUCs use :func:`~hormonestats.derive.cortisol.auc_values`
(Pruessner et al. 2003).

References
----------
Stalder, T., et al. (2016). Assessment of the cortisol awakening response: Expert consensus
guidelines. Psychoneuroendocrinology, 63, 414-432.

Smyth, N., Clow, A., Thorn, L., Hucklebridge, F., & Evans, P. (2013). Delays of 5-15 min between
awakening and the start of saliva sampling matter in assessment of the cortisol awakening
response. Psychoneuroendocrinology, 38, 1476-1483.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..checks import require_columns
from ..errors import DataError, format_rows
from ..log import Derived, combine_logs
from .cortisol import auc_values
from .timecourse import as_tuple, check_duplicates, groups, log_frame, minutes, numeric

__all__ = ["awakening_response", "diurnal_slope"]


def diurnal_slope(
    data: pd.DataFrame,
    *,
    y: str = "value",
    time_since_waking: str = "time_since_waking",
    subject: str = "subject_id",
    log: bool = True,
) -> pd.DataFrame:
    """Per-subject diurnal slope: OLS of (log) concentration on hours since waking.

    Parameters
    ----------
    data : DataFrame
        One row per sample.
    y : str
        Concentration column; must be > 0 when ``log=True``.
    time_since_waking : str
        Column of time since waking: numbers in **minutes**, timedelta64, or clock times
        (then counted from the subject's first sample, so ``intercept`` is at that sample;
        the slope does not depend on the origin).
    subject : str
        Subject column.
    log : bool
        Regress the natural log of ``y`` (default). The slope is then the change in
        ln(concentration) per hour, i.e. roughly the proportional change per hour; the usual
        choice because cortisol is right-skewed and declines roughly exponentially over the
        day. With ``log=False`` the slope is in concentration units per hour.

    Returns
    -------
    DataFrame
        ``subject``, ``slope`` (per hour), ``intercept`` (at waking), ``n_samples``. Subjects
        with fewer than 2 distinct times get NaN slope. Rows with missing ``y`` are skipped.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a"] * 3, "time_since_waking": [0, 60, 120],
    ...                    "value": [20.0, 10.0, 5.0]})
    >>> round(float(diurnal_slope(df)["slope"].iloc[0]), 4)  # ln(1/2) per hour
    -0.6931
    """
    step = "diurnal_slope"
    require_columns(data, [y, time_since_waking, subject], table="samples", step=step)
    yy = numeric(data, y, step)
    hours = minutes(data, time_since_waking, step=step, keys=[subject]) / 60.0
    if log:
        bad = yy.notna() & (yy <= 0)
        if bad.any():
            raise DataError(
                f"{step}: column '{y}' of table 'samples' must be > 0 for log=True; "
                f"non-positive values in {format_rows(data.index[bad])}"
            )
        yy = np.log(yy)
    frame = pd.DataFrame({"s": data[subject], "h": hours, "y": yy})
    rows = []
    for sid, g in frame.groupby("s", sort=True):
        g = g.dropna(subset=["h", "y"])
        slope = intercept = np.nan
        if g["h"].nunique() >= 2:
            slope, intercept = np.polyfit(g["h"].to_numpy(), g["y"].to_numpy(), 1)
        rows.append(
            {
                subject: sid,
                "slope": float(slope),
                "intercept": float(intercept),
                "n_samples": len(g),
            }
        )
    return pd.DataFrame(rows)


def awakening_response(
    data: pd.DataFrame,
    *,
    y: str = "value",
    sample_time: str = "sample_time",
    wake_time: str = "wake_time",
    subject: str = "subject_id",
    by: Sequence[str] | str = (),
    max_delay_min: float = 5.0,
    min_samples: int | None = None,
    interpolate: bool = False,
) -> Derived:
    """Cortisol awakening response (CAR) with sampling-compliance flags.

    Parameters
    ----------
    data : DataFrame
        One row per awakening-period sample: ``y``, ``sample_time``, ``wake_time`` (repeated on
        each row of a subject-day), ``subject`` and ``by`` (e.g. ``"session"`` or day).
    sample_time, wake_time : str
        Either both pandas datetimes (clock times) or both numbers in **minutes** (on any
        common origin). Time since waking is ``sample_time - wake_time`` in minutes.
    max_delay_min : float
        A first sample taken ``>= max_delay_min`` minutes after waking is flagged
        (default 5; Stalder et al. 2016; Smyth et al. 2013). Flagged subjects are kept and
        logged as ``flagged``, never dropped.
    min_samples, interpolate
        Missing-sample policy, as in :func:`cortisol_features`, over each subject's rows in
        sample order: rows with a missing value are missing samples; the default requires
        every row of the largest subject-day in the group.

    Returns
    -------
    Derived
        ``data``: ``subject``, ``by``..., ``wake_delay_min`` (first sample minus waking),
        ``delay_flag`` (bool: the first sample ``max_delay_min`` or more after waking, or
        before waking), ``car_auc_g`` and ``car_auc_i`` (Pruessner et al. 2003 over
        minutes since waking; AUCi relative to the first sample S1), ``car_increase``
        (S2 - S1), ``car_peak_increase`` (max of later measured samples - S1), ``n_samples``,
        ``n_missing``. ``log``: flagged delays, subjects set to NaN, interpolated samples.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a"] * 3, "sample_time": [0.0, 30.0, 45.0],
    ...                    "wake_time": [0.0] * 3, "value": [10.0, 15.0, 12.0]})
    >>> out, log = awakening_response(df)
    >>> out[["car_auc_i", "car_increase", "car_peak_increase", "delay_flag"]]
       car_auc_i  car_increase  car_peak_increase  delay_flag
    0      127.5           5.0                5.0       False
    """
    step = "awakening_response"
    by = as_tuple(by)
    require_columns(data, [y, sample_time, wake_time, subject, *by], table="samples", step=step)
    frame = pd.DataFrame(index=data.index)
    frame["_s"] = data[subject]
    for b in by:
        frame[b] = data[b]
    frame["_y"] = numeric(data, y, step)
    frame["_min"] = minutes(data, sample_time, step=step, origin=wake_time)
    if frame["_min"].isna().any():
        raise DataError(
            f"{step}: missing sample or wake time in "
            f"{format_rows(frame.index[frame['_min'].isna()])}"
        )
    check_duplicates(frame, ["_s", *by, "_min"], step)
    rows_out, logs = [], []
    keys = ["_s", *by]
    for gkey, label, gframe in groups(frame, by):
        n_sched = int(gframe.groupby(keys[0]).size().max())
        need = n_sched if min_samples is None else int(min_samples)
        for sid, sframe in gframe.groupby("_s", sort=True):
            sframe = sframe.sort_values("_min")
            t = sframe["_min"].to_numpy(float)
            v = sframe["_y"].to_numpy(float)
            ok = ~np.isnan(v)
            row = {subject: sid, **dict(zip(by, gkey))}
            delay = float(t[0])
            row["wake_delay_min"] = delay
            row["delay_flag"] = bool(delay >= max_delay_min or delay < 0)
            if row["delay_flag"]:
                why = (f"first sample {-delay:g} min before waking (a clock or date slip?)"
                       if delay < 0 else f"first sample {delay:g} min after waking "
                       f"(>= {max_delay_min:g} min; Stalder et al. 2016)")
                logs.append(log_frame([sframe.index[0]], [sid], "flagged", f"{label}: {why}",
                                      step))
            feats = dict.fromkeys(
                ["car_auc_g", "car_auc_i", "car_increase", "car_peak_increase"], np.nan
            )
            reason = None
            n_meas = int(ok.sum())
            if n_meas < need:
                reason = f"{n_meas} of {n_sched} samples measured, fewer than min_samples={need}"
            elif n_meas < 2:
                reason = "fewer than 2 measured samples"
            elif not ok[0] or not ok[-1]:
                reason = f"{'first' if not ok[0] else 'last'} sample missing; no extrapolation"
            elif not ok[1] and not interpolate:
                reason = "second sample (S2) missing and interpolate=False"
            if reason is not None:
                logs.append(
                    log_frame(
                        sframe.index,
                        [sid] * len(sframe),
                        "excluded",
                        f"{label}: all CAR features set to NaN: {reason}",
                        step,
                    )
                )
            else:
                if interpolate and not ok.all():
                    vv = np.interp(t, t[ok], v[ok])
                    tt = t
                    logs.append(
                        log_frame(
                            sframe.index[~ok],
                            [sid] * int((~ok).sum()),
                            "altered",
                            f"{label}: missing CAR sample linearly interpolated",
                            step,
                        )
                    )
                else:
                    tt, vv = t[ok], v[ok]
                feats["car_auc_g"], feats["car_auc_i"] = auc_values(vv, tt)
                s1 = vv[0]
                feats["car_increase"] = float(vv[1] - s1)
                later = v[1:][ok[1:]]
                feats["car_peak_increase"] = float(later.max() - s1)
            row.update(feats)
            row["n_samples"] = n_meas
            row["n_missing"] = int(n_sched - n_meas)
            rows_out.append(row)
    out = pd.DataFrame(rows_out)
    out["n_samples"] = out["n_samples"].astype("int64")
    out["n_missing"] = out["n_missing"].astype("int64")
    return Derived(out, combine_logs(logs))
