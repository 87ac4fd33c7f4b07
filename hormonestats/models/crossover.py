"""Within-subject crossover trials (e.g. intranasal oxytocin vs placebo, AB/BA).

The drug effect comes from a linear mixed model with a random intercept per subject and drug and
period as fixed effects, fitted by REML (see :mod:`hormonestats.models.mixed`; Satterthwaite df as
in lmerTest). With complete 2x2 data this is exactly the classical analysis of period differences
(Senn 2002, ch. 3): drug effect = half the difference between the sequences' mean period
differences, t with n - 2 df. Subjects with one period only still contribute through the
between-subject part of the model.

Carry-over. In a 2x2 design the drug x period interaction, the sequence effect and differential
carry-over are one and the same between-subject contrast (Grizzle 1965). It is reported as the
sequence effect in a model with drug, period and sequence, tested between subjects. It has low
power, and the two-stage procedure (use only period-1 data if carry-over "is significant")
inflates the type I error (Freeman 1989; Senn 2002), so the drug effect here always comes from the
standard model; the carry-over test is for reporting, not for choosing the analysis. Prevent
carry-over by design (washout).

Effect size. Cohen's d for a crossover uses the within-subject SD (METHODS.md):
``d = drug effect / sqrt(residual variance)`` of the mixed model. Since ``t = d / (SE / sigma)``,
its CI inverts the noncentral t distribution of the drug effect's t statistic (Steiger & Fouladi
1997; Cumming & Finch 2001) with the Satterthwaite df (n - 2 in a complete 2x2, where the
interval is exact under normal errors; approximate otherwise). Also ``d_av``
(Cumming 2012; Lakens 2013): the mean difference divided by the average of the two conditions'
SDs, comparable with between-subject d; reported without a CI.

Dose (IU), device and the dosing-to-test interval are carried into the result for the report
(Guastella et al. 2013 reporting items).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import DataError, ModelError
from ..results import conforms
from .lmm.design import drop_missing, levels_of, require_columns
from .lmm.fit import variance_components
from .lmm.inference import tidy_rows
from .lmm.model import fit_model, repeated_spec

__all__ = ["CrossoverResult", "crossover"]

_REFERENCE_WORDS = re.compile(r"^(placebo|control|sham|saline|vehicle|none|untreated|pbo)$", re.I)


def _auto_reference(levels, reference=None):
    if reference is not None:
        return reference
    for lv in levels:
        if _REFERENCE_WORDS.match(str(lv).strip()):
            return lv
    return levels[0]


def _d_interval(t_obs: float, df: float, scale: float, conf_level: float):
    """CI for d = ncp * scale by inverting the noncentral t (Steiger & Fouladi 1997; Cumming &
    Finch 2001); ``scale`` = SE(b) / sigma_within, so d = t * scale.

    Each limit is bracketed by stepping outwards from ``ncp = t`` (where the noncentral t cdf
    is about 1/2), so the root is always bracketed where scipy's ``nct.cdf`` is finite (it
    returns NaN far in the tails at some non-integer df). If a limit cannot be bracketed, the
    interval falls back to the normal approximation ``(t -+ z) * scale`` and says so: returns
    (low, high, note or None)."""
    q = stats.norm.ppf(0.5 + conf_level / 2)
    normal = ((t_obs - q) * scale, (t_obs + q) * scale)
    if not np.isfinite(df):
        return (*normal, None)
    alpha = 1 - conf_level

    def f(nc, target):
        return float(stats.nct.cdf(t_obs, df, nc)) - target

    def solve(target):
        a = t_obs
        fa = f(a, target)
        if not np.isfinite(fa):
            return None
        direction = 1.0 if fa > 0 else -1.0  # the cdf falls as the noncentrality rises
        step = 0.25
        for _ in range(200):
            b = a + direction * step
            fb = f(b, target)
            if not np.isfinite(fb):
                return None
            if fb == 0 or np.sign(fb) != np.sign(fa):
                lo, hi = min(a, b), max(a, b)
                return optimize.brentq(f, lo, hi, args=(target,), xtol=1e-10)
            a, fa = b, fb
            step *= 1.5
        return None

    lo, hi = solve(1 - alpha / 2), solve(alpha / 2)
    if lo is None or hi is None:
        note = (
            f"Cohen's d interval: the noncentral t distribution could not be evaluated at "
            f"t = {t_obs:.3g}, df = {df:.6g}; the normal approximation (t -+ z) x SE/sigma "
            "was used instead."
        )
        return (*normal, note)
    return lo * scale, hi * scale, None


@conforms("crossover", aliases={"dropped": "excluded"})
@dataclass(frozen=True, eq=False)
class CrossoverResult:
    """Result of :func:`crossover`.

    Attributes
    ----------
    table : DataFrame
        All fixed effects of the model ``y ~ drug + period (+ covariates) + (1 | subject)``.
    drug_effect, period_effect : DataFrame
        The drug rows (each active level vs ``reference``) and period rows of ``table``.
    carryover : DataFrame
        Sequence effect(s) from ``y ~ drug + period + sequence + (1 | subject)``: the between-
        subject carry-over check (equivalently drug x period in a 2x2).
    effect_sizes : DataFrame
        ``term, effect_size, estimate, conf_low, conf_high``: Cohen's d on the within-subject SD
        (with approximate CI) and d_av (no CI).
    variance_components : DataFrame
    sequences : DataFrame
        Subjects per sequence.
    reference : object
        The reference (placebo) level of ``drug``.
    dose, device, interval : metadata for the report (not used in the model).
    """

    table: pd.DataFrame
    drug_effect: pd.DataFrame
    period_effect: pd.DataFrame
    carryover: pd.DataFrame
    effect_sizes: pd.DataFrame
    variance_components: pd.DataFrame
    sequences: pd.DataFrame
    fit: object
    carryover_fit: object
    reference: object
    n_obs: int
    n_subjects: int
    n_complete: int
    warnings: tuple
    excluded: pd.DataFrame
    df_method: str
    conf_level: float = 0.95
    y: str = "y"
    dose: object = None
    device: object = None
    interval: object = None
    notes: tuple = field(default=())

    def _notes(self):
        notes = [
            f"{self.n_subjects} subjects ({self.n_complete} with every period), "
            f"{self.n_obs} observations; reference drug level {self.reference!r}.",
            f"df: {self.df_method}.",
            "Carry-over is tested between subjects (low power); the drug effect does not "
            "depend on it (Grizzle 1965; Freeman 1989; Senn 2002).",
            "Cohen's d uses the within-subject (residual) SD; d_av the mean of the conditions' "
            "SDs.",
        ]
        meta = {"dose": self.dose, "device": self.device, "dosing-to-test interval": self.interval}
        given = [f"{k}: {v}" for k, v in meta.items() if v is not None]
        if given:
            notes.append("; ".join(given) + ".")
        if len(self.excluded):
            notes.append(f"{len(self.excluded)} row(s) dropped for missing values (see .excluded).")
        notes.extend(self.notes)
        notes.extend(f"WARNING: {w}" for w in self.warnings)
        return notes

    def _tables(self):
        return [
            ("Drug effect", self.drug_effect),
            ("Period effect", self.period_effect),
            ("Carry-over (sequence) check", self.carryover),
            ("Effect sizes", self.effect_sizes),
            ("Random effects", self.variance_components),
        ]

    def _display(self):
        return f"Crossover trial: {self.y}", self._tables(), self._notes()

    def _facts(self):
        return {"y": self.y, "reference": self.reference, "n_subjects": self.n_subjects,
                "df_method": self.df_method, "conf_level": self.conf_level}


def crossover(
    data: pd.DataFrame,
    *,
    y: str,
    drug: str,
    period: str,
    subject: str,
    sequence: str | None = None,
    conf_level: float = 0.95,
    dose=None,
    device=None,
    interval=None,
    reference=None,
    covariates: Sequence[str] = (),
) -> CrossoverResult:
    """Analyse a within-subject crossover trial (2x2 AB/BA or more periods/treatments).

    Parameters
    ----------
    data : DataFrame
        Long table, one row per subject and period. Not modified.
    y : str
        Outcome.
    drug : str
        Treatment condition column (e.g. ``"oxytocin"`` / ``"placebo"``).
    period : str
        Period (1, 2, ...), treated as categorical.
    subject : str
        Subject identifier.
    sequence : str, optional
        Sequence column (e.g. ``"AB"``/``"BA"``). If omitted it is built per subject from the
        drug levels in period order (``"placebo-oxytocin"``).
    conf_level : float
    dose, device, interval : optional
        Dose (IU for intranasal oxytocin), delivery device and dosing-to-test interval, carried
        into the result for the report (Guastella et al. 2013).
    reference : optional
        Reference level of ``drug``. Default: a level named placebo/control/sham/saline/vehicle
        if present, else the first level.
    covariates : sequence of str
        Extra fixed effects (e.g. baseline score).

    Returns
    -------
    CrossoverResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for i in range(20):
    ...     u = rng.normal()
    ...     order = ["oxytocin", "placebo"] if i % 2 else ["placebo", "oxytocin"]
    ...     for p, dr in enumerate(order, start=1):
    ...         rows.append({"id": i, "period": p, "drug": dr,
    ...                      "y": u + 0.8 * (dr == "oxytocin") + rng.normal(0, 0.5)})
    >>> res = hs.crossover(pd.DataFrame(rows), y="y", drug="drug", period="period",
    ...                    subject="id", dose="24 IU")
    >>> res.drug_effect["term"].tolist()
    ['drug[oxytocin]']
    >>> res.dose
    '24 IU'
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(
        data,
        {
            "y": y,
            "drug": drug,
            "period": period,
            "subject": subject,
            "sequence": sequence,
            "covariates": covariates,
        },
    )
    _check_rows(data, y=y, subject=subject, period=period, sequence=sequence)
    d, dropped = drop_missing(
        data, [y, drug, period, subject, sequence, *covariates], "crossover", subject
    )
    levels = levels_of(d[drug])
    if len(levels) < 2:
        raise DataError(
            f"Column {drug!r} needs at least two conditions; found {levels} after dropping "
            "missing rows."
        )
    ref = _auto_reference(levels, reference)
    plev = levels_of(d[period])
    if len(plev) < 2:
        raise DataError(f"Column {period!r} needs at least two periods; found {plev}.")
    d = d.sort_values([subject, period], kind="stable")
    seq_name = sequence or "sequence"
    work = d.copy()
    if sequence is None:
        seq = d.groupby(subject, sort=False)[drug].agg(lambda s: "-".join(map(str, s)))
        work[seq_name] = d[subject].map(seq)
    seq_col = work[seq_name]
    uniq = pd.unique(d[subject])
    fixed = [(drug,), (period,), *[(c,) for c in covariates]]
    common = dict(
        reference={drug: ref}, factors=(drug, period, seq_name), subject=subject, checked=True
    )
    lmm, _, _ = fit_model(work, repeated_spec(y, fixed, subject), what="hs.crossover", **common)
    table = lmm.tidy(conf_level)
    dlev = lmm.design.levels[drug]
    drug_terms = [f"{drug}[{lv}]" for lv in dlev[1:]]
    period_terms = [f"{period}[{lv}]" for lv in lmm.design.levels[period][1:]]
    drug_tab = table[table["term"].isin(drug_terms)].reset_index(drop=True)
    period_tab = table[table["term"].isin(period_terms)].reset_index(drop=True)
    notes = []
    # carry-over: the sequence effect, between subjects
    carry, carry_fit = _carryover(work, y, fixed, seq_name, seq_col, subject, common,
                                  conf_level, notes)
    effect_sizes = _effect_sizes(drug_tab, d, y, drug, dlev, ref, float(np.sqrt(lmm.s2)),
                                 conf_level, notes)
    n_periods = d.groupby(subject)[period].nunique()
    n_complete = int((n_periods == len(plev)).sum())
    if n_complete < len(uniq):
        notes.append(
            f"{len(uniq) - n_complete} subject(s) lack a period; they contribute through the "
            "between-subject part of the mixed model only."
        )
    sequences = (
        pd.DataFrame({"sequence": seq_col.to_numpy(), "subject": d[subject].to_numpy()})
        .drop_duplicates()
        .groupby("sequence", sort=True)
        .size()
        .rename("n_subjects")
        .reset_index()
    )
    return CrossoverResult(
        table=table,
        drug_effect=drug_tab,
        period_effect=period_tab,
        carryover=carry,
        effect_sizes=effect_sizes,
        variance_components=variance_components(lmm, subject),
        sequences=sequences,
        fit=lmm,
        carryover_fit=carry_fit,
        reference=ref,
        n_obs=len(d),
        n_subjects=len(uniq),
        n_complete=n_complete,
        warnings=lmm.messages,
        excluded=dropped,
        df_method=lmm.df_method,
        conf_level=conf_level,
        y=y,
        dose=dose,
        device=device,
        interval=interval,
        notes=tuple(notes),
    )


