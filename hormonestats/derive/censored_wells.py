"""Wells below the LOD under ``lod_policy="censored"``: kept as censored samples.

Under the ``"censored"`` policy a sample whose wells are all below the LOD is not dropped: it
enters the analysis table with its limit as the value (in the canonical unit, so on the log
scale after the log transform) and a True censoring indicator (``<column>_censored``), so that
a censored likelihood (:func:`hormonestats.censored_mixed`) can use it.

Replicate rule. A sample with some wells below the LOD and some detected takes the mean of its
detected wells, as an uncensored value; its below-LOD wells are excluded (logged). A detected
well is a measurement of the sample, and the sample's concentration is then at or near the
limit whichever way its wells fell; treating the sample as censored would throw that
measurement away, and mixing a limit into the mean would substitute a value, which the policy
exists to avoid. A sample whose wells are all below the LOD is censored at the smallest limit
of its wells (the true value lies below every one of them). Readings above the assay range stay
without a value, as under the other policies (logged).
"""

from __future__ import annotations

import pandas as pd

from ..log import combine_logs, log_rows
from ..registry.units import to_canonical
from .precision import _default_keys

__all__ = ["censored_wells"]

_STEP = "process_samples (censored)"


def censored_wells(canon: pd.DataFrame, lodded: pd.DataFrame, no_value: pd.Series):
    """Keep the below-LOD wells of samples with no detected well as censored at their limit.

    ``canon`` is the LOD-applied wells in canonical units (:func:`hormonestats.apply_lod`
    with ``policy="censored"``, then ``to_canonical``), ``lodded`` the same wells before the
    unit conversion, ``no_value`` which wells have no value. Returns the wells with a boolean
    ``censored_at_lod`` column (and ``value_canonical`` set to the limit where True; the
    per-well ``value_lower``/``value_upper`` bounds dropped, as a sample's are fixed here),
    the kept censored wells, the wells excluded here (logged) and the log.
    """
    limit = to_canonical(lodded.assign(_limit=lodded["lod_limit"]), value="_limit")
    limit = limit["value_canonical"].reindex(canon.index)
    below = canon["below_lod"].astype(bool) & limit.notna()
    keys = _default_keys(canon)
    sample = canon.groupby(keys, dropna=False, sort=False).ngroup()
    has_detected = (~no_value).groupby(sample).transform("any")
    keep = below & ~has_detected
    dropped = below & has_detected
    out = canon.drop(columns=["censored", "value_lower", "value_upper"], errors="ignore")
    smallest = limit.where(keep).groupby(sample).transform("min")
    out["value_canonical"] = out["value_canonical"].where(~keep, smallest)
    out["censored_at_lod"] = keep.to_numpy()
    logs = [
        log_rows(_STEP, "samples", canon, keep, "flagged",
                 "below the LOD in every replicate: the sample is left-censored at its "
                 "(smallest) LOD in the canonical unit (policy 'censored')"),
        log_rows(_STEP, "samples", canon, dropped, "excluded",
                 "below the LOD while a replicate of the same sample was detected: the sample "
                 "is the mean of its detected wells (policy 'censored')"),
    ]
    return out, keep, dropped, combine_logs(logs)
