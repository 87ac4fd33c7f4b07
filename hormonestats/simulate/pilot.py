"""Power from a pilot study: the simulator's parameters estimated from the lab's own data.

:func:`pilot_parameters` reads a processed pilot study and estimates what a power simulation
needs, on the scale the study measured:

* each hormone's distribution: mean and SD of the natural log of the concentration (canonical
  unit), by censored-normal maximum likelihood on the log scale, each reading below its own
  limit of detection contributing ``Phi((log LOD - mu) / sigma)`` (Tobit; Lubin et al. 2004 for
  LOD-censored exposures) rather than a substituted value; the share of readings below the LOD
  and the median log LOD;
* each hormone's reliability from its replicate wells: the assay's error variance on the log
  scale is ``log(1 + CV^2)`` (CV pooled as the root mean square of the replicate CVs), the
  analysed value is the mean of ``k`` wells, so ``reliability = 1 - log(1 + CV^2) / k /
  sd_log^2`` (the share of the log hormone's variance that is not assay error);
* the correlations between the log hormones and the outcome scores (Pearson, pairwise
  complete, on the analysis table);
* each outcome score's mean, SD, pooled SD within the oxytocin arms (when the pilot had arms)
  and, for item-level instruments, its reliability (Cronbach's alpha from the item responses);
* for repeated-measures designs, each variable's intraclass correlation ICC(1) (one-way
  random effects; Shrout & Fleiss 1979), its within-person SD and the median number of
  observations per person; for couples, the ICC(1) within couples (the partners' similarity);
* design facts: shares of women, of rs53576 GG carriers and of the oxytocin arm, and for
  couples the pilot's actor and partner effects.

:mod:`hormonestats.simulate.pilot_power` turns them into power simulations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import HormoneStatsError
from ..results import Summary

__all__ = ["PilotParameters", "censored_normal", "pilot_parameters"]


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


_ICC_COLUMNS = ["column", "icc", "sd_within", "n_per_subject"]


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str if c == "column" else float) for c in columns})


@dataclass(frozen=True)
class PilotParameters:
    """The simulator's parameters estimated from a pilot (see :func:`pilot_parameters`).

    Attributes
    ----------
    hormones : DataFrame
        ``analyte, column, unit, n, mean_log, sd_log, lod_fraction, log_lod, method, assay_cv,
        error_var, reliability``: the natural log of the concentration in ``unit`` (the
        analysis table's canonical unit, the scale of its ``log_<analyte>`` column);
        ``assay_cv`` the pooled replicate CV (fraction); ``error_var`` the assay error variance
        of the analysed value on the log scale (``log(1 + CV^2) / k`` for the mean of ``k``
        wells); ``reliability`` the share of ``sd_log**2`` that is not assay error (NaN
        without replicate wells: then taken as 1).
    outcomes : DataFrame
        ``column, n, mean, sd, sd_within_arm, reliability`` (Cronbach's alpha from the item
        responses; NaN for task totals and indices: then taken as 1).
    correlations : DataFrame
        Pearson correlations of the log hormones and outcome scores (a square frame).
    icc : DataFrame
        ``column, icc, sd_within, n_per_subject`` for repeated-measures pilots (empty otherwise).
    mapping : dict
        Role -> column of the pilot's analysis table (the registered defaults).
    n_subjects : int
    design : str
    dyad_icc : DataFrame
        ``column, icc`` within couples, for dyadic pilots (empty otherwise).
    facts : dict
        ``female_share``, ``gg_share``, ``arm_share``; for couples ``actor`` and ``partner``
        (the pilot's APIM estimates of the oxytocin role on the outcome role, outcome units).
    """

    hormones: pd.DataFrame = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    correlations: pd.DataFrame = field(repr=False)
    icc: pd.DataFrame = field(repr=False)
    mapping: dict
    n_subjects: int
    design: str
    dyad_icc: pd.DataFrame = field(repr=False, default_factory=lambda: _empty(["column", "icc"]))
    facts: dict = field(repr=False, default_factory=dict)

    def hormone(self, role: str) -> pd.Series:
        return self._row(self.hormones, role, lambda: (
            f"the pilot has no {role} measured (no log_{role} column with readings); "
            f"hormones measured: {', '.join(self.hormones['analyte']) or 'none'}"))

    def outcome(self, role: str) -> pd.Series:
        return self._row(self.outcomes, role, lambda: (
            f"the pilot has no column for the role {role!r}; outcome scores: "
            f"{', '.join(self.outcomes['column']) or 'none'}"))

    def _row(self, frame: pd.DataFrame, role: str, message) -> pd.Series:
        """The row of ``frame`` for the column the role maps to, or an error in words."""
        col = self.mapping.get(role)
        rows = frame.loc[frame["column"] == col]
        if col is None or rows.empty:
            raise HormoneStatsError(message())
        return rows.iloc[0]

    def reliability(self, row: pd.Series) -> float:
        """A hormone's or outcome's reliability (1 when the pilot cannot estimate it)."""
        r = float(row.get("reliability", np.nan))
        return min(max(r, 0.05), 1.0) if np.isfinite(r) else 1.0

    def within(self, column: str) -> pd.Series:
        """The ICC row of ``column`` (repeated-measures pilots)."""
        rows = self.icc.loc[self.icc["column"] == column]
        if rows.empty or not np.isfinite(float(rows["icc"].iloc[0])):
            raise HormoneStatsError(
                f"the pilot ({self.design} design) has no repeated measures of {column}: a "
                "within-person hypothesis needs a pilot with several observations per person")
        return rows.iloc[0]

    def correlation(self, a: str, b: str) -> float:
        try:
            r = float(self.correlations.loc[a, b])
        except KeyError:
            return 0.0
        return r if np.isfinite(r) else 0.0

    def summary(self) -> Summary:
        fmt = {"index": False, "float_format": lambda v: f"{v:.3g}"}
        parts = [f"Pilot parameters ({self.design} design, {self.n_subjects} participants)",
                 "Hormones (natural log of the canonical unit; censored-normal ML; reliability "
                 "from the replicate wells):", self.hormones.to_string(**fmt),
                 "Outcomes (reliability: Cronbach's alpha of the item responses):",
                 self.outcomes.to_string(**fmt)]
        if len(self.icc):
            parts += ["Intraclass correlations ICC(1) within persons:", self.icc.to_string(**fmt)]
        if len(self.dyad_icc):
            parts += ["Intraclass correlations ICC(1) within couples:",
                      self.dyad_icc.to_string(**fmt)]
        if self.facts:
            parts += ["Design: " + ", ".join(f"{k} {v:.3g}" for k, v in self.facts.items())]
        parts += ["Correlations:", self.correlations.round(3).to_string()]
        return Summary("\n".join(parts))

    def __repr__(self) -> str:
        return (f"PilotParameters({self.design}, {self.n_subjects} participants, "
                f"{len(self.hormones)} hormones, {len(self.outcomes)} outcomes)")


def icc1(table: pd.DataFrame, column: str, group: str) -> tuple[float, float, float]:
    """One-way random-effects ICC(1), within-group SD and mean group size ``n0``.

    From the ANOVA mean squares (unbalanced groups: Shrout & Fleiss's ``n0``).

    >>> t = pd.DataFrame({"g": [1, 1, 2, 2, 3, 3], "y": [1.0, 1.2, 2.0, 2.2, 3.0, 3.2]})
    >>> round(icc1(t, "y", "g")[0], 3)  # MSB = 2, MSW = 0.02: (2 - 0.02) / (2 + 0.02)
    0.98
    """
    d = table[[group, column]].dropna()
    groups = d.groupby(group)[column]
    k = groups.size()
    if len(k) < 2 or (k > 1).sum() == 0:
        return float("nan"), float("nan"), float("nan")
    grand = d[column].mean()
    ss_between = float((k * (groups.mean() - grand) ** 2).sum())
    ss_within = float(((d[column] - groups.transform("mean")) ** 2).sum())
    df_b, df_w = len(k) - 1, len(d) - len(k)
    msb, msw = ss_between / df_b, ss_within / df_w
    n0 = (len(d) - (k ** 2).sum() / len(d)) / df_b
    return float((msb - msw) / (msb + (n0 - 1) * msw)), float(np.sqrt(msw)), float(n0)


def _hormone_rows(samples: pd.DataFrame) -> pd.DataFrame:
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
        cv, err, rel = np.nan, np.nan, np.nan
        if {"cv", "n_replicates"} <= set(part.columns):
            reps = part.loc[(part["n_replicates"] > 1) & part["cv"].notna() & ~below]
            if len(reps) >= 3:
                cv = float(np.sqrt(np.mean((reps["cv"].to_numpy(float) / 100.0) ** 2)))
                err = np.log1p(cv**2) / float(reps["n_replicates"].median())
                rel = float(max(1.0 - err / sd**2, 0.0))
        rows.append({"analyte": analyte, "column": f"log_{analyte}", "unit": unit,
                     "n": len(part), "mean_log": mu, "sd_log": sd,
                     "lod_fraction": float(below.mean()), "log_lod": float(np.median(log_lod)),
                     "method": "censored-normal ML", "assay_cv": cv, "error_var": err,
                     "reliability": rel})
    return pd.DataFrame(rows, columns=["analyte", "column", "unit", "n", "mean_log", "sd_log",
                                       "lod_fraction", "log_lod", "method", "assay_cv",
                                       "error_var", "reliability"])


def _outcome_rows(processed, table, mapping, alphas) -> pd.DataFrame:
    scores = getattr(processed, "scores", None)
    cols = [c for c in (scores.columns if scores is not None else []) if c != "subject_id"]
    cols += [mapping[r] for r in ("anxiety", "cortisol_reactivity", "cortisol_peak_increase")
             if r in mapping]
    cols = [c for c in dict.fromkeys(cols)
            if c in table.columns and pd.api.types.is_numeric_dtype(table[c])]
    arm = mapping.get("oxytocin")
    binary_arm = arm in table.columns and set(pd.unique(table[arm].dropna())) <= {0, 1}
    rows = []
    for c in cols:
        sd_arm = np.nan
        if binary_arm:
            resid = table[c] - table.groupby(arm)[c].transform("mean")
            dof = table[c].notna().sum() - table.loc[table[c].notna(), arm].nunique()
            sd_arm = float(np.sqrt((resid**2).sum() / dof)) if dof > 0 else np.nan
        rows.append({"column": c, "n": int(table[c].notna().sum()),
                     "mean": float(table[c].mean()), "sd": float(table[c].std(ddof=1)),
                     "sd_within_arm": sd_arm, "reliability": alphas.get(c, np.nan)})
    return pd.DataFrame(rows, columns=["column", "n", "mean", "sd", "sd_within_arm",
                                       "reliability"])


def _couples(table, mapping, cols) -> tuple[pd.DataFrame, dict]:
    """ICC(1) within couples and the pilot's actor and partner effects (APIM)."""
    from .design_power import apim_sum_difference

    dyad = mapping.get("dyad")
    if dyad not in table.columns:
        return _empty(["column", "icc"]), {}
    icc = pd.DataFrame({"column": cols, "icc": [icc1(table, c, dyad)[0] for c in cols]})
    x_col, y_col = mapping.get("oxytocin"), mapping.get("outcome")
    facts = {}
    if x_col in table.columns and y_col in table.columns:
        d = table[[dyad, x_col, y_col]].dropna()
        d = d.loc[d.groupby(dyad)[x_col].transform("size") == 2].sort_values(dyad)
        if len(d) >= 10:
            x = d[x_col].to_numpy(float).reshape(1, -1, 2)
            y = d[y_col].to_numpy(float).reshape(1, -1, 2)
            facts["actor"] = float(apim_sum_difference(x, y, "actor", 0.05)[0][0])
            facts["partner"] = float(apim_sum_difference(x, y, "partner", 0.05)[0][0])
    return icc, facts


def _shares(table, mapping) -> dict:
    facts = {}
    if "sex" in table.columns and table["sex"].notna().any():
        facts["female_share"] = float((table["sex"].dropna().astype(str) == "female").mean())
    snp = mapping.get("rs53576")
    if snp in table.columns and table[snp].notna().any():
        facts["gg_share"] = float((table[snp].dropna() == 0).mean())  # A alleles counted
    arm = mapping.get("oxytocin")
    if arm in table.columns and set(pd.unique(table[arm].dropna())) <= {0, 1}:
        facts["arm_share"] = float(table[arm].dropna().mean())
    return facts


def _within_arm(table, mapping, column) -> pd.DataFrame:
    """``subject_id`` and ``column``; with an oxytocin arm that varies within persons (a
    crossover), the column less its arm's mean, so the drug effect is not read as
    within-person variance."""
    arm = mapping.get("oxytocin")
    out = table[["subject_id", column]].copy()
    if arm in table.columns and table.groupby("subject_id")[arm].nunique().max() > 1:
        out[column] = table[column] - table.groupby(arm)[column].transform("mean")
    return out


def pilot_parameters(pilot) -> PilotParameters:
    """Estimate the power simulator's parameters from a pilot study.

    Parameters
    ----------
    pilot : Study, ProcessedStudy or PilotParameters
        The pilot (a :func:`hormonestats.read_study` study is validated and processed with
        the default options first; reliabilities of instruments need the study's item
        responses, so a processed study gives none).

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
    mapping = default_mapping(table.columns)
    samples = processed.samples.samples if processed.samples is not None else pd.DataFrame()
    hormones = _hormone_rows(samples)
    alphas = {}
    if study is not None:
        from ..derive.reliability import study_reliability

        rel = study_reliability(study)
        if rel is not None and {"scale", "alpha"} <= set(rel.columns):
            alphas = dict(zip(rel["scale"].astype(str), rel["alpha"].astype(float)))
    outcomes = _outcome_rows(processed, table, mapping, alphas)
    cols = [c for c in [*hormones["column"], *outcomes["column"]] if c in table.columns]
    correlations = table[cols].astype(float).corr() if cols else pd.DataFrame()
    repeated = "subject_id" in table.columns and table["subject_id"].duplicated().any()
    icc = pd.DataFrame([dict(zip(_ICC_COLUMNS, (c, *icc1(_within_arm(table, mapping, c),
                                                        c, "subject_id"))))
                        for c in cols], columns=_ICC_COLUMNS) if repeated else _empty(_ICC_COLUMNS)
    dyad_icc, facts = _couples(table, mapping, cols)
    design = study.contract.design if study is not None else "unknown"
    return PilotParameters(hormones=hormones, outcomes=outcomes, correlations=correlations,
                           icc=icc, mapping=mapping,
                           n_subjects=int(table["subject_id"].nunique())
                           if "subject_id" in table.columns else len(table), design=design,
                           dyad_icc=dyad_icc, facts={**_shares(table, mapping), **facts})
