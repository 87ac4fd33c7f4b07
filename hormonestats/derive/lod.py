"""Readings at the limits of the assay: below the limit of detection (LOD), above the range.

The samples table has one row per assay reading (one well): ``subject_id``, ``session``,
``sample_id`` (optional), ``sample_time``, ``matrix``, ``analyte``, ``value``, ``unit``,
``method``, ``extracted``, ``lod``, ``replicate``, ``plate_id`` and optionally ``sample_type``
(``"subject"`` by default, ``"control"`` for plate controls, whose name, e.g. ``"CTRL_low"``,
is in ``subject_id``) and a ``below_lod`` flag. Every function is pure; :func:`apply_lod`
returns :class:`~hormonestats.log.Derived` ``(data, log)``.

Source: Hornung & Reed (1990, Appl Occup Environ Hyg 5:46) for LOD substitution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..checks import numeric_column, require_columns
from ..errors import DataError, HormoneStatsError, format_rows
from ..log import Derived, combine_logs
from ..options import LOD_POLICIES
from ..study.readings import parse_readings
from ._logs import fmt_g, log_selected

__all__ = ["LOD_POLICIES", "apply_lod", "lod_summary"]


def _classify(samples: pd.DataFrame, value: str, lod: str, step: str):
    """Parsed readings plus the row LOD and the combined below-LOD flag."""
    if lod in samples.columns:
        lod_values = numeric_column(samples, lod, table="samples", step=step)
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
        value in the reading's unit (left: [0, LOD], 0 because a concentration is not
        negative, so on the log scale the lower bound is -inf, unbounded below; right: [limit,
        inf]; observed: the value twice) for a censored (Tobit-type) likelihood; ``value_lod``
        is NaN for censored rows. (``process_samples`` carries censored samples to the
        analysis table its own way: :mod:`hormonestats.derive.censored_wells`.)
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
    require_columns(samples, [value], table="samples", step="apply_lod")
    parsed, lod_values, below, limit = _classify(samples, value, lod, "apply_lod")
    above = parsed["above_range"]
    out = samples.copy(deep=False)  # new columns only; copy-on-write keeps the caller's intact
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
        how = f"LOD/{'2' if policy == 'lod/2' else 'sqrt(2)'}"

        def reason(m):
            return ("below LOD " + fmt_g(limit[m]) + f": value_lod = {how} = "
                    + fmt_g(substitute[m]) + f" (policy '{policy}', Hornung & Reed 1990)")

        logs.append(log_selected(step, "samples", samples, below, "altered", reason))
    elif policy == "flag":
        out["value_lod"] = parsed["value"]

        def reason(m):
            return "below LOD " + fmt_g(limit[m]) + "; reading kept (policy 'flag')"

        logs.append(log_selected(step, "samples", samples, below, "flagged", reason))
    else:  # censored
        out["value_lod"] = observed
        out["censored"] = pd.Series(
            np.where(below, "left", np.where(above, "right", "none")), index=samples.index
        ).astype("str")
        out["value_lower"] = np.where(below, 0.0, np.where(above, parsed["limit"], observed))
        out["value_upper"] = np.where(below, limit, np.where(above, np.inf, observed))

        def reason(m):
            return "left-censored at LOD " + fmt_g(limit[m]) + " (policy 'censored')"

        logs.append(log_selected(step, "samples", samples, below, "flagged", reason))
    tail = "; value_lod left missing" + (" (right-censored)" if policy == "censored" else "")

    def above_reason(m):
        lim = parsed["limit"][m]
        return pd.Series([f"above the assay range{'' if np.isnan(v) else f' ({v:g})'}{tail}"
                          for v in lim.to_numpy(dtype=float)], index=lim.index, dtype=object)

    logs.append(log_selected(step, "samples", samples, above, "flagged", above_reason))
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
    require_columns(samples, [value, *by], table="samples", step="lod_summary")
    parsed, _lods, below, _limit = _classify(samples, value, lod, "lod_summary")
    present = parsed["value"].notna() | below | parsed["above_range"]
    return _counts(samples, by, present, below, parsed["above_range"])


def applied_lod_summary(applied: pd.DataFrame, *,
                        by: Sequence[str] = ("analyte", "matrix")) -> pd.DataFrame:
    """:func:`lod_summary` of the readings behind :func:`apply_lod`'s output, from the flags
    it set (``below_lod``, ``above_range``, ``value_lod``) instead of reading them again: a
    reading is present when it has a value or is censored either way."""
    by = [by] if isinstance(by, str) else list(by)
    require_columns(applied, ["value", *by], table="samples", step="lod_summary")
    below, above = applied["below_lod"].astype(bool), applied["above_range"].astype(bool)
    present = applied["value_lod"].notna() | below | above
    return _counts(applied, by, present, below, above)


def _counts(samples, by, present, below, above) -> pd.DataFrame:
    work = samples[by].copy()
    work["_n"] = present.astype(int)
    work["_below"] = (below & present).astype(int)
    work["_above"] = above.astype(int)
    grouped = work.groupby(by, dropna=False, sort=True)
    out = grouped[["_n", "_below", "_above"]].sum().reset_index()
    out = out.rename(columns={"_n": "n", "_below": "n_below_lod", "_above": "n_above_range"})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_below_lod"] = 100.0 * out["n_below_lod"] / out["n"].where(out["n"] > 0)
    return out[[*by, "n", "n_below_lod", "pct_below_lod", "n_above_range"]]
