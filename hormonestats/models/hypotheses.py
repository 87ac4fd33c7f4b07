"""The seeds' claims as named, testable model specifications, and a family test with FDR.

The project's second seed text (a clinical-wellness article on hormones and oxytocin signalling,
its "Academic" section and the table "Hormonal Influences on Oxytocin Signaling Mechanisms")
makes mechanistic claims; each is written here as one :class:`Hypothesis`: the model family, the
variables (roles) it needs, the estimate that decides it and the sign the claim predicts. The
seed is not peer-reviewed; the ``source`` of each entry names the seed and, where one exists, the
literature behind the mechanism, and says when the human behavioural evidence is weak or null.

:func:`test_hypotheses` fits every hypothesis whose roles the study maps to columns, collects the
deciding estimates in one table and adjusts their p-values across the family (Benjamini &
Hochberg 1995 by default). A hypothesis whose roles are not all mapped is reported as
``"not tested"`` with the missing roles named; one whose model cannot be fitted is reported as
``"failed"`` with the error message. Nothing is dropped silently.

Adding a family (e.g. ``"mixed"``) takes one entry in :data:`RUNNERS`: a function
``(data, hypothesis, columns, covariates, options) -> (result, key)`` where ``key`` is a dict with
``term, estimate, std_error, conf_low, conf_high, p_value, n``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ..errors import HormoneStatsError, ModelError
from ._tidy import TIDY_COLUMNS, ResultDisplay, tidy_statsmodels

__all__ = [
    "FAMILIES",
    "HYPOTHESES",
    "RUNNERS",
    "Hypothesis",
    "HypothesisFamilyResult",
    "RegressionResult",
    "bootstrap_p",
    "hypotheses",
    "test_hypotheses",
]

SEED_TEXT = "seed 001 (clinical-wellness article, 'Academic' section and its table)"


@dataclass(frozen=True)
class Hypothesis:
    """One claim as a model specification.

    Attributes
    ----------
    name : str
        Registry key.
    claim : str
        The claim in one sentence.
    family : str
        Model family: ``"moderation"``, ``"mediation"``, ``"gxe"`` or ``"regression"`` (any key
        of :data:`RUNNERS`).
    roles : Mapping[str, str]
        Model argument -> role name, e.g. ``{"y": "outcome", "x": "oxytocin", "m": "estradiol"}``.
        ``test_hypotheses``'s ``mapping`` turns role names into columns.
    key_term : str
        Which estimate decides the claim: ``"interaction"`` (the x by m product / G x E term),
        ``"indirect"`` (a*b) or ``"slope"`` (the coefficient of ``x``).
    predicted_sign : int
        +1 or -1 for a directional prediction; 0 for a two-sided, exploratory test.
    source : str
        Where the claim comes from (the seed) and the literature behind it (author, year).
    options : Mapping
        Extra keyword arguments for the model (e.g. the genotype coding).
    """

    name: str
    claim: str
    family: str
    roles: Mapping[str, str]
    key_term: str
    predicted_sign: int
    source: str
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        object.__setattr__(self, "roles", MappingProxyType(dict(self.roles)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        if self.predicted_sign not in (-1, 0, 1):
            raise ValueError(f"predicted_sign must be -1, 0 or +1, got {self.predicted_sign!r}")

    @property
    def role_names(self) -> tuple[str, ...]:
        """The role names this hypothesis needs mapped to columns."""
        return tuple(self.roles.values())


_ENTRIES = [
    Hypothesis(
        name="estradiol_oxytocin",
        claim=(
            "Estradiol upregulates oxytocin receptors, so the effect of oxytocin on the social "
            "outcome is larger at higher estradiol (positive oxytocin x estradiol interaction)."
        ),
        family="moderation",
        roles={"y": "outcome", "x": "oxytocin", "m": "estradiol"},
        key_term="interaction",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: 'Estradiol upregulates OXTR density'. Animal evidence for estrogen "
            "dependence of oxytocin-mediated social recognition: Choleris et al. 2003 (PNAS). "
            "Human evidence for the interaction is sparse."
        ),
    ),
    Hypothesis(
        name="testosterone_aromatization",
        claim=(
            "Testosterone acts on the outcome partly through its aromatization to estradiol "
            "(positive indirect effect testosterone -> estradiol -> outcome); the direct path "
            "stands for androgen-receptor effects."
        ),
        family="mediation",
        roles={"x": "testosterone", "mediator": "estradiol", "y": "outcome"},
        key_term="indirect",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: 'indirectly via aromatization to estradiol; direct androgen receptor "
            "effects'. Cross-sectional mediation cannot establish conversion; estradiol measured "
            "in serum or saliva is only a proxy for brain aromatization."
        ),
    ),
    Hypothesis(
        name="progesterone_anxiety",
        claim="Higher progesterone goes with lower anxiety (negative slope).",
        family="regression",
        roles={"y": "anxiety", "x": "progesterone"},
        key_term="slope",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: 'Progesterone deficiency: increased anxiety'. Mechanism via "
            "allopregnanolone, a positive allosteric modulator of GABA-A receptors "
            "(Majewska et al. 1986, Science)."
        ),
    ),
    Hypothesis(
        name="progesterone_allopregnanolone_anxiety",
        claim=(
            "Progesterone lowers anxiety through allopregnanolone (negative indirect effect "
            "progesterone -> allopregnanolone -> anxiety)."
        ),
        family="mediation",
        roles={"x": "progesterone", "mediator": "allopregnanolone", "y": "anxiety"},
        key_term="indirect",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: 'Neurosteroid modulation of GABA-A receptors'; allopregnanolone as "
            "GABA-A modulator: Majewska et al. 1986 (Science). Tested only when allopregnanolone "
            "is measured and mapped."
        ),
    ),
    Hypothesis(
        name="cortisol_oxytocin",
        claim=(
            "Chronically high cortisol impairs oxytocin signalling, so the effect of oxytocin on "
            "the outcome is smaller at higher cortisol (negative oxytocin x cortisol interaction)."
        ),
        family="moderation",
        roles={"y": "outcome", "x": "oxytocin", "m": "cortisol"},
        key_term="interaction",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: 'Chronic cortisol elevation can impair ... receptor sensitivity'. "
            "Related human evidence concerns the reverse direction (oxytocin and social support "
            "dampen cortisol: Heinrichs et al. 2003, Biol Psychiatry)."
        ),
    ),
    Hypothesis(
        name="oxtr_genotype",
        claim=(
            "The effect of oxytocin on the outcome differs by OXTR rs53576 genotype "
            "(oxytocin x genotype interaction; direction not predicted: exploratory)."
        ),
        family="gxe",
        roles={"y": "outcome", "env": "oxytocin", "gene": "rs53576"},
        key_term="interaction",
        predicted_sign=0,
        source=(
            "Not a seed claim in itself (the seed discusses OXTR expression). Meta-analyses find "
            "no reliable rs53576 main effect on sociality (Bakermans-Kranenburg & van "
            "IJzendoorn 2014) or a very small one (Li et al. 2015, d = 0.11), so no direction is "
            "predicted. Covariate x gene and covariate x oxytocin terms as Keller (2014) asks; "
            "genotype coded dominant (carriers of the counted allele vs non-carriers) when the "
            "column holds allele counts, as a two-level group otherwise."
        ),
        options={"coding": "dominant"},
    ),
    Hypothesis(
        name="estradiol_within_person",
        claim=(
            "When a person's estradiol is higher than her own average, her social-cognition "
            "outcome is higher (within-person estradiol slope, person-mean centred)."
        ),
        family="mixed",
        roles={"y": "outcome", "x": "estradiol", "subject": "subject"},
        key_term="within",
        predicted_sign=1,
        source=(
            f"{SEED_TEXT}: estradiol upregulates OXTR density, so 'fluctuations in estrogen "
            "levels, such as those experienced during the menstrual cycle ... can correlate with "
            "shifts in mood, social cognition'. Cycle effects are within-person questions "
            "(Curran & Bauer 2011; Schmalenberger et al. 2021)."
        ),
    ),
    Hypothesis(
        name="progesterone_anxiety_within_person",
        claim=(
            "When a person's progesterone is higher than her own average, her anxiety is lower "
            "(within-person progesterone slope, person-mean centred)."
        ),
        family="mixed",
        roles={"y": "anxiety", "x": "progesterone", "subject": "subject"},
        key_term="within",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: progesterone (through allopregnanolone) has calming, anxiolytic "
            "effects; tested within person across the cycle (Curran & Bauer 2011)."
        ),
    ),
]

#: The registry: hypothesis name -> :class:`Hypothesis` (read-only).
hypotheses: Mapping[str, Hypothesis] = MappingProxyType({h.name: h for h in _ENTRIES})
#: The same registry under the upper-case name the other registries use (ANALYTES, SNPS).
HYPOTHESES = hypotheses




# --------------------------------------------------------------------------------------------
# plain regression (the "regression" family)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegressionResult:
    """OLS of ``y`` on ``x`` and covariates (the ``"regression"`` family's result)."""

    table: pd.DataFrame
    fit: object = field(repr=False)
    y: str
    x: str
    covariates: tuple[str, ...]
    n: int
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        """Plain-text coefficient table."""
        return ResultDisplay.text(
            f"Regression: {self.y} ~ {self.x} (n = {self.n})", [("Coefficients", self.table)]
        )

    def _repr_html_(self) -> str:
        return ResultDisplay.html(
            f"Regression: {self.y} ~ {self.x} (n = {self.n})", [("Coefficients", self.table)]
        )


def _regression(data, *, y, x, covariates=(), conf_level=0.95) -> RegressionResult:
    from .moderation import INTERCEPT, _is_numeric, complete_cases, covariate_design

    missing = [c for c in (y, x, *covariates) if c not in data.columns]
    if missing:
        raise ModelError(f"data has no column(s) {missing}")
    bad = [c for c in (y, x) if not _is_numeric(data[c])]
    if bad:
        raise ModelError(f"column(s) {bad} must be numeric")
    frame, excluded = complete_cases(data, [y, x, *covariates])
    exog = pd.concat(
        [
            pd.DataFrame({INTERCEPT: 1.0, x: frame[x].astype(float)}, index=frame.index),
            covariate_design(frame, covariates),
        ],
        axis=1,
    )
    if len(frame) <= exog.shape[1]:
        raise ModelError(f"only {len(frame)} complete rows for {exog.shape[1]} coefficients")
    fit = sm.OLS(frame[y].astype(float), exog).fit()
    return RegressionResult(
        table=tidy_statsmodels(fit, conf_level)[TIDY_COLUMNS],
        fit=fit,
        y=y,
        x=x,
        covariates=tuple(covariates),
        n=len(frame),
        conf_level=conf_level,
        excluded=excluded,
    )


# --------------------------------------------------------------------------------------------
# runners: one per family
# --------------------------------------------------------------------------------------------
def bootstrap_p(replicates) -> float:
    """Two-sided bootstrap p-value of an estimate against 0.

    ``p = 2 min((#{r <= 0} + 1) / (B + 1), (#{r >= 0} + 1) / (B + 1))``, capped at 1: the share
    of resamples on the far side of zero, counted with the +1 of Davison & Hinkley (1997, ch. 4)
    so that it is never exactly 0. Missing replicates are ignored.

    >>> bootstrap_p([0.1, 0.2, 0.3, -0.1])
    0.8
    """
    r = np.asarray(replicates, dtype=float)
    r = r[np.isfinite(r)]
    b = len(r)
    if b == 0:
        return float("nan")
    lo = (np.sum(r <= 0) + 1) / (b + 1)
    hi = (np.sum(r >= 0) + 1) / (b + 1)
    return float(min(1.0, 2 * min(lo, hi)))


def _key_from_table(table, term, n):
    row = table.set_index("term").loc[term]
    return {
        "term": term,
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]),
        "conf_low": float(row["conf_low"]),
        "conf_high": float(row["conf_high"]),
        "p_value": float(row["p_value"]),
        "n": int(n),
    }


