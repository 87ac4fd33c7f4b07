"""Tests of the hypothesis registry and hs.test_hypotheses on simulated data with known truth.

The models behind each family are checked against external references in their own test files
(test_moderation, test_gxe, test_mediation); here the truth is the simulation: a positive
estradiol x oxytocin interaction must be found to agree, the flipped sign must disagree, unmapped
roles must be reported as "not tested", and the FDR column must be the BH adjustment of the
tested p-values (checked against R's p.adjust in test_effects).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models.hypotheses import RUNNERS, Hypothesis, bootstrap_p

MAPPING = {
    "outcome": "rmet_total",
    "oxytocin": "oxytocin_arm",
    "estradiol": "log_estradiol",
    "cortisol": "log_cortisol",
    "testosterone": "log_testosterone",
    "progesterone": "log_progesterone",
    "anxiety": "stai",
    "rs53576": "rs53576_a",
}


def simulate(n=400, sign=+1, seed=0):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "subject_id": [f"p{i:03d}" for i in range(n)],
            "oxytocin_arm": rng.integers(0, 2, n),
            "log_testosterone": rng.normal(0, 1, n),
            "log_cortisol": rng.normal(0, 1, n),
            "log_progesterone": rng.normal(0, 1, n),
            "rs53576_a": rng.binomial(2, 0.4, n),
            "age": rng.normal(30, 6, n),
        }
    )
    d["log_estradiol"] = 0.6 * d["log_testosterone"] + rng.normal(0, 0.8, n)
    d["rmet_total"] = (
        0.3 * d["oxytocin_arm"]
        + 0.4 * d["log_estradiol"]
        + sign * 0.6 * d["oxytocin_arm"] * d["log_estradiol"]
        + 0.02 * d["age"]
        + rng.normal(0, 1, n)
    )
    d["stai"] = -0.5 * d["log_progesterone"] + rng.normal(0, 1, n)
    return d


def test_registry_is_read_only_and_documented():
    reg = hs.hypotheses
    assert set(reg) >= {
        "estradiol_oxytocin",
        "testosterone_aromatization",
        "progesterone_anxiety",
        "progesterone_allopregnanolone_anxiety",
        "cortisol_oxytocin",
        "oxtr_genotype",
    }
    with pytest.raises(TypeError):
        reg["new"] = None
    h = reg["estradiol_oxytocin"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.predicted_sign = -1
    with pytest.raises(TypeError):
        h.roles["y"] = "other"
    for h in reg.values():
        assert h.family in RUNNERS
        assert h.predicted_sign in (-1, 0, 1)
        assert h.claim.endswith(".") and h.source
    assert reg["estradiol_oxytocin"].predicted_sign == 1
    assert reg["cortisol_oxytocin"].predicted_sign == -1
    assert reg["progesterone_anxiety"].predicted_sign == -1
    assert reg["testosterone_aromatization"].key_term == "indirect"
    assert reg["oxtr_genotype"].predicted_sign == 0  # exploratory: meta-analyses found no effect
    assert "Keller" in reg["oxtr_genotype"].source
    with pytest.raises(ValueError):
        Hypothesis("x", "c.", "moderation", {}, "interaction", 2, "s")


@pytest.mark.parametrize("sign,agrees", [(+1, True), (-1, False)])
def test_known_interaction_agrees_and_flipped_disagrees(sign, agrees):
    d = simulate(sign=sign)
    before = d.copy()
    fam = hs.test_hypotheses(
        d, mapping=MAPPING, hypotheses=["estradiol_oxytocin", "progesterone_anxiety"],
        covariates=["age"],
    )  # fmt: skip
    pd.testing.assert_frame_equal(d, before)
    tab = fam.table.set_index("hypothesis")
    row = tab.loc["estradiol_oxytocin"]
    assert row["status"] == "tested"
    assert bool(row["agrees"]) is agrees
    assert np.sign(row["estimate"]) == sign
    assert row["conf_low"] > 0 or row["conf_high"] < 0  # the effect is found either way
    assert row["term"] == "oxytocin_arm:log_estradiol"
    assert row["n"] == len(d)
    # the row is the moderation result's interaction, with the covariate in the model
    res = fam.results["estradiol_oxytocin"]
    ref = hs.moderation(d, y="rmet_total", x="oxytocin_arm", m="log_estradiol", covariates=["age"])
    assert row["estimate"] == pytest.approx(
        ref.table.set_index("term").loc["oxytocin_arm:log_estradiol", "estimate"], rel=1e-12
    )
    assert res.covariates == ("age",)
    assert bool(tab.loc["progesterone_anxiety", "agrees"])  # simulated negative slope


def test_unmapped_roles_are_reported_not_dropped():
    d = simulate()
    mapping = {k: v for k, v in MAPPING.items() if k not in ("cortisol", "rs53576")}
    fam = hs.test_hypotheses(d, mapping=mapping, hypotheses=None, n_boot=200, seed=1)
    tab = fam.table.set_index("hypothesis")
    assert set(tab.index) == set(hs.hypotheses)
    assert tab.loc["cortisol_oxytocin", "status"] == "not tested"
    assert tab.loc["cortisol_oxytocin", "reason"] == "roles not mapped: cortisol"
    assert tab.loc["oxtr_genotype", "reason"] == "roles not mapped: rs53576"
    assert tab.loc["progesterone_allopregnanolone_anxiety", "reason"] == (
        "roles not mapped: allopregnanolone"
    )
    nt = tab[tab["status"] == "not tested"]
    assert nt["p_value"].isna().all() and nt["p_fdr"].isna().all() and not nt["agrees"].any()
    assert "cortisol_oxytocin" not in fam.results
    # FDR over the tested ones only (BH itself is checked against R in test_effects)
    tested = tab[tab["status"] == "tested"]
    np.testing.assert_allclose(tested["p_fdr"], hs.fdr(tested["p_value"])["p_adjusted"], rtol=1e-12)
    assert list(fam.table.columns) == [
        "hypothesis", "family", "term", "estimate", "std_error", "conf_low", "conf_high",
        "p_value", "p_fdr", "predicted_sign", "agrees", "n", "status", "reason",
    ]  # fmt: skip
    assert "not tested" in fam.summary() and "<table" in fam._repr_html_()


def test_mediation_hypothesis_uses_bootstrap():
    d = simulate()
    fam = hs.test_hypotheses(
        d, mapping=MAPPING, hypotheses=["testosterone_aromatization"], n_boot=400, seed=3
    )
    row = fam.table.iloc[0]
    assert row["status"] == "tested" and row["term"] == "indirect"
    med = fam.results["testosterone_aromatization"]
    ind = med.table.set_index("term").loc["indirect"]
    assert row["estimate"] == pytest.approx(ind["estimate"])
    assert row["conf_low"] == pytest.approx(ind["conf_low"])
    assert row["p_value"] == pytest.approx(bootstrap_p(med.boot_indirect[:, 0]))
    # truth: a = 0.6 (T -> E2), b = 0.4 (+ 0.3 at oxytocin_arm mean); indirect clearly positive
    assert row["estimate"] > 0 and bool(row["agrees"])
    again = hs.test_hypotheses(
        d, mapping=MAPPING, hypotheses=["testosterone_aromatization"], n_boot=400, seed=3
    )
    pd.testing.assert_frame_equal(fam.table, again.table)  # same seed, same numbers


def test_gxe_hypothesis_and_failures_are_recorded():
    d = simulate()
    d["arm_label"] = np.where(d["oxytocin_arm"] == 1, "oxytocin", "placebo")
    fam = hs.test_hypotheses(d, mapping=MAPPING, hypotheses=["oxtr_genotype"], covariates=["age"])
    row = fam.table.iloc[0]
    assert row["status"] == "tested" and row["predicted_sign"] == 0
    res = fam.results["oxtr_genotype"]
    # the model term says the coding used: carriers vs non-carriers, not allele counts
    assert res.coding == "dominant" and res.gene_term == "rs53576_a (dominant)"
    assert res.keller_terms == ("age:oxytocin_arm", "age:rs53576_a (dominant)")
    assert row["term"] == "oxytocin_arm:rs53576_a (dominant)"
    # a model that cannot be fitted is "failed" with the reason, and the others still run
    bad = dict(MAPPING, oxytocin="arm_label")
    fam2 = hs.test_hypotheses(
        d, mapping=bad, hypotheses=["estradiol_oxytocin", "progesterone_anxiety"]
    )
    tab = fam2.table.set_index("hypothesis")
    assert tab.loc["estradiol_oxytocin", "status"] == "failed"
    assert "'arm_label' must be numeric" in tab.loc["estradiol_oxytocin", "reason"]
    assert tab.loc["progesterone_anxiety", "status"] == "tested"
    assert tab.loc["progesterone_anxiety", "p_fdr"] == pytest.approx(
        tab.loc["progesterone_anxiety", "p_value"]
    )


def test_covariate_that_is_a_model_variable_is_left_out_and_said():
    d = simulate()
    fam = hs.test_hypotheses(
        d, mapping=MAPPING, hypotheses=["cortisol_oxytocin"], covariates=["log_estradiol", "age"]
    )
    row = fam.table.iloc[0]
    assert row["status"] == "tested" and row["reason"] == ""
    fam = hs.test_hypotheses(
        d, mapping=MAPPING, hypotheses=["cortisol_oxytocin"], covariates=["log_cortisol"]
    )
    assert "left out: log_cortisol" in fam.table.iloc[0]["reason"]


def test_bad_arguments():
    d = simulate(n=50)
    with pytest.raises(ModelError, match="unknown hypotheses"):
        hs.test_hypotheses(d, mapping=MAPPING, hypotheses=["estradiol_oxytocn"])
    with pytest.raises(ModelError, match="no column"):
        hs.test_hypotheses(d, mapping=dict(MAPPING, outcome="nope"))


def test_bootstrap_p():
    assert bootstrap_p(np.ones(999)) == pytest.approx(2 / 1000)
    assert bootstrap_p(np.r_[-np.ones(500), np.ones(500)]) == 1.0
    assert np.isnan(bootstrap_p([np.nan]))


def test_registry_reads_the_same_through_package_and_module():
    import importlib
    from collections.abc import Mapping

    mod = importlib.import_module("hormonestats.models.hypotheses")
    for reg in (hs.hypotheses, mod.hypotheses, mod.HYPOTHESES, hs.HYPOTHESES):
        assert isinstance(reg, Mapping)
        assert reg["oxtr_genotype"] is mod.hypotheses["oxtr_genotype"]


def test_within_person_hypotheses_run_the_mixed_model():
    """The registered mixed-model hypothesis separates within from between effects."""
    rng = np.random.default_rng(11)
    n_sub, n_obs = 60, 8
    subj = np.repeat(np.arange(n_sub), n_obs)
    person_mean = rng.normal(size=n_sub)[subj]
    e2 = person_mean + rng.normal(scale=0.7, size=subj.size)
    within = e2 - pd.Series(e2).groupby(subj).transform("mean").to_numpy()
    y = 0.5 * within - 0.4 * person_mean + rng.normal(size=n_sub)[subj] * 0.5 \
        + rng.normal(scale=0.6, size=subj.size)
    data = pd.DataFrame({"id": subj, "e2": e2, "y": y})
    fam = hs.test_hypotheses(data, mapping={"outcome": "y", "estradiol": "e2", "subject": "id"},
                             hypotheses=["estradiol_within_person"])
    row = fam.table.iloc[0]
    assert row["status"] == "tested" and row["term"] == "e2_within"
    assert row["conf_low"] < 0.5 < row["conf_high"]
    assert bool(row["agrees"])
    direct = hs.mixed(data, y="y", x="e2", subject="id")
    assert row["estimate"] == pytest.approx(
        direct.table.set_index("term").loc["e2_within", "estimate"])


def test_genotype_label_says_the_coding_used():
    """Issue 13: an additive column (``rs53576_add_A``) tested with dominant coding is labelled
    as carriers, and the coded values are 0/1 (carrier) rather than the allele counts."""
    d = simulate().rename(columns={"rs53576_a": "rs53576_add_A"})
    mapping = dict(MAPPING, rs53576="rs53576_add_A")
    fam = hs.test_hypotheses(d, mapping=mapping, hypotheses=["oxtr_genotype"])
    res = fam.results["oxtr_genotype"]
    assert res.gene_term == "rs53576 (A carrier)"
    assert fam.table.loc[0, "term"] == "oxytocin_arm:rs53576 (A carrier)"
    coded = res.fit.model.exog[:, list(res.fit.model.exog_names).index("rs53576 (A carrier)")]
    assert set(np.unique(coded)) == {0.0, 1.0}
    expected = (d["rs53576_add_A"] >= 1).astype(float).to_numpy()
    assert np.array_equal(coded, expected)
    # additive coding keeps the column's own (additive) name
    add = hs.gxe(d, y="rmet_total", m="rs53576_add_A", x="oxytocin_arm", coding="additive")
    assert add.interaction_term == "oxytocin_arm:rs53576_add_A"
