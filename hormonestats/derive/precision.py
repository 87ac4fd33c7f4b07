"""Assay precision: replicate means and CVs, intra- and inter-assay CV, plate effects.

Every function is pure. :func:`aggregate_replicates` returns
:class:`~hormonestats.log.Derived` ``(data, log)`` with the imprecise samples flagged; plate
controls are rows with ``sample_type == "control"`` (see :func:`~hormonestats.study.readings.control_mask`).

Sources: the FDA Bioanalytical Method Validation guidance (U.S. FDA 2018) for the
replicate-CV threshold; Fisher (1925) for the one-way ANOVA of control wells on plate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..checks import numeric_column, require_columns
from ..display import ResultDisplay
from ..errors import DataError
from ..log import Derived, empty_log
from ..study.readings import control_mask
from ._logs import log_selected

__all__ = [
    "DEFAULT_MAX_CV",
    "PlateEffect",
    "aggregate_replicates",
    "inter_assay_cv",
    "intra_assay_cv",
    "plate_effect",
]

#: Default replicate CV threshold (%). The FDA (2018) Bioanalytical Method Validation guidance
#: accepts a precision (CV) of at most 15% for chromatographic assays (20% at the LLOQ) and 20%
#: for ligand-binding assays (25% at the limits); 15% is the stricter common choice for
#: duplicate wells. Labs with pre-registered limits (e.g. <= 4% intra-assay for cortisol)
#: should pass their own ``max_cv``.
DEFAULT_MAX_CV = 15.0

_DEFAULT_KEYS = ("subject_id", "session", "sample_time", "matrix", "analyte")


def _default_keys(samples: pd.DataFrame) -> list[str]:
    if "sample_id" in samples.columns and (samples["sample_id"].notna()
                                           | control_mask(samples)).all():
        keys = ["sample_id"]
        if "analyte" in samples.columns:
            keys.append("analyte")
        return keys
    return [k for k in _DEFAULT_KEYS if k in samples.columns]


def _constant_within(column: pd.Series, ids: pd.Series) -> bool:
    """True when the column holds one value (a missing value counting as one) in every group:
    ``column.groupby(ids).nunique(dropna=False).max() <= 1``, on sorted factor codes."""
    group = ids.to_numpy()
    order = np.argsort(group, kind="stable")
    codes = pd.factorize(column, use_na_sentinel=True)[0][order]
    group = group[order]
    return not bool(np.any((codes[1:] != codes[:-1]) & (group[1:] == group[:-1])))


def _replicate_stats(samples, keys, value, step):
    """Per-sample statistics; returns (frame, group id per input row)."""
    values = numeric_column(samples, value, table="samples", step=step)
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
        part = samples if mask.all() else samples.loc[mask]  # no copy when nothing is left out
        ids = part.groupby(part_keys, dropna=False, sort=False).ngroup() + offset
        gid.loc[mask] = ids
        offset = int(ids.max()) + 1
        parts.append((part, part_keys, ids))
    if not parts:
        return None, gid
    frames = []
    skip = {value, "replicate", "well"}
    for part, part_keys, ids in parts:
        vals = values if part is samples else values.loc[part.index]
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
            keep += [c for c in others if _constant_within(part[c], ids)]
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
    require_columns(samples, [value], table="samples", step="aggregate_replicates")
    keys = _default_keys(samples) if keys is None else list(keys)
    require_columns(samples, keys, table="samples", step="aggregate_replicates (keys)")
    if not keys:
        raise DataError("samples: aggregate_replicates found no key columns; pass keys=[...]")
    out, gid = _replicate_stats(samples, keys, value, "aggregate_replicates")
    if out is None:
        return Derived(samples.iloc[0:0].copy(), empty_log())
    out["cv_flag"] = (out["cv"] > max_cv).fillna(False).astype(bool)
    flagged_rows = gid.map(out["cv_flag"]).fillna(False).astype(bool)

    def reason(m):
        cv = gid[m].map(out["cv"])
        return pd.Series([f"replicate CV {v:.1f}% > max_cv {max_cv:g}%" for v in cv],
                         index=cv.index, dtype=object)

    log = log_selected("aggregate_replicates", "samples", samples, flagged_rows, "flagged",
                       reason)
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
    require_columns(samples, [value, *by], table="samples", step="intra_assay_cv")
    keys = _default_keys(samples) if keys is None else list(keys)
    keys = list(dict.fromkeys([*keys, *by]))
    # the CVs depend on the values and the sample keys alone: the other columns stay behind
    extra = ["subject_id", "plate_id"] if control_mask(samples).any() else []
    needed = [c for c in dict.fromkeys([*keys, value, "sample_type", *extra])
              if c in samples.columns]
    per_sample, _ = _replicate_stats(samples[needed], keys, value, "intra_assay_cv")
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
    require_columns(samples, [value, control, plate, *by], table="samples", step=step)
    controls = control_mask(samples)
    if not controls.any():
        raise DataError(
            f"samples: {step} needs control rows (column 'sample_type' == 'control', the "
            f"control's name in {control!r}); none found"
        )
    ctrl = samples.loc[controls]
    vals = numeric_column(ctrl, value, table="samples", step=step)
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