def _run_moderation(data, hyp, cols, covariates, opts):
    from .moderation import moderation

    res = moderation(
        data, y=cols["y"], x=cols["x"], m=cols["m"], covariates=covariates,
        conf_level=opts["conf_level"], **hyp.options,
    )  # fmt: skip
    if len(res._design.interaction_columns) > 1:
        raise ModelError(
            f"moderator {cols['m']!r} has more than two groups, so no single interaction "
            "estimate decides the claim; map a continuous or two-level moderator"
        )
    return res, _key_from_table(res.table, res.interaction_term, res.n)


def _run_gxe(data, hyp, cols, covariates, opts):
    from .gxe import gxe
    from .moderation import _is_numeric

    options = dict(hyp.options)
    if not _is_numeric(data[cols["gene"]]):
        options["coding"] = "group"
    res = gxe(
        data, y=cols["y"], gene=cols["gene"], env=cols["env"], covariates=covariates,
        conf_level=opts["conf_level"], **options,
    )  # fmt: skip
    return res, _key_from_table(res.table, res.interaction_term, res.n)


def _run_mediation(data, hyp, cols, covariates, opts):
    from .mediation import mediation

    res = mediation(
        data, x=cols["x"], mediator=cols["mediator"], y=cols["y"], covariates=covariates,
        n_boot=opts["n_boot"], seed=opts["seed"], conf_level=opts["conf_level"],
    )  # fmt: skip
    row = res.table.loc[res.table["term"] == "indirect"].iloc[0]
    return res, {
        "term": "indirect",
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]),
        "conf_low": float(row["conf_low"]),
        "conf_high": float(row["conf_high"]),
        "p_value": bootstrap_p(np.asarray(res.boot_indirect)[:, 0]),
        "n": int(res.n),
    }


