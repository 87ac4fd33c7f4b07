"""The item-level RMET hypothesis ("estradiol_oxytocin_items"): the item table, the binomial GLMM
with crossed subject and item effects, its place in the hypothesis family, the canned run, and
the power of trial- and item-level designs.

References (``tests/reference/rmet_items.R``; R 4.2 with lme4 1.1-31, glmmTMB 1.1.5, numDeriv;
session info in ``rmet_items_R_sessionInfo.txt``): the bundled example study's RMET responses
scored against its key in R, independently of hormonestats, and fitted by glmmTMB (exact
Laplace optimum) and by lme4::glmer polished on its own deviance function
(``rmet_items_values.csv``; participant-level predictors in ``rmet_items_subjects.csv``, which
the test checks against a fresh processing run). Tolerances are stated at each comparison.
"""

from __future__ import annotations

import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.datasets import dataset_path
from hormonestats.derive.items import item_accuracy_table, study_item_table
from hormonestats.models.item_accuracy import item_accuracy
from hormonestats.models.lmm.fit import MixedModelWarning
from hormonestats.results import protocol_problems

ROOT = Path(__file__).resolve().parents[1]
REF = Path(__file__).resolve().parent / "reference"
VALUES = pd.read_csv(REF / "rmet_items_values.csv", keep_default_na=False)
NAME = "estradiol_oxytocin_items"


def ref(quantity: str) -> pd.Series:
    v = VALUES[VALUES["quantity"] == quantity]
    return pd.Series(v["value"].astype(float).to_numpy(), index=v["term"].astype(str))


@pytest.fixture(scope="module")
def example():
    study = hs.read_dataset("example_study")
    return study, hs.process_study(study).table, study_item_table(study)


