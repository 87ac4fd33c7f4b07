"""The latent (true) model of the simulated studies: default effects, scales and the
``between`` design's generative model with its true coefficients.

Generative model of the ``between`` design, shared by the study simulator
(:mod:`hormonestats.simulate.between` adds the measurement layer) and by :func:`hormonestats.power`
(which analyses the latent variables directly). ``log`` is the natural log of the true
salivary concentration in the contract's unit (pg/mL; cortisol nmol/L)::

    log_testosterone  = mu_T[sex] + N(0, sd_T[sex])
    log_estradiol     = mu_E2[sex] - 0.3 pill + testosterone_to_estradiol * (log_T - mu_T[sex])
                        + N(0, 0.45)                              (aromatisation, T -> E2)
    log_progesterone  = mu_P4[sex] - 0.5 pill + N(0, sd_P4[sex])
    log_cortisol      = log 6 + N(0, 0.5);   baseline log_oxytocin = log 6 + N(0, 0.6)
    rs53576           = Hardy-Weinberg draws with ancestry-specific A-allele frequency
    oxytocin          = 1 for the intranasal oxytocin arm (balanced randomisation), else 0

    z_rmet = female_rmet female + oxytocin ot + estradiol e + estradiol_x_oxytocin ot e
             + cortisol c + cortisol_x_oxytocin ot c + rs53576_gg GG
             + oxytocin_x_rs53576_gg ot GG + N(0, 1)
    z_ec   = female_empathy female + estradiol_empathy e + testosterone_empathy t + N(0, 1)
    z_pss  = female_anxiety female + progesterone_anxiety p + N(0, 1)

with ``e = log_estradiol - log 2.4``, ``c = log_cortisol - log 6``, ``t = log_T - log 50``,
``p = log_progesterone - log 40``. Scores are ``mean + sd * z`` rounded to whole points and
cut to the scale's range: RMET total (26, 3.6), IRI empathic concern (17, 4.0), PSS-10 total
(15, 6); item responses are drawn given the score (:mod:`hormonestats.simulate.measure`).
Effects (``DEFAULT_EFFECTS``) are therefore in residual-SD units of the outcome per natural-log
unit of the hormone; ``truth`` restates them in score points for the model with the
*uncentred* log hormones, e.g. ``rmet_total ~ female + oxytocin * log_estradiol + oxytocin *
log_cortisol + oxytocin * rs53576_gg``.

Default effects are deliberately small (the field's effects are small and its studies
underpowered: Walum, Waldman & Young 2016; Quintana 2020):

* ``rs53576_gg`` 0.11 SD: Li et al. 2015 meta-analysis (general sociality), METHODS.md;
  ``oxytocin_x_rs53576_gg`` (GG respond more to oxytocin) 0.11 SD: the same small size,
  developers' choice (the hypothesis registry predicts no direction);
* ``oxytocin`` 0.15 SD: a small single-dose effect on emotion recognition, the size
  meta-analyses report at most (Leppanen et al. 2017); developers' choice;
* interactions (``estradiol_x_oxytocin`` 0.15, ``cortisol_x_oxytocin`` -0.15 per log unit,
  i.e. about 0.08 SD per SD of the log hormone) are about half the main effect, the ratio
  Gelman (2018) uses to show that interactions need ~16x the sample;
* hormone main effects (``estradiol`` 0.10, ``cortisol`` -0.05, ``estradiol_empathy`` 0.20,
  ``testosterone_empathy`` -0.05, ``progesterone_anxiety`` -0.15 per log unit) are
  developers' choices of "small" (under 0.1 SD per SD of the log hormone);
* ``testosterone_to_estradiol`` 0.35 (log-log slope within sex): developers' choice, giving a
  within-sex T-E2 correlation of about 0.3;
* sex differences (``female_rmet`` 0.2: Kirkland et al. 2013; ``female_empathy`` 0.6 and
  ``female_anxiety`` 0.2: developers' choice in the direction of Davis 1980 and Cohen &
  Williamson 1988).

Genotype frequencies: A-allele frequency of rs53576 about 0.35 (european), 0.60 (east_asian),
0.25 (african); of rs2254298 about 0.10, 0.30, 0.25; rounded from 1000 Genomes phase 3
super-population frequencies (The 1000 Genomes Project Consortium 2015) as shown by dbSNP
(check: not re-confirmed against the primary source here). Global A ~0.40 and ~0.21
agree with the SNP registry.

The other designs (``cycle``, ``crossover``, ``dyadic``, ``tsst``) are in
:mod:`hormonestats.simulate.designs`; each documents its model and truth. The effects are in
:data:`DEFAULT_EFFECTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..errors import HormoneStatsError

__all__ = [
    "ALLELE_FREQ",
    "ANCESTRY",
    "DEFAULT_EFFECTS",
    "DESIGNS",
    "SCALES",
    "latent_between",
    "resolve_effects",
    "truth_between",
]

#: Designs :func:`simulate_study` knows.
DESIGNS = ("between", "cycle", "crossover", "dyadic", "tsst")

#: Outcome scales: (mean, SD) of the score given a latent z of 0 / 1, and the score range.
SCALES = MappingProxyType(
    {
        "rmet": (26.0, 3.6, 0, 36),
        "iri_ec": (17.0, 4.0, 0, 28),
        "pss": (15.0, 6.0, 0, 40),
    }
)

_BETWEEN = {
    "oxytocin": 0.15,
    "estradiol": 0.10,
    "estradiol_x_oxytocin": 0.15,
    "cortisol": -0.05,
    "cortisol_x_oxytocin": -0.15,
    "rs53576_gg": 0.11,
    "oxytocin_x_rs53576_gg": 0.11,
    "female_rmet": 0.20,
    "testosterone_to_estradiol": 0.35,
    "estradiol_empathy": 0.20,
    "testosterone_empathy": -0.05,
    "female_empathy": 0.60,
    "progesterone_anxiety": -0.15,
    "female_anxiety": 0.20,
}

#: Default effects per design (see the module docstrings for units and sources).
DEFAULT_EFFECTS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "between": MappingProxyType(_BETWEEN),
        "cycle": MappingProxyType(
            {"estradiol_within": 0.15, "estradiol_between": 0.10, "progesterone_within": -0.10}
        ),
        "crossover": MappingProxyType({"oxytocin": 0.25, "period": 0.10, "carryover": 0.0}),
        "dyadic": MappingProxyType({"actor": 0.20, "partner": 0.10}),
        "tsst": MappingProxyType({"oxytocin": -0.20, "male": 0.15}),
    }
)

#: Approximate A-allele frequencies by ancestry (see the module docstring; check).
ALLELE_FREQ = MappingProxyType(
    {
        "rs53576": {"european": 0.35, "east_asian": 0.60, "african": 0.25},
        "rs2254298": {"european": 0.10, "east_asian": 0.30, "african": 0.25},
    }
)
ANCESTRY = ("european", "east_asian", "african")
_ANCESTRY_P = (0.6, 0.2, 0.2)

# centring constants (log of a reference concentration) of the generative model
_C = {"e2": np.log(2.4), "cort": np.log(6.0), "t": np.log(50.0), "p4": np.log(40.0)}
# sex-specific log means / SDs: (female, male)
_MU = {
    "t": (np.log(25.0), np.log(110.0)),
    "e2": (np.log(3.0), np.log(1.8)),
    "p4": (np.log(60.0), np.log(25.0)),
}
_SD = {"t": (0.40, 0.35), "e2": 0.45, "p4": (0.8, 0.5), "cort": 0.5, "ot": 0.6}


def resolve_effects(design: str, effects: Mapping | None) -> dict[str, float]:
    """Defaults of ``design`` updated by ``effects``; unknown names raise, listing the known."""
    if design not in DESIGNS:
        raise HormoneStatsError(f"unknown design {design!r}; expected one of: {', '.join(DESIGNS)}")
    out = dict(DEFAULT_EFFECTS[design])
    if effects:
        unknown = sorted(set(effects) - set(out))
        if unknown:
            raise HormoneStatsError(
                f"unknown effect(s) {unknown} for the {design!r} design; expected names from: "
                f"{', '.join(out)}"
            )
        out.update({k: float(v) for k, v in effects.items()})
    return out


def _arm(rng, shape) -> np.ndarray:
    """Balanced 1:1 randomisation along the last axis."""
    n = shape[-1]
    base = np.zeros(n)
    base[: n // 2] = 1.0
    if len(shape) == 1:
        return rng.permutation(base)
    return rng.permuted(np.broadcast_to(base, shape).copy(), axis=-1)


def latent_between(
    rng: np.random.Generator,
    n: int,
    effects: Mapping[str, float],
    *,
    size: int | None = None,
    female_fraction: float = 0.5,
    pill_fraction: float = 0.3,
    outcomes: tuple[str, ...] = ("rmet", "iri_ec", "pss"),
) -> dict[str, np.ndarray]:
    """Latent (true) subject-level variables of the ``between`` design.

    Arrays have shape ``(n,)``, or ``(size, n)`` for ``size`` stacked simulated studies (the
    fast path of :func:`hormonestats.power`). Scores (``rmet``, ``iri_ec``, ``pss``) are
    continuous here (``mean + sd * z``); :func:`simulate_study` rounds them. ``outcomes``
    limits the scores computed (and the variables drawn only for them), for speed.
    """
    shape = (n,) if size is None else (size, n)
    e = effects
    full = size is None
    female = (rng.random(shape) < female_fraction).astype(float)
    male = 1.0 - female
    pill = female * (rng.random(shape) < pill_fraction)
    ot = _arm(rng, shape)

    def by_sex(pair):
        return pair[0] + (pair[1] - pair[0]) * male

    out = {"female": female, "pill": pill, "oxytocin": ot}
    mu_t = by_sex(_MU["t"])
    log_t = mu_t + by_sex(_SD["t"]) * rng.standard_normal(shape)
    out["log_testosterone"] = log_t
    out["log_estradiol"] = log_e2 = (
        by_sex(_MU["e2"])
        - 0.3 * pill
        + e["testosterone_to_estradiol"] * (log_t - mu_t)
        + _SD["e2"] * rng.standard_normal(shape)
    )
    ce2 = log_e2 - _C["e2"]
    if full or "pss" in outcomes:
        out["log_progesterone"] = (
            by_sex(_MU["p4"]) - 0.5 * pill + by_sex(_SD["p4"]) * rng.standard_normal(shape)
        )
    if full or "rmet" in outcomes:
        out["log_cortisol"] = _C["cort"] + _SD["cort"] * rng.standard_normal(shape)
        anc = np.searchsorted(np.cumsum(_ANCESTRY_P)[:-1], rng.random(shape), side="right")
        out["ancestry"] = anc
        f53 = np.asarray([ALLELE_FREQ["rs53576"][a] for a in ANCESTRY])[anc]
        a53 = (rng.random(shape) < f53).astype(int) + (rng.random(shape) < f53).astype(int)
        out["rs53576_a"] = a53
        out["rs53576_gg"] = gg = (a53 == 0).astype(float)
        cc = out["log_cortisol"] - _C["cort"]
        z = (
            e["female_rmet"] * female
            + e["oxytocin"] * ot
            + e["estradiol"] * ce2
            + e["estradiol_x_oxytocin"] * ot * ce2
            + e["cortisol"] * cc
            + e["cortisol_x_oxytocin"] * ot * cc
            + e["rs53576_gg"] * gg
            + e["oxytocin_x_rs53576_gg"] * ot * gg
            + rng.standard_normal(shape)
        )
        out["rmet"] = SCALES["rmet"][0] + SCALES["rmet"][1] * z
    if full or "iri_ec" in outcomes:
        z = (
            e["female_empathy"] * female
            + e["estradiol_empathy"] * ce2
            + e["testosterone_empathy"] * (log_t - _C["t"])
            + rng.standard_normal(shape)
        )
        out["iri_ec"] = SCALES["iri_ec"][0] + SCALES["iri_ec"][1] * z
    if full or "pss" in outcomes:
        z = (
            e["female_anxiety"] * female
            + e["progesterone_anxiety"] * (out["log_progesterone"] - _C["p4"])
            + rng.standard_normal(shape)
        )
        out["pss"] = SCALES["pss"][0] + SCALES["pss"][1] * z
    if full:
        out["log_oxytocin"] = np.log(6.0) + _SD["ot"] * rng.standard_normal(shape)
        f22 = np.asarray([ALLELE_FREQ["rs2254298"][a] for a in ANCESTRY])[out["ancestry"]]
        out["rs2254298_a"] = (rng.random(shape) < f22).astype(int) + (
            rng.random(shape) < f22
        ).astype(int)
    return out


def truth_between(effects: Mapping[str, float]) -> dict:
    """True coefficients of the ``between`` design's analysis models (score points per
    natural-log unit of the uncentred hormone; the mediation paths per log unit)."""
    e = effects
    s_r, s_e, s_p = SCALES["rmet"][1], SCALES["iri_ec"][1], SCALES["pss"][1]
    rmet = {
        "Intercept": SCALES["rmet"][0]
        + s_r * (-e["estradiol"] * _C["e2"] - e["cortisol"] * _C["cort"]),
        "female": s_r * e["female_rmet"],
        "oxytocin": s_r
        * (
            e["oxytocin"]
            - e["estradiol_x_oxytocin"] * _C["e2"]
            - e["cortisol_x_oxytocin"] * _C["cort"]
        ),
        "log_estradiol": s_r * e["estradiol"],
        "oxytocin:log_estradiol": s_r * e["estradiol_x_oxytocin"],
        "log_cortisol": s_r * e["cortisol"],
        "oxytocin:log_cortisol": s_r * e["cortisol_x_oxytocin"],
        "rs53576_gg": s_r * e["rs53576_gg"],
        "oxytocin:rs53576_gg": s_r * e["oxytocin_x_rs53576_gg"],
    }
    a = e["testosterone_to_estradiol"]
    b = s_e * e["estradiol_empathy"]
    direct = s_e * e["testosterone_empathy"]
    ec = {
        "Intercept": SCALES["iri_ec"][0]
        - s_e * (e["estradiol_empathy"] * _C["e2"] + e["testosterone_empathy"] * _C["t"]),
        "female": s_e * e["female_empathy"],
        "log_estradiol": b,
        "log_testosterone": direct,
    }
    pss = {
        "Intercept": SCALES["pss"][0] - s_p * e["progesterone_anxiety"] * _C["p4"],
        "female": s_p * e["female_anxiety"],
        "log_progesterone": s_p * e["progesterone_anxiety"],
    }
    return {
        "design": "between",
        "effects": dict(effects),
        "scale": (
            "score points of the outcome per natural-log unit of the hormone's true "
            "concentration (contract units); residual SD of each outcome = its SCALES sd"
        ),
        "models": {
            "rmet_total": {
                "formula": "rmet_total ~ female + oxytocin * log_estradiol + "
                "oxytocin * log_cortisol + oxytocin * rs53576_gg",
                "coef": rmet,
            },
            "iri_ec": {"formula": "iri_ec ~ female + log_estradiol + log_testosterone", "coef": ec},
            "pss_total": {"formula": "pss_total ~ female + log_progesterone", "coef": pss},
            "log_estradiol": {
                "formula": "log_estradiol ~ female + log_testosterone",
                "coef": {"log_testosterone": a},
            },
        },
        "mediation": {
            "x": "log_testosterone",
            "mediator": "log_estradiol",
            "y": "iri_ec",
            "covariates": ["female"],
            "a": a,
            "b": b,
            "direct": direct,
            "indirect": a * b,
        },
        "residual_sd": {"rmet_total": s_r, "iri_ec": s_e, "pss_total": s_p},
    }