def _run_regression(data, hyp, cols, covariates, opts):
    res = _regression(
        data, y=cols["y"], x=cols["x"], covariates=covariates, conf_level=opts["conf_level"]
    )
    key = _key_from_table(res.table, cols["x"], res.n)
    key["term"] = cols["x"]
    return res, key


def _run_mixed(data, hyp, cols, covariates, opts):
    from .mixed import mixed

    res = mixed(
        data, y=cols["y"], x=cols["x"], subject=cols["subject"], covariates=covariates,
        conf_level=opts["conf_level"], **hyp.options,
    )  # fmt: skip
    term = f"{cols['x']}_within"
    return res, _key_from_table(res.table, term, res.n_obs)


#: family -> runner ``(data, hypothesis, columns, covariates, options) -> (result, key)``.
RUNNERS: Mapping[str, Callable] = MappingProxyType(
    {
        "moderation": _run_moderation,
        "mediation": _run_mediation,
        "gxe": _run_gxe,
        "regression": _run_regression,
        "mixed": _run_mixed,
    }
)
FAMILIES = tuple(RUNNERS)

RESULT_COLUMNS = [
    "hypothesis",
    "family",
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "p_fdr",
    "predicted_sign",
    "agrees",
    "n",
    "status",
    "reason",
]


@dataclass(frozen=True)
class HypothesisFamilyResult:
    """Result of :func:`test_hypotheses`.

    Attributes
    ----------
    table : DataFrame
        One row per hypothesis: ``hypothesis, family, term, estimate, std_error, conf_low,
        conf_high, p_value, p_fdr, predicted_sign, agrees, n, status, reason``. ``status`` is
        ``"tested"``, ``"not tested"`` (roles not mapped) or ``"failed"`` (the model could not be
        fitted); ``reason`` says why, or lists covariates left out of that model. ``agrees`` is
        True when the CI excludes 0 and, for a directional hypothesis, the estimate has the
        predicted sign (for an exploratory one, ``predicted_sign`` 0, only the CI counts); it
        is False for hypotheses not tested. ``p_fdr`` adjusts the tested hypotheses' p-values.
    results : dict
        Hypothesis name -> the full model result.
    """

    table: pd.DataFrame
    results: dict = field(repr=False)
    mapping: Mapping[str, str]
    alpha: float
    fdr_method: str
    conf_level: float

    def _notes(self):
        return [
            f"p_fdr: {self.fdr_method} adjustment across the {int((self.table.status == 'tested').sum())} "
            f"tested hypotheses (alpha {self.alpha}).",
            "Indirect effects: percentile bootstrap CI; p = 2 min(share <= 0, share >= 0) of the "
            "bootstrap replicates (with +1 counts).",
            "agrees: CI excludes 0 and the estimate has the predicted sign.",
        ]

    def summary(self) -> str:
        """Plain-text table of the hypotheses and their verdicts."""
        return ResultDisplay.text("Hypothesis family", [("", self.table)], self._notes())

    def _repr_html_(self) -> str:
        return ResultDisplay.html("Hypothesis family", [("", self.table)], self._notes())


