"""The ``between`` design of :func:`hormonestats.simulate_study`: an intranasal oxytocin vs
placebo trial with saliva hormones at baseline, OXTR genotypes, RMET, IRI and PSS-10.

The latent model and its true coefficients are in :mod:`hormonestats.simulate.latent`; this
module adds the measurement layer (assay wells, genotype calls, item responses) and, with
``issues=True``, the small problems real data have: missing samples (2 %), skipped items
(0.4 %), genotype no-calls (1 %) and one pipetting error (a well reading 70 % high).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import tables as tb
from .latent import ANCESTRY, latent_between, truth_between

__all__ = ["simulate_between"]

_ANALYTES = ("oxytocin", "cortisol", "testosterone", "estradiol", "progesterone")


def simulate_between(rng, n: int, effects: dict, options: dict):
    female_fraction = float(options.pop("female_fraction", 0.5))
    issues = bool(options.pop("issues", True))
    name = str(options.pop("name", "simulated_between"))
    given_key = options.pop("rmet_key", None)
    tb.no_options(options)
    lat = latent_between(rng, n, effects, female_fraction=female_fraction)
    ids = tb.subject_ids(n)
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
    samples = tb.saliva_wells(
        rng,
        ids,
        "baseline",
        {a: lat[f"log_{a}"] for a in _ANALYTES},
        missing=0.02 if issues else 0.0,
    )
    if issues:  # one pipetting error: a well reads 70 % high (a high-CV duplicate)
        subj = np.flatnonzero(
            samples["sample_type"].eq("subject")
            & samples["analyte"].eq("cortisol")
            & pd.to_numeric(samples["value"], errors="coerce").notna()
        )
        pick = subj[rng.integers(len(subj))]
        samples.loc[pick, "value"] = str(round(float(samples.loc[pick, "value"]) * 1.7, 3))
    samples = tb.finish_samples(samples)
    genotypes = tb.genotypes_table(
        rng,
        ids,
        {"rs53576": lat["rs53576_a"], "rs2254298": lat["rs2254298_a"]},
        no_call_rate=0.01 if issues else 0.0,
    )
    key = tb.rmet_key(rng) if given_key is None else np.asarray(given_key, dtype=int)
    rmet = tb.score_round(lat["rmet"], "rmet")
    ec = tb.score_round(lat["iri_ec"], "iri_ec")
    pss = tb.score_round(lat["pss"], "pss")
    responses = tb.responses_table(
        rng,
        ids,
        {"rmet": rmet, "iri": tb.iri_scores(rng, ec), "pss10": pss},
        key=key,
        session=np.full(n, "test"),
        missing_rate=0.004 if issues else 0.0,
    )
    treatments = pd.DataFrame(
        [
            tb.treatments_row(
                s,
                "intranasal_oxytocin" if arm == "oxytocin" else "placebo",
                f"2024-03-{1 + i % 28:02d} 09:{15 + 5 * (i % 8):02d}",
            )
            for i, (s, arm) in enumerate(zip(ids, subjects["arm"]))
        ]
    )
    contract = tb.base_contract(
        name,
        "Simulated between-subjects intranasal oxytocin trial with saliva hormones, "
        "OXTR genotypes, RMET, IRI and PSS-10 (hormonestats.simulate_study).",
        "between",
        _ANALYTES,
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
    return tb.make_study(contract, tables, truth)
