"""Cortisol time courses: areas under the curve (Pruessner et al. 2003) and reactivity.

All functions take long-format data (one row per saliva/blood sample) and return one row per
subject (times any ``by`` groups such as session). They never mutate the caller's frame.

Sample times
------------
By default each subject's curve runs through **its own sample times**: minutes since waking
or since the stressor (or any origin), timedeltas, or clock times converted to minutes
(see :mod:`hormonestats.derive.timecourse`; an ``origin`` column gives each subject's
reference time). Subjects need not share a schedule: the trapezoids of each curve use that
subject's intervals. A *nominal schedule*, the same list of times for every subject, is used
only when asked (``schedule="shared"`` or a list of times); then a subject lacking a scheduled
time is known to lack that sample.

Missing-sample policy (the same for every feature)
--------------------------------------------------
A sample is *missing* when its value is NaN or, with a nominal schedule, when the subject has
no row at a scheduled time. With the subject's own times the expected number of samples is the
largest number any subject has in the group. A subject's features are either all computed or
all NaN:

* fewer than ``min_samples`` measured samples (default: every expected sample) -> all NaN;
* the first or the last sample missing -> all NaN (the curve would cover a shorter interval;
  nothing is ever extrapolated);
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
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..checks import require_columns
from ..errors import DataError, format_rows
from ..log import Derived, combine_logs
from .timecourse import as_tuple, check_duplicates, groups, log_frame, minutes, numeric

__all__ = ["SCHEDULES", "auc", "auc_values", "cortisol_features"]

_STEP = "cortisol_features"

#: Named values of ``schedule`` (besides a list of nominal times).
SCHEDULES = ("own", "shared")


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


# ----------------------------------------------------------------------------- one curve
def _curve(sched, t, v, *, min_samples: int, interpolate: bool, anchors: Sequence[float]):
    """Apply the missing-sample policy to one subject's curve.

    ``sched`` holds the times the subject should have been sampled at (the nominal schedule, or
    the subject's own times); ``t`` and ``v`` are the subject's rows (v may hold NaN), sorted by
    time. Returns ``(times, values, measured_mask, reason)``; ``reason`` is None when features
    can be computed.
    """
    ok = ~np.isnan(v)
    tm, vm = t[ok], v[ok]
    n_measured = int(np.isin(sched, tm).sum())
    if n_measured < min_samples:
        return None, None, None, (
            f"{n_measured} of {max(len(sched), min_samples)} expected samples measured, "
            f"fewer than min_samples={min_samples}"
        )
    if n_measured < 2:
        return None, None, None, "fewer than 2 measured samples"
    if sched[0] not in tm or sched[-1] not in tm:
        which = "first" if sched[0] not in tm else "last"
        return None, None, None, (
            f"{which} sample missing; the curve would cover a shorter interval "
            "(no extrapolation)"
        )
    if interpolate:
        times = sched.astype(float)
        return times, np.interp(times, tm, vm), np.isin(times, tm), None
    lacking = [a for a in anchors if a not in tm]
    if lacking:
        return None, None, None, (
            f"no measured sample at anchor time(s) {lacking} and interpolate=False"
        )
    return tm.astype(float), vm.astype(float), np.ones(len(tm), dtype=bool), None


def _nominal_checks(sched, baseline_time, stressor_time, slope_between, label: str) -> None:
    problems = []
    if baseline_time is not None and baseline_time not in sched:
        problems.append(f"baseline_time={baseline_time} is not a scheduled sample time")
    for s in slope_between or ():
        if s not in sched:
            problems.append(f"slope_between time {s} is not a scheduled sample time")
    if stressor_time is not None:
        if not np.any(sched <= stressor_time):
            problems.append(f"no scheduled sample at or before stressor_time={stressor_time}")
        if not np.any(sched > stressor_time):
            problems.append(f"no scheduled sample after stressor_time={stressor_time}")
    if problems:
        raise DataError(
            f"{_STEP}: {label}: " + "; ".join(problems)
            + f"; scheduled times are {sched.tolist()}"
        )


def _nearest(sched: np.ndarray, target: float) -> float:
    return float(sched[int(np.argmin(np.abs(sched - float(target))))])


def _anchors(sched, baseline_time, stressor_time, slope_between, nominal: bool):
    """``(baseline, stressor baseline, slope end points, reason)`` on the schedule ``sched``.

    On a nominal schedule the anchors are the given times themselves (checked beforehand);
    on a subject's own times ``baseline_time`` and ``slope_between`` pick the sample nearest
    to each, and the stressor baseline is the last sample at or before ``stressor_time``.
    """
    pick = (lambda x: float(x)) if nominal else (lambda x: _nearest(sched, x))
    base = float(sched[0]) if baseline_time is None else pick(baseline_time)
    stress = slope = None
    if stressor_time is not None:
        before, after = sched[sched <= stressor_time], sched[sched > stressor_time]
        if not len(before) or not len(after):
            side = "at or before" if not len(before) else "after"
            return base, None, None, f"no sample {side} stressor_time={stressor_time}"
        stress = float(before.max())
    if slope_between is not None:
        slope = tuple(pick(s) for s in slope_between)
        if slope[0] == slope[1]:
            return base, stress, None, (
                f"slope_between={tuple(slope_between)} fall on the same sample ({slope[0]:g})"
            )
    return base, stress, slope, None


def _features(times, values, measured, base_t, stress_t, slope_t, stressor_time) -> dict:
    val = dict(zip(times.tolist(), values.tolist()))
    out = {}
    out["auc_g"], out["auc_i"] = auc_values(values, times)
    if stress_t is not None:
        post = times >= stress_t
        out["auc_i_post"] = auc_values(values[post], times[post])[1] if post.sum() >= 2 \
            else np.nan
    baseline = val[base_t]
    out["baseline"] = baseline
    after = (times > base_t) & measured
    if after.any():
        k = int(np.argmax(values[after]))
        out["peak"] = float(values[after][k])
        out["peak_time"] = float(times[after][k])
        out["peak_reactivity"] = out["peak"] - baseline
        ref = stressor_time if stressor_time is not None else base_t
        out["time_to_peak"] = out["peak_time"] - float(ref)
    if slope_t is not None:
        t1, t2 = slope_t
        out["slope"] = (val[t2] - val[t1]) / (t2 - t1)
    return out


# ----------------------------------------------------------------------------- public API
def cortisol_features(
    data: pd.DataFrame,
    *,
    y: str = "value",
    time: str = "sample_time",
    subject: str = "subject_id",
    by: Sequence[str] | str = (),
    origin: str | None = None,
    schedule: str | Sequence[float] = "own",
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
    y, time, subject : str
        Column names of the concentration, the sample time and the subject. ``time`` holds
        minutes (since waking, since the stressor, or any origin), timedeltas, or clock times
        (datetimes or text such as ``"08:15"``); see :mod:`hormonestats.derive.timecourse`.
    by : str or sequence of str
        Further grouping columns (e.g. ``"session"``).
    origin : str, optional
        Column of each subject's reference time (waking, stressor onset), of the same kind as
        ``time``; minutes are then ``time - origin``. Clock times without an origin count from
        the subject's first sample.
    schedule : {"own", "shared"} or sequence of float
        ``"own"`` (default): each subject's own sample times. ``"shared"``: a nominal schedule,
        the distinct times found in each ``by`` group, the same number meaning the same sample
        for every subject (a subject with no row at a scheduled time lacks that sample). A
        sequence: that nominal schedule (minutes); every time in the data must be on it.
    baseline_time : float, optional
        Time of the baseline sample (default: the first sample). On a subject's own times, the
        sample nearest to it; on a nominal schedule it must be a scheduled time.
    stressor_time : float, optional
        Time of stressor onset (minutes on the same origin). Adds ``auc_i_post``: AUCi of the
        curve that starts at the *stressor baseline*, the last sample at or before
        ``stressor_time``, and runs through every sample after it. Also the reference of
        ``time_to_peak`` when given.
    slope_between : (float, float), optional
        Two times; adds ``slope = (y(t2) - y(t1)) / (t2 - t1)`` per minute, with the subject's
        samples nearest to them (and their actual times) on its own times.
    min_samples : int, optional
        Minimum number of measured samples (default: every expected sample).
    interpolate : bool
        Fill interior gaps by linear interpolation (never extrapolates).

    Returns
    -------
    Derived
        ``data``: columns ``subject``, ``by``..., ``auc_g``, ``auc_i``, [``auc_i_post``],
        ``baseline``, ``peak``, ``peak_time``, ``peak_reactivity`` (peak - baseline, where the
        peak is the largest *measured* value after the baseline sample), ``time_to_peak``
        (``peak_time`` minus ``stressor_time`` if given, else minus the baseline's time),
        [``slope``], ``n_samples`` (measured), ``n_missing``, ``n_interpolated``.
        ``log``: subjects set to NaN (``excluded``) and interpolated samples (``altered``).

    Notes
    -----
    AUC formulas: Pruessner et al. (2003); see :func:`auc_values`. Areas are in value x
    minutes (nmol/L x min).

    Examples
    --------
    Two subjects sampled at their own times:

    >>> df = pd.DataFrame({"subject_id": ["a"] * 3 + ["b"] * 3,
    ...                    "sample_time": [0, 30, 45, 0, 32, 50],
    ...                    "value": [10.0, 15.0, 12.0, 8.0, 12.0, 9.0]})
    >>> out, log = cortisol_features(df)
    >>> out[["subject_id", "auc_g", "auc_i", "peak_reactivity", "time_to_peak"]]
      subject_id  auc_g  auc_i  peak_reactivity  time_to_peak
    0          a  577.5  127.5              5.0          30.0
    1          b  509.0  109.0              4.0          32.0
    """
    step = _STEP
    by = as_tuple(by)
    nominal = _schedule_arg(schedule)
    require_columns(data, [y, time, subject, *by] + ([origin] if origin else []),
                    table="samples", step=step)
    if slope_between is not None and len(slope_between) != 2:
        raise DataError(f"{step}: slope_between must be two sample times, got {slope_between!r}")
    frame = data[[subject, *by]].copy()
    frame["_y"] = numeric(data, y, step)
    frame["_t"] = minutes(data, time, step=step, origin=origin, keys=[subject, *by])
    for column, name in (("_t", time if origin is None else f"{time} or {origin}"),
                         (subject, subject)):
        if frame[column].isna().any():
            raise DataError(
                f"{step}: column '{name}' of table 'samples' has missing values in "
                f"{format_rows(frame.index[frame[column].isna()])}"
            )
    check_duplicates(frame, [subject, *by, "_t"], step)
    rows_out: list[dict] = []
    logs: list[pd.DataFrame] = []
    names = ["auc_g", "auc_i"] + (["auc_i_post"] if stressor_time is not None else []) + [
        "baseline", "peak", "peak_time", "peak_reactivity", "time_to_peak"
    ] + (["slope"] if slope_between is not None else [])
    for gkey, label, gframe in groups(frame, by):
        shared = None
        if nominal is not None:
            shared = _shared_schedule(gframe["_t"], nominal, label)
            _nominal_checks(shared, baseline_time, stressor_time, slope_between, label)
        n_expected = len(shared) if shared is not None else \
            int(gframe.groupby(subject).size().max())
        need = n_expected if min_samples is None else int(min_samples)
        for sid, sframe in gframe.groupby(subject, sort=True):
            sframe = sframe.sort_values("_t")
            t = sframe["_t"].to_numpy(float)
            v = sframe["_y"].to_numpy(float)
            sched = shared if shared is not None else t
            feats = dict.fromkeys(names, np.nan)
            base_t, stress_t, slope_t, reason = _anchors(
                sched, baseline_time, stressor_time, slope_between, nominal is not None)
            anchors = [a for a in (base_t, stress_t, *(slope_t or ())) if a is not None]
            times = measured = None
            if reason is None:
                times, values, measured, reason = _curve(
                    sched, t, v, min_samples=need, interpolate=interpolate, anchors=anchors)
            n_interp = 0
            if reason is not None:
                logs.append(log_frame(sframe.index, [sid] * len(sframe), "excluded",
                                      f"{label}: all cortisol features set to NaN: {reason}",
                                      step))
            else:
                n_interp = int((~measured).sum())
                if n_interp:
                    logs.append(_interpolation_log(sframe, sid, t, times[~measured], label))
                feats.update(_features(times, values, measured, base_t, stress_t, slope_t,
                                       stressor_time))
            n_measured = int((~np.isnan(v)).sum())
            rows_out.append({subject: sid, **dict(zip(by, gkey)), **feats,
                             "n_samples": n_measured,
                             "n_missing": int(max(n_expected, len(t)) - n_measured),
                             "n_interpolated": n_interp})
    out = pd.DataFrame(rows_out)
    for col in ("n_samples", "n_missing", "n_interpolated"):
        if col in out.columns:
            out[col] = out[col].astype("int64")
    return Derived(out.reset_index(drop=True), combine_logs(logs))


def _schedule_arg(schedule):
    """None for the subjects' own times, else "shared" or the nominal times as an array."""
    if isinstance(schedule, str):
        if schedule not in SCHEDULES:
            raise DataError(
                f"{_STEP}: schedule {schedule!r} is unknown; allowed: 'own', 'shared' or a "
                "list of nominal times (minutes)"
            )
        return None if schedule == "own" else "shared"
    times = np.sort(np.asarray(list(schedule), dtype=float))
    if len(times) < 2 or np.isnan(times).any() or np.any(np.diff(times) <= 0):
        raise DataError(
            f"{_STEP}: schedule must list at least 2 distinct sample times, got {list(schedule)}"
        )
    return times


def _shared_schedule(t: pd.Series, nominal, label: str) -> np.ndarray:
    found = np.sort(t.unique()).astype(float)
    if isinstance(nominal, str):
        return found
    off = found[~np.isin(found, nominal)]
    if len(off):
        raise DataError(
            f"{_STEP}: {label}: sample time(s) {off.tolist()} are not on the nominal schedule "
            f"{nominal.tolist()}; pass schedule='own' to use each subject's own times"
        )
    return nominal


def _interpolation_log(sframe, sid, t, filled, label: str) -> pd.DataFrame:
    nan_rows = sframe.index[np.isin(t, filled)]
    absent = [f for f in filled if f not in t]
    return log_frame(list(nan_rows) + [None] * len(absent),
                     [sid] * (len(nan_rows) + len(absent)), "altered",
                     f"{label}: missing sample(s) at time(s) {filled.tolist()} linearly "
                     "interpolated between neighbouring measured samples", _STEP)


def auc(data: pd.DataFrame, **options) -> pd.DataFrame:
    """AUC with respect to ground and increase per subject (Pruessner et al. 2003).

    A view of :func:`cortisol_features`: the same keyword arguments, the same sample times
    (each subject's own unless ``schedule`` asks for a nominal one) and the same
    missing-sample policy; use that function to get the log of subjects set to NaN and
    samples interpolated.

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
    out, _ = cortisol_features(data, **options)
    subject = options.get("subject", "subject_id")
    cols = [subject, *as_tuple(options.get("by", ())), "auc_g", "auc_i"]
    if options.get("stressor_time") is not None:
        cols.append("auc_i_post")
    return out[[*cols, "n_samples", "n_missing"]]


auc.__signature__ = inspect.signature(cortisol_features).replace(return_annotation="DataFrame")
