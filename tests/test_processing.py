"""The processing chain: analysis table, log, and row accounting (input = analysed + excluded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import MINI_CONTRACT, mini_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import trapezoid

import hormonestats as hs
from hormonestats.study.reading import Study


def _mini(tables=None):
    return Study(hs.load_contract(MINI_CONTRACT), tables or mini_tables())


def test_mini_study_analysis_table():
    out = hs.process_samples(_mini())
    table = out.table
    assert len(table) == 4  # one row per subject x session
    # cortisol: first scheduled sample, mean of the two wells (11.1 and 11.2 nmol/L)
    assert table["cortisol"].tolist() == pytest.approx([11.15] * 4)
    # oxytocin 15 pg/mL in pmol/L through the molar mass 1007.19 g/mol
    assert table["oxytocin"].iloc[0] == pytest.approx(15 / 1007.19 * 1000, rel=1e-6)
    assert table["log_testosterone"].iloc[0] == pytest.approx(np.log(80 / 288.42))
    # the cortisol series gives AUCs: values 11.15, 12.15, 13.15 at 0, 30, 45 min
    m = np.array([11.15, 12.15, 13.15])
    t = np.array([0, 30, 45])
    assert table["cortisol_auc_g"].iloc[0] == pytest.approx(trapezoid(m, t))
    assert table["cortisol_auc_i"].iloc[0] == pytest.approx(trapezoid(m - m[0], t))
    # the plate control is excluded from the analysis and logged
    acc = out.accounting()
    assert acc["n"].iloc[0] == len(mini_tables()["samples"])
    assert "plate control" in " ".join(acc["stage"])
    assert out.n_used_wells == len(mini_tables()["samples"]) - 1


def test_lod_policies_and_logged_substitution():
    tables = mini_tables()
    samples = tables["samples"].copy()
    samples.loc[samples["analyte"] == "oxytocin", "value"] = "<LOD"
    tables["samples"] = samples
    half = hs.process_samples(_mini(tables), lod_policy="lod/2")
    assert half.table["oxytocin"].iloc[0] == pytest.approx(0.5 / 1007.19 * 1000, rel=1e-6)
    assert (half.log["action"] == "altered").sum() == 4
    flag = hs.process_samples(_mini(tables), lod_policy="flag")
    assert flag.table["oxytocin"].isna().all()
    excluded = flag.log[flag.log["action"] == "excluded"]
    assert excluded["reason"].str.contains("no numeric value").sum() == 4
    flag.accounting()  # balances


def test_exclude_imprecise_samples_is_logged():
    tables = mini_tables()
    samples = tables["samples"].copy()
    # make S02's first cortisol sample imprecise: wells 10 and 30 -> CV about 70%
    rows = samples.index[(samples["subject_id"] == "S02") & (samples["sample_number"] == 1)
                         & (samples["analyte"] == "cortisol")]
    samples.loc[rows, "value"] = [10.0, 30.0]
    tables["samples"] = samples
    kept = hs.process_samples(_mini(tables))
    assert kept.samples["cv_flag"].sum() == 1
    dropped = hs.process_samples(_mini(tables), exclude_imprecise=True)
    reasons = dropped.log.loc[dropped.log["action"] == "excluded", "reason"]
    assert reasons.str.contains("replicate CV").sum() == 2  # both wells
    dropped.accounting()


def test_process_study_joins_scores_genotypes_and_arm():
    out = hs.process_study(_mini())
    table = out.table
    assert {"iri_pt", "iri_ec", "rs53576_add_A", "rs53576_GG_vs_Acarrier", "oxytocin_arm"} <= \
        set(table.columns)
    assert table.set_index("subject_id").loc["S02", "rs53576_GG_vs_Acarrier"] == "GG"
    assert table["oxytocin_arm"].tolist() == [1, 0, 1, 0]
    # S04's rs2254298 no-call stays missing and is logged
    assert np.isnan(table.set_index("subject_id").loc["S04", "rs2254298_add_A"])
    assert out.genotype_qc is not None and len(out.genotype_qc) == 2


def test_processing_does_not_mutate_the_study():
    study = _mini()
    before = {k: v.copy() for k, v in study.tables.items()}
    hs.process_study(study, winsorize_k=3)
    for k, v in study.tables.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_biopsykit_cortisol_features_match_trapezoid():
    study = hs.read_dataset("biopsykit_cortisol")
    out = hs.process_samples(study)
    wide = pd.read_csv("hormonestats/datasets/biopsykit_cortisol/original_cortisol_sample.csv")
    times = np.array([-30, -1, 30, 40, 50, 60, 70], dtype=float)
    vals = wide[[str(i) for i in range(7)]].to_numpy()
    expected = trapezoid(vals, times, axis=1)
    got = out.table.set_index("subject_id").loc[wide["subject"], "cortisol_auc_g"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_subjects=st.integers(1, 6),
    n_below=st.integers(0, 5),
    n_text=st.integers(0, 3),
    policy=st.sampled_from(["flag", "lod/2", "lod/sqrt2", "censored"]),
    seed=st.integers(0, 10_000),
)
def test_row_accounting_holds_on_random_studies(n_subjects, n_below, n_text, policy, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        for k, t in enumerate([0, 20, 40], start=1):
            for rep in (1, 2):
                rows.append({"subject_id": f"S{s}", "session": "a", "sample_number": k,
                             "sample_time": t, "analyte": "cortisol", "matrix": "saliva",
                             "value": float(rng.lognormal(2, 0.5)), "unit": "nmol/L",
                             "lod": 0.5, "replicate": rep, "plate_id": f"P{rep}"})
    samples = pd.DataFrame(rows).astype({"value": object})
    idx = rng.choice(len(samples), size=min(len(samples), n_below + n_text), replace=False)
    for j, i in enumerate(idx):
        samples.loc[i, "value"] = "<LOD" if j < n_below else "ND"
    try:
        out = hs.process_samples(samples, lod_policy=policy)
    except hs.DataError as err:  # every reading censored and none substituted: said plainly
        assert policy in ("flag", "censored") and "no reading is left" in str(err)
        return
    excluded = out.log[(out.log["table"] == "samples") & (out.log["action"] == "excluded")]
    assert out.n_input_rows == out.n_used_wells + len(excluded)
    assert excluded["row"].is_unique


def test_crossover_arm_is_joined_per_session():
    tables = mini_tables()
    samples = tables["samples"]
    second = samples[samples["sample_type"] == "subject"].assign(session="s2")
    tables["samples"] = pd.concat([samples, second], ignore_index=True)
    ids = ["S01", "S02", "S03", "S04"]
    tables["treatments"] = pd.DataFrame({
        "subject_id": ids * 2,
        "session": ["s1"] * 4 + ["s2"] * 4,
        "agent": ["intranasal_oxytocin", "placebo"] * 2 + ["placebo", "intranasal_oxytocin"] * 2,
        "dose": [24, 0, 24, 0, 0, 24, 0, 24], "route": "intranasal",
    })
    contract = {**MINI_CONTRACT, "design": "crossover"}
    study = Study(hs.load_contract(contract), tables)
    assert hs.validate(study).ok
    table = hs.process_study(study).table.set_index(["subject_id", "session"])
    assert table.loc[("S01", "s1"), "oxytocin_arm"] == 1
    assert table.loc[("S01", "s2"), "oxytocin_arm"] == 0
    assert table.loc[("S02", "s2"), "oxytocin_arm"] == 1


def test_cycle_study_gets_cycle_days_and_phases():
    study = hs.read_dataset("cycle_study")
    table = hs.process_study(study).table
    assert {"forward_day", "cycle_phase", "cycle_time", "ovulation_source"} <= set(table.columns)
    # forward day by hand: days since the last menses onset on or before the visit, onset = 1
    samples = study["samples"]
    onsets = study["cycles"].query("event == 'menses_onset'").assign(
        date=lambda e: pd.to_datetime(e["date"]))
    row = table.dropna(subset=["forward_day"]).iloc[5]
    visit = pd.to_datetime(samples.loc[(samples["subject_id"] == row["subject_id"])
                                       & (samples["session"].astype(str) == row["session"]),
                                       "date"]).min()
    own = onsets.loc[(onsets["subject_id"] == row["subject_id"]) & (onsets["date"] <= visit),
                     "date"].max()
    assert row["forward_day"] == (visit - own).days + 1
    assert table["cycle_time"].dropna().between(-1, 1).all()


def test_free_testosterone_from_serum_total_t_and_shbg():
    """Vermeulen et al. (1999) worked case: TT 10 nmol/L, SHBG 40 nmol/L -> FT 0.17388 nmol/L."""
    contract = {"name": "androgens", "tables": {"subjects": None, "samples": None},
                "analytes": {"testosterone": {"unit": "nmol/L", "matrix": "serum"},
                             "shbg": {"unit": "nmol/L", "matrix": "serum"}}}
    subjects = pd.DataFrame({"subject_id": ["M1", "M2"], "sex": "male"})
    samples = pd.DataFrame({"subject_id": ["M1", "M1", "M2", "M2"],
                            "analyte": ["testosterone", "shbg"] * 2, "matrix": "serum",
                            "value": [10.0, 40.0, 20.0, 30.0], "unit": "nmol/L"})
    study = Study(hs.load_contract(contract), {"subjects": subjects, "samples": samples})
    assert hs.validate(study).ok
    table = hs.process_study(study).table.set_index("subject_id")
    assert table.loc["M1", "free_testosterone"] == pytest.approx(0.17388, abs=5e-5)
    assert table.loc["M1", "free_androgen_index"] == pytest.approx(25.0)
    assert table.loc["M2", "free_androgen_index"] == pytest.approx(100 * 20 / 30)


def test_subjects_without_samples_keep_their_scores():
    """No row of the roster disappears in a merge: a subject with no hormone sample keeps its
    questionnaire scores and genotypes (hormones missing), and is flagged in the log."""
    tables = mini_tables()
    tables["samples"] = tables["samples"][tables["samples"]["subject_id"] != "S04"]
    out = hs.process_study(_mini(tables))
    table = out.table.set_index("subject_id")
    assert len(table) == 4
    assert np.isnan(table.loc["S04", "cortisol"])
    assert not np.isnan(table.loc["S04", "iri_ec"])
    flagged = out.log[(out.log["table"] == "subjects") & (out.log["subject_id"] == "S04")]
    assert flagged["reason"].str.contains("no analysable hormone sample").any()


def test_genotype_qc_within_ancestry_groups():
    study = hs.read_dataset("example_study")
    out = hs.process_study(study)
    groups = out.genotype_qc_by_ancestry
    assert set(groups["ancestry"]) == set(study["subjects"]["ancestry"])
    # per group, the genotype counts add up to the pooled counts
    pooled = out.genotype_qc.set_index("snp")["n_called"]
    assert (groups.groupby("snp")["n_called"].sum() == pooled).all()


def test_processed_results_display_briefly():
    out = hs.process_study(_mini())
    assert repr(out).startswith("ProcessedStudy(table 4 rows")
    assert "<table" in out._repr_html_() and "Log by step" in out._repr_html_()
    assert "Row accounting" in out.samples._repr_html_()
    assert "<td>samples</td>" in _mini()._repr_html_()


def test_cortisol_features_use_each_subjects_own_times():
    """Sample times that differ between subjects (every real study) still give AUCs."""
    study = hs.read_dataset("biopsykit_cortisol")
    samples = study.tables["samples"].copy()
    rng = np.random.default_rng(4)
    subjects = samples["subject_id"].unique()
    jitter = dict(zip(subjects, rng.uniform(-3.0, 3.0, size=len(subjects))))
    own = samples["sample_time"] + samples["subject_id"].map(jitter)
    own = own.where(samples["sample_time"] != samples["sample_time"].min(),
                    samples["sample_time"])  # the first sample keeps its time
    samples["sample_time"] = own
    out = hs.process_samples(samples)
    table = out.table.set_index("subject_id")
    assert table["cortisol_auc_g"].notna().all()
    ref = hs.auc(out.samples[out.samples["analyte"] == "cortisol"]).set_index("subject_id")
    np.testing.assert_allclose(table.loc[ref.index, "cortisol_auc_g"], ref["auc_g"], rtol=1e-12)
    # by hand for one subject: trapezoids over that subject's own times
    s = out.samples[out.samples["subject_id"] == subjects[0]].sort_values("sample_time")
    t, v = s["sample_time"].to_numpy(), s["value"].to_numpy()
    by_hand = sum((v[i + 1] + v[i]) * (t[i + 1] - t[i]) / 2 for i in range(len(t) - 1))
    assert table.loc[subjects[0], "cortisol_auc_g"] == pytest.approx(by_hand, rel=1e-12)
    out.accounting()


def test_two_agents_in_one_period_are_logged_not_silently_dropped():
    study = hs.read_dataset("crossover_study")
    treatments = study.tables["treatments"].copy()
    first = treatments.index[0]
    other = "placebo" if treatments.loc[first, "agent"] != "placebo" else "intranasal_oxytocin"
    extra = treatments.loc[[first]].assign(agent=other)
    tables = {**study.tables, "treatments": pd.concat([treatments, extra], ignore_index=True)}
    broken = Study(tables=tables, contract=study.contract, sources={})
    out = hs.process_study(broken)
    assert "oxytocin_arm" not in out.table.columns
    flagged = out.log[(out.log["table"] == "treatments") & (out.log["action"] == "flagged")]
    assert len(flagged) == 2 and flagged["reason"].str.contains("more than one agent").all()
    assert "oxytocin_arm" in hs.process_study(study).table.columns


def test_clock_time_sample_times_give_the_same_areas_as_minutes():
    study = hs.read_dataset("tsst_study")
    samples = study.tables["samples"].copy()
    start = pd.Timestamp("2024-05-01 14:00")
    samples["sample_time"] = (start + pd.to_timedelta(samples["sample_time"], unit="min")
                              ).dt.strftime("%H:%M")
    clock = Study(tables={**study.tables, "samples": samples}, contract=study.contract,
                  sources={})
    cols = ["cortisol_auc_g", "cortisol_auc_i", "cortisol_peak_reactivity"]
    ref = hs.process_study(study).table
    out = hs.process_study(clock)
    pd.testing.assert_frame_equal(out.table[cols], ref[cols])
    out.accounting()
