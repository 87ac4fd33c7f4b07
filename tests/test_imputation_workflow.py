"""hs.impute on a study, the hypothesis family pooled over imputations, run --impute, the
multiverse's missing-data decision."""

import json

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.cli import main
from hormonestats.datasets import dataset_path
from hormonestats.results import protocol_problems
from hormonestats.workflows import imputation as mi
from hormonestats.workflows.roles import DEFAULT_MAPPING

EXAMPLE = dataset_path("example_study")


@pytest.fixture(scope="module")
def study():
    return hs.read_dataset("example_study")


@pytest.fixture(scope="module")
def imputed(study):
    return hs.impute(study, m=3, seed=7, n_iter=4)


def test_impute_fills_the_model_columns_and_keeps_the_rest(study, imputed):
    table = imputed.table
    before = table.copy()
    model = imputed.model.set_index("variable")
    imputed_cols = model.index[model["n_missing"] > 0].tolist()
    assert {"log_testosterone", "log_progesterone", "pss10_total"} <= set(imputed_cols)
    for c in imputed:
        assert not c[list(model.index)].isna().any().any()
        for col in model.index:  # observed cells untouched
            obs = table[col].notna()
            assert (c.loc[obs, col] == table.loc[obs, col]).all(), col
        # concentrations filled from their log, arm from its code, contraception untouched
        gap = table["testosterone"].isna()
        np.testing.assert_allclose(c.loc[gap, "testosterone"], np.exp(c.loc[gap, "log_testosterone"]))
        assert c["contraception"].isna().sum() == table["contraception"].isna().sum()
        pairs = c[["oxytocin_arm", "arm"]].drop_duplicates()
        assert len(pairs) == 2
    pd.testing.assert_frame_equal(imputed.table, before)


def test_below_lod_readings_are_imputed_below_the_lod(study, imputed):
    bounds = mi._lod_bounds(study, imputed.processed, imputed.table)
    assert set(bounds) == {"log_oxytocin", "log_progesterone"}
    for column, bound in bounds.items():
        rows = np.isfinite(bound)
        assert rows.sum() > 0
        for c in imputed:
            values = c.loc[rows, column].to_numpy()
            assert (values < bound[rows]).all()
            assert (c.loc[rows, column.removeprefix("log_")] > 0).all()
    text = imputed.methods_text()
    assert "within (0, LOD)" in text and "m = 3 imputations" in text and "seed 7" in text


def test_same_seed_same_tables(study, imputed):
    again = hs.impute(study, m=3, seed=7, n_iter=4)
    for a, b in zip(imputed, again):
        pd.testing.assert_frame_equal(a, b)


def test_family_pooled_over_imputations_is_rubins_rules_of_each_fit(imputed):
    fam = hs.test_hypotheses_imputed(imputed, mapping=DEFAULT_MAPPING,
                                     hypotheses=["estradiol_oxytocin", "progesterone_anxiety"],
                                     seed=3, n_boot=200)
    tab = fam.table.set_index("hypothesis")
    fits = [hs.test_hypotheses(c, mapping=DEFAULT_MAPPING, hypotheses=["estradiol_oxytocin"])
            for c in imputed]
    est = [f.table.iloc[0]["estimate"] for f in fits]
    se = [f.table.iloc[0]["std_error"] for f in fits]
    from hormonestats.models.pooling import pool_scalar

    res = fam.results["estradiol_oxytocin"]
    row = pool_scalar(est, se, dfcom=res.results[0].fit.df_resid)
    for c in ("estimate", "std_error", "p_value", "df", "fmi"):
        assert tab.loc["estradiol_oxytocin", c] == pytest.approx(row[c], rel=1e-12), c
    assert tab["m"].eq(3).all() and tab["p_fdr"].notna().all()
    assert protocol_problems(res) == []
    assert res.family == "pooled" and res.source_family in ("moderation", "ModerationResult")
    assert "fraction of missing information ranged" in mi.pooled_sentence(fam.table)


def test_family_same_numbers_on_two_workers(imputed):
    kwargs = dict(mapping=DEFAULT_MAPPING, hypotheses=["testosterone_aromatization"], seed=5,
                  n_boot=100)
    one = hs.test_hypotheses_imputed(imputed, **kwargs)
    two = hs.test_hypotheses_imputed(imputed, execution={"n_jobs": 2}, **kwargs)
    pd.testing.assert_frame_equal(one.table, two.table)


def test_run_with_impute_writes_the_methods_and_the_imputation_model(tmp_path, capsys):
    out = tmp_path / "res"
    code = main(["run", "estradiol_oxytocin", "--contract", str(EXAMPLE / "contract.yaml"),
                 "--data", str(EXAMPLE), "--out", str(out), "--n-boot", "200",
                 "--impute", "3"])
    captured = capsys.readouterr()
    assert code in (0, None), captured.err
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "multiply imputed by chained equations (m = 3" in methods
    assert "fraction of missing information" in methods
    assert "Little's MCAR test" in methods
    assert (out / "tables" / "imputation_model.csv").exists()
    assert (out / "tables" / "missing_by_variable.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["impute"]["m"] == 3
    bad = main(["run", "estradiol_oxytocin", "--contract", str(EXAMPLE / "contract.yaml"),
                "--data", str(EXAMPLE), "--out", str(tmp_path / "r2"), "--impute", "1"])
    assert bad == 2 and "at least 2" in capsys.readouterr().err


def test_multiverse_decision_complete_cases_vs_imputed(study, monkeypatch):
    assert hs.DECISIONS["missing"].choices == ("complete_cases", "imputed")
    monkeypatch.setattr(mi, "MULTIVERSE_M", 3)
    res = hs.multiverse(study, hypothesis="progesterone_anxiety", mapping=DEFAULT_MAPPING,
                        decisions={"lod": ["lod/sqrt2"],
                                   "missing": ["complete_cases", "imputed"]})
    tab = res.table.set_index("missing")
    assert (tab["status"] == "tested").all()
    assert tab.loc["imputed", "n"] == len(hs.process_study(study).table)
    assert tab.loc["complete_cases", "n"] < tab.loc["imputed", "n"]
    assert bool(tab.loc["complete_cases", "is_default"])


def test_qc_shows_the_missingness(capsys):
    code = main(["qc", str(EXAMPLE / "contract.yaml"), str(EXAMPLE)])
    out = capsys.readouterr().out
    assert code in (0, None)
    assert "Missing values by variable" in out and "Little's MCAR test" in out