def _check_rows(data, *, y, subject, period, sequence) -> None:
    """A numeric outcome, one row per subject and period, one sequence per subject; every
    problem at once in one DataError."""
    problems = []
    if not pd.api.types.is_numeric_dtype(data[y]) or pd.api.types.is_bool_dtype(data[y]):
        problems.append(f"outcome column {y!r} must be numeric (got {data[y].dtype})")
    dup = data.duplicated([subject, period], keep=False)
    if dup.any():
        subs = pd.unique(data.loc[dup, subject])
        problems.append(
            f"subject(s) {', '.join(map(str, subs[:10]))} have more than one row in the same "
            f"{period!r} (rows {', '.join(map(str, data.index[dup][:10]))}); one row per "
            "subject and period is expected (average replicates first)"
        )
    if sequence is not None:
        nseq = data.groupby(subject)[sequence].nunique()
        bad = nseq.index[nseq > 1].tolist()
        if bad:
            problems.append(
                f"sequence column {sequence!r} varies within subject(s) "
                f"{', '.join(map(str, bad[:10]))}"
            )
    if problems:
        raise DataError("Cannot analyse the crossover: " + "; ".join(problems) + ".")


def _carryover(work, y, fixed, seq_name, seq_col, subject, common, conf_level, notes):
    """The sequence effect (carry-over check, between subjects) and its fit, or an empty
    table and a note where it cannot be estimated."""
    if len(levels_of(seq_col)) < 2:
        notes.append("Only one sequence observed: carry-over (sequence) cannot be checked.")
        return tidy_rows([], conf_level), None
    try:
        lmm_s, _, _ = fit_model(
            work,
            repeated_spec(y, [*fixed, (seq_name,)], subject),
            what="hs.crossover carry-over model",
            **common,
        )
    except ModelError as exc:
        notes.append(f"Carry-over check not estimable: {exc}")
        return tidy_rows([], conf_level), None
    carry = lmm_s.tidy(conf_level)
    seq_terms = [f"{seq_name}[{lv}]" for lv in lmm_s.design.levels[seq_name][1:]]
    return carry[carry["term"].isin(seq_terms)].reset_index(drop=True), lmm_s


def _effect_sizes(drug_tab, d, y, drug, dlev, ref, sigma, conf_level, notes) -> pd.DataFrame:
    """Cohen's d on the within-subject SD (with its interval) and d_av, per drug term."""
    es_rows = []
    for r in drug_tab.itertuples():
        dval = r.estimate / sigma
        lo_d, hi_d, note = _d_interval(r.statistic, r.df, r.std_error / sigma, conf_level)
        if note:
            notes.append(f"{r.term}: {note}")
        es_rows.append((r.term, "cohens_d_within", dval, lo_d, hi_d))
        level = r.term[len(drug) + 1 : -1]
        lv = next(v for v in dlev if str(v) == level)
        sd_a = d.loc[d[drug] == lv, y].std(ddof=1)
        sd_b = d.loc[d[drug] == ref, y].std(ddof=1)
        mean_diff = d.loc[d[drug] == lv, y].mean() - d.loc[d[drug] == ref, y].mean()
        es_rows.append((r.term, "d_av", mean_diff / ((sd_a + sd_b) / 2), np.nan, np.nan))
    return pd.DataFrame(
        es_rows, columns=["term", "effect_size", "estimate", "conf_low", "conf_high"]
    )
