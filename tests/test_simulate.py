"""Tests of the study simulator: validity, determinism and recovery of the known truth.

Recovery: for each design, the tables are turned into an analysis table with plain pandas
(hormones: mean of duplicate wells, below-LOD readings set to LOD/2, natural log; RMET scored
against the key; IRI/PSS summed with reverse keys) and the design's analysis model is fitted
with statsmodels. Over R simulations the mean estimate must lie within 3.5 Monte-Carlo SEs of
the truth (SE = SD of the estimates / sqrt(R)), and the 95% CIs must cover the truth at a rate
within 3 binomial SEs of 0.95 (sqrt(0.95 * 0.05 / R)); the slow tests (R = 400) also require
93-97 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import hormonestats as hs
from hormonestats.assays import parse_readings
from hormonestats.errors import HormoneStatsError

DESIGNS = ("between", "cycle", "crossover", "dyadic", "tsst")
SMALL_N = {"between": 80, "cycle": 12, "crossover": 16, "dyadic": 20, "tsst": 20}


# ------------------------------------------------------------------ analysis-table helpers
def hormone_means(samples: pd.DataFrame, by=("subject_id",)) -> pd.DataFrame:
    """log of the mean of the wells per sample (below LOD -> LOD/2), wide by analyte."""
    s = samples.loc[samples["sample_type"] == "subject"].copy()
    parsed = parse_readings(s["value"], lod=s["lod"])
    s["v"] = np.where(
        parsed["below_lod"].to_numpy(), s["lod"].to_numpy() / 2, parsed["value"].to_numpy()
    )
    wide = s.groupby([*by, "analyte"])["v"].mean().unstack("analyte")
    return np.log(wide).add_prefix("log_")


def rmet_total(responses: pd.DataFrame, key, by=("subject_id",)) -> pd.Series:
    r = responses.loc[responses["instrument"] == "rmet"].copy()
    if (r["item"] == "total").all():
        return r.set_index(list(by))["response"].astype(float).rename("rmet_total")
    keymap = {str(i + 1): k for i, k in enumerate(key)}
    correct = (r["response"] == r["item"].map(keymap)).astype(float)
    r["c"] = correct.where(r["response"].notna())
    return (r.groupby(list(by))["c"].mean() * 36).rename("rmet_total")


def scale_sum(responses, instrument, items, reverse, item_max=4, by=("subject_id",)):
    r = responses.loc[
        (responses["instrument"] == instrument) & responses["item"].isin([str(i) for i in items])
    ].copy()
    rev = r["item"].isin([str(i) for i in reverse])
    r["v"] = np.where(rev, item_max - r["response"].astype(float), r["response"].astype(float))
    return r.groupby(list(by))["v"].mean() * len(items)


def between_frame(study) -> pd.DataFrame:
    t = study.tables
    sub = t["subjects"].set_index("subject_id")
    d = pd.DataFrame(index=sub.index)
    d["female"] = (sub["sex"] == "female").astype(float)
    d["oxytocin"] = (sub["arm"] == "oxytocin").astype(float)
    d = d.join(hormone_means(t["samples"]))
    g = t["genotypes"]
    g = g.loc[g["snp"] == "rs53576"].set_index("subject_id")["genotype"]
    d["rs53576_gg"] = (g == "GG").astype(float).where(g != "--")
    d["rmet_total"] = rmet_total(t["responses"], study.truth["rmet_key"])
    d["iri_ec"] = scale_sum(t["responses"], "iri", [2, 4, 9, 14, 18, 20, 22], [4, 14, 18])
    d["pss_total"] = scale_sum(t["responses"], "pss10", range(1, 11), [4, 5, 7, 8])
    return d


def fit_between(study) -> dict:
    d = between_frame(study)
    out = {}
    for outcome in ("rmet_total", "iri_ec", "pss_total"):
        model = study.truth["models"][outcome]
        fit = smf.ols(model["formula"], d).fit()
        ci = fit.conf_int()
        for term in model["coef"]:
            if term == "Intercept":
                continue
            out[f"{outcome}/{term}"] = (
                fit.params[term],
                ci.loc[term, 0],
                ci.loc[term, 1],
                model["coef"][term],
            )
    return out


def recovery(design: str, n: int, sims: int, fit, *, seed=0, strict=False):
    rows = []
    for i in range(sims):
        study = hs.simulate_study(design, n=n, seed=np.random.SeedSequence([seed, i]))
        for name, (est, lo, hi, true) in fit(study).items():
            rows.append({"param": name, "est": est, "lo": lo, "hi": hi, "true": true})
    res = pd.DataFrame(rows)
    res["cover"] = (res["lo"] <= res["true"]) & (res["true"] <= res["hi"])
    summary = res.groupby("param").agg(
        mean=("est", "mean"), sd=("est", "std"), true=("true", "first"), cover=("cover", "mean")
    )
    mc_se = summary["sd"] / np.sqrt(sims)
    bad_mean = summary.loc[(summary["mean"] - summary["true"]).abs() > 3.5 * mc_se]
    assert bad_mean.empty, f"{design}: estimates do not average to the truth:\n{bad_mean}"
    # coverage pooled over the parameters of the design, and per parameter
    binom = np.sqrt(0.95 * 0.05 / sims)
    bad_cover = summary.loc[(summary["cover"] - 0.95).abs() > 3 * binom]
    assert bad_cover.empty, f"{design}: CI coverage off:\n{bad_cover}"
    if strict:
        assert summary["cover"].between(0.93, 0.97).all(), summary
    return summary


# -------------------------------------------------------------------------------- tests
def test_between_validates_and_has_all_tables():
    study = hs.simulate_study("between", n=60, seed=3)
    assert set(study.tables) == {"subjects", "samples", "genotypes", "responses", "treatments"}
    report = hs.validate(study)
    assert report.ok, report.summary()
    s = study["samples"]
    assert {"CTRL_low", "CTRL_high"} <= set(s.loc[s["sample_type"] == "control", "subject_id"])
    # every plate carries both controls
    ctrl = s.loc[s["sample_type"] == "control"].groupby("plate_id")["subject_id"].nunique()
    assert (ctrl == 2).all() and set(ctrl.index) == set(s["plate_id"])
    assert (s.groupby(["subject_id", "analyte", "plate_id"]).size() <= 2).all()
    tr = study["treatments"]
    assert set(tr["agent"]) == {"intranasal_oxytocin", "placebo"}
    assert (tr.loc[tr["agent"] == "intranasal_oxytocin", "dose"] == 24).all()


def test_rmet_items_carry_the_total_exactly():
    study = hs.simulate_study("between", n=30, seed=5, issues=False)
    lat_free = rmet_total(study["responses"], study.truth["rmet_key"])
    assert ((lat_free >= 0) & (lat_free <= 36)).all()
    assert np.allclose(lat_free, np.round(lat_free))  # no skipped items -> whole numbers
    r = study["responses"]
    assert r.loc[r["instrument"] == "iri", "response"].between(0, 4).all()
    assert r.loc[r["instrument"] == "rmet", "response"].between(1, 4).all()


def test_same_seed_same_tables_and_different_seed_differs():
    a = hs.simulate_study("between", n=40, seed=11)
    b = hs.simulate_study("between", n=40, seed=11)
    c = hs.simulate_study("between", n=40, seed=12)
    for table in a.tables:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert not a["samples"].equals(c["samples"])


def test_unknown_design_and_effect_raise():
    with pytest.raises(HormoneStatsError, match="expected one of"):
        hs.simulate_study("parallel", n=10, seed=1)
    with pytest.raises(HormoneStatsError, match="estradiol_x_oxytocin"):
        hs.simulate_study("between", n=10, seed=1, effects={"estradiol_x_oxitocin": 0.2})


def test_effect_override_reaches_truth():
    study = hs.simulate_study("between", n=10, seed=1, effects={"rs53576_gg": 0.5})
    assert study.truth["models"]["rmet_total"]["coef"]["rs53576_gg"] == pytest.approx(0.5 * 3.6)
    assert study.truth["mediation"]["indirect"] == pytest.approx(0.35 * 0.2 * 4.5)


def test_between_genotypes_follow_hardy_weinberg_within_ancestry():
    # pooled over ancestries HWE fails by design (Wahlund effect); within one it must hold
    study = hs.simulate_study("between", n=3000, seed=2, issues=False)
    anc = study["subjects"].set_index("subject_id")["ancestry"]
    g = study["genotypes"]
    g = g.loc[(g["snp"] == "rs53576") & g["subject_id"].map(anc).eq("european").to_numpy()]
    counts = g["genotype"].value_counts()
    n = int(counts.sum())
    p = (2 * counts.get("AA", 0) + counts.get("AG", 0)) / (2 * n)
    assert p == pytest.approx(0.35, abs=4 * np.sqrt(0.35 * 0.65 / (2 * n)))
    assert (
        hs.hwe_exact(int(counts.get("AG", 0)), int(counts.get("AA", 0)), int(counts.get("GG", 0)))
        > 1e-3
    )


def test_between_recovery_quick():
    recovery("between", SMALL_N["between"] * 2, 40, fit_between)


@pytest.mark.slow
def test_between_recovery_full():
    recovery("between", 200, 400, fit_between, strict=True)
