"""hs.multiverse: specification counts, the default specification, recovery of a known effect,
the specification-curve tests under the null (Simonsohn, Simmons & Nelson 2020), the figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.errors import ModelError
from hormonestats.models.specification_inference import null_inference
from hormonestats.workflows.pipeline import DEFAULT_MAPPING

MAPPING = {**DEFAULT_MAPPING, "estradiol": "log_estradiol"}
_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sim_study():
    return hs.simulate_study("between", n=600, seed=11,
                             effects={"estradiol_x_oxytocin": 0.5})


@pytest.fixture(scope="module")
def sim_result(sim_study):
    return hs.multiverse(
        sim_study, hypothesis="estradiol_oxytocin", mapping=MAPPING,
        decisions={"lod": ["lod/2", "lod/sqrt2", "excluded", "censored"],
                   "max_cv": ["none", "15"], "outliers": ["kept", "winsorized", "excluded"]},
        covariate_sets=[["sex"], []], covariates=["sex"], n_null=100, seed=5,
    )


def test_specifications_are_the_product_less_the_listed_impossible_ones(sim_result):
    product = 4 * 2 * 3 * 2
    assert len(sim_result.table) + len(sim_result.skipped) == product
    # a censored likelihood cannot serve a hormone that is a predictor: listed with the reason
    assert (sim_result.skipped["lod"] == "censored").all()
    assert len(sim_result.skipped) == 2 * 3 * 2
    assert sim_result.skipped["reason"].str.contains("censored likelihood").all()
    assert (sim_result.table["status"] == "tested").all()
    assert sim_result.table["spec_id"].is_unique
    assert list(sim_result.table["spec_id"]) == sorted(sim_result.table["spec_id"])


def test_default_specification_is_the_planned_analysis(sim_study, sim_result):
    default = sim_result.table[sim_result.table["is_default"]]
    assert len(default) == 1
    table = hs.process_study(sim_study).table
    planned = hs.test_hypotheses(table, mapping=MAPPING, hypotheses=["estradiol_oxytocin"],
                                 covariates=["sex"]).table.iloc[0]
    row = default.iloc[0]
    assert row["estimate"] == pytest.approx(planned["estimate"], rel=1e-12)
    assert row["p_value"] == pytest.approx(planned["p_value"], rel=1e-10)
    assert row["n"] == planned["n"]


def test_median_estimate_recovers_the_truth(sim_study, sim_result):
    truth = sim_study.truth["models"]["rmet_total"]["coef"]["oxytocin:log_estradiol"]
    tested = sim_result.table
    median = tested["estimate"].median()
    se = tested["std_error"].median()
    assert abs(median - truth) < 2.5 * se
    assert truth > 3 * se  # the effect is large enough for the check to mean something


def test_exclusions_change_the_analysed_n(sim_result):
    tab = sim_result.table
    n_kept = tab.loc[tab["outliers"] == "kept", "n"].max()
    n_excl = tab.loc[tab["outliers"] == "excluded", "n"].max()
    assert n_excl <= n_kept
    lod_excluded = tab.loc[tab["lod"] == "excluded", "n"].min()
    assert lod_excluded <= tab.loc[tab["lod"] == "lod/sqrt2", "n"].min()


def test_outlier_and_transform_choices_on_a_table():
    from hormonestats.models.hypotheses import hypotheses
    from hormonestats.workflows.multiverse import _apply_table_decisions

    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(1.0, 0.3, 99), 6.0]  # one value far beyond 3 SD (log scale)
    table = pd.DataFrame({"log_estradiol": values, "rmet_total": rng.normal(size=100)})
    hyp = hypotheses["estradiol_oxytocin"]
    cols = {"y": "rmet_total", "x": "oxytocin_arm", "m": "log_estradiol"}
    before = table.copy()
    mean, sd = values.mean(), values.std(ddof=1)
    wins = _apply_table_decisions(table, {"outliers": "winsorized"}, hyp, cols, {})
    assert wins["log_estradiol"].max() == pytest.approx(mean + 3 * sd)
    excl = _apply_table_decisions(table, {"outliers": "excluded"}, hyp, cols, {})
    assert excl["log_estradiol"].isna().sum() == 1 and np.isnan(excl["log_estradiol"].iloc[-1])
    raw = _apply_table_decisions(table, {"transform": "none"}, hyp, cols, {})
    np.testing.assert_allclose(raw["log_estradiol"], np.exp(values))
    rin = _apply_table_decisions(table, {"transform": "rank_normal"}, hyp, cols, {})
    assert rin["log_estradiol"].mean() == pytest.approx(0, abs=1e-12)
    assert rin["log_estradiol"].iloc[-1] == pytest.approx(
        stats.norm.ppf((100 - 3 / 8) / (100 + 1 / 4)))
    pd.testing.assert_frame_equal(table, before)
    assert_untouched = rin["rmet_total"].equals(table["rmet_total"])
    assert assert_untouched


def test_contraception_subset_leaves_out_every_hormonal_method():
    from hormonestats.models.hypotheses import hypotheses
    from hormonestats.registry.contraception import CONTRACEPTION
    from hormonestats.workflows.multiverse import _apply_table_decisions

    table = pd.DataFrame({"contraception": [*CONTRACEPTION, None],
                          "log_estradiol": np.arange(len(CONTRACEPTION) + 1.0)})
    cols = {"y": "rmet_total", "x": "oxytocin_arm", "m": "log_estradiol"}
    kept = _apply_table_decisions(table, {"contraception": "non_users"},
                                  hypotheses["estradiol_oxytocin"], cols, {})
    assert sorted(kept["contraception"].dropna()) == ["copper_iud", "none"]
    assert kept["contraception"].isna().sum() == 1  # not recorded (e.g. men): kept


def test_decisions_that_matter_sum_to_at_most_one(sim_result):
    imp = sim_result.importance()
    assert set(imp["decision"]) == set(sim_result.decisions)
    assert (imp["variance_share"] >= 0).all() and imp["variance_share"].sum() <= 1 + 1e-9
    # the covariate set changes every estimate a little; the summary names it
    assert "covariates" in sim_result.summary()


def test_inference_with_a_true_effect_rejects(sim_result):
    inf = sim_result.inference.set_index("test")
    assert inf.loc["median estimate", "p_value"] < 0.05
    assert inf.loc["share significant in the predicted direction", "observed"] > 0.5
    assert (inf["n_null"] == 100).all()


def test_same_seed_same_table(sim_study):
    kw = dict(hypothesis="estradiol_oxytocin", mapping=MAPPING,
              decisions={"outliers": ["kept", "excluded"], "transform": ["log", "rank_normal"]},
              n_null=20, seed=3)
    a = hs.multiverse(sim_study, **kw)
    b = hs.multiverse(sim_study, **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.inference, b.inference)


def test_same_table_with_one_or_two_workers(sim_study):
    kw = dict(hypothesis="estradiol_oxytocin", mapping=MAPPING,
              decisions={"lod": ["lod/2", "excluded"], "max_cv": ["none", "15"],
                         "outliers": ["kept", "excluded"]}, seed=4)
    one = hs.multiverse(sim_study, **kw)
    two = hs.multiverse(sim_study, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.skipped, two.skipped)


def test_decisions_that_cannot_apply_are_listed_with_reasons(sim_study):
    res = hs.multiverse(sim_study, hypothesis="estradiol_oxytocin", mapping=MAPPING,
                        decisions={"genotype_coding": ["additive", "dominant"],
                                   "car_delay": ["none", "10"]})
    # the default (the hypothesis's own coding: additive for this one) runs; others skip
    assert len(res.table) == 1
    reasons = set(res.skipped["reason"])
    assert any("no genotype variable" in r for r in reasons)
    assert any("no delay from waking" in r for r in reasons)


def test_awakening_delay_rule_leaves_samples_out(sim_study):
    samples = sim_study.tables["samples"].copy()
    rng = np.random.default_rng(0)
    samples["delay"] = rng.choice([0.0, 7.0, 20.0], size=len(samples))
    study = type(sim_study)(contract=sim_study.contract,
                            tables={**sim_study.tables, "samples": samples})
    before = samples.copy()
    res = hs.multiverse(study, hypothesis="estradiol_oxytocin", mapping=MAPPING,
                        decisions={"car_delay": ["none", "5", "15"]})
    n = res.table.set_index("car_delay")["n"]
    assert n["5"] < n["15"] <= n["none"]
    pd.testing.assert_frame_equal(study.tables["samples"], before)  # the caller's data


def test_genotype_codings_for_a_gene_hypothesis(sim_study):
    res = hs.multiverse(sim_study, hypothesis="oxtr_genotype", mapping=MAPPING,
                        decisions={"genotype_coding": ["additive", "dominant", "recessive",
                                                       "grouping"]})
    assert set(res.table["genotype_coding"]) == {"additive", "dominant", "recessive",
                                                 "grouping"}
    assert res.table["status"].eq("tested").all()
    assert res.table["estimate"].nunique() >= 3
    assert res.table.loc[res.table["is_default"], "genotype_coding"].item() == "dominant"


def test_user_filters_and_bad_decisions(sim_study):
    res = hs.multiverse(sim_study, hypothesis="estradiol_oxytocin", mapping=MAPPING,
                        filters={"women": lambda t: t["sex"] == "female"})
    sub = res.table.set_index("subset")
    assert sub.loc["women", "n"].max() < sub.loc["all", "n"].min()
    with pytest.raises(ModelError, match="unknown decision 'lodd'"):
        hs.multiverse(sim_study, hypothesis="estradiol_oxytocin", mapping=MAPPING,
                      decisions={"lodd": ["x"]})
    with pytest.raises(ModelError, match="unknown choice"):
        hs.multiverse(sim_study, hypothesis="estradiol_oxytocin", mapping=MAPPING,
                      decisions={"outliers": ["trimmed"]})
    with pytest.raises(ModelError, match="unknown hypothesis"):
        hs.multiverse(sim_study, hypothesis="nope", mapping=MAPPING)


def test_share_significant_test_holds_its_size_under_the_null():
    """Under a true null the share-significant test rejects at about 5% (fast, designs direct)."""
    rng = np.random.default_rng(2024)
    n_data, n, rejections = 300, 80, 0
    for _ in range(n_data):
        x = rng.normal(size=n)
        m = rng.normal(size=n)
        z = rng.normal(size=n)
        y = 0.5 * m + 0.3 * z + rng.normal(size=n)
        ids = np.array([f"s{i}" for i in range(n)])
        designs, rows = [], []
        for k, cov in enumerate([None, z, np.clip(z, -1, 1)]):
            cols = [np.ones(n), x, m] + ([] if cov is None else [cov])
            X = np.column_stack(cols)
            beta, *_ = np.linalg.lstsq(X, y, rcond=None)
            resid = y - X @ beta
            df = n - X.shape[1]
            cov_b = resid @ resid / df * np.linalg.inv(X.T @ X)
            t = beta[1] / np.sqrt(cov_b[1, 1])
            rows.append({"spec_id": k, "estimate": beta[1], "p_value": 2 * stats.t.sf(abs(t), df),
                         "status": "tested"})
            designs.append((X, y, 1, ids))
        inf, _ = null_inference(pd.DataFrame(rows), designs, predicted_sign=1, alpha=0.05,
                                n_null=99, seed=int(rng.integers(1 << 31)))
        p = inf.set_index("test").loc["median estimate", "p_value"]
        rejections += p <= 0.05
    rate = rejections / n_data
    assert 0.02 <= rate <= 0.085, rate


def test_specification_curve_figure(sim_result):
    fig = hs.plots.specification_curve(sim_result)
    top, bottom = fig.axes[:2]
    n = len(sim_result.table)
    assert sum(len(c.get_offsets()) for c in top.collections if hasattr(c, "get_offsets")) >= n
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert "outliers: excluded" in labels and "lod: lod/2" in labels
    assert fig.get_size_inches()[0] <= 8


def test_cli_multiverse_writes_a_results_folder(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "mv"
    cmd = [sys.executable, "-m", "hormonestats", "multiverse", "estradiol_oxytocin",
           "--contract", "schemas/example_study.yaml",
           "--data", "hormonestats/datasets/example_study", "--out", str(out),
           "--decision", "outliers=kept,excluded", "--decision", "lod=lod/2,censored",
           "--covariate", "sex", "--n-null", "50"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=_ROOT)
    assert done.returncode == 0, done.stderr
    specs = pd.read_csv(out / "tables" / "specifications.csv")
    skipped = pd.read_csv(out / "tables" / "skipped.csv")
    assert len(specs) == 2 and len(skipped) == 2
    assert (out / "figures" / "specification_curve.png").stat().st_size > 10_000
    assert "Simonsohn" in (out / "methods.md").read_text()
    bad = subprocess.run(cmd[:5] + cmd[5:11] + ["--decision", "lodd=x"], capture_output=True,
                         text=True, cwd=_ROOT)
    assert bad.returncode == 2 and "unknown decision 'lodd'" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_share_significant_rejects_at_nominal_rate_through_the_whole_path():
    """200 simulated studies with no interaction: the tests under the null reject at ~5%."""
    rejections = np.zeros(3)
    n_data = 200
    for k in range(n_data):
        study = hs.simulate_study("between", n=160, seed=1000 + k,
                                  effects={"estradiol_x_oxytocin": 0.0})
        res = hs.multiverse(study, hypothesis="estradiol_oxytocin", mapping=MAPPING,
                            decisions={"outliers": ["kept", "winsorized"],
                                       "transform": ["log", "rank_normal"]},
                            n_null=199, seed=k)
        rejections += (res.inference["p_value"].to_numpy() <= 0.05)
    rate = rejections / n_data
    # Monte-Carlo SE of a 5% rate over 200 data sets is 1.5 points
    assert rate[0] <= 0.05 + 3 * 0.0154 and rate[1] <= 0.05 + 3 * 0.0154, rate


def test_cli_multiverse_refuses_the_data_folder_unknown_columns_and_invalid_studies(tmp_path):
    import shutil
    import subprocess
    import sys

    data = tmp_path / "data"
    shutil.copytree(_ROOT / "hormonestats" / "datasets" / "example_study", data)
    (tmp_path / "contract").mkdir()
    contract = tmp_path / "contract" / "study.yaml"
    shutil.copy(_ROOT / "schemas" / "example_study.yaml", contract)
    before = sorted(p.name for p in data.iterdir())

    def cli(*extra):
        cmd = [sys.executable, "-m", "hormonestats", "multiverse", "estradiol_oxytocin",
               "--contract", str(contract), "--data", str(data), "--n-null", "0",
               "--decision", "outliers=kept,excluded", *extra]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=_ROOT)

    into_data = cli("--out", str(data))
    assert into_data.returncode == 2 and "holds the study's data" in into_data.stderr
    assert sorted(p.name for p in data.iterdir()) == before
    misspelt = cli("--out", str(tmp_path / "mv"), "--map", "outcome=rmet_totl")
    assert misspelt.returncode == 2 and "closest rmet_total" in misspelt.stderr
    samples = data / "samples.csv"
    samples.write_text(samples.read_text().replace("nmol/L", "furlongs", 1))
    invalid = cli("--out", str(tmp_path / "mv2"))
    assert invalid.returncode == 2 and "furlongs" in invalid.stderr
    for proc in (into_data, misspelt, invalid):
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "mv").exists() and not (tmp_path / "mv2").exists()
