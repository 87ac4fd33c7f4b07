"""Reliability of repeated sampling: how much of a hormone's variance lies between persons, and
how many samples give a reliable person mean.

- **Shrout–Fleiss intraclass correlations** (Shrout & Fleiss 1979; McGraw & Wong 1996) of a
  complete persons x occasions table: the six forms ICC1, ICC2, ICC3 (one sample) and ICC1k,
  ICC2k, ICC3k (the mean of the k occasions), with their F tests and F-based intervals, computed
  from the two-way ANOVA mean squares as ``psych::ICC(x, lmer = FALSE)`` does. In the multilevel
  literature ICC1 is "ICC(1)" and ICC1k is "ICC(2)", the reliability of the person mean (Bliese
  2000).
- **The ICC of a random-intercept model** ``y ~ covariates + (1 | subject)`` fitted by REML with
  :mod:`hormonestats.models.lmm` on every available sample (unbalanced designs and missing samples
  need no complete table), adjusted and conditional as ``performance::icc`` reports them
  (Nakagawa, Johnson & Schielzeth 2017): ``tau00 / (tau00 + sigma^2)`` and
  ``tau00 / (var(X beta) + tau00 + sigma^2)``.
- **Spearman–Brown** (Spearman 1910; Brown 1910): the reliability of the mean of ``k`` samples,
  ``k r / (1 + (k - 1) r)``, and the number of samples for a target reliability,
  ``target (1 - r) / (r (1 - target))``.

The generalizability coefficients of a repeated questionnaire (Shrout & Lane 2012) are in
:mod:`hormonestats.models.generalizability`. This module sits with the models (not with
``derive/``) because the mixed-model ICC is a model fit, and ``derive/`` may not use models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..display import ResultDisplay
from ..errors import DataError, ModelError
from ..log import empty_log, log_rows
from ..results import Summary
from .lmm.design import drop_missing, require_columns
from .lmm.model import fit_model

__all__ = [
    "ICC_FORMS",
    "SamplingReliabilityResult",
    "mixed_icc",
    "samples_for_reliability",
    "sampling_reliability",
    "shrout_fleiss_icc",
    "spearman_brown",
]

#: the six Shrout–Fleiss forms, as psych names them, with what each means
ICC_FORMS = {
    "ICC1": "one sample; persons random, occasions not modelled (one-way ANOVA)",
    "ICC2": "one sample; persons and occasions random (absolute agreement)",
    "ICC3": "one sample; occasions fixed (consistency)",
    "ICC1k": "mean of k samples; one-way (ICC(2) of the multilevel literature)",
    "ICC2k": "mean of k samples; persons and occasions random",
    "ICC3k": "mean of k samples; occasions fixed",
}

TABLE_COLUMNS = [
    "y", "n_subjects", "n_obs", "samples_per_subject", "icc", "icc_conf_low", "icc_conf_high",
    "icc_conditional",
    "icc1", "icc1_conf_low", "icc1_conf_high", "icc2", "icc2_conf_low", "icc2_conf_high",
    "n_complete", "n_occasions", "reliability_of_mean", "target", "samples_needed",
]


# --------------------------------------------------------------------------- Spearman-Brown


def spearman_brown(r, k):
    """Reliability of the mean of ``k`` parallel samples whose single-sample reliability is ``r``.

    ``k r / (1 + (k - 1) r)`` (Spearman 1910; Brown 1910). Arrays broadcast.

    Examples
    --------
    >>> round(spearman_brown(0.3, 4), 4)
    0.6316
    """
    r, k = np.asarray(r, float), np.asarray(k, float)
    out = k * r / (1 + (k - 1) * r)
    return float(out) if out.ndim == 0 else out


def samples_for_reliability(r, target: float = 0.8):
    """Number of samples (days, occasions) whose mean reaches reliability ``target``.

    The Spearman–Brown formula solved for ``k``: ``target (1 - r) / (r (1 - target))``; round up
    for a whole number of samples. Infinite where ``r <= 0`` (no number of samples suffices).

    Examples
    --------
    >>> round(samples_for_reliability(0.3, 0.8), 4)
    9.3333
    """
    if not 0 < target < 1:
        raise ModelError(f"target reliability must lie strictly between 0 and 1, got {target}.")
    r = np.asarray(r, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(r > 0, target * (1 - r) / (r * (1 - target)), np.inf)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- Shrout-Fleiss


def _mean_squares(x: np.ndarray) -> tuple[float, float, float, float]:
    """(MSB, MSW, MSJ, MSE) of a complete n x k table: between persons, within persons
    (one-way), between occasions and residual (two-way without replication)."""
    n, k = x.shape
    grand = x.mean()
    rows, cols = x.mean(axis=1), x.mean(axis=0)
    ssb = k * np.sum((rows - grand) ** 2)
    ssj = n * np.sum((cols - grand) ** 2)
    sst = np.sum((x - grand) ** 2)
    sse = sst - ssb - ssj
    msb = ssb / (n - 1)
    msw = (ssj + sse) / (n * (k - 1))
    msj = ssj / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    return float(msb), float(msw), float(msj), float(mse)


def shrout_fleiss_icc(ratings, conf_level: float = 0.95) -> pd.DataFrame:
    """The six Shrout–Fleiss (1979) intraclass correlations of a complete persons x occasions table.

    Parameters
    ----------
    ratings : array-like or DataFrame, shape (n_persons, k_occasions)
        One row per person, one column per occasion (day, sample, rater); no missing values.
    conf_level : float

    Returns
    -------
    DataFrame
        ``type`` (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k), ``description``, ``estimate``,
        ``statistic`` (the F ratio), ``df1``, ``df2``, ``p_value``, ``conf_low``, ``conf_high``.
        Intervals are the F-based ones of McGraw & Wong (1996) (for ICC2 and ICC2k with
        Satterthwaite's approximate df), as ``psych::ICC`` computes them.

    Examples
    --------
    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> shrout_fleiss_icc(sf)["estimate"].round(2).tolist()  # Shrout & Fleiss (1979), Table 4
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise DataError("ICC needs a two-dimensional table: persons in rows, occasions in columns.")
    n, k = x.shape
    if n < 2 or k < 2:
        raise DataError(f"ICC needs at least 2 persons and 2 occasions; got {n} x {k}.")
    if not np.all(np.isfinite(x)):
        bad = sorted(set(np.nonzero(~np.isfinite(x))[0].tolist()))
        raise DataError(
            f"ICC needs a complete table; row(s) {bad[:10]} have missing values (drop those "
            "persons, or use the mixed-model ICC, which uses every sample)."
        )
    if not 0 < conf_level < 1:
        raise ModelError(f"conf_level must lie strictly between 0 and 1, got {conf_level}.")
    msb, msw, msj, mse = _mean_squares(x)
    if not (msb > 0 and msw > 0 and mse > 0):
        where = "between persons" if not msb > 0 else "within persons"
        raise DataError(
            f"ICC: the readings do not vary {where}, so the Shrout-Fleiss forms, their F tests "
            "and intervals are undefined.")
    a = 1 - conf_level
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    icc1k = (msb - msw) / msb
    icc2k = (msb - mse) / (msb + (msj - mse) / n)
    icc3k = (msb - mse) / msb
    f1, d1n, d1d = msb / msw, n - 1, n * (k - 1)
    f3, d3n, d3d = msb / mse, n - 1, (n - 1) * (k - 1)
    p1, p3 = float(stats.f.sf(f1, d1n, d1d)), float(stats.f.sf(f3, d3n, d3d))
    f1l, f1u = f1 / stats.f.ppf(1 - a / 2, d1n, d1d), f1 * stats.f.ppf(1 - a / 2, d1d, d1n)
    f3l, f3u = f3 / stats.f.ppf(1 - a / 2, d3n, d3d), f3 * stats.f.ppf(1 - a / 2, d3d, d3n)
    # ICC2: Satterthwaite df of the denominator (McGraw & Wong 1996, Table 7)
    fj = msj / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu, fl = stats.f.ppf(1 - a / 2, n - 1, v), stats.f.ppf(1 - a / 2, v, n - 1)
    denom = k * msj + (k * n - k - n) * mse
    l2 = n * (msb - fu * mse) / (fu * denom + n * msb)
    u2 = n * (fl * msb - mse) / (denom + n * fl * msb)
    rows = [
        ("ICC1", icc1, f1, d1n, d1d, p1, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        ("ICC2", icc2, f3, d3n, d3d, p3, l2, u2),
        ("ICC3", icc3, f3, d3n, d3d, p3, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        ("ICC1k", icc1k, f1, d1n, d1d, p1, 1 - 1 / f1l, 1 - 1 / f1u),
        ("ICC2k", icc2k, f3, d3n, d3d, p3, spearman_brown(l2, k), spearman_brown(u2, k)),
        ("ICC3k", icc3k, f3, d3n, d3d, p3, 1 - 1 / f3l, 1 - 1 / f3u),
    ]
    out = pd.DataFrame(
        rows,
        columns=["type", "estimate", "statistic", "df1", "df2", "p_value", "conf_low",
                 "conf_high"],
    )
    out.insert(1, "description", out["type"].map(ICC_FORMS))
    return out.astype({c: float for c in out.columns[2:]})


# --------------------------------------------------------------------------- mixed-model ICC


def _q(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", name) else f"`{name}`"


def mixed_icc(
    data: pd.DataFrame, *, y: str, subject: str, covariates: Sequence[str] = (),
    conf_level: float = 0.95,
) -> dict:
    """ICC of the random-intercept model ``y ~ covariates + (1 | subject)`` (REML).

    Every available sample is used (persons may have different numbers of samples). Returns a
    dict: ``icc`` (adjusted: ``tau00 / (tau00 + sigma^2)``), ``icc_conf_low`` and
    ``icc_conf_high`` (its profile-likelihood interval under the restricted likelihood at
    ``conf_level``: :func:`hormonestats.models.lmm.profile.icc_interval`), ``icc_conditional``
    (``tau00 / (var(X beta) + tau00 + sigma^2)``, the variance of the fixed part with the n - 1
    divisor, as ``performance::icc``), ``var_intercept``, ``var_residual``, ``var_fixed``,
    ``n_obs``, ``n_subjects``, ``converged``, ``singular`` (lme4's rule: the between-person
    variance on its boundary), ``warnings``, ``formula`` and the exclusion log
    ``dropped`` of rows with missing values. Without covariates both ICCs are equal.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"id": np.repeat(np.arange(60), 5)})
    >>> d["y"] = rng.normal(0, 1, 60)[d["id"]] + rng.normal(0, 1, len(d))
    >>> 0.3 < mixed_icc(d, y="y", subject="id")["icc"] < 0.7
    True
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(data, {"y": y, "subject": subject, "covariates": covariates})
    fixed = " + ".join(_q(c) for c in covariates) or "1"
    formula = f"{_q(y)} ~ {fixed} + (1 | {_q(subject)})"
    import warnings

    from .lmm.fit import MixedModelWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        lmm, frame, dropped = fit_model(data, formula, what="random-intercept ICC model",
                                        step="sampling_reliability", subject=subject)
    tau, s2 = float(lmm.covs[0][0, 0]), float(lmm.sigma2)
    from .lmm.profile import icc_interval

    _, icc_low, icc_high = icc_interval(lmm, frame, formula, conf_level)
    fitted = lmm.design.matrix(frame) @ lmm.beta
    var_fixed = float(np.var(fitted, ddof=1)) if len(fitted) > 1 else 0.0
    return {
        "icc": tau / (tau + s2),
        "icc_conf_low": icc_low,
        "icc_conf_high": icc_high,
        "icc_conditional": tau / (var_fixed + tau + s2),
        "var_intercept": tau,
        "var_residual": s2,
        "var_fixed": var_fixed,
        "n_obs": int(lmm.n_obs),
        "n_subjects": int(lmm.n_levels[subject]),
        "converged": bool(lmm.converged),
        "singular": bool(lmm.singular),
        "warnings": tuple(lmm.messages),
        "formula": formula,
        "dropped": dropped,
    }


# --------------------------------------------------------------------------- the summary call


@dataclass(frozen=True)
class SamplingReliabilityResult:
    """Reliability of repeated sampling, one row per measure.

    Attributes
    ----------
    table : DataFrame
        One row per measure ``y``: ``n_subjects``, ``n_obs`` and ``samples_per_subject`` (mean)
        of the mixed model; ``icc`` with its profile-likelihood interval ``icc_conf_low``,
        ``icc_conf_high`` and ``icc_conditional`` (random-intercept model, every sample);
        ``icc1`` (Shrout–Fleiss ICC1) and ``icc2`` (ICC1k: reliability of the mean of
        the ``n_occasions`` occasions) with F-based intervals, from the ``n_complete`` persons
        who have every occasion; ``reliability_of_mean`` (Spearman–Brown of ``icc`` at
        ``samples_per_subject``); ``samples_needed`` for reliability ``target`` (from ``icc``,
        not rounded; infinite when the between-person variance is estimated at zero).
    shrout_fleiss : dict
        Measure -> the six Shrout–Fleiss forms (:func:`shrout_fleiss_icc`).
    excluded : DataFrame
        Exclusion log (``step, table, row, subject_id, action, reason``): rows with a missing
        value and, for the Shrout–Fleiss forms only, persons without every occasion.
    conf_level : float
    notes : tuple of str
    """

    table: pd.DataFrame
    shrout_fleiss: dict
    excluded: pd.DataFrame = field(default_factory=empty_log)
    conf_level: float = 0.95
    notes: tuple = ()

    @property
    def n_obs(self) -> int:
        return int(self.table["n_obs"].sum()) if len(self.table) else 0

    def _tables(self):
        parts = [("Reliability of the person mean", self.table)]
        parts += [(f"Shrout-Fleiss ICCs: {k}", v) for k, v in self.shrout_fleiss.items()]
        return parts

    def _notes(self) -> list[str]:
        pct = f"{100 * self.conf_level:g}%"
        return [
            "icc: random-intercept model (REML) on every sample, tau00 / (tau00 + sigma^2); "
            f"icc_conditional also counts the covariates' variance (Nakagawa et al. 2017); "
            f"{pct} profile-likelihood interval of icc (restricted likelihood).",
            f"icc1 / icc2: Shrout & Fleiss (1979) ICC1 and ICC1k on persons with every "
            f"occasion, {pct} F-based intervals (McGraw & Wong 1996).",
            "reliability_of_mean and samples_needed: Spearman-Brown (Spearman 1910; Brown 1910).",
            *self.notes,
        ]

    def summary(self) -> Summary:
        """Plain-text summary of every table."""
        return Summary(ResultDisplay.text("Reliability of repeated sampling", self._tables(),
                                          self._notes()))

    def _repr_html_(self) -> str:
        return ResultDisplay.html("Reliability of repeated sampling", self._tables(),
                                  self._notes())

    def __str__(self) -> str:
        return self.summary()


def _wide(d: pd.DataFrame, y: str, subject: str, occasion: str, step: str):
    """Persons x occasions table of ``y`` and the log of persons left out (incomplete)."""
    dup = d.duplicated([subject, occasion], keep=False)
    if dup.any():
        first = d.loc[dup, [subject, occasion]].iloc[0]
        raise DataError(
            f"sampling reliability of {y!r}: {int(dup.sum())} rows share a subject and "
            f"occasion (e.g. {subject}={first[subject]!r}, {occasion}={first[occasion]!r}); "
            "one value per person and occasion is expected (average replicates first)."
        )
    wide = d.pivot(index=subject, columns=occasion, values=y)
    complete = wide.notna().all(axis=1)
    gone = d[subject].isin(wide.index[~complete])
    log = log_rows(step, "data", d, gone.to_numpy(), "excluded",
                   f"{y}: person lacks an occasion (Shrout-Fleiss ICCs need every occasion)",
                   subject_col=subject) if gone.any() else empty_log()
    return wide.loc[complete], log


def _one(data, y, subject, occasion, covariates, target, conf_level, step):
    """Row of the summary table, the six forms (or None) and the exclusion logs."""
    d, dropped = drop_missing(data, [y, subject, occasion, *covariates], step, subject)
    if not pd.api.types.is_numeric_dtype(d[y]) or pd.api.types.is_bool_dtype(d[y]):
        raise DataError(f"sampling reliability: column {y!r} must be numeric (got {d[y].dtype}).")
    m = mixed_icc(d, y=y, subject=subject, covariates=covariates, conf_level=conf_level)
    per = m["n_obs"] / m["n_subjects"]
    row = {"y": y, "n_subjects": m["n_subjects"], "n_obs": m["n_obs"],
           "samples_per_subject": per, "icc": m["icc"], "icc_conf_low": m["icc_conf_low"],
           "icc_conf_high": m["icc_conf_high"], "icc_conditional": m["icc_conditional"],
           "target": target, "reliability_of_mean": spearman_brown(m["icc"], per),
           "samples_needed": (np.inf if m["singular"]
                              else samples_for_reliability(m["icc"], target))}
    wide, log = _wide(d, y, subject, occasion, step)
    sf = None
    if len(wide) >= 2 and wide.shape[1] >= 2:
        sf = shrout_fleiss_icc(wide.to_numpy(float), conf_level)
        est = sf.set_index("type")
        for col, form in (("icc1", "ICC1"), ("icc2", "ICC1k")):
            row[col] = est.loc[form, "estimate"]
            row[f"{col}_conf_low"] = est.loc[form, "conf_low"]
            row[f"{col}_conf_high"] = est.loc[form, "conf_high"]
    row["n_complete"], row["n_occasions"] = len(wide), wide.shape[1]
    return row, sf, [dropped, log], m["warnings"]


def sampling_reliability(
    data: pd.DataFrame,
    *,
    y: str | Sequence[str],
    subject: str,
    occasion: str,
    covariates: Sequence[str] = (),
    target: float = 0.8,
    conf_level: float = 0.95,
) -> SamplingReliabilityResult:
    """How reliably repeated samples measure a person: ICCs, and samples for a target reliability.

    Parameters
    ----------
    data : DataFrame
        Long table, one row per person and occasion (day, sample number, session). Not modified.
    y : str or sequence of str
        The measure(s), e.g. ``"cortisol_awakening"`` or several hormones.
    subject : str
        Person identifier.
    occasion : str
        Occasion of each sample (the columns of the Shrout–Fleiss table).
    covariates : sequence of str
        Fixed effects of the random-intercept model (e.g. weekend, time of day); the adjusted
        ICC then is the between-person share of the variance they leave.
    target : float
        Reliability of the person mean to plan for (default 0.8).
    conf_level : float

    Returns
    -------
    SamplingReliabilityResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> rng = np.random.default_rng(7)
    >>> d = pd.DataFrame({"id": np.repeat(np.arange(40), 5), "day": np.tile(np.arange(5), 40)})
    >>> d["cortisol"] = rng.normal(0, 0.4, 40)[d["id"]] + rng.normal(0, 0.4, len(d))
    >>> res = hs.sampling_reliability(d, y="cortisol", subject="id", occasion="day")
    >>> row = res.table.iloc[0]
    >>> bool(row["icc1_conf_low"] < row["icc1"] < row["icc1_conf_high"])
    True
    >>> round(float(row["icc"] - row["icc1"]), 6)  # balanced, no covariates: REML = ANOVA
    0.0
    """
    ys = [y] if isinstance(y, str) else list(y)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if not ys:
        raise ModelError("sampling_reliability needs at least one measure in y.")
    require_columns(data, {"y": ys, "subject": subject, "occasion": occasion,
                           "covariates": covariates})
    samples_for_reliability(0.5, target)  # checks target
    rows, forms, logs, notes = [], {}, [], []
    for name in ys:
        row, sf, lg, warns = _one(data, name, subject, occasion, covariates, target,
                                  conf_level, "sampling_reliability")
        rows.append(row)
        logs += lg
        notes += [f"{name}: {w}" for w in warns]
        if sf is not None:
            forms[name] = sf
        else:
            notes.append(f"{name}: fewer than 2 persons have every occasion; no Shrout-Fleiss "
                         "ICCs.")
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    logs = [lg for lg in logs if len(lg)]
    excluded = pd.concat(logs, ignore_index=True) if logs else empty_log()
    return SamplingReliabilityResult(table=table, shrout_fleiss=forms, excluded=excluded,
                                     conf_level=conf_level, notes=tuple(notes))

