"""Reliability of repeated sampling: Shrout-Fleiss ICCs, the random-intercept ICC, Spearman-Brown
and generalizability coefficients.

References (not our code), made by tests/reference/sampling_reliability.R: ``psych::ICC(x, lmer =
FALSE)`` on Shrout & Fleiss's (1979) table, lme4's sleepstudy and a simulated cortisol study;
``performance::icc`` on lme4 fits (bobyqa to 1e-12); ``psych::multilevel.reliability`` on Shrout &
Lane's (2012) example and a simulated diary (the nested-model coefficients from a tight lme4
fit of the same model). Tolerance 1e-6 throughout. Plus simulated data with known truth.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError, ModelError
from hormonestats.models.generalizability import multilevel_reliability
from hormonestats.models.sampling_reliability import (
    mixed_icc,
    samples_for_reliability,
    sampling_reliability,
    shrout_fleiss_icc,
    spearman_brown,
)

REF = Path(__file__).parent / "reference"
ICC = pd.read_csv(REF / "sampling_reliability_icc.csv")
TOL = 1e-6


def _sleep_wide():
    d = pd.read_csv(REF / "sleepstudy.csv")
    return d.pivot(index="Subject", columns="Days", values="Reaction").to_numpy()


def _hormone_wide():
    d = pd.read_csv(REF / "sampling_reliability_hormone.csv")
    return d.pivot(index="subject", columns="day", values="log_cortisol").to_numpy()


SF = pd.read_csv(REF / "sampling_reliability_sf.csv").drop(columns="target").to_numpy()


@pytest.mark.parametrize("name", ["shrout_fleiss", "shrout_fleiss_90", "sleepstudy", "hormone"])
def test_shrout_fleiss_matches_psych(name):
    ref = ICC[ICC["data"] == name].reset_index(drop=True)
    x = {"sleepstudy": _sleep_wide, "hormone": _hormone_wide}.get(name, lambda: SF)()
    out = shrout_fleiss_icc(x, conf_level=float(ref["conf_level"].iloc[0]))
    assert out["type"].tolist() == ref["type"].tolist()
    for ours, theirs in [("estimate", "icc"), ("statistic", "f"), ("df1", "df1"), ("df2", "df2"),
                         ("conf_low", "conf_low"), ("conf_high", "conf_high")]:
        np.testing.assert_allclose(out[ours], ref[theirs], rtol=0, atol=TOL, err_msg=ours)
    np.testing.assert_allclose(out["p_value"], ref["p_value"], rtol=1e-6, atol=1e-12)


def test_shrout_fleiss_published_values():
    # Shrout & Fleiss (1979), Table 4: .17 .29 .71 .44 .62 .91
    est = shrout_fleiss_icc(SF)["estimate"].round(2).tolist()
    assert est == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]


def test_shrout_fleiss_bad_input():
    x = SF.astype(float).copy()
    x[2, 1] = np.nan
    with pytest.raises(DataError, match=r"row\(s\) \[2\]"):
        shrout_fleiss_icc(x)
    with pytest.raises(DataError, match="at least 2"):
        shrout_fleiss_icc(SF[:1])
    with pytest.raises(ModelError, match="conf_level"):
        shrout_fleiss_icc(SF, conf_level=95)


MIXED = pd.read_csv(REF / "sampling_reliability_mixed_icc.csv")


@pytest.mark.parametrize("i", range(len(MIXED)))
def test_mixed_icc_matches_performance(i):
    ref = MIXED.iloc[i]
    if ref["data"] == "sleepstudy":
        d, y, s = pd.read_csv(REF / "sleepstudy.csv"), "Reaction", "Subject"
        cov = ["Days"] if "Days" in ref["formula"] else []
    else:
        d, y, s = (pd.read_csv(REF / "sampling_reliability_hormone_missing.csv"), "log_cortisol",
                   "subject")
        cov = ["weekend"] if "weekend" in ref["formula"] else []
    before = d.copy()
    out = mixed_icc(d, y=y, subject=s, covariates=cov)
    pd.testing.assert_frame_equal(d, before)
    assert out["icc"] == pytest.approx(ref["icc_adjusted"], abs=TOL)
    assert out["icc_conditional"] == pytest.approx(ref["icc_conditional"], abs=TOL)
    assert out["var_intercept"] == pytest.approx(ref["var_intercept"], rel=1e-5)
    assert out["var_residual"] == pytest.approx(ref["var_residual"], rel=1e-5)
    assert (out["n_obs"], out["n_subjects"]) == (ref["n_obs"], ref["n_subjects"])
    assert len(out["dropped"]) == len(d) - ref["n_obs"]


def test_spearman_brown_against_closed_form_and_psych():
    sb = pd.read_csv(REF / "sampling_reliability_spearman_brown.csv")
    np.testing.assert_allclose(spearman_brown(sb["r"], sb["k"]), sb["reliability"], atol=1e-12)
    np.testing.assert_allclose(samples_for_reliability(sb["r"], 0.8), sb["k_needed"], atol=1e-12)
    # psych's ICC1k is the Spearman-Brown step-up of its ICC1 (k = 10 days of sleepstudy)
    ref = ICC[ICC["data"] == "sleepstudy"].set_index("type")["icc"]
    assert spearman_brown(ref["ICC1"], 10) == pytest.approx(ref["ICC1k"], abs=1e-12)
    # the number of days for the reliability reached is k again
    assert samples_for_reliability(ref["ICC1"], ref["ICC1k"]) == pytest.approx(10, abs=1e-9)
    assert samples_for_reliability(-0.1) == np.inf
    with pytest.raises(ModelError, match="target"):
        samples_for_reliability(0.3, 1.0)


def test_sampling_reliability_summary_on_hormone_data():
    d = pd.read_csv(REF / "sampling_reliability_hormone_missing.csv")
    res = hs.sampling_reliability(d, y="log_cortisol", subject="subject", occasion="day",
                                  covariates=["weekend"], target=0.9)
    row = res.table.iloc[0]
    ref = MIXED[MIXED["formula"].str.contains("weekend")
                & (MIXED["data"] == "hormone_missing")].iloc[0]
    assert row["icc"] == pytest.approx(ref["icc_adjusted"], abs=TOL)
    assert row["n_obs"] == ref["n_obs"]
    per = ref["n_obs"] / ref["n_subjects"]
    assert row["reliability_of_mean"] == pytest.approx(
        per * row["icc"] / (1 + (per - 1) * row["icc"]), abs=1e-12)
    assert row["samples_needed"] == pytest.approx(0.9 * (1 - row["icc"]) / (row["icc"] * 0.1))
    # the Shrout-Fleiss forms use only persons with all 6 days; log names the others
    wide = d.pivot(index="subject", columns="day", values="log_cortisol").dropna()
    direct = shrout_fleiss_icc(wide.to_numpy()).set_index("type")
    assert row["n_complete"] == len(wide) and row["n_occasions"] == 6
    assert row["icc1"] == pytest.approx(direct.loc["ICC1", "estimate"], abs=1e-12)
    assert row["icc2_conf_low"] == pytest.approx(direct.loc["ICC1k", "conf_low"], abs=1e-12)
    incomplete = set(d["subject"]) - set(wide.index)
    logged = set(res.excluded.loc[res.excluded["reason"].str.contains("occasion"),
                                  "subject_id"])
    assert logged == incomplete
    assert (res.excluded["reason"] == "missing log_cortisol").sum() == d["log_cortisol"].isna().sum()
    text = res.summary()
    assert "ICC3k" in text and "Spearman-Brown" in text
    assert "<table" in res._repr_html_()
    assert res.n_obs == ref["n_obs"]


def test_sampling_reliability_balanced_mixed_equals_anova():
    x = _sleep_wide()
    d = pd.read_csv(REF / "sleepstudy.csv")
    res = sampling_reliability(d, y=["Reaction"], subject="Subject", occasion="Days")
    row = res.table.iloc[0]
    ref = ICC[(ICC["data"] == "sleepstudy") & (ICC["type"] == "ICC1")].iloc[0]
    assert row["icc"] == pytest.approx(ref["icc"], abs=TOL)
    assert row["icc1"] == pytest.approx(ref["icc"], abs=1e-12)
    assert row["reliability_of_mean"] == pytest.approx(row["icc2"], abs=TOL)
    assert len(res.excluded) == 0 and x.shape == (18, 10)


def test_sampling_reliability_recovers_known_icc():
    """Simulated cortisol: person SD 0.4, sample SD 0.6 -> ICC 0.16 / 0.52 = 0.3077."""
    rng = np.random.default_rng(11)
    n, k = 400, 8
    d = pd.DataFrame({"id": np.repeat(np.arange(n), k), "day": np.tile(np.arange(k), n)})
    d["c"] = 2 + rng.normal(0, 0.4, n)[d["id"]] + rng.normal(0, 0.6, len(d))
    row = sampling_reliability(d, y="c", subject="id", occasion="day").table.iloc[0]
    truth = 0.16 / 0.52
    assert row["icc"] == pytest.approx(truth, abs=0.04)
    assert row["icc1_conf_low"] < truth < row["icc1_conf_high"]
    assert row["samples_needed"] == pytest.approx(samples_for_reliability(truth), rel=0.25)


def test_sampling_reliability_errors():
    d = pd.read_csv(REF / "sampling_reliability_hormone.csv")
    with pytest.raises(DataError, match="share a subject and occasion"):
        sampling_reliability(pd.concat([d, d.iloc[:1]]), y="log_cortisol", subject="subject",
                             occasion="day")
    with pytest.raises(DataError, match="nope"):
        sampling_reliability(d, y="nope", subject="subject", occasion="day")
    with pytest.raises(ModelError, match="target"):
        sampling_reliability(d, y="log_cortisol", subject="subject", occasion="day", target=80)


GT = pd.read_csv(REF / "sampling_reliability_gt.csv")
COEF = ["RkF", "R1R", "RkR", "Rc", "RkRn", "Rcn"]
COMP = ["var_id", "var_time", "var_items", "var_id_time", "var_id_items", "var_time_items",
        "var_residual"]


@pytest.mark.parametrize("name", ["shrout_lane", "diary"])
def test_multilevel_reliability_matches_psych(name):
    if name == "shrout_lane":
        d = pd.read_csv(REF / "sampling_reliability_shrout_lane.csv")
        res = multilevel_reliability(d, subject="Person", occasion="Time",
                                     items=["Item1", "Item2", "Item3"])
    else:
        d = pd.read_csv(REF / "sampling_reliability_diary.csv")
        res = hs.multilevel_reliability(d, subject="person", occasion="day",
                                        items=[f"mood{i}" for i in range(1, 5)])
    ref = GT[GT["data"] == name].set_index("quantity")["value"]
    np.testing.assert_allclose(res.table["estimate"], ref[COEF], atol=TOL)
    crossed = res.components[res.components["model"] == "crossed"]
    np.testing.assert_allclose(crossed["variance"], ref[COMP], atol=1e-9)
    nested = res.components[res.components["model"] == "nested"]
    np.testing.assert_allclose(
        nested["variance"], ref[["var_id_nested", "var_id_time_nested", "var_residual_nested"]],
        rtol=1e-5)
    # psych's own nested values (nlme at its default tolerance) agree to about 1e-4
    np.testing.assert_allclose(res.table["estimate"].iloc[4:],
                               ref[["RkRn_psych", "Rcn_psych"]], atol=1e-4)
    assert (len(res.notes) > 0) == (name == "diary")  # the diary has negative components
    assert "Shrout & Lane" in res.summary()


def test_multilevel_reliability_needs_complete_design():
    d = pd.read_csv(REF / "sampling_reliability_shrout_lane.csv")
    items = ["Item1", "Item2", "Item3"]
    with pytest.raises(DataError, match="every person needs every occasion"):
        multilevel_reliability(d.iloc[1:], subject="Person", occasion="Time", items=items)
    bad = d.copy()
    bad.loc[3, "Item2"] = np.nan
    with pytest.raises(DataError, match="missing answer"):
        multilevel_reliability(bad, subject="Person", occasion="Time", items=items)


def test_study_table_and_qc_command_on_the_cycle_study(capsys):
    from hormonestats.cli import main
    from hormonestats.derive.processing import process_study
    from hormonestats.report.glossary import explain_column
    from hormonestats.workflows.sampling_qc import SAMPLING_COLUMNS, sampling_reliability_table

    processed = process_study(hs.read_dataset("cycle_study"))
    table = sampling_reliability_table(processed).set_index("analyte")
    assert list(table.reset_index().columns) == SAMPLING_COLUMNS
    assert len(SAMPLING_COLUMNS) <= 16  # shown inline in report.html
    assert all(explain_column(c) for c in SAMPLING_COLUMNS)
    # the same numbers as the public call on the processed samples (log scale, session x sample)
    s = processed.samples.samples
    e2 = s[s["analyte"] == "estradiol"]
    d = pd.DataFrame({"id": e2["subject_id"], "occ": e2["session"].astype(str) + "/"
                      + e2["sample_number"].astype(str), "y": np.log(e2["value"])})
    direct = sampling_reliability(d, y="y", subject="id", occasion="occ").table.iloc[0]
    row = table.loc["estradiol"]
    assert row["value_scale"] == "log" and row["n_readings"] == len(e2)
    for col in ("icc", "icc1", "icc1_conf_low", "icc2", "samples_needed"):
        assert row[col] == pytest.approx(direct[col], abs=1e-12)
    # progesterone's between-person variance is on its boundary: no number of samples suffices
    assert table.loc["progesterone", "samples_needed"] == np.inf
    assert main(["qc", "schemas/cycle_study.yaml", "hormonestats/datasets/cycle_study"]) == 0
    out = capsys.readouterr().out
    assert "Reliability of repeated sampling" in out and "samples_needed" in out


def test_no_table_for_a_study_sampled_once():
    from hormonestats.derive.processing import process_study
    from hormonestats.workflows.sampling_qc import sampling_reliability_table

    assert sampling_reliability_table(process_study(hs.read_dataset("couples_study"))) is None


def test_readings_without_variation_are_refused_in_words_and_noted_in_qc():
    from hormonestats.errors import DataError
    from hormonestats.models.sampling_reliability import shrout_fleiss_icc

    with pytest.raises(DataError, match="do not vary between persons"):
        shrout_fleiss_icc([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])
    with pytest.raises(DataError, match="do not vary within persons"):
        shrout_fleiss_icc([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])


ICC_INTERVAL = pd.read_csv(REF / "sampling_reliability_icc_interval.csv")


@pytest.mark.parametrize("i", range(len(ICC_INTERVAL)))
def test_mixed_icc_interval_matches_lme4_profile(i):
    """The ICC's profile-likelihood interval against the same profile solved in R from lme4's
    REML criterion (1e-6); performance::icc's bootstrap interval, a different method, is in
    the reference file for context only."""
    ref = ICC_INTERVAL.iloc[i]
    if ref["data"] == "sleepstudy":
        d, y, s = pd.read_csv(REF / "sleepstudy.csv"), "Reaction", "Subject"
        cov = ["Days"] if "Days" in ref["formula"] else []
    else:
        d, y, s = (pd.read_csv(REF / "sampling_reliability_hormone_missing.csv"), "log_cortisol",
                   "subject")
        cov = ["weekend"] if "weekend" in ref["formula"] else []
    out = mixed_icc(d, y=y, subject=s, covariates=cov)
    assert out["icc"] == pytest.approx(ref["icc"], abs=1e-6)
    assert out["icc_conf_low"] == pytest.approx(ref["icc_conf_low"], abs=1e-6)
    assert out["icc_conf_high"] == pytest.approx(ref["icc_conf_high"], abs=1e-6)
    assert out["icc_conf_low"] < out["icc"] < out["icc_conf_high"]
    narrow = mixed_icc(d, y=y, subject=s, covariates=cov, conf_level=0.5)
    assert out["icc_conf_low"] < narrow["icc_conf_low"] < narrow["icc_conf_high"] < out[
        "icc_conf_high"]


def test_mixed_icc_interval_reaches_zero_without_between_person_variance():
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"id": np.repeat(np.arange(25), 4)})
    d["y"] = rng.normal(0, 1, len(d))
    out = mixed_icc(d, y="y", subject="id")
    assert out["icc_conf_low"] == 0.0 and 0 <= out["icc"] < out["icc_conf_high"] < 1


@pytest.mark.slow
def test_mixed_icc_interval_covers_the_true_icc():
    """Simulated coverage: 600 studies of 40 persons x 4 samples, true ICC 0.4, some samples
    missing; the 95% profile interval covers the truth in 93-97% (binomial SE 0.9%)."""
    rng = np.random.default_rng(26)
    hits = 0
    n_sim = 600
    for _ in range(n_sim):
        d = pd.DataFrame({"id": np.repeat(np.arange(40), 4)})
        d["y"] = rng.normal(0, np.sqrt(0.4), 40)[d["id"]] + rng.normal(0, np.sqrt(0.6), len(d))
        d = d[rng.random(len(d)) > 0.1]
        out = mixed_icc(d, y="y", subject="id")
        hits += out["icc_conf_low"] <= 0.4 <= out["icc_conf_high"]
    assert 0.93 <= hits / n_sim <= 0.97
