"""Reliability of a study's repeated hormone sampling, for ``hormonestats qc`` and the report.

For every analyte (and matrix) that persons gave more than once, the processed samples (one row
per analysed sample, replicates averaged, the LOD policy applied) go to
:func:`hormonestats.sampling_reliability`: occasions are the sessions crossed with the sample
numbers, values are on the scale the study's processing chose (log where ``transform`` is
``log``, as in the analysis table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SAMPLING_COLUMNS", "sampling_reliability_table"]

SAMPLING_COLUMNS = [
    "analyte", "matrix", "value_scale", "n_subjects", "n_readings", "samples_per_subject",
    "icc", "icc1", "icc1_conf_low", "icc1_conf_high", "icc2", "n_complete", "n_occasions",
    "reliability_of_mean", "samples_needed", "note",
]


def _occasions(samples: pd.DataFrame) -> pd.Series:
    parts = [samples[c].astype(str) for c in ("session", "sample_number") if c in samples]
    if not parts:
        return pd.Series(["1"] * len(samples), index=samples.index)
    out = parts[0]
    for p in parts[1:]:
        out = out + "/" + p
    return out


def sampling_reliability_table(processed, *, target: float = 0.8) -> pd.DataFrame | None:
    """One row per repeatedly sampled analyte x matrix (None when nothing was sampled twice).

    Columns :data:`SAMPLING_COLUMNS` (16, so the report shows the table inline): the
    random-intercept ICC on every sample, Shrout–Fleiss ICC1 with its 95% F-based interval and
    ICC1k (the reliability of the person mean of the ``n_occasions`` occasions) on the
    ``n_complete`` persons who gave every sample, the Spearman–Brown reliability of the mean
    of ``samples_per_subject`` samples and the samples needed for reliability ``target``; a
    ``note`` says why an analyte's reliability could not be estimated (e.g. no variation).
    """
    from ..errors import DataError
    from ..models.sampling_reliability import sampling_reliability

    samples = getattr(getattr(processed, "samples", None), "samples", None)
    if not isinstance(samples, pd.DataFrame) or samples.empty or "value" not in samples:
        return None
    settings = getattr(processed.samples, "settings", {}) or {}
    log_scale = settings.get("transform") == "log"
    d = samples.assign(_occasion=_occasions(samples))
    keys = [c for c in ("analyte", "matrix") if c in d]
    rows = []
    for key, part in d.groupby(keys, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        counts = part.groupby("subject_id", observed=True).size()
        if (counts >= 2).sum() < 2 or part["_occasion"].nunique() < 2:
            continue
        values = part["value"].astype(float)
        scale = "raw"
        if log_scale and (values > 0).all():
            values, scale = np.log(values), "log"
        frame = pd.DataFrame({"subject_id": part["subject_id"].astype(str).to_numpy(),
                              "occasion": part["_occasion"].to_numpy(),
                              "y": values.to_numpy()})
        try:
            res = sampling_reliability(frame, y="y", subject="subject_id", occasion="occasion",
                                       target=target)
        except DataError as err:  # e.g. readings without variation: said, not estimated
            row = {"n_subjects": frame["subject_id"].nunique(), "n_obs": len(frame),
                   "note": f"not estimated: {err}"}
        else:
            row = res.table.iloc[0].to_dict()
        row.update(dict(zip(keys, key)), value_scale=scale, n_readings=row["n_obs"])
        rows.append(row)
    if not rows:
        return None
    return pd.DataFrame(rows).reindex(columns=SAMPLING_COLUMNS)