@pytest.fixture(scope="module")
def fitted(example):
    _study, _table, items = example
    people = pd.read_csv(REF / "rmet_items_subjects.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixedModelWarning)
        return item_accuracy(items.data, people, x="oxytocin_arm", m="log_estradiol",
                             reml=False)  # the references are maximum-likelihood fits


def test_item_table_scores_against_the_key_and_logs_every_missing_answer(example):
    study, table, (items, log) = example
    assert len(items) == 200 * 36 and items["correct"].isin([0.0, 1.0]).sum() == 7200 - 31
    assert len(log) == 31 and (log["action"] == "flagged").all()
    assert set(log["row"]) == set(items.index[items["correct"].isna()])
    # the item scores add up to the RMET total of every participant who answered all items
    complete = items.groupby("subject_id")["correct"].agg(["sum", "count"])
    complete = complete.loc[complete["count"] == 36, "sum"]
    totals = table.set_index("subject_id").loc[complete.index, "rmet_total"]
    np.testing.assert_array_equal(complete.to_numpy(), totals.to_numpy())
    # a skipped item and an item with no row are both kept, missing, and logged with why
    rows = pd.DataFrame({"subject_id": ["s1", "s1"], "instrument": "rmet", "item": [1, 2],
                         "response": [3, None]})
    small, small_log = item_accuracy_table(rows, {str(i): 3 for i in range(1, 37)})
    assert small["correct"].iloc[:2].tolist()[0] == 1.0 and np.isnan(small["correct"].iloc[1])
    assert set(small_log["reason"]) == {"rmet item answer missing (skipped)",
                                        "rmet item has no response row"}
    assert len(small_log) == 35 and len(rows) == 2  # the caller's table is not changed
    twice = pd.concat([rows, rows.iloc[[0]]], ignore_index=True)
    with pytest.raises(hs.errors.DataError, match="more than one response"):
        item_accuracy_table(twice, {str(i): 3 for i in range(1, 37)})


def test_the_committed_predictors_are_the_processed_tables(example):
    _study, table, _items = example
    committed = pd.read_csv(REF / "rmet_items_subjects.csv")
    mine = table[["subject_id", "oxytocin_arm", "log_estradiol"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(committed, mine, check_dtype=False, rtol=1e-14)


def test_matches_glmmtmb_and_polished_glmer(fitted):
    res = fitted
    assert res.converged and not res.glmm.warnings and not protocol_problems(res)
    assert res.family == "mixed" and len(repr(res)) < 400
    assert res.summary().splitlines()[1].startswith("=") and res._repr_html_().startswith("<h4>")
    assert res.methods_facts()["n_excluded"] == len(res.excluded) == 7200 - 7062
    assert res.n_obs == ref("n_obs").iloc[0] and res.n_subjects == ref("n_subjects").iloc[0]
    assert res.n_items == 36 and res.m_center == pytest.approx(ref("centre").iloc[0], rel=1e-14)
    table = res.table.set_index("term")
    names = {"Intercept": "(Intercept)", "oxytocin_arm": "oxytocin_arm",
             "log_estradiol_c": "log_estradiol_c",
             "oxytocin_arm:log_estradiol_c": "oxytocin_arm:log_estradiol_c"}
    beta = ref("beta")[list(names.values())].to_numpy()
    se = ref("se")[list(names.values())].to_numpy()
    est = table.loc[list(names), "estimate"].to_numpy()
    # glmmTMB (exact Laplace): estimates within 1e-5 relative (to the SE near zero), SEs 1e-4,
    # variances 1e-4, deviance 1e-9 relative
    np.testing.assert_array_less(np.abs(est - beta) / np.maximum(np.abs(beta), se), 1e-5)
    np.testing.assert_allclose(table.loc[list(names), "std_error"], se, rtol=1e-4)
    np.testing.assert_allclose([res.variance("subject_id"), res.variance("item")],
                               ref("variance")[["subject_id", "item"]], rtol=1e-4)
    assert res.glmm.deviance == pytest.approx(ref("deviance").iloc[0], rel=1e-9)
    # polished glmer: its deviance function sits 8e-5 above the exact Laplace deviance here
    # (its PIRLS stops short), so its optimum is 3e-4 SE away; ours is no worse than its
    assert res.glmm.deviance < ref("glmer_deviance").iloc[0]
    g_beta, g_se = ref("glmer_beta").to_numpy(), ref("glmer_se").to_numpy()
    np.testing.assert_array_less(np.abs(est - g_beta) / g_se, 1e-3)
    np.testing.assert_allclose(table.loc[list(names), "std_error"], g_se, rtol=1e-2)
    # the interaction with its odds ratio
    inter = table.loc[res.interaction_term]
    assert inter["odds_ratio"] == pytest.approx(np.exp(beta[3]), rel=1e-5)


def test_simple_slopes_match_the_reference(fitted):
    slopes = fitted.simple_slopes.set_index("oxytocin_arm")
    for arm in (0, 1):
        row = slopes.loc[float(arm)]
        for mine, theirs in (("estimate", "slope_logit"), ("std_error", "slope_logit_se"),
                             ("probability", "probability"),
                             ("slope_probability", "slope_probability"),
                             ("slope_probability_se", "slope_probability_se")):
            assert row[mine] == pytest.approx(ref(theirs)[str(arm)], rel=1e-4), (arm, mine)
    # the figure's predictions at the centre are the simple slopes' probabilities
    pred = fitted.predictions
    assert pred["probability"].between(pred["conf_low"], pred["conf_high"]).all()
    assert pred["m"].min() == pytest.approx(
        pd.read_csv(REF / "rmet_items_subjects.csv")["log_estradiol"].min())


def test_the_item_hypothesis_is_a_secondary_family(example, fitted):
    _study, table, items = example
    names = ["estradiol_oxytocin", "progesterone_anxiety", NAME]
    fam = hs.test_hypotheses(table, hypotheses=names, items=items.data)
    tab = fam.table.set_index("hypothesis")
    row = tab.loc[NAME]
    # the runner fits by restricted likelihood, item_accuracy's default
    default = item_accuracy(items.data, pd.read_csv(REF / "rmet_items_subjects.csv"),
                            x="oxytocin_arm", m="log_estradiol")
    assert default.methods_facts()["estimation"] == "restricted maximum likelihood"
    assert row["status"] == "tested" and row["term"] == default.interaction_term
    assert row["estimate"] == pytest.approx(
        default.table.set_index("term").loc[default.interaction_term, "estimate"], rel=1e-9)
    assert row["estimate"] != pytest.approx(  # and not the maximum-likelihood fit
        fitted.table.set_index("term").loc[fitted.interaction_term, "estimate"], rel=1e-6)
    assert row["n"] == fitted.n_obs
    # alone in its family: its adjusted p is its p; the primary family is as without it
    assert row["p_fdr"] == row["p_value"] and "secondary family 'item_level'" in row["reason"]
    primary = hs.test_hypotheses(table, hypotheses=names[:2]).table.set_index("hypothesis")
    pd.testing.assert_series_equal(tab.loc[names[:2], "p_fdr"], primary["p_fdr"])
    assert "secondary families adjusted apart: item_level" in str(fam.summary())
    # without the item responses it is not tested, and says why
    bare = hs.test_hypotheses(table, hypotheses=[NAME]).table.iloc[0]
    assert bare["status"] == "not tested" and "item-level responses" in bare["reason"]


def test_recovers_a_simulated_interaction():
    truth = {"oxytocin:estradiol": 0.6, "sd_estradiol": 0.55}
    d, eff = hs.simulate_rmet_items(n_subjects=300, effects=truth, seed=20)
    people = d.groupby("subject", as_index=False)[["oxytocin", "estradiol"]].first()
    res = item_accuracy(d, people, x="oxytocin", m="estradiol", subject="subject")
    row = res.table.set_index("term").loc[res.interaction_term]
    assert abs(row["estimate"] - eff["oxytocin:estradiol"]) < 2.5 * row["std_error"]
    assert row["conf_low"] > 0  # 300 participants detect 0.6 log-odds per log unit
    assert res.variance("subject") == pytest.approx(eff["sd_subject"] ** 2, abs=0.12)
    assert res.variance("item") == pytest.approx(eff["sd_item"] ** 2, rel=0.5)


@pytest.mark.slow
def test_interaction_is_unbiased_with_nominal_coverage():
    est, cover = [], []
    truth = 0.4
    rng = np.random.default_rng(29)
    for _ in range(60):
        d, _ = hs.simulate_rmet_items(n_subjects=120, n_items=24, seed=rng,
                                      effects={"oxytocin:estradiol": truth})
        people = d.groupby("subject", as_index=False)[["oxytocin", "estradiol"]].first()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MixedModelWarning)
            res = item_accuracy(d, people, x="oxytocin", m="estradiol", subject="subject")
        row = res.table.set_index("term").loc[res.interaction_term]
        est.append(row["estimate"])
        cover.append(row["conf_low"] <= truth <= row["conf_high"])
    est = np.asarray(est)
    assert abs(est.mean() - truth) < 3 * est.std(ddof=1) / np.sqrt(len(est))
    assert 0.85 <= np.mean(cover) <= 1.0


def test_the_canned_run_reports_the_item_level_model(tmp_path, monkeypatch, capsys):
    import matplotlib

    matplotlib.use("Agg")
    script = ROOT / "analyses" / f"{NAME}.py"
    out = tmp_path / "items"
    monkeypatch.setattr(sys, "argv", [str(script), str(ROOT / "schemas" / "example_study.yaml"),
                                      str(dataset_path("example_study")), "--out", str(out)])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(script), run_name="__main__")
    assert stop.value.code == 0
    console = " ".join(capsys.readouterr().out.split())
    assert f"{NAME}: tested" in console and "term: oxytocin_arm:log_estradiol_c" in console
    assert "secondary family 'item_level'" in console
    methods = " ".join((out / "methods.md").read_text(encoding="utf-8").split())
    assert "binomial generalized linear mixed model with a logit link" in methods
    assert "crossed random intercepts for participants and items" in methods
    var = pd.read_csv(out / "tables" / f"random_effects_{NAME}.csv").set_index("group")
    assert (f"variances: participants {var.loc['subject_id', 'variance']:.3f}, "
            f"items {var.loc['item', 'variance']:.3f}") in methods
    assert "(restricted maximum likelihood, Laplace approximation; Wald z tests)" in methods
    assert "adjusted in its own secondary family (item_level)" in methods
    assert "(197 participants, 36 items, 7062 answered items" in methods
    assert (out / "figures" / f"{NAME}_accuracy.png").exists()
    slopes = pd.read_csv(out / "tables" / f"simple_slopes_{NAME}.csv")
    assert slopes["oxytocin_arm"].tolist() == [0, 1]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Predicted probability of a correct RMET item by log estradiol, per oxytocin arm" in page
    assert f"{NAME}, in a secondary family of their own" in " ".join(page.split())


def test_trial_and_item_power_is_the_same_with_two_jobs():
    # two sample sizes: two chunks of simulations, so two jobs really split the work
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        for spec, effects in ((NAME, {"n_items": 8}),
                              ({"family": "trust_trials", "n_trials": 10, "n_faces": 5}, None)):
            one, two = (hs.power(spec, n=[12, 16], n_sims=2, seed=8, progress=False,
                                 effects=effects, n_jobs=jobs) for jobs in (1, 2))
            pd.testing.assert_frame_equal(one, two)
    assert one["term"].tolist() == ["oxytocin", "oxytocin"] and (one["n_sims"] == 2).all()


@pytest.mark.slow
@pytest.mark.parametrize("spec, term, effects, n, extra", [
    ({"family": "trust_trials", "n_trials": 20, "n_faces": 10}, "oxytocin", (0.0, 0.6, 1.2),
     40, {}),
    (NAME, "interaction", (0.0, 0.6, 1.2), 60, {"n_items": 24}),
])
def test_power_is_alpha_at_zero_and_rises_with_the_effect(spec, term, effects, n, extra):
    power = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        for effect in effects:
            tab = hs.power(spec, n=[n], n_sims=100, seed=3, progress=False, n_jobs=2,
                           effects={term: effect, **extra})
            power.append(float(tab["power"].iloc[0]))
            assert 0.85 <= tab["coverage"].iloc[0] <= 1.0
    # alpha 0.05 (MC SE 0.022 at 100 simulations); the Wald z test of a between-person effect
    # with 20-30 participants per arm runs a little liberal (about 0.08 and coverage 0.91 over
    # 150 simulations of either design), as Wald tests with few clusters do
    assert power[0] <= 0.12
    assert power[0] < power[1] < power[2]
