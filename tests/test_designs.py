"""Every study design's canned analysis: registered hypotheses, defaults, references, scripts.

References (``tests/reference/designs.R``, R 4 with nlme and lmerTest; session info in
``designs_R_sessionInfo.txt``):

* crossover: the classical two-sample t test of the period differences of the bundled crossover
  study (Senn 2002, ch. 3) and lmerTest's sequence (carry-over) effect (``designs_crossover_ref.csv``);
* dyads: the mean of the two roles' actor (partner) slopes of ``nlme::gls`` with
  ``varIdent(~ 1 | role)`` and ``corCompSymm(~ 1 | dyad)``, its SE from ``vcov()`` and a t test on
  N - p df (``designs_apim_mean_of_roles.csv``; data ``apim_sim.csv``).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.datasets import dataset_path
from hormonestats.models.claims import DESIGN_ANALYSES
from hormonestats.workflows.roles import role_plan

ROOT = Path(__file__).resolve().parents[1]
REF = Path(__file__).resolve().parent / "reference"

#: bundled study -> the hypotheses its defaults let `run full_study` test
EXPECTED = {
    "crossover_study": {"oxytocin_crossover"},
    "couples_study": {"oxytocin_actor", "oxytocin_partner"},
    "tsst_study": {"oxytocin_cortisol_reactivity", "oxytocin_cortisol_peak"},
    "cycle_study": {"estradiol_within_person", "progesterone_within_person",
                    "progesterone_luteal_within_person"},
    "example_study": {"estradiol_oxytocin", "testosterone_aromatization", "progesterone_anxiety",
                      "cortisol_oxytocin", "oxtr_genotype", "estradiol_oxytocin_items"},
}
#: design analysis -> its bundled study
SCRIPTS = {"crossover_trial": "crossover_study", "couples": "couples_study",
           "stress_reactivity": "tsst_study", "cycle": "cycle_study"}


def _table(name):
    study = hs.read_dataset(name)
    return study, hs.process_study(study).table


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_defaults_map_every_bundled_study(name):
    study, table = _table(name)
    plan = role_plan(table, design=study.contract.design,
                     instruments=tuple(study.contract.instruments))
    applicable = set(plan.loc[plan["status"] == "applicable", "hypothesis"])
    assert applicable == EXPECTED[name]
    # nothing is offered that is not of the role's kind
    assert not plan["fix"].str.contains("anxiety=iri|anxiety=rmet|outcome=pss").any()


def test_design_analyses_name_registered_hypotheses():
    for names in DESIGN_ANALYSES.values():
        assert set(names) <= set(hs.hypotheses)
    assert set(SCRIPTS) == set(DESIGN_ANALYSES)


def test_crossover_hypothesis_agrees_with_the_classical_analysis():
    _study, table = _table("crossover_study")
    fam = hs.test_hypotheses(table, hypotheses=["oxytocin_crossover"])  # registered defaults
    assert dict(fam.mapping) == hs.default_mapping(table.columns)
    row = fam.table.iloc[0]
    ref = pd.read_csv(REF / "designs_crossover_ref.csv").set_index("quantity")
    classical = ref.loc["drug_classical"]
    assert row["status"] == "tested" and row["term"] == "oxytocin_arm[1]" and row["n"] == 96
    for col in ("estimate", "std_error", "p_value", "conf_low", "conf_high"):
        assert row[col] == pytest.approx(classical[col], rel=1e-6, abs=1e-8), col
    # the carry-over (sequence) check beside it, as lmerTest has it
    carry = fam.results["oxytocin_crossover"].carryover.iloc[0]
    seq = ref.loc["sequence_lmer"]
    assert carry["estimate"] == pytest.approx(seq["estimate"], abs=1e-6)
    assert carry["std_error"] == pytest.approx(seq["std_error"], rel=1e-5)
    assert carry["p_value"] == pytest.approx(seq["p_value"], rel=1e-4)
    # not significant: the equivalence region says how large an effect the data rule out
    from hormonestats.models.equivalence import equivalence_regions

    regions = equivalence_regions(fam)
    assert regions["hypothesis"].tolist() == ["oxytocin_crossover"]
    assert regions["delta_min"].iloc[0] > abs(row["estimate"])


def test_actor_and_partner_means_of_roles_agree_with_gls():
    data = pd.read_csv(REF / "apim_sim.csv")
    fam = hs.test_hypotheses(
        data, mapping={"outcome": "y", "oxytocin": "x", "dyad": "dyad", "dyad_role": "role"},
        hypotheses=["oxytocin_actor", "oxytocin_partner"])
    ref = pd.read_csv(REF / "designs_apim_mean_of_roles.csv").set_index("effect")
    tab = fam.table.set_index("hypothesis")
    for hyp, effect in (("oxytocin_actor", "actor"), ("oxytocin_partner", "partner")):
        assert tab.loc[hyp, "term"].endswith("(mean of roles)")
        for col in ("estimate", "std_error", "conf_low", "conf_high"):
            assert tab.loc[hyp, col] == pytest.approx(ref.loc[effect, col], rel=1e-4), (hyp, col)
        assert tab.loc[hyp, "p_value"] == pytest.approx(ref.loc[effect, "p_value"], rel=1e-3)


def test_indistinguishable_dyads_without_a_role():
    data = pd.read_csv(REF / "apim_sim.csv")
    fam = hs.test_hypotheses(data, mapping={"outcome": "y", "oxytocin": "x", "dyad": "dyad"},
                             hypotheses=["oxytocin_actor", "oxytocin_partner"])
    ref = pd.read_csv(REF / "apim_sim_gls_indist.csv").set_index("term")
    tab = fam.table.set_index("hypothesis")
    assert tab.loc["oxytocin_actor", "term"] == "x"
    assert tab.loc["oxytocin_partner", "term"] == "x_partner"
    assert tab.loc["oxytocin_actor", "estimate"] == pytest.approx(ref.loc["x", "estimate"],
                                                                  rel=1e-4)
    assert tab.loc["oxytocin_partner", "std_error"] == pytest.approx(
        ref.loc["x_partner", "std_error"], rel=1e-4)


def test_actor_effect_recovers_the_simulated_truth():
    rng = np.random.default_rng(7)
    n = 600
    x = rng.normal(size=(n, 2))
    e = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n)
    y = 0.5 * x + 0.2 * x[:, ::-1] + e
    data = pd.DataFrame({"dyad": np.repeat(np.arange(n), 2), "role": ["a", "b"] * n,
                         "ot": x.ravel(), "trust": y.ravel()})
    fam = hs.test_hypotheses(data, mapping={"outcome": "trust", "oxytocin": "ot",
                                            "dyad": "dyad", "dyad_role": "role"},
                             hypotheses=["oxytocin_actor", "oxytocin_partner"])
    tab = fam.table.set_index("hypothesis")
    for hyp, truth in (("oxytocin_actor", 0.5), ("oxytocin_partner", 0.2)):
        assert abs(tab.loc[hyp, "estimate"] - truth) < 4 * tab.loc[hyp, "std_error"]
        assert tab.loc[hyp, "conf_low"] < truth < tab.loc[hyp, "conf_high"]


def test_stress_reactivity_is_the_regression_on_the_arm():
    _study, table = _table("tsst_study")
    fam = hs.test_hypotheses(table, hypotheses=["oxytocin_cortisol_reactivity",
                                                "oxytocin_cortisol_peak"])
    tab = fam.table.set_index("hypothesis")
    # the arm's coefficient of a two-group regression is the difference of the arm means
    means = table.groupby("oxytocin_arm")[["cortisol_auc_i", "cortisol_peak_reactivity"]].mean()
    diff = means.loc[1] - means.loc[0]
    assert tab.loc["oxytocin_cortisol_reactivity", "estimate"] == pytest.approx(
        diff["cortisol_auc_i"])
    assert tab.loc["oxytocin_cortisol_peak", "estimate"] == pytest.approx(
        diff["cortisol_peak_reactivity"])
    assert (tab["n"] == 60).all()


def test_suggestions_only_from_columns_of_the_roles_kind():
    table = pd.DataFrame({"subject_id": ["a", "b", "c"], "iri_pt": [1.0, 2.0, 3.0],
                          "log_estradiol": [0.1, 0.2, 0.3], "oxytocin_arm": [0, 1, 0]})
    plan = role_plan(table).set_index("hypothesis")
    # perspective taking may stand for the social-cognition outcome ...
    assert plan.loc["estradiol_oxytocin", "fix"] == "--map outcome=iri_pt"
    # ... but never for anxiety, nor estradiol for progesterone
    assert plan.loc["progesterone_anxiety", "fix"] == ""
    assert "nothing in the study could stand for it" in plan.loc["progesterone_anxiety", "reason"]


def test_mapping_none_means_the_registered_defaults():
    _study, table = _table("example_study")
    given = hs.test_hypotheses(table, mapping=hs.default_mapping(table.columns),
                               hypotheses=["estradiol_oxytocin", "progesterone_anxiety"])
    default = hs.test_hypotheses(table, hypotheses=["estradiol_oxytocin",
                                                    "progesterone_anxiety"])
    pd.testing.assert_frame_equal(given.table, default.table)
    assert hs.DEFAULT_ROLES["outcome"][0] == "rmet_total"
    assert dict(default.mapping)["oxytocin"] == "oxytocin_arm"


def test_multiverse_without_a_mapping_uses_the_defaults():
    study = hs.read_dataset("tsst_study")
    res = hs.multiverse(study, hypothesis="oxytocin_cortisol_reactivity",
                        decisions={"lod": ["lod/2", "lod/sqrt2"]})
    assert res.mapping["cortisol_reactivity"] == "cortisol_auc_i"
    assert (res.table["status"] == "tested").all() and len(res.table) == 2


@pytest.mark.parametrize("analysis", sorted(SCRIPTS))
def test_design_scripts_run_their_analysis(analysis, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    study = SCRIPTS[analysis]
    out = tmp_path / analysis
    script = ROOT / "analyses" / f"{analysis}.py"
    monkeypatch.setattr(sys, "argv", [str(script), str(ROOT / "schemas" / f"{study}.yaml"),
                                      str(dataset_path(study)), "--out", str(out),
                                      "--n-boot", "100"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(script), run_name="__main__")
    assert stop.value.code == 0
    hyp = pd.read_csv(out / "tables" / "hypotheses.csv")
    assert set(hyp["hypothesis"]) == set(DESIGN_ANALYSES[analysis]) & EXPECTED[study]
    assert (hyp["status"] == "tested").all()
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "**Models.**" in methods
    assert any(p.name.endswith(".png") and not p.name.startswith(("qc_", "forest"))
               for p in (out / "figures").iterdir())


def test_apim_power_model_is_the_gls_fit():
    """The power simulation's sum/difference fit equals nlme::gls' compound-symmetry APIM."""
    from hormonestats.simulate.design_power import apim_sum_difference

    data = pd.read_csv(REF / "apim_sim.csv")
    ref = pd.read_csv(REF / "apim_sim_gls_indist.csv").set_index("term")
    wide = data.assign(k=data.groupby("dyad").cumcount()).pivot(index="dyad", columns="k")
    x = wide["x"].to_numpy()[None, :, :]
    y = wide["y"].to_numpy()[None, :, :]
    for which, term in (("actor", "x"), ("partner", "x_partner")):
        est, se, _p, _lo, _hi = apim_sum_difference(x, y, which, 0.05)
        assert est[0] == pytest.approx(ref.loc[term, "estimate"], rel=1e-5)
        assert se[0] == pytest.approx(ref.loc[term, "std_error"], rel=1e-4)


@pytest.mark.parametrize("name", ["oxytocin_crossover", "oxytocin_actor", "oxytocin_partner",
                                  "oxytocin_cortisol_reactivity", "progesterone_within_person"])
def test_design_hypotheses_have_power_models(name):
    tab = hs.power(name, n=[200], n_sims=300, seed=2, progress=False)
    row = tab.iloc[0]
    assert 0.05 < row["power"] <= 1 and abs(row["coverage"] - 0.95) < 0.05
    assert np.sign(row["mean_estimate"]) == np.sign(row["true_value"])


def test_the_design_tables_columns_are_explained(tmp_path):
    from hormonestats.report.glossary import explain_column

    _study, table = _table("crossover_study")
    fam = hs.test_hypotheses(table, hypotheses=["oxytocin_crossover"])
    res = fam.results["oxytocin_crossover"]
    data = pd.read_csv(REF / "apim_sim.csv")
    apim = hs.apim(data, y="y", x="x", dyad="dyad", role="role")
    for frame in (res.carryover, res.effect_sizes, apim.k):
        unknown = [c for c in frame.columns if explain_column(c) is None]
        assert not unknown, unknown
