"""Cortisol time courses: areas under the curve, reactivity, diurnal slope, awakening response.

All functions take long-format data (one row per saliva/blood sample) and return one row per
subject (times any ``by`` groups such as session). They never mutate the caller's frame.

Missing-sample policy (the same for every feature)
--------------------------------------------------
The *schedule* is the set of distinct sample times found in the data (within each ``by``
group); a scheduled time is *missing* for a subject when the subject has no row at that time or
its value is NaN. A subject's features are either all computed or all NaN:

* fewer than ``min_samples`` measured samples (default: every scheduled sample) -> all NaN;
* the first or the last scheduled sample missing -> all NaN (the curve would cover a shorter
  interval; nothing is ever extrapolated);
* with ``interpolate=True`` interior gaps are filled by linear interpolation between the
  neighbouring measured samples, for every feature alike (logged as ``altered``); with
  ``interpolate=False`` the curve runs through the measured samples only, and a subject lacking a
  sample that a feature is anchored on (baseline, stressor baseline, slope end points) gets NaN
  for every feature.

Every subject set to NaN is recorded in the log (action ``excluded``, with the reason), so the
inconsistency of some tools, where one missing value makes the AUC missing while the maximum
increase silently ignores it, cannot arise.

References
----------
Pruessner, J. C., Kirschbaum, C., Meinlschmid, G., & Hellhammer, D. H. (2003). Two formulas for
computation of the area under the curve represent measures of total hormone concentration versus
time-dependent change. Psychoneuroendocrinology, 28, 916-931.

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

from ..errors import DataError, format_rows
from ..log import Derived, combine_logs, empty_log

__all__ = [
    "auc",
    "auc_values",
    "awakening_response",
    "cortisol_features",
    "diurnal_slope",
]

_STEP_FEATURES = "cortisol_features"
_STEP_CAR = "awakening_response"


# ----------------------------------------------------------------------------- core formulas
def auc_values(values, times) -> tuple[float, float]:
    """AUC with respect to ground and to increase for one curve (Pruessner et al. 2003).

    ``AUCg = sum_i (m[i+1] + m[i]) * (t[i+1] - t[i]) / 2`` (trapezoids) and
    ``AUCi = AUCg - m[0] * (t[-1] - t[0])``; AUCi is negative when the curve falls below its
    first value. Units are value-units x time-units (e.g. nmol/L x min).

    Parameters
    ----------
    values, times : array-like of float
        Concentrations and their sample times, same length (>= 2), times strictly increasing,
        no missing values.

    Returns
    -------
    (auc_g, auc_i) : tuple of float

    Examples
    --------
    >>> auc_values([10, 15, 12], [0, 30, 45])
    (577.5, 127.5)
    """
    m = np.asarray(values, dtype=float)
    t = np.asarray(times, dtype=float)
    if m.ndim != 1 or t.ndim != 1 or m.shape != t.shape:
        raise DataError(
            f"auc_values: values and times must be 1-D and of equal length, got shapes "
            f"{m.shape} and {t.shape}"
        )
    if len(m) < 2:
        raise DataError("auc_values: at least 2 samples are needed for an area under the curve")
    if np.isnan(m).any() or np.isnan(t).any():
        raise DataError(
            "auc_values: values and times must not contain NaN; use auc() or "
            "cortisol_features() for the missing-sample policy"
        )
    if np.any(np.diff(t) <= 0):
        raise DataError(f"auc_values: times must be strictly increasing, got {t.tolist()}")
    auc_g = float(np.sum((m[1:] + m[:-1]) * np.diff(t) / 2.0))
    auc_i = auc_g - float(m[0] * (t[-1] - t[0]))
    return auc_g, auc_i


# ----------------------------------------------------------------------------- helpers
def _as_tuple(by) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def _check_columns(data: pd.DataFrame, columns: Sequence[str], step: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{step}: data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{step}: table 'samples' lacks column(s) {missing}; "
            f"available columns: {list(data.columns)}"
        )


def _numeric(series: pd.Series, column: str, step: str) -> pd.Series:
    try:
        return pd.to_numeric(series, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        bad = series[pd.to_numeric(series, errors="coerce").isna() & series.notna()]
        raise DataError(
            f"{step}: column '{column}' of table 'samples' must be numeric; non-numeric values "
            f"in {format_rows(bad.index)}"
        ) from exc


def _check_duplicates(data: pd.DataFrame, keys: list[str], step: str) -> None:
    dup = data.duplicated(subset=keys, keep=False)
    if dup.any():
        raise DataError(
            f"{step}: table 'samples' has more than one row per {keys} in "
            f"{format_rows(data.index[dup])}; aggregate replicates first"
        )


def _log_frame(rows, subjects, action: str, reason: str, step: str) -> pd.DataFrame:
    if not len(rows):
        return empty_log()
    return pd.DataFrame(
        {
            "step": step,
            "table": "samples",
            "row": list(rows),
            "subject_id": list(subjects),
            "action": action,
            "reason": reason,
        }
    )


def _curve(
    sched: np.ndarray,
    t: np.ndarray,
    v: np.ndarray,
    *,
    min_samples: int,
    interpolate: bool,
    anchors: Sequence[float],
):
    """Apply the missing-sample policy to one subject's curve.

    Returns ``(times, values, measured_mask, reason)``; ``reason`` is None when features can be
    computed. ``t`` and ``v`` are the subject's rows (v may hold NaN), sorted by time.
    """
    ok = ~np.isnan(v)
    tm, vm = t[ok], v[ok]
    n_measured = int(np.isin(sched, tm).sum())
    if n_measured < min_samples:
        return (
            None,
            None,
            None,
            f"{n_measured} of {len(sched)} scheduled samples measured, "
            f"fewer than min_samples={min_samples}",
        )
    if sched[0] not in tm or sched[-1] not in tm:
        which = "first" if sched[0] not in tm else "last"
        return (
            None,
            None,
            None,
            f"{which} scheduled sample missing; the curve would cover a shorter interval "
            "(no extrapolation)",
        )
    if interpolate:
        times = sched.astype(float)
        values = np.interp(times, tm, vm)
        measured = np.isin(times, tm)
    else:
        times, values = tm.astype(float), vm.astype(float)
        measured = np.ones(len(times), dtype=bool)
        lacking = [a for a in anchors if a not in tm]
        if lacking:
            return (
                None,
                None,
                None,
                f"no measured sample at anchor time(s) {lacking} and interpolate=False",
            )
    return times, values, measured, None


def _schedule_checks(
    sched: np.ndarray, baseline_time, stressor_time, slope_between, group_label: str, step: str
):
    problems = []
    if baseline_time is not None and baseline_time not in sched:
        problems.append(f"baseline_time={baseline_time} is not a scheduled sample time")
    if slope_between is not None:
        for s in slope_between:
            if s not in sched:
                problems.append(f"slope_between time {s} is not a scheduled sample time")
    if stressor_time is not None:
        if not np.any(sched <= stressor_time):
            problems.append(f"no scheduled sample at or before stressor_time={stressor_time}")
        if not np.any(sched > stressor_time):
            problems.append(f"no scheduled sample after stressor_time={stressor_time}")
    if problems:
        raise DataError(
            f"{step}: {group_label}: "
            + "; ".join(problems)
            + f"; scheduled times are {sched.tolist()}"
        )


# ----------------------------------------------------------------------------- public API
def cortisol_features(
    data: pd.DataFrame,
    *,
    y: str = "value",
    time: str = "sample_time",
    subject: str = "subject_id",
    by: Sequence[str] | str = (),
    baseline_time: float | None = None,
    stressor_time: float | None = None,
    slope_between: tuple[float, float] | None = None,
    min_samples: int | None = None,
    interpolate: bool = False,
) -> Derived:
    """Features of a cortisol (or any hormone) time course, one row per subject x ``by``.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per sample, with columns ``y``, ``time``, ``subject`` and ``by``.
        ``time`` holds the *scheduled* (nominal) sample time as a number, e.g. minutes
        relative to the stressor; the same number must mean the same sample for every subject.
    y, time, subject : str
        Column names of the concentration, the sample time and the subject.
    by : str or sequence of str
        Further grouping columns (e.g. ``"session"``); each group has its own schedule.
    baseline_time : float, optional
        Scheduled time of the baseline sample (default: the first scheduled sample).
    stressor_time : float, optional
        Time of stressor onset. Adds ``auc_i_post``: AUCi of the curve that starts at the
        *stressor baseline*, the last scheduled sample at or before ``stressor_time``, and runs
        through every sample after it; its increase is measured against that baseline sample.
        Also the reference of ``time_to_peak`` when given.
    slope_between : (float, float), optional
        Two scheduled times; adds ``slope = (y(t2) - y(t1)) / (t2 - t1)`` per time unit.
    min_samples : int, optional
        Minimum number of measured scheduled samples (default: all of them).
    interpolate : bool
        Fill interior gaps by linear interpolation (never extrapolates).

    Returns
    -------
    Derived
        ``data``: columns ``subject``, ``by``..., ``auc_g``, ``auc_i``, [``auc_i_post``],
        ``baseline``, ``peak``, ``peak_time``, ``peak_reactivity`` (peak - baseline, where the
        peak is the largest *measured* value after the baseline sample), ``time_to_peak``
        (``peak_time`` minus ``stressor_time`` if given, else minus ``baseline_time``),
        [``slope``], ``n_samples`` (measured), ``n_missing``, ``n_interpolated``.
        ``log``: subjects set to NaN (``excluded``) and interpolated samples (``altered``).

    Notes
    -----
    AUC formulas: Pruessner et al. (2003); see :func:`auc_values`. Areas are in value x time
    units (nmol/L x min for minutes).

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a"] * 3, "sample_time": [0, 30, 45],
    ...                    "value": [10.0, 15.0, 12.0]})
    >>> out, log = cortisol_features(df)
    >>> out[["auc_g", "auc_i", "peak_reactivity", "time_to_peak"]]
       auc_g  auc_i  peak_reactivity  time_to_peak
    0  577.5  127.5              5.0          30.0
    """
    step = _STEP_FEATURES
    by = _as_tuple(by)
    _check_columns(data, [y, time, subject, *by], step)
    frame = data[[subject, *by, time, y]].copy()
    frame[y] = _numeric(frame[y], y, step)
    frame[time] = _numeric(frame[time], time, step)
    if frame[time].isna().any():
        raise DataError(
            f"{step}: column '{time}' of table 'samples' has missing times in "
            f"{format_rows(frame.index[frame[time].isna()])}"
        )
    if frame[subject].isna().any():
        raise DataError(
            f"{step}: column '{subject}' of table 'samples' has missing ids in "
            f"{format_rows(frame.index[frame[subject].isna()])}"
        )
    _check_duplicates(frame, [subject, *by, time], step)
    if slope_between is not None and len(slope_between) != 2:
        raise DataError(f"{step}: slope_between must be two sample times, got {slope_between!r}")

    rows_out: list[dict] = []
    logs: list[pd.DataFrame] = []
    group_iter = frame.groupby(list(by), sort=True, dropna=False) if by else [((), frame)]
    for gkey, gframe in group_iter:
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        label = ", ".join(f"{b}={k}" for b, k in zip(by, gkey)) or "all samples"
        sched = np.sort(gframe[time].unique()).astype(float)
        _schedule_checks(sched, baseline_time, stressor_time, slope_between, label, step)
        base_t = float(sched[0] if baseline_time is None else baseline_time)
        stress_base_t = (
            float(sched[sched <= stressor_time].max()) if stressor_time is not None else None
        )
        need_ms = len(sched) if min_samples is None else int(min_samples)
        anchors = [base_t]
        if stress_base_t is not None:
            anchors.append(stress_base_t)
        if slope_between is not None:
            anchors.extend(float(s) for s in slope_between)
        for sid, sframe in gframe.groupby(subject, sort=True):
            sframe = sframe.sort_values(time)
            t = sframe[time].to_numpy(float)
            v = sframe[y].to_numpy(float)
            n_measured = int((~np.isnan(v)).sum())
            row: dict = {subject: sid, **dict(zip(by, gkey))}
            feats = dict.fromkeys(
                ["auc_g", "auc_i"]
                + (["auc_i_post"] if stressor_time is not None else [])
                + ["baseline", "peak", "peak_time", "peak_reactivity", "time_to_peak"]
                + (["slope"] if slope_between is not None else []),
                np.nan,
            )
            times, values, measured, reason = _curve(
                sched, t, v, min_samples=need_ms, interpolate=interpolate, anchors=anchors
            )
            n_interp = 0
            if reason is not None:
                logs.append(
                    _log_frame(
                        sframe.index,
                        [sid] * len(sframe),
                        "excluded",
                        f"{label}: all cortisol features set to NaN: {reason}",
                        step,
                    )
                )
            else:
                n_interp = int((~measured).sum())
                if n_interp:
                    filled = times[~measured]
                    nan_rows = sframe.index[np.isin(t, filled)]
                    absent = [f for f in filled if f not in t]
                    logs.append(
                        _log_frame(
                            list(nan_rows) + [None] * len(absent),
                            [sid] * (len(nan_rows) + len(absent)),
                            "altered",
                            f"{label}: missing sample(s) at time(s) {filled.tolist()} "
                            "linearly interpolated between neighbouring measured samples",
                            step,
                        )
                    )
                val = dict(zip(times.tolist(), values.tolist()))
                feats["auc_g"], feats["auc_i"] = auc_values(values, times)
                if stressor_time is not None:
                    post = times >= stress_base_t
                    if post.sum() >= 2:
                        feats["auc_i_post"] = auc_values(values[post], times[post])[1]
                baseline = val[base_t]
                after = (times > base_t) & measured
                feats["baseline"] = baseline
                if after.any():
                    k = int(np.argmax(values[after]))
                    peak_t = float(times[after][k])
                    feats["peak"] = float(values[after][k])
                    feats["peak_time"] = peak_t
                    feats["peak_reactivity"] = feats["peak"] - baseline
                    ref = stressor_time if stressor_time is not None else base_t
                    feats["time_to_peak"] = peak_t - float(ref)
                if slope_between is not None:
                    t1, t2 = (float(s) for s in slope_between)
                    feats["slope"] = (val[t2] - val[t1]) / (t2 - t1)
            row.update(feats)
            row["n_samples"] = n_measured
            row["n_missing"] = int(len(sched) - np.isin(sched, t[~np.isnan(v)]).sum())
            row["n_interpolated"] = n_interp
            rows_out.append(row)
    out = pd.DataFrame(rows_out)
    for col in ("n_samples", "n_missing", "n_interpolated"):
        if col in out.columns:
            out[col] = out[col].astype("int64")
    return Derived(out.reset_index(drop=True), combine_logs(logs))


def auc(
    data: pd.DataFrame,
    *,
    y: str = "value",
    time: str = "sample_time",
    subject: str = "subject_id",
    by: Sequence[str] | str = (),
    stressor_time: float | None = None,
    min_samples: int | None = None,
    interpolate: bool = False,
) -> pd.DataFrame:
    """AUC with respect to ground and increase per subject (Pruessner et al. 2003).

    A thin view of :func:`cortisol_features` (same arguments, same missing-sample policy); use
    that function to get the log of subjects set to NaN and samples interpolated.

    Returns
    -------
    DataFrame
        ``subject``, ``by``..., ``auc_g``, ``auc_i``, [``auc_i_post`` when ``stressor_time`` is
        given], ``n_samples``, ``n_missing``.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a"] * 5, "sample_time": [1, 2, 3, 4, 5],
    ...                    "value": [3.5, 7, 14, 7, 10]})
    >>> auc(df)
      subject_id  auc_g  auc_i  n_samples  n_missing
    0          a  34.75  20.75          5          0
    """
    out, _ = cortisol_features(
        data,
        y=y,
        time=time,
        subject=subject,
        by=by,
        stressor_time=stressor_time,
        min_samples=min_samples,
        interpolate=interpolate,
    )
    by = _as_tuple(by)
    cols = [subject, *by, "auc_g", "auc_i"]
    if stressor_time is not None:
        cols.append("auc_i_post")
    return out[[*cols, "n_samples", "n_missing"]]


def _to_minutes(series: pd.Series, column: str, step: str) -> pd.Series:
    """Numbers are taken as minutes; timedeltas are converted to minutes."""
    if pd.api.types.is_timedelta64_dtype(series):
        return series.dt.total_seconds() / 60.0
    return _numeric(series, column, step)


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
        Column of time since waking: numbers in **minutes**, or timedelta64.
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
    _check_columns(data, [y, time_since_waking, subject], step)
    yy = _numeric(data[y], y, step)
    hours = _to_minutes(data[time_since_waking], time_since_waking, step) / 60.0
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


def _elapsed_minutes(sample: pd.Series, wake: pd.Series, step: str, names) -> pd.Series:
    s_dt = pd.api.types.is_datetime64_any_dtype(sample)
    w_dt = pd.api.types.is_datetime64_any_dtype(wake)
    if s_dt != w_dt:
        raise DataError(
            f"{step}: columns '{names[0]}' and '{names[1]}' must both be datetimes or both be "
            "numbers (minutes)"
        )
    if s_dt:
        return (sample - wake).dt.total_seconds() / 60.0
    return _numeric(sample, names[0], step) - _numeric(wake, names[1], step)


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
        ``delay_flag`` (bool), ``car_auc_g`` and ``car_auc_i`` (Pruessner et al. 2003 over
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
    step = _STEP_CAR
    by = _as_tuple(by)
    _check_columns(data, [y, sample_time, wake_time, subject, *by], step)
    frame = pd.DataFrame(index=data.index)
    frame["_s"] = data[subject]
    for b in by:
        frame[b] = data[b]
    frame["_y"] = _numeric(data[y], y, step)
    frame["_min"] = _elapsed_minutes(
        data[sample_time], data[wake_time], step, (sample_time, wake_time)
    )
    if frame["_min"].isna().any():
        raise DataError(
            f"{step}: missing sample or wake time in "
            f"{format_rows(frame.index[frame['_min'].isna()])}"
        )
    _check_duplicates(frame, ["_s", *by, "_min"], step)
    rows_out, logs = [], []
    keys = ["_s", *by]
    group_iter = frame.groupby(list(by), sort=True, dropna=False) if by else [((), frame)]
    for gkey, gframe in group_iter:
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        label = ", ".join(f"{b}={k}" for b, k in zip(by, gkey)) or "all samples"
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
            row["delay_flag"] = bool(delay >= max_delay_min)
            if row["delay_flag"]:
                logs.append(
                    _log_frame(
                        [sframe.index[0]],
                        [sid],
                        "flagged",
                        f"{label}: first sample {delay:g} min after waking "
                        f"(>= {max_delay_min:g} min; Stalder et al. 2016)",
                        step,
                    )
                )
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
                    _log_frame(
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
                        _log_frame(
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
