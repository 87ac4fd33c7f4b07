"""Hypotheses whose models would give numbers that mean nothing are "not tested", with the
reason, never with a number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs

MAPPING = {"outcome": "rmet", "oxytocin": "ot", "estradiol": "e2", "anxiety": "anx",
           "progesterone": "p4"}


def _data(n=120, seed=4):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"ot": rng.integers(0, 2, n), "e2": rng.normal(size=n),
                      "p4": rng.normal(size=n), "age": rng.normal(30, 5, n),
                      "sex": rng.choice(["female", "male"], n)})
    d["rmet"] = 0.2 * d.ot + 0.5 * d.ot * d.e2 + rng.normal(size=n)
    d["anx"] = -0.3 * d.p4 + rng.normal(size=n)
    return d


def _row(data, hypothesis, covariates=()):
    fam = hs.test_hypotheses(data, mapping=MAPPING, hypotheses=[hypothesis],
                             covariates=list(covariates), seed=1, n_boot=50)
    return fam.table.iloc[0], fam


CASES = {
    "constant outcome": (lambda d: d.assign(rmet=3.0), "estradiol_oxytocin", (),
                         "the outcome rmet has no variance"),
    "constant predictor": (lambda d: d.assign(p4=1.5), "progesterone_anxiety", (),
                           "the predictor p4 has no variance"),
    "outcome among its covariates": (lambda d: d, "progesterone_anxiety", ("anx",),
                                     "the outcome anx is also given as a covariate"),
    "covariate collinear with a predictor": (
        lambda d: d.assign(p4_ng=d.p4 * 0.314 + 2), "progesterone_anxiety", ("p4_ng",),
        "the covariate p4_ng is collinear"),
    "categorical covariate that is a predictor's coding": (
        lambda d: d.assign(arm=np.where(d.ot == 1, "oxytocin", "placebo")),
        "estradiol_oxytocin", ("arm",), "the covariate arm is collinear"),
    "constant covariate": (lambda d: d.assign(site="A"), "progesterone_anxiety", ("site",),
                           "the covariate site has no variance"),
    "fewer rows than parameters": (lambda d: pd.concat([d[d.ot == 0].head(2),
                                                        d[d.ot == 1].head(2)]),
                                   "estradiol_oxytocin", (),
                                   "only 4 complete rows for 4 model parameters"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_meaningless_models_are_not_tested_and_get_no_numbers(case):
    make, hypothesis, covariates, reason = CASES[case]
    data = make(_data())
    kept = data.copy()
    row, fam = _row(data, hypothesis, covariates)
    assert row["status"] == "not tested", (case, row["reason"])
    assert reason in row["reason"], (case, row["reason"])
    numbers = row[["estimate", "std_error", "conf_low", "conf_high", "p_value", "p_fdr"]]
    assert numbers.isna().all() and not row["agrees"]
    assert hypothesis not in fam.results
    pd.testing.assert_frame_equal(data, kept)


def test_sound_models_are_still_tested_and_a_predictor_covariate_is_left_out():
    row, _ = _row(_data(), "progesterone_anxiety", ("age", "sex"))
    assert row["status"] == "tested" and np.isfinite(row["p_value"])
    row, _ = _row(_data(), "progesterone_anxiety", ("p4",))
    assert row["status"] == "tested"
    assert "left out: p4" in row["reason"]


def test_console_never_claims_an_adjustment_it_did_not_make(tmp_path, capsys):
    from hormonestats.cli import main
    from hormonestats.datasets import dataset_path

    example = dataset_path("example_study")
    code = main(["run", "estradiol_oxytocin", "--contract", str(example / "contract.yaml"),
                 "--data", str(example), "--out", str(tmp_path / "r"), "--n-boot", "20",
                 "--covariate", "rmet_total"])
    out = capsys.readouterr().out
    assert code == 3  # the only hypothesis could not be tested
    assert "adjusted for rmet_total" not in out
    assert "not used as a covariate by any tested model: rmet_total" in " ".join(out.split())
    table = pd.read_csv(tmp_path / "r" / "tables" / "hypotheses.csv")
    assert table.loc[0, "status"] == "not tested"
    assert "also given as a covariate" in table.loc[0, "reason"]
    assert table[["estimate", "p_value"]].isna().all().all()