def test_hypotheses(
    data: pd.DataFrame,
    *,
    mapping: Mapping[str, str],
    hypotheses: Sequence[str] | None = None,
    covariates: Sequence[str] = (),
    alpha: float = 0.05,
    fdr_method: str = "fdr_bh",
    seed: int | None = None,
    n_boot: int = 5000,
    conf_level: float = 0.95,
) -> HypothesisFamilyResult:
    """Test a family of registered hypotheses on one analysis table, with FDR control.

    Parameters
    ----------
    data : DataFrame
        The analysis table (one row per participant, or per participant and session for
        families that model repeated measures); not modified.
    mapping : Mapping[str, str]
        Role name -> column, e.g. ``{"outcome": "rmet_total", "oxytocin": "oxytocin_arm",
        "estradiol": "log_estradiol"}``. Roles left out make their hypotheses "not tested".
    hypotheses : sequence of str, optional
        Names from :data:`hypotheses` (default: all).
    covariates : sequence of str
        Covariates for every model (a covariate that is one of a model's own variables is left
        out of that model and the table's ``reason`` says so).
    alpha : float
        FDR (or FWER) level for the adjustment.
    fdr_method : str
        Any :func:`hormonestats.fdr` method (default Benjamini–Hochberg).
    seed : int, optional
        Seed for the mediation bootstraps.
    n_boot : int
        Bootstrap resamples for indirect effects.
    conf_level : float
        Confidence level of every interval.

    Returns
    -------
    HypothesisFamilyResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(4)
    >>> d = pd.DataFrame({"ot": rng.integers(0, 2, 300), "e2": rng.normal(size=300)})
    >>> d["rmet"] = 0.2 * d.ot + 0.5 * d.ot * d.e2 + rng.normal(size=300)
    >>> fam = hs.test_hypotheses(d, mapping={"outcome": "rmet", "oxytocin": "ot",
    ...                                      "estradiol": "e2"})
    >>> tab = fam.table.set_index("hypothesis")
    >>> tab.loc["estradiol_oxytocin", "status"], bool(tab.loc["estradiol_oxytocin", "agrees"])
    ('tested', True)
    >>> tab.loc["cortisol_oxytocin", "reason"]
    'roles not mapped: cortisol'
    """
    from .effects import fdr

    registry = globals()["hypotheses"]
    names = list(registry) if hypotheses is None else list(hypotheses)
    unknown = [h for h in names if h not in registry]
    if unknown:
        raise ModelError(f"unknown hypotheses {unknown}; registered: {list(registry)}")
    if not isinstance(mapping, Mapping):
        raise ModelError("mapping must map role names to column names")
    absent = sorted({c for c in mapping.values() if c not in data.columns})
    absent_cov = [c for c in covariates if c not in data.columns]
    if absent or absent_cov:
        raise ModelError(
            f"data has no column(s) {absent + absent_cov} named in mapping/covariates; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    opts = {"conf_level": conf_level, "n_boot": n_boot, "seed": seed}
    rows, results = [], {}
    for name in names:
        hyp = registry[name]
        row = {c: np.nan for c in RESULT_COLUMNS}
        row.update(
            hypothesis=name,
            family=hyp.family,
            term=hyp.key_term,
            predicted_sign=hyp.predicted_sign,
            agrees=False,
            n=0,
            reason="",
        )
        missing = [r for r in hyp.role_names if r not in mapping]
        if missing:
            row.update(status="not tested", reason=f"roles not mapped: {', '.join(missing)}")
            rows.append(row)
            continue
        cols = {arg: mapping[role] for arg, role in hyp.roles.items()}
        own = set(cols.values())
        covs = [c for c in covariates if c not in own]
        dropped = [c for c in covariates if c in own]
        try:
            runner = RUNNERS[hyp.family]
            result, key = runner(data, hyp, cols, covs, opts)
        except (HormoneStatsError, KeyError) as exc:
            row.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
            rows.append(row)
            continue
        results[name] = result
        row.update(key, status="tested")
        if dropped:
            row["reason"] = f"covariates used as model variables, left out: {', '.join(dropped)}"
        ci_excludes_0 = key["conf_low"] > 0 or key["conf_high"] < 0
        sign_ok = hyp.predicted_sign == 0 or np.sign(key["estimate"]) == hyp.predicted_sign
        row["agrees"] = bool(ci_excludes_0 and sign_ok)
        rows.append(row)
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    tested = table["status"] == "tested"
    if tested.any():
        table.loc[tested, "p_fdr"] = fdr(
            table.loc[tested, "p_value"], method=fdr_method, alpha=alpha
        )["p_adjusted"].to_numpy()
    for c in ("hypothesis", "family", "term", "status", "reason"):
        table[c] = table[c].astype("str")
    table["agrees"] = table["agrees"].astype(bool)
    table["n"] = table["n"].astype(int)
    table["predicted_sign"] = table["predicted_sign"].astype(int)
    for c in ("estimate", "std_error", "conf_low", "conf_high", "p_value", "p_fdr"):
        table[c] = table[c].astype(float)
    return HypothesisFamilyResult(
        table=table,
        results=results,
        mapping=MappingProxyType(dict(mapping)),
        alpha=alpha,
        fdr_method=fdr_method,
        conf_level=conf_level,
    )


# pytest would collect a module-level name starting with "test" as a test function
test_hypotheses.__test__ = False
