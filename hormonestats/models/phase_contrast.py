"""The ``"phase_contrast"`` family: a hormone outcome compared between two phases within person.

The rows in one of the two phases enter a mixed model ``y ~ <high> + covariates + (1 |
subject)``, where ``<high>`` is 1 in the higher phase and 0 in the lower; with a random
intercept per person the phase effect is a within-person contrast. When the hormone outcome
carries censoring indicators (``<analyte>_censored``, written by ``process_study`` under
``lod_policy="censored"``) and some of the rows used are censored, the model is the censored
Gaussian mixed model (:func:`hormonestats.censored_mixed`; a censored row's value is its LOD
on the analysed scale); otherwise the linear mixed model (:func:`hormonestats.mixed`).
"""

from __future__ import annotations

import pandas as pd

from ..errors import ModelError

__all__ = ["CENSORED_FAMILIES", "censoring_column", "run_phase_contrast", "without_censored_values"]

#: Families whose runner reads censoring indicators itself (a censored likelihood); the others
#: get censored hormone values set missing (:func:`without_censored_values`).
CENSORED_FAMILIES = frozenset({"phase_contrast"})


def censoring_column(data: pd.DataFrame, y: str) -> str | None:
    """The censoring indicator of outcome ``y`` in ``data`` (``progesterone_censored`` for
    ``log_progesterone`` or ``progesterone``), or None.

    >>> censoring_column(pd.DataFrame(columns=["log_p4", "p4_censored"]), "log_p4")
    'p4_censored'
    """
    base = y[4:] if y.startswith("log_") else y
    base = base[:-5] if base.endswith("_wins") else base
    name = f"{base}_censored"
    return name if name in data.columns else None


def without_censored_values(data: pd.DataFrame, columns) -> pd.DataFrame:
    """``data`` with the censored values of ``columns`` set missing (a copy; ``data`` itself
    when none is censored): a model that is not a censored likelihood must not read a limit as
    a measurement, so a censored hormone used as a predictor or covariate has no value there,
    as under the ``"flag"`` policy (the model logs the rows it leaves out).

    >>> d = pd.DataFrame({"log_p4": [-2.0, -1.0], "p4_censored": [True, False]})
    >>> without_censored_values(d, ["log_p4"])["log_p4"].to_list()
    [nan, -1.0]
    """
    masks = {}
    for c in dict.fromkeys(columns):
        flag = censoring_column(data, c) if c in data.columns else None
        if flag is not None:
            cens = data[flag].fillna(False).astype(bool)
            if cens.any():
                masks[c] = cens
    if not masks:
        return data
    out = data.copy()
    for c, cens in masks.items():
        out[c] = out[c].where(~cens)
    return out


def run_phase_contrast(data, hyp, cols, covariates, opts):
    """Runner of the ``"phase_contrast"`` family (see the module notes); ``hyp.options`` name
    the two phases, ``low`` and ``high``; the key estimate is the high-minus-low contrast."""
    from .censored_mixed import censored_mixed
    from .mixed import mixed

    y, phase, subject = cols["y"], cols["phase"], cols["subject"]
    low, high = hyp.options["low"], hyp.options["high"]
    term = f"{phase}_{high}"
    if term in data.columns:
        raise ModelError(f"the analysis table already has a column {term!r}; rename it")
    flag = censoring_column(data, y)
    keep = data[phase].isin([low, high])
    if not keep.any():
        raise ModelError(f"no row of {phase!r} is in phase {low!r} or {high!r}")
    used = [y, phase, subject, *covariates] + ([flag] if flag else [])
    rows = data.loc[keep, list(dict.fromkeys(used))].assign(
        **{term: (data.loc[keep, phase] == high).astype(float)})
    formula = " + ".join([term, *covariates])
    formula = f"{y} ~ {formula} + (1 | {subject})"
    censored = flag is not None and bool(rows[flag].fillna(False).astype(bool)
                                         .loc[rows[y].notna()].any())
    if censored:
        rows[flag] = rows[flag].astype("boolean")
        res = censored_mixed(formula, rows, censored=flag, limit=y,
                             conf_level=opts["conf_level"])
    else:
        res = mixed(rows, formula=formula, conf_level=opts["conf_level"])
    row = res.table.set_index("term").loc[term]
    key = {"term": term, "n": int(res.n_obs),
           **{k: float(row[k]) for k in ("estimate", "std_error", "conf_low", "conf_high",
                                         "p_value")}}
    return res, key
