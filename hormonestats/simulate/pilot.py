"""Power from a pilot study: the simulator's parameters estimated from the lab's own data.

:func:`pilot_parameters` reads a processed pilot study and estimates what a power simulation
needs, on the scale the study measured:

* each hormone's distribution: mean and SD of the natural log of the concentration (canonical
  unit), by censored-normal maximum likelihood on the log scale, each reading below its own
  limit of detection contributing ``Phi((log LOD - mu) / sigma)`` (Tobit; Lubin et al. 2004 for
  LOD-censored exposures) rather than a substituted value; the share of readings below the LOD
  and the median log LOD;
* the correlations between the log hormones and the outcome scores (Pearson, pairwise
  complete, on the analysis table);
* each outcome score's mean, SD and, for item-level instruments, Cronbach's alpha;
* for repeated-measures designs, each variable's intraclass correlation ICC(1) (one-way
  random effects; Shrout & Fleiss 1979).

:func:`pilot_spec` turns them into a power simulation of a between-person hypothesis
(``estradiol_oxytocin``, ``cortisol_oxytocin``: the oxytocin arm x hormone interaction;
``progesterone_anxiety``: the hormone's slope). Each simulated data set draws the log hormone
from the pilot's distribution, sets readings below the pilot's LOD to LOD/sqrt(2) as the
default processing does, randomises the arm 1:1, keeps the pilot's hormone-outcome
association as the hormone's main effect and draws the outcome with the pilot's residual SD
(the outcome SD the hormone does not explain). The effect of interest is given either in the
outcome's own units per natural-log unit of the hormone (``effect_scale="raw"``) or
standardised, in residual-SD units of the outcome per SD of the log hormone
(``"standardised"``); the result states it both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import HormoneStatsError
from ..results import Summary
from .batched import PowerSpec, ols_key_test

__all__ = ["PILOT_HYPOTHESES", "PilotParameters", "censored_normal", "pilot_parameters",
           "pilot_spec"]

#: Hypotheses a pilot can parameterise: name -> (kind, hormone role, outcome role).
PILOT_HYPOTHESES = {
    "estradiol_oxytocin": ("moderation", "estradiol", "outcome"),
    "cortisol_oxytocin": ("moderation", "cortisol", "outcome"),
    "progesterone_anxiety": ("regression", "progesterone", "anxiety"),
}


def censored_normal(values, limits, censored) -> tuple[float, float]:
    """ML mean and SD of normal data left-censored at ``limits`` where ``censored`` is True.

    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(1.0, 0.5, 4000)
    >>> lim = np.full(z.size, 0.8)
    >>> mu, sd = censored_normal(np.maximum(z, 0.8), lim, z < 0.8)
    >>> round(mu, 1), round(sd, 1)
    (1.0, 0.5)
    """
    v = np.asarray(values, float)
    lim = np.asarray(limits, float)
    cens = np.asarray(censored, bool)
    obs = v[~cens]
    if obs.size < 2:
        raise HormoneStatsError("fewer than two readings above the LOD: the hormone's "
                                "distribution cannot be estimated from this pilot")
    start = np.array([obs.mean(), np.log(max(obs.std(ddof=1), 1e-6))])
    if not cens.any():
        return float(obs.mean()), float(obs.std(ddof=0))

    def nll(theta):
        mu, sd = theta[0], np.exp(theta[1])
        return -(stats.norm.logpdf(obs, mu, sd).sum()
                 + stats.norm.logcdf(lim[cens], mu, sd).sum())

    fit = optimize.minimize(nll, start, method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    return float(fit.x[0]), float(np.exp(fit.x[1]))


@dataclass(frozen=True)
class PilotParameters:
    """The simulator's parameters estimated from a pilot (see :func:`pilot_parameters`).

    Attributes
    ----------
    hormones : DataFrame
        ``analyte, column, unit, n, mean_log, sd_log, lod_fraction, log_lod, method``: the
        natural log of the concentration in ``unit`` (the analysis table's canonical unit,
        the scale of its ``log_<analyte>`` column).
    outcomes : DataFrame
        ``column, n, mean, sd, reliability`` (Cronbach's alpha; NaN for task totals).
    correlations : DataFrame
        Pearson correlations of the log hormones and outcome scores (a square frame).
    icc : DataFrame
        ``column, icc`` for repeated-measures pilots (empty otherwise).
    mapping : dict
        Role -> column of the pilot's analysis table (the registered defaults).
    n_subjects : int
    design : str
    """

    hormones: pd.DataFrame = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    correlations: pd.DataFrame = field(repr=False)
    icc: pd.DataFrame = field(repr=False)
    mapping: dict
    n_subjects: int
    design: str

    def hormone(self, role: str) -> pd.Series:
        col = self.mapping.get(role)
        rows = self.hormones.loc[self.hormones["column"] == col]
        if col is None or rows.empty:
            raise HormoneStatsError(
                f"the pilot has no {role} measured (no log_{role} column with readings); "
                f"hormones measured: {', '.join(self.hormones['analyte']) or 'none'}")
        return rows.iloc[0]

    def outcome(self, role: str) -> pd.Series:
        col = self.mapping.get(role)
        rows = self.outcomes.loc[self.outcomes["column"] == col]
        if col is None or rows.empty:
            raise HormoneStatsError(
                f"the pilot has no column for the role {role!r}; outcome scores: "
                f"{', '.join(self.outcomes['column']) or 'none'}")
        return rows.iloc[0]

    def correlation(self, a: str, b: str) -> float:
        try:
            r = float(self.correlations.loc[a, b])
        except KeyError:
            return 0.0
        return r if np.isfinite(r) else 0.0

    def summary(self) -> Summary:
        parts = [f"Pilot parameters ({self.design} design, {self.n_subjects} participants)",
                 "Hormones (natural log of the canonical unit; censored-normal ML):",
                 self.hormones.to_string(index=False, float_format=lambda v: f"{v:.3g}"),
                 "Outcomes:",
                 self.outcomes.to_string(index=False, float_format=lambda v: f"{v:.3g}")]
        if len(self.icc):
            parts += ["Intraclass correlations ICC(1):",
                      self.icc.to_string(index=False, float_format=lambda v: f"{v:.3g}")]
        parts += ["Correlations:", self.correlations.round(3).to_string()]
        return Summary("\n".join(parts))

    def __repr__(self) -> str:
        return (f"PilotParameters({self.design}, {self.n_subjects} participants, "
                f"{len(self.hormones)} hormones, {len(self.outcomes)} outcomes)")


def _icc1(table: pd.DataFrame, column: str, subject: str) -> float:
    """One-way random-effects ICC(1) from the ANOVA mean squares (unbalanced: n0)."""
    d = table[[subject, column]].dropna()
    groups = d.groupby(subject)[column]
    k = groups.size()
    if len(k) < 2 or (k > 1).sum() == 0:
        return float("nan")
    grand = d[column].mean()
    ss_between = float((k * (groups.mean() - grand) ** 2).sum())
    ss_within = float(((d[column] - groups.transform("mean")) ** 2).sum())
    df_b, df_w = len(k) - 1, len(d) - len(k)
    msb, msw = ss_between / df_b, ss_within / df_w
    n0 = (len(d) - (k ** 2).sum() / len(d)) / df_b
    return float((msb - msw) / (msb + (n0 - 1) * msw))


def pilot_parameters(pilot) -> PilotParameters:
    """Estimate the power simulator's parameters from a pilot study.

    Parameters
    ----------
    pilot : Study or ProcessedStudy
        The pilot (a :func:`hormonestats.read_study` study is validated and processed with
        the default options first).

    Returns
    -------
    PilotParameters
    """
    from ..derive.processing import ProcessedStudy, process_study
    from ..models.claims import default_mapping

    if isinstance(pilot, PilotParameters):
        return pilot
    study = None
    if isinstance(pilot, ProcessedStudy):
        processed = pilot
    else:
        from ..study.validation import validate

        study = pilot
        validate(study).raise_for_errors()
        processed = process_study(study)
    table = processed.table
    samples = processed.samples.samples if processed.samples is not None else pd.DataFrame()
    rows = []
    for analyte in sorted(pd.unique(samples.get("analyte", pd.Series(dtype=str)).astype(str))):
        part = samples.loc[(samples["analyte"].astype(str) == analyte)
                           & (samples["table_column"].astype(str) == analyte)
                           & (samples["sample_type"].astype(str) == "subject")]
        part = part.loc[part["value"].notna() & part["lod_canonical"].notna()
                        & (part["value"] > 0) & (part["lod_canonical"] > 0)]
        if len(part) < 3:
            continue
        below = part["below_lod"].astype(bool).to_numpy()
        log_lod = np.log(part["lod_canonical"].to_numpy(float))
        mu, sd = censored_normal(np.log(part["value"].to_numpy(float)), log_lod, below)
        unit = str(part["unit"].iloc[0]) if "unit" in part.columns else ""
        rows.append({"analyte": analyte, "column": f"log_{analyte}", "unit": unit,
                     "n": len(part),
                     "mean_log": mu, "sd_log": sd, "lod_fraction": float(below.mean()),
                     "log_lod": float(np.median(log_lod)), "method": "censored-normal ML"})
    hormones = pd.DataFrame(rows, columns=["analyte", "column", "unit", "n", "mean_log",
                                           "sd_log", "lod_fraction", "log_lod", "method"])
    reliability = {}
    if study is not None:
        from ..derive.reliability import study_reliability

        rel = study_reliability(study)
        if rel is not None and {"scale", "alpha"} <= set(rel.columns):
            reliability = dict(zip(rel["scale"].astype(str), rel["alpha"].astype(float)))
    score_cols = [c for c in (processed.scores.columns if getattr(processed, "scores", None)
                              is not None else []) if c in table.columns
                  and pd.api.types.is_numeric_dtype(table[c]) and c != "subject_id"]
    outcomes = pd.DataFrame(
        [{"column": c, "n": int(table[c].notna().sum()), "mean": float(table[c].mean()),
          "sd": float(table[c].std(ddof=1)), "reliability": reliability.get(c, np.nan)}
         for c in score_cols],
        columns=["column", "n", "mean", "sd", "reliability"])
    cols = [c for c in [*hormones["column"], *outcomes["column"]] if c in table.columns]
    correlations = table[cols].astype(float).corr() if cols else pd.DataFrame()
    repeated = "subject_id" in table.columns and table["subject_id"].duplicated().any()
    icc = pd.DataFrame({"column": cols, "icc": [_icc1(table, c, "subject_id") for c in cols]}) \
        if repeated else pd.DataFrame({"column": pd.Series(dtype=str),
                                       "icc": pd.Series(dtype=float)})
    design = study.contract.design if study is not None else "unknown"
    return PilotParameters(hormones=hormones, outcomes=outcomes, correlations=correlations,
                           icc=icc, mapping=default_mapping(table.columns),
                           n_subjects=int(table["subject_id"].nunique())
                           if "subject_id" in table.columns else len(table), design=design)


def _draw_pilot(rng, n, size, alpha, *, kind, mu, sd, log_lod, b_main, b_key, resid_sd):
    z = rng.normal(mu, sd, size=(size, n))
    m = np.where(z < log_lod, log_lod - 0.5 * np.log(2.0), z)  # LOD/sqrt(2), as processed
    e = rng.normal(0.0, resid_sd, size=(size, n))
    if kind == "regression":
        y = b_key * (z - mu) + e
        return ols_key_test([m], y, 1, b_key, alpha)
    arm = rng.permuted(np.tile(np.arange(n) % 2, (size, 1)).astype(float), axis=1)
    y = b_main * (z - mu) + b_key * arm * (z - mu) + e
    return ols_key_test([arm, m, arm * m], y, 3, b_key, alpha)


def pilot_spec(name: str, pilot, effect: float, effect_scale: str = "raw") -> tuple:
    """The power simulation of ``name`` with the pilot's parameters, and its effect both ways.

    Returns ``(spec, effects)`` where ``effects`` is a dict with ``effect_raw`` (outcome units
    per natural-log unit of the hormone), ``effect_standardised`` (residual-SD units of the
    outcome per SD of the log hormone) and ``effect_units`` (the words).
    """
    if name not in PILOT_HYPOTHESES:
        raise HormoneStatsError(
            f"power from a pilot is available for {', '.join(PILOT_HYPOTHESES)}; {name!r} "
            "takes its effects from the package's assumptions (effects=)")
    if effect_scale not in ("raw", "standardised"):
        raise HormoneStatsError(
            f"effect_scale must be 'raw' or 'standardised', got {effect_scale!r}")
    params = pilot_parameters(pilot)
    kind, hormone_role, outcome_role = PILOT_HYPOTHESES[name]
    h = params.hormone(hormone_role)
    out = params.outcome(outcome_role)
    r = params.correlation(h["column"], out["column"])
    resid_sd = float(out["sd"]) * np.sqrt(max(1.0 - r * r, 1e-12))
    sd = float(h["sd_log"])
    raw = float(effect) if effect_scale == "raw" else float(effect) * resid_sd / sd
    std = raw * sd / resid_sd
    b_main = r * float(out["sd"]) / sd if kind == "moderation" else raw
    draw = partial(_draw_pilot, kind=kind, mu=float(h["mean_log"]), sd=sd,
                   log_lod=float(h["log_lod"]), b_main=b_main, b_key=raw, resid_sd=resid_sd)
    term = (f"oxytocin:{h['column']}" if kind == "moderation" else h["column"])
    units = (f"{out['column']} points per natural-log unit of {h['analyte']}"
             + (" (difference of the arms' slopes)" if kind == "moderation" else ""))
    effects = {"effect_raw": raw, "effect_standardised": std,
               "effect_units": f"raw: {units}; standardised: residual SDs of {out['column']} "
                               f"({resid_sd:.3g} points) per SD of log {h['analyte']} "
                               f"({sd:.3g})"}
    return PowerSpec(name=name, term=term, true_value=raw, draw=draw), effects
