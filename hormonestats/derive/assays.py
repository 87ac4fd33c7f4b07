"""Assay processing: censored readings, limits of detection, replicates, CVs, plates, transforms.

Every function is pure: it returns new frames and never changes the caller's data. Steps that
alter, flag or exclude rows return :class:`~hormonestats.log.Derived` ``(data, log)`` so the
exclusion/alteration log can travel into the report.

The samples table has one row per assay reading (one well): ``subject_id``, ``session``,
``sample_id`` (optional), ``sample_time``, ``matrix``, ``analyte``, ``value``, ``unit``,
``method``, ``extracted``, ``lod``, ``replicate``, ``plate_id`` and optionally ``sample_type``
(``"subject"`` by default, ``"control"`` for plate controls, whose name, e.g. ``"CTRL_low"``,
is in ``subject_id``) and a ``below_lod`` flag.

Sources: Hornung & Reed (1990, Appl Occup Environ Hyg 5:46) for LOD substitution; the FDA
Bioanalytical Method Validation guidance (U.S. FDA 2018) for the replicate-CV threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..display import ResultDisplay
from ..errors import DataError, HormoneStatsError, format_rows
from ..log import Derived, combine_logs, empty_log, log_rows
from ..study.readings import control_mask, parse_readings

__all__ = [
    "DEFAULT_MAX_CV",
    "LOD_POLICIES",
    "PlateEffect",
    "aggregate_replicates",
    "apply_lod",
    "control_mask",
    "inter_assay_cv",
    "intra_assay_cv",
    "lod_summary",
    "log_transform",
    "plate_effect",
    "winsorize",
    "zscore",
]

#: LOD policies understood by :func:`apply_lod`.
LOD_POLICIES = ("flag", "lod/2", "lod/sqrt2", "censored")

#: Default replicate CV threshold (%). The FDA (2018) Bioanalytical Method Validation guidance
#: accepts a precision (CV) of at most 15% for chromatographic assays (20% at the LLOQ) and 20%
#: for ligand-binding assays (25% at the limits); 15% is the stricter common choice for
#: duplicate wells. Labs with pre-registered limits (e.g. <= 4% intra-assay for cortisol)
#: should pass their own ``max_cv``.
DEFAULT_MAX_CV = 15.0

def _require(data: pd.DataFrame, columns, step: str, table: str = "samples") -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{table}: {step} needs column(s) {missing}; the table has {list(data.columns)}"
        )


def _numeric_column(data: pd.DataFrame, column: str, step: str, table: str) -> pd.Series:
    col = data[column]
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() & col.notna()
    if bad.any():
        raise DataError(
            f"{table}: {step} needs numbers in column {column!r}; text at "
            f"{format_rows(data.index[bad])} (e.g. {col[bad].iloc[0]!r}); read censored "
            "results with apply_lod or parse_readings first"
        )
    return num.astype(float)


def _classify(samples: pd.DataFrame, value: str, lod: str, step: str):
    """Parsed readings plus the row LOD and the combined below-LOD flag."""
    if lod in samples.columns:
        lod_values = _numeric_column(samples, lod, step, "samples")
    else:
        lod_values = pd.Series(np.nan, index=samples.index)
    parsed = parse_readings(samples[value], lod=lod_values)
    if parsed["unparsed"].any():
        bad = parsed.index[parsed["unparsed"]]
        examples = ", ".join(repr(v) for v in parsed.loc[bad, "reading"].head(3))
        raise DataError(
            f"samples: column {value!r} holds readings that are neither numbers nor censoring "
            f"text at {format_rows(bad)} ({examples}); allowed: numbers, '<0.5', '<LOD', 'ND', "
            "'>200', '> ULOQ'"
        )
    below = parsed["below_lod"] | (parsed["value"] < lod_values).fillna(False)
    if "below_lod" in samples.columns:
        flag = samples["below_lod"].astype("boolean").fillna(False).astype(bool)
        below = below | flag
    limit = parsed["limit"].where(parsed["below_lod"] & parsed["limit"].notna(), lod_values)
    return parsed, lod_values, below.astype(bool), limit


def apply_lod(
    samples: pd.DataFrame,
    *,
    policy: str = "flag",
    value: str = "value",
    lod: str = "lod",
) -> Derived:
    """Handle readings below the limit of detection (LOD) in a derived column.

    The raw reading is kept; the derived value goes into ``value_lod``.

    Parameters
    ----------
    samples : pandas.DataFrame
        Samples table. ``value`` may hold numbers or censoring text (see
        :func:`parse_readings`); ``lod`` (optional) the row's LOD in the reading's unit. A
        numeric reading below its row's LOD counts as below the LOD, as does a True
        ``below_lod`` flag already in the table.
    policy : {"flag", "lod/2", "lod/sqrt2", "censored"}
        ``"flag"``: ``value_lod`` is the reading (NaN for censoring text), below-LOD rows are
        flagged. ``"lod/2"`` and ``"lod/sqrt2"``: below-LOD rows get LOD/2 or LOD/sqrt(2)
        (Hornung & Reed 1990 recommend LOD/sqrt(2) when the geometric SD is below 3 and LOD/2
        for highly skewed data). ``"censored"``: no substitution; ``censored`` says
        ``"left"``/``"right"``/``"none"`` and ``value_lower``/``value_upper`` bound the true
        value (left: [0, LOD]; right: [limit, inf]; observed: the value twice) for a
        censored (Tobit-type) likelihood; ``value_lod`` is NaN for censored rows.
    value, lod : str
        Column names.

    Returns
    -------
    Derived
        ``data``: a copy with ``value_lod``, ``below_lod``, ``above_range``, ``lod_limit``
        (the LOD that applies: the number in ``"<0.5"``, else the row's ``lod``) and, for
        ``"censored"``, ``censored``, ``value_lower``, ``value_upper``. ``log``: one row per
        substituted value (``"altered"``, policy in the reason) or flagged reading.

    Raises
    ------
    DataError
        Unreadable text in ``value`` (rows named), or a substitution policy for below-LOD rows
        without any LOD.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a", "b"], "value": ["4.2", "<LOD"], "lod": 0.5})
    >>> out, log = apply_lod(df, policy="lod/2")
    >>> out["value_lod"].to_list()
    [4.2, 0.25]
    >>> log["action"].to_list()
    ['altered']
    """
    if policy not in LOD_POLICIES:
        raise HormoneStatsError(f"apply_lod: policy {policy!r} is unknown; allowed: {LOD_POLICIES}")
    _require(samples, [value], "apply_lod")
    parsed, lod_values, below, limit = _classify(samples, value, lod, "apply_lod")
    above = parsed["above_range"]
    out = samples.copy()
    out["below_lod"] = below
    out["above_range"] = above
    out["lod_limit"] = limit.where(below | limit.notna(), np.nan).astype(float)
    observed = parsed["value"].where(~below & ~above)
    step = f"apply_lod ({policy})"
    logs = []
    if policy in ("lod/2", "lod/sqrt2"):
        no_limit = below & limit.isna()
        if no_limit.any():
            raise DataError(
                f"samples: {format_rows(samples.index[no_limit])} are below the LOD but have no "
                f"LOD (column {lod!r} missing or empty); policy {policy!r} needs one"
            )
        divisor = 2.0 if policy == "lod/2" else math.sqrt(2.0)
        substitute = limit / divisor
        out["value_lod"] = parsed["value"].where(~below, substitute).where(~above)
        reason = (
            "below LOD "
            + limit.map(lambda v: f"{v:g}")
            + f": value_lod = LOD/{'2' if policy == 'lod/2' else 'sqrt(2)'} = "
            + substitute.map(lambda v: f"{v:g}")
            + f" (policy '{policy}', Hornung & Reed 1990)"
        )
        logs.append(log_rows(step, "samples", samples, below, "altered", reason))
    elif policy == "flag":
        out["value_lod"] = parsed["value"]
        reason = "below LOD " + limit.map(lambda v: f"{v:g}") + "; reading kept (policy 'flag')"
        logs.append(log_rows(step, "samples", samples, below, "flagged", reason))
    else:  # censored
        out["value_lod"] = observed
        out["censored"] = pd.Series(
            np.where(below, "left", np.where(above, "right", "none")), index=samples.index
        ).astype("str")
        out["value_lower"] = np.where(below, 0.0, np.where(above, parsed["limit"], observed))
        out["value_upper"] = np.where(below, limit, np.where(above, np.inf, observed))
        reason = "left-censored at LOD " + limit.map(lambda v: f"{v:g}") + " (policy 'censored')"
        logs.append(log_rows(step, "samples", samples, below, "flagged", reason))
    above_reason = (
        "above the assay range"
        + parsed["limit"].map(lambda v: "" if np.isnan(v) else f" ({v:g})")
        + "; value_lod left missing"
        + (" (right-censored)" if policy == "censored" else "")
    )
    logs.append(log_rows(step, "samples", samples, above, "flagged", above_reason))
    return Derived(out, combine_logs(logs))


def lod_summary(
    samples: pd.DataFrame,
    *,
    by: Sequence[str] = ("analyte", "matrix"),
    value: str = "value",
    lod: str = "lod",
) -> pd.DataFrame:
    """Count readings below the LOD and above the range per analyte (and matrix).

    A reading counts as below the LOD by the same rules as :func:`apply_lod`. Rows with an
    empty reading are not counted. Counts are of readings (wells), not of samples.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``n``, ``n_below_lod``, ``pct_below_lod`` (percent of ``n``),
        ``n_above_range``.

    Examples
    --------
    >>> df = pd.DataFrame({"analyte": "cortisol", "matrix": "saliva",
    ...                    "value": ["3.1", "<0.1", "2.2", "ND"], "lod": 0.1})
    >>> lod_summary(df)
        analyte  matrix  n  n_below_lod  pct_below_lod  n_above_range
    0  cortisol  saliva  4            2           50.0              0
    """
    by = [by] if isinstance(by, str) else list(by)
    _require(samples, [value, *by], "lod_summary")
    parsed, _lods, below, _limit = _classify(samples, value, lod, "lod_summary")
    present = parsed["value"].notna() | below | parsed["above_range"]
    work = samples[by].copy()
    work["_n"] = present.astype(int)
    work["_below"] = (below & present).astype(int)
    work["_above"] = parsed["above_range"].astype(int)
    grouped = work.groupby(by, dropna=False, sort=True)
    out = grouped[["_n", "_below", "_above"]].sum().reset_index()
    out = out.rename(columns={"_n": "n", "_below": "n_below_lod", "_above": "n_above_range"})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_below_lod"] = 100.0 * out["n_below_lod"] / out["n"].where(out["n"] > 0)
    return out[[*by, "n", "n_below_lod", "pct_below_lod", "n_above_range"]]


_DEFAULT_KEYS = ("subject_id", "session", "sample_time", "matrix", "analyte")


def _default_keys(samples: pd.DataFrame) -> list[str]:
    subjects = samples.loc[~control_mask(samples)]
    if "sample_id" in samples.columns and subjects["sample_id"].notna().all():
        keys = ["sample_id"]
        if "analyte" in samples.columns:
            keys.append("analyte")
        return keys
    return [k for k in _DEFAULT_KEYS if k in samples.columns]


def _replicate_stats(samples, keys, value, step):
    """Per-sample statistics; returns (frame, group id per input row)."""
    values = _numeric_column(samples, value, step, "samples")
    controls = control_mask(samples)
    parts = []
    gid = pd.Series(-1, index=samples.index)
    offset = 0
    for mask, part_keys in (
        (~controls, list(keys)),
        (controls, list(dict.fromkeys([*keys, "subject_id", "plate_id"]))),
    ):
        if not mask.any():
            continue
        part_keys = [k for k in part_keys if k in samples.columns]
        part = samples.loc[mask]
        ids = part.groupby(part_keys, dropna=False, sort=False).ngroup() + offset
        gid.loc[mask] = ids
        offset = int(ids.max()) + 1
        parts.append((part, part_keys, ids))
    if not parts:
        return None, gid
    frames = []
    skip = {value, "replicate", "well"}
    for part, part_keys, ids in parts:
        vals = values.loc[part.index]
        g = vals.groupby(ids)
        stats_frame = pd.DataFrame(
            {
                "mean": g.mean(),
                "sd": g.std(ddof=1),
                "n_replicates": g.count().astype(int),
            }
        )
        others = [c for c in part.columns if c not in skip and c not in part_keys]
        keep = part_keys.copy()
        if others:
            nunique = part[others].groupby(ids).nunique(dropna=False).max()
            keep += [c for c in others if nunique[c] <= 1]
        firsts = part[keep].groupby(ids).first()
        if "below_lod" in part.columns and "below_lod" not in keep:
            firsts["below_lod"] = (
                part["below_lod"].astype("boolean").fillna(False).astype(bool).groupby(ids).any()
            )
            keep.append("below_lod")
        frames.append(firsts.join(stats_frame))
    out = pd.concat(frames)
    ordered = [c for c in samples.columns if c in out.columns and c != value]
    out[value] = out["mean"]
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = 100.0 * out["sd"] / out["mean"]
    out["cv"] = cv.where((out["n_replicates"] >= 2) & (out["mean"] > 0))
    out = out[[*ordered, value, "mean", "sd", "cv", "n_replicates"]]
    return out, gid


def aggregate_replicates(
    samples: pd.DataFrame,
    *,
    max_cv: float = DEFAULT_MAX_CV,
    keys: Sequence[str] | None = None,
    value: str = "value",
) -> Derived:
    """Average replicate wells into one row per sample and flag imprecise samples.

    Parameters
    ----------
    samples : pandas.DataFrame
        Samples table, one row per well. ``value`` must be numeric (use ``value="value_lod"``
        after :func:`apply_lod` for censored readings).
    max_cv : float, default 15.0
        Samples whose replicate CV (%) exceeds it get ``cv_flag`` True and are logged as
        ``"flagged"`` (not dropped). The default follows the FDA (2018) Bioanalytical Method
        Validation guidance limit of 15% (20% for ligand-binding assays); see
        :data:`DEFAULT_MAX_CV`.
    keys : sequence of str, optional
        Columns identifying a sample. Default: ``sample_id`` (+ ``analyte``) when every
        non-control row has one, else ``subject_id, session, sample_time, matrix, analyte`` (those present).
        Control rows (``sample_type == "control"``) are additionally kept apart by control
        name (``subject_id``) and ``plate_id``.
    value : str
        Column to average.

    Returns
    -------
    Derived
        ``data``: one row per sample with the key columns, every other column that is
        constant within each sample (unit, method, plate_id, ...; ``below_lod`` becomes "any
        replicate below"), ``value`` (the mean, so the result is again a samples table),
        ``mean``, ``sd`` (n - 1), ``cv`` (100 * sd / mean; NaN for a single replicate),
        ``n_replicates`` (non-missing wells) and ``cv_flag``. Columns that differ between
        replicates (``replicate``, well positions) are dropped. ``log``: the input rows of
        flagged samples.

    Examples
    --------
    >>> df = pd.DataFrame({"sample_id": ["s1", "s1", "s2", "s2"], "analyte": "cortisol",
    ...                    "unit": "nmol/L", "replicate": [1, 2, 1, 2],
    ...                    "value": [10.0, 10.4, 5.0, 8.0]})
    >>> out, log = aggregate_replicates(df)
    >>> out[["sample_id", "mean", "cv", "cv_flag"]].round(2)
      sample_id  mean     cv  cv_flag
    0        s1  10.2   2.77    False
    1        s2   6.5  32.64     True
    """
    _require(samples, [value], "aggregate_replicates")
    keys = _default_keys(samples) if keys is None else list(keys)
    _require(samples, keys, "aggregate_replicates (keys)")
    if not keys:
        raise DataError("samples: aggregate_replicates found no key columns; pass keys=[...]")
    out, gid = _replicate_stats(samples, keys, value, "aggregate_replicates")
    if out is None:
        return Derived(samples.iloc[0:0].copy(), empty_log())
    out["cv_flag"] = (out["cv"] > max_cv).fillna(False).astype(bool)
    cv_by_row = gid.map(out["cv"])
    flagged_rows = gid.map(out["cv_flag"]).fillna(False).astype(bool)
    reason = "replicate CV " + cv_by_row.map(lambda v: f"{v:.1f}") + f"% > max_cv {max_cv:g}%"
    log = log_rows("aggregate_replicates", "samples", samples, flagged_rows, "flagged", reason)
    return Derived(out.reset_index(drop=True), log)


def intra_assay_cv(
    samples: pd.DataFrame,
    *,
    by: Sequence[str] = ("plate_id", "analyte"),
    keys: Sequence[str] | None = None,
    value: str = "value",
) -> pd.DataFrame:
    """Intra-assay CV: mean of the per-sample replicate CVs, per plate and analyte.

    Every sample (controls included) with at least two replicate readings and a positive mean
    contributes its CV (100 * SD / mean, SD with n - 1).

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``n_samples`` and ``intra_cv`` (%).

    Examples
    --------
    >>> df = pd.DataFrame({"plate_id": "P1", "analyte": "cortisol",
    ...                    "sample_id": ["a", "a", "b", "b"], "value": [10.0, 12.0, 4.0, 4.0]})
    >>> intra_assay_cv(df).round(3)
      plate_id   analyte  n_samples  intra_cv
    0       P1  cortisol          2     6.428
    """
    by = [by] if isinstance(by, str) else list(by)
    _require(samples, [value, *by], "intra_assay_cv")
    keys = _default_keys(samples) if keys is None else list(keys)
    keys = list(dict.fromkeys([*keys, *by]))
    per_sample, _ = _replicate_stats(samples, keys, value, "intra_assay_cv")
    if per_sample is None:
        return pd.DataFrame(columns=[*by, "n_samples", "intra_cv"])
    usable = per_sample.loc[per_sample["cv"].notna()]
    out = (
        usable.groupby(by, dropna=False, sort=True)["cv"]
        .agg(n_samples="count", intra_cv="mean")
        .reset_index()
    )
    return out


def _control_plate_means(samples, by, control, plate, value, step):
    _require(samples, [value, control, plate, *by], step)
    controls = control_mask(samples)
    if not controls.any():
        raise DataError(
            f"samples: {step} needs control rows (column 'sample_type' == 'control', the "
            f"control's name in {control!r}); none found"
        )
    ctrl = samples.loc[controls]
    vals = _numeric_column(ctrl, value, step, "samples")
    work = ctrl[[*by, control, plate]].copy()
    work["_value"] = vals
    return work


def inter_assay_cv(
    samples: pd.DataFrame,
    *,
    by: Sequence[str] = ("analyte",),
    control: str = "subject_id",
    plate: str = "plate_id",
    value: str = "value",
) -> pd.DataFrame:
    """Inter-assay CV: CV of each control's plate means across plates.

    Controls are rows with ``sample_type == "control"``; their name (e.g. ``"CTRL_low"``) is
    in ``control``. Each control's replicate wells are averaged per plate, then the CV
    (100 * SD / mean, SD with n - 1) of those plate means is taken across plates.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``control``, ``n_plates``, ``mean`` (of plate means), ``sd`` and
        ``inter_cv`` (%; NaN with fewer than two plates).

    Examples
    --------
    >>> df = pd.DataFrame({"analyte": "cortisol", "sample_type": "control",
    ...                    "subject_id": "CTRL_low", "plate_id": ["P1", "P1", "P2", "P2"],
    ...                    "value": [4.0, 4.2, 4.6, 4.4]})
    >>> inter_assay_cv(df).round(3)
        analyte   control  n_plates  mean     sd  inter_cv
    0  cortisol  CTRL_low         2   4.3  0.283     6.578
    """
    by = [by] if isinstance(by, str) else list(by)
    work = _control_plate_means(samples, by, control, plate, value, "inter_assay_cv")
    plate_means = (
        work.groupby([*by, control, plate], dropna=False, sort=True)["_value"].mean().reset_index()
    )
    g = plate_means.groupby([*by, control], dropna=False, sort=True)["_value"]
    out = g.agg(n_plates="count", mean="mean", sd=lambda s: s.std(ddof=1)).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["inter_cv"] = 100.0 * out["sd"] / out["mean"].where(out["mean"] > 0)
    out = out.rename(columns={control: "control"})
    return out[[*by, "control", "n_plates", "mean", "sd", "inter_cv"]]


@dataclass(frozen=True)
class PlateEffect:
    """Plate effect check on control wells (:func:`plate_effect`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per analyte and control level: ``n_plates``, ``n_wells``, one-way ANOVA of
        the control's wells on plate (``statistic`` = F, ``df_num``, ``df_denom``,
        ``p_value``) and ``max_abs_deviation_pct``.
    deviations : pandas.DataFrame
        One row per analyte, control and plate: ``n_wells``, ``plate_mean``, ``grand_mean``
        (unweighted mean of the plate means) and ``deviation_pct``
        (100 * (plate_mean - grand_mean) / grand_mean).
    """

    table: pd.DataFrame
    deviations: pd.DataFrame

    def _parts(self):
        notes = [
            "One-way ANOVA of control wells on plate (Fisher 1925); a small p suggests a plate "
            "(batch) effect: consider plate as a random effect or re-assaying.",
        ]
        return (
            "Plate effect on assay controls",
            [("ANOVA per control", self.table), ("Plate mean deviations (%)", self.deviations)],
            notes,
        )

    def summary(self) -> str:
        """Readable text of both tables."""
        return ResultDisplay.text(*self._parts())

    def _repr_html_(self) -> str:
        return ResultDisplay.html(*self._parts())

    def __repr__(self) -> str:
        return self.summary()


def _oneway(groups: list[np.ndarray]):
    groups = [g[~np.isnan(g)] for g in groups]
    groups = [g for g in groups if len(g)]
    k = len(groups)
    n = sum(len(g) for g in groups)
    if k < 2 or n - k < 1:
        return np.nan, float(k - 1), float(n - k), np.nan
    grand = np.concatenate(groups).mean()
    ss_between = sum(len(g) * (g.mean() - grand) ** 2 for g in groups)
    ss_within = sum(((g - g.mean()) ** 2).sum() for g in groups)
    df1, df2 = k - 1, n - k
    if ss_within == 0:
        f = np.inf if ss_between > 0 else np.nan
    else:
        f = (ss_between / df1) / (ss_within / df2)
    p = float(stats.f.sf(f, df1, df2)) if np.isfinite(f) else (0.0 if f == np.inf else np.nan)
    return float(f), float(df1), float(df2), p


def plate_effect(
    samples: pd.DataFrame,
    *,
    by: Sequence[str] = ("analyte",),
    control: str = "subject_id",
    plate: str = "plate_id",
    value: str = "value",
) -> PlateEffect:
    """Check for plate (batch) effects with the control wells.

    For each analyte and control level, a one-way ANOVA of the control's wells on plate
    (F test, Fisher 1925) and each plate's mean deviation (%) from the mean of plate means.

    Examples
    --------
    >>> df = pd.DataFrame({"analyte": "cortisol", "sample_type": "control",
    ...                    "subject_id": "CTRL_low", "plate_id": ["P1", "P1", "P2", "P2"],
    ...                    "value": [4.0, 4.2, 4.6, 4.4]})
    >>> res = plate_effect(df)
    >>> round(res.table["statistic"].item(), 2), res.table["df_denom"].item()
    (8.0, 2.0)
    """
    by = [by] if isinstance(by, str) else list(by)
    work = _control_plate_means(samples, by, control, plate, value, "plate_effect")
    rows, devs = [], []
    for key, grp in work.groupby([*by, control], dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        ident = dict(zip([*by, "control"], key))
        per_plate = grp.groupby(plate, dropna=False, sort=True)["_value"]
        groups = [g.to_numpy(dtype=float) for _, g in per_plate]
        f, df1, df2, p = _oneway(groups)
        means = per_plate.mean()
        grand = means.mean()
        dev = 100.0 * (means - grand) / grand if grand else means * np.nan
        for plate_id, m in means.items():
            devs.append(
                {
                    **ident,
                    "plate_id": plate_id,
                    "n_wells": int(per_plate.count()[plate_id]),
                    "plate_mean": float(m),
                    "grand_mean": float(grand),
                    "deviation_pct": float(dev[plate_id]),
                }
            )
        rows.append(
            {
                **ident,
                "n_plates": int(means.notna().sum()),
                "n_wells": int(grp["_value"].notna().sum()),
                "statistic": f,
                "df_num": df1,
                "df_denom": df2,
                "p_value": p,
                "max_abs_deviation_pct": float(np.nanmax(np.abs(dev))) if len(dev) else np.nan,
            }
        )
    return PlateEffect(table=pd.DataFrame(rows), deviations=pd.DataFrame(devs))


def _columns_arg(data: pd.DataFrame, columns, step: str) -> list[str]:
    columns = [columns] if isinstance(columns, str) else list(columns)
    _require(data, columns, step, table="data")
    return columns


def log_transform(data: pd.DataFrame, columns, *, offset: float | None = None) -> Derived:
    """Natural log of hormone columns into new ``log_<col>`` columns.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : str or list of str
    offset : float, optional
        Added to every value of the columns before the log. Without it, zeros or negative
        values raise; with it, every row whose value was <= 0 is logged (``"altered"``).

    Returns
    -------
    Derived

    Raises
    ------
    DataError
        Non-positive values (column and rows named) and no ``offset``; or values that stay
        non-positive after adding it.

    Examples
    --------
    >>> df = pd.DataFrame({"cortisol": [1.0, np.e]})
    >>> log_transform(df, "cortisol").data["log_cortisol"].to_list()
    [0.0, 1.0]
    """
    columns = _columns_arg(data, columns, "log_transform")
    out = data.copy()
    logs, problems = [], []
    for col in columns:
        x = _numeric_column(data, col, "log_transform", "data")
        nonpos = (x <= 0).fillna(False)
        if offset is None:
            if nonpos.any():
                problems.append(
                    f"column {col!r} has values <= 0 at {format_rows(data.index[nonpos])}"
                )
                continue
            shifted = x
        else:
            shifted = x + offset
            still = (shifted <= 0).fillna(False)
            if still.any():
                problems.append(
                    f"column {col!r} is still <= 0 after adding offset {offset:g} at "
                    f"{format_rows(data.index[still])}"
                )
                continue
            reason = (
                f"{col} = "
                + x.map(lambda v: f"{v:g}")
                + f" <= 0: log_{col} = log({col} + {offset:g})"
            )
            logs.append(log_rows("log_transform", "data", data, nonpos, "altered", reason))
        out[f"log_{col}"] = np.log(shifted)
    if problems:
        raise DataError(
            "data: cannot take the natural log: "
            + "; ".join(problems)
            + " (pass offset=... to add a constant first)"
        )
    return Derived(out, combine_logs(logs))


def zscore(data: pd.DataFrame, columns, *, group: str | None = None) -> pd.DataFrame:
    """Standardise columns into new ``z_<col>`` columns ((x - mean) / SD, SD with n - 1).

    Parameters
    ----------
    group : str, optional
        Standardise within the levels of this column (e.g. per analyte or per subject).

    Examples
    --------
    >>> zscore(pd.DataFrame({"t": [1.0, 2.0, 3.0]}), "t")["z_t"].to_list()
    [-1.0, 0.0, 1.0]
    """
    columns = _columns_arg(data, columns, "zscore")
    if group is not None:
        _require(data, [group], "zscore", table="data")
    out = data.copy()
    for col in columns:
        x = _numeric_column(data, col, "zscore", "data")
        if group is None:
            mean, sd = x.mean(), x.std(ddof=1)
        else:
            g = x.groupby(data[group], dropna=False)
            mean, sd = g.transform("mean"), g.transform(lambda s: s.std(ddof=1))
        out[f"z_{col}"] = (x - mean) / sd
    return out


def winsorize(data: pd.DataFrame, columns, *, k: float = 3.0, scale: str = "log") -> Derived:
    """Clamp extreme values at mean +- k SD into new ``<col>_wins`` columns.

    Parameters
    ----------
    columns : str or list of str
    k : float, default 3
        Number of SDs (SD with n - 1, from all non-missing values).
    scale : {"log", "raw"}
        ``"log"`` (default): limits on the natural-log scale, back-transformed, so the
        limits are geometric (values must be positive); ``"raw"``: on the original scale.

    Returns
    -------
    Derived
        ``log`` has one ``"altered"`` row per changed value. Results with and without
        winsorising should both be reported (Pollet & van der Meij 2017 show that outlier
        handling can flip testosterone findings).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1.0, 2.0, 3.0, 2.0, 50.0]})
    >>> out, log = winsorize(df, "t", k=1, scale="raw")
    >>> round(float(out["t_wins"].iloc[-1]), 3), len(log)
    (33.078, 1)
    """
    if scale not in ("log", "raw"):
        raise HormoneStatsError(f"winsorize: scale {scale!r} is unknown; allowed: 'log', 'raw'")
    columns = _columns_arg(data, columns, "winsorize")
    out = data.copy()
    logs, problems = [], []
    for col in columns:
        x = _numeric_column(data, col, "winsorize", "data")
        if scale == "log":
            nonpos = (x <= 0).fillna(False)
            if nonpos.any():
                problems.append(
                    f"column {col!r} has values <= 0 at {format_rows(data.index[nonpos])}"
                )
                continue
            t = np.log(x)
        else:
            t = x
        mean, sd = t.mean(), t.std(ddof=1)
        lo, hi = mean - k * sd, mean + k * sd
        if scale == "log":
            lo, hi = np.exp(lo), np.exp(hi)
        low, high = (x < lo).fillna(False), (x > hi).fillna(False)
        new = x.where(~low, lo).where(~high, hi)
        out[f"{col}_wins"] = new
        reason = (
            f"{col} = "
            + x.map(lambda v: f"{v:g}")
            + f" outside mean +- {k:g} SD ({scale} scale): set to "
            + new.map(lambda v: f"{v:g}")
        )
        logs.append(log_rows("winsorize", "data", data, low | high, "altered", reason))
    if problems:
        raise DataError(
            "data: cannot winsorize on the log scale: "
            + "; ".join(problems)
            + " (use scale='raw' or log_transform with an offset)"
        )
    return Derived(out, combine_logs(logs))
