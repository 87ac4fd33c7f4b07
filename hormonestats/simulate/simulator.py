"""Simulate whole studies with known truth: ``hs.simulate_study(design, n=..., seed=...)``.

A simulated study has the same tables as a real one (``subjects``, ``samples``, ``genotypes``,
``responses``, ``treatments`` and, for the cycle design, ``cycles``), a contract built in code
and passed through :func:`~hormonestats.study.contracts.load_contract`, and ``Study.truth``: the true
parameter values on the scale of the analysis model, so that tests and power analyses compare
estimates with the truth.

Generative model of the ``between`` design (also used, without the measurement layer, by
:func:`hormonestats.power`; see :func:`latent_between`). ``log`` is the natural log of the true
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
:mod:`hormonestats.simulate.designs`; each documents its model and truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError
from .measure import ASSAYS, assay_wells, items_from_total, scale_items

__all__ = [
    "DEFAULT_EFFECTS",
    "DESIGNS",
    "SCALES",
    "latent_between",
    "simulate_study",
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


# ------------------------------------------------------------------------------ tables
def subject_ids(n: int, prefix: str = "S") -> list[str]:
    width = max(3, len(str(n)))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def score_round(values: np.ndarray, scale: str) -> np.ndarray:
    _, _, lo, hi = SCALES[scale]
    return np.clip(np.round(values), lo, hi).astype(int)


def rmet_key(rng) -> np.ndarray:
    return rng.integers(1, 5, size=36)


def responses_table(
    rng, ids, scores: dict, *, key=None, session=None, missing_rate: float = 0.004
) -> pd.DataFrame:
    """Item-level responses for ``scores`` (dict instrument -> integer scores per subject).

    ``rmet``: totals 0-36 (needs ``key``); ``iri``: dict of the four subscale sums; ``pss10``:
    totals 0-40. A few item responses (``missing_rate``) are left blank (skipped items).
    """
    from ..registry.instruments import get_instrument

    frames = []
    n = len(ids)
    for inst, value in scores.items():
        if inst == "rmet":
            easiness = rng.uniform(1.0, 8.0, size=36)
            resp = items_from_total(rng, np.asarray(value), key, easiness)
            items = [str(i) for i in range(1, 37)]
        else:
            definition = get_instrument(inst)
            rev_set = {str(r) for r in definition.reverse}
            k = len(definition.items)
            resp = np.zeros((n, k))
            subscales = value if isinstance(value, dict) else {"total": value}
            for sub, sub_scores in subscales.items():
                members = [str(i) for i in definition.subscales[sub]]
                cols = [definition.items.index(m) for m in members]
                weights = rng.uniform(0.6, 1.4, size=len(cols))
                reverse = np.array([m in rev_set for m in members])
                resp[:, cols] = scale_items(
                    rng, np.asarray(sub_scores), weights, int(definition.response_max), reverse
                )
            items = list(definition.items)
        resp = resp.astype(float)
        resp[rng.random(resp.shape) < missing_rate] = np.nan
        frame = pd.DataFrame(
            {
                "subject_id": np.repeat(ids, len(items)),
                "instrument": inst,
                "item": np.tile(items, n),
                "response": pd.Series(resp.reshape(-1)).astype("Int64"),
            }
        )
        if session is not None:
            frame.insert(1, "session", np.repeat(np.asarray(session), len(items)))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def iri_scores(rng, ec: np.ndarray) -> dict:
    """IRI subscale sums: empathic concern from the model, the other three from normal traits
    (PT correlated 0.4 with EC)."""
    n = len(ec)
    z_ec = (ec - SCALES["iri_ec"][0]) / SCALES["iri_ec"][1]
    pt = 18.0 + 4.5 * (0.4 * z_ec + np.sqrt(1 - 0.16) * rng.standard_normal(n))
    fs = 16.0 + 5.0 * rng.standard_normal(n)
    pd_ = 11.0 + 5.0 * rng.standard_normal(n)
    return {
        "pt": np.clip(np.round(pt), 0, 28).astype(int),
        "fs": np.clip(np.round(fs), 0, 28).astype(int),
        "ec": np.asarray(ec, dtype=int),
        "pd": np.clip(np.round(pd_), 0, 28).astype(int),
    }


def genotypes_table(rng, ids, counts: dict, *, no_call_rate: float = 0.01) -> pd.DataFrame:
    from ..registry.snps import get_snp

    frames = []
    for rsid, count in counts.items():
        a, b = get_snp(rsid).alleles
        labels = np.array([b + b, a + b, a + a])[np.asarray(count, dtype=int)].astype(object)
        labels[rng.random(len(ids)) < no_call_rate] = "--"
        frames.append(pd.DataFrame({"subject_id": ids, "snp": rsid, "genotype": labels}))
    out = pd.concat(frames, ignore_index=True)
    out["genotype"] = out["genotype"].astype("str")
    return out


def treatments_row(sid, agent: str, start: str, interval_min: float = 45.0) -> dict:
    oxy = agent == "intranasal_oxytocin"
    return {
        "subject_id": sid,
        "agent": agent,
        "dose": 24.0 if oxy else np.nan,
        "dose_unit": "IU" if oxy else None,
        "route": "intranasal",
        "start": start,
        "device": "nasal spray (standard multi-dose pump)",
        "interval_min": interval_min,
    }


def base_contract(
    name: str,
    description: str,
    design: str,
    analytes: dict,
    *,
    tables=("subjects", "samples", "genotypes", "responses", "treatments"),
    snps=("rs53576", "rs2254298"),
    instruments=None,
    agents=None,
    columns=None,
) -> dict:
    """A contract mapping for a simulated study (passed through ``load_contract``)."""
    out = {
        "name": name,
        "description": description,
        "design": design,
        "tables": {t: f"{t}.csv" for t in tables},
        "analytes": {
            a: {
                "unit": ASSAYS[a]["unit"],
                "matrix": "saliva",
                "method": "immunoassay",
                **({"extracted": True} if a == "oxytocin" else {}),
            }
            for a in analytes
        },
    }
    if "genotypes" in tables:
        out["snps"] = {s: {} for s in snps}
    if instruments:
        out["instruments"] = instruments
    if agents:
        out["agents"] = list(agents)
    if columns:
        out["columns"] = columns
    return out


def _between(rng, n: int, effects: dict, options: dict):
    from ..study.contracts import load_contract
    from ..study.reading import Study

    female_fraction = float(options.pop("female_fraction", 0.5))
    issues = bool(options.pop("issues", True))
    name = str(options.pop("name", "simulated_between"))
    _no_options(options)
    lat = latent_between(rng, n, effects, female_fraction=female_fraction)
    ids = subject_ids(n)
    female = lat["female"] == 1
    contraception = np.where(lat["pill"] == 1, "combined_pill", "none").astype(object)
    contraception[~female] = None
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "sex": np.where(female, "female", "male"),
            "age": rng.integers(18, 41, size=n).astype(float),
            "arm": np.where(lat["oxytocin"] == 1, "oxytocin", "placebo"),
            "ancestry": np.asarray(ANCESTRY)[lat["ancestry"]],
            "contraception": pd.array(contraception, dtype="str"),
        }
    )
    # saliva at baseline (before dosing); a few samples missing (too little saliva)
    wells = []
    for analyte, log_name in (
        ("oxytocin", "log_oxytocin"),
        ("cortisol", "log_cortisol"),
        ("testosterone", "log_testosterone"),
        ("estradiol", "log_estradiol"),
        ("progesterone", "log_progesterone"),
    ):
        keep = rng.random(n) >= (0.02 if issues else 0.0)
        samp = pd.DataFrame(
            {
                "subject_id": ids,
                "session": "baseline",
                "sample_id": [f"{s}-1" for s in ids],
                "sample_number": 1,
                "conc": np.exp(lat[log_name]),
            }
        ).loc[keep]
        w = assay_wells(rng, samp, analyte, extracted=True if analyte == "oxytocin" else None)
        wells.append(w)
    samples = pd.concat(wells, ignore_index=True)
    if issues:  # one pipetting error: a well reads 70 % high (a high-CV duplicate)
        subj = np.flatnonzero(
            samples["sample_type"].eq("subject")
            & samples["analyte"].eq("cortisol")
            & pd.to_numeric(samples["value"], errors="coerce").notna()
        )
        pick = subj[rng.integers(len(subj))]
        samples.loc[pick, "value"] = str(round(float(samples.loc[pick, "value"]) * 1.7, 3))
    samples["sample_number"] = samples["sample_number"].astype("Int64")
    samples["extracted"] = (
        samples["analyte"]
        .eq("oxytocin")
        .astype("boolean")
        .where(samples["analyte"].eq("oxytocin"), pd.NA)
    )
    samples = samples[
        [
            "subject_id",
            "session",
            "sample_id",
            "sample_number",
            "analyte",
            "matrix",
            "value",
            "unit",
            "lod",
            "replicate",
            "plate_id",
            "sample_type",
            "method",
            "extracted",
        ]
    ]
    genotypes = genotypes_table(
        rng,
        ids,
        {"rs53576": lat["rs53576_a"], "rs2254298": lat["rs2254298_a"]},
        no_call_rate=0.01 if issues else 0.0,
    )
    key = rmet_key(rng)
    rmet = score_round(lat["rmet"], "rmet")
    ec = score_round(lat["iri_ec"], "iri_ec")
    pss = score_round(lat["pss"], "pss")
    responses = responses_table(
        rng,
        ids,
        {"rmet": rmet, "iri": iri_scores(rng, ec), "pss10": pss},
        key=key,
        session=np.full(n, "test"),
        missing_rate=0.004 if issues else 0.0,
    )
    treatments = pd.DataFrame(
        [
            treatments_row(
                s,
                "intranasal_oxytocin" if arm == "oxytocin" else "placebo",
                f"2024-03-{1 + i % 28:02d} 09:{15 + 5 * (i % 8):02d}",
            )
            for i, (s, arm) in enumerate(zip(ids, subjects["arm"]))
        ]
    )
    contract = base_contract(
        name,
        "Simulated between-subjects intranasal oxytocin trial with saliva hormones, "
        "OXTR genotypes, RMET, IRI and PSS-10 (hormonestats.simulate_study).",
        "between",
        ("oxytocin", "cortisol", "testosterone", "estradiol", "progesterone"),
        instruments={
            "rmet": {"key": [int(k) for k in key]},
            "iri": {"max_missing": 1},
            "pss10": {},
        },
        agents=("intranasal_oxytocin", "placebo"),
        columns={"subjects": {"arm": {"dtype": "str", "values": ["oxytocin", "placebo"]}}},
    )
    truth = truth_between(effects)
    truth["rmet_key"] = [int(k) for k in key]
    tables = {
        "subjects": subjects,
        "samples": samples,
        "genotypes": genotypes,
        "responses": responses,
        "treatments": treatments,
    }
    return Study(
        contract=load_contract(contract),
        tables=MappingProxyType(tables),
        truth=MappingProxyType(truth),
    )


def _no_options(options: dict) -> None:
    if options:
        raise HormoneStatsError(f"unknown option(s) {sorted(options)} for simulate_study")


def simulate_study(design: str, *, n: int, effects: Mapping | None = None, seed=None, **options):
    """Simulate a whole study (all tables, a contract and the truth) for a design.

    Parameters
    ----------
    design : {"between", "cycle", "crossover", "dyadic", "tsst"}
        ``between``: oxytocin vs placebo arm, hormones and genotypes once. ``cycle``:
        naturally cycling women, hormones and a task at several visits per cycle, with a
        ``cycles`` events table. ``crossover``: oxytocin and placebo in two periods (AB/BA).
        ``dyadic``: couples (``dyad_id``, ``role``). ``tsst``: cortisol at -30, -1, 30, 40,
        50, 60, 70 min around a stressor, oxytocin vs placebo.
    n : int
        Subjects (couples for ``dyadic``).
    effects : dict, optional
        Overrides of :data:`DEFAULT_EFFECTS` ``[design]`` (unknown names raise).
    seed : int or numpy.random.SeedSequence, optional
        The same seed gives identical tables.
    **options
        Design options: ``between``: ``female_fraction`` (0.5), ``issues`` (True: a few
        missing samples, skipped items, genotype no-calls and one high-CV duplicate),
        ``name``; ``cycle``: ``n_cycles`` (2), ``visits_per_cycle`` (4); ``crossover``:
        ``icc`` (0.5); others: ``name``.

    Returns
    -------
    Study
        ``truth`` holds ``design``, ``effects``, ``scale`` (the units of the coefficients) and
        ``models``: per outcome, the analysis model's formula and its true coefficients.

    Examples
    --------
    >>> import hormonestats as hs
    >>> study = hs.simulate_study("between", n=40, seed=1)
    >>> sorted(study.tables)
    ['genotypes', 'responses', 'samples', 'subjects', 'treatments']
    >>> round(study.truth["models"]["rmet_total"]["coef"]["rs53576_gg"], 3)
    0.396
    """
    n = int(n)
    if n < 4:
        raise HormoneStatsError(f"n must be at least 4 subjects, got {n}")
    eff = resolve_effects(design, effects)
    rng = np.random.default_rng(seed)
    options = dict(options)
    if design == "between":
        return _between(rng, n, eff, options)
    from . import designs as simulate_designs

    return getattr(simulate_designs, f"simulate_{design}")(rng, n, eff, options)
