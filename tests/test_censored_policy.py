"""lod_policy="censored" through processing: below-LOD samples kept as censored at the LOD."""

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.options import LOD_POLICIES
from hormonestats.report.glossary import explain_column


def _wells():
    """Three subjects x three sessions of duplicate progesterone wells (LOD 0.5 pg/mL): both
    wells detected, both below the LOD, one of each."""
    rows = []
    for subject in ("a", "b", "c"):
        for session, values in (("1", ["4.0", "5.0"]), ("2", ["<LOD", "0.3"]),
                                ("3", ["<LOD", "0.7"])):
            for rep, value in enumerate(values, start=1):
                rows.append({"subject_id": subject, "session": session, "matrix": "saliva",
                             "analyte": "progesterone", "value": value, "unit": "pg/mL",
                             "lod": 0.5, "replicate": rep, "plate_id": "P1"})
    return pd.DataFrame(rows)


def test_censored_samples_hold_the_limit_on_the_analysed_scale():
    wells = _wells()
    before = wells.copy()
    out = hs.process_samples(wells, lod_policy="censored", transform="log")
    pd.testing.assert_frame_equal(wells, before)  # the caller's table untouched
    table = out.table.set_index(["subject_id", "session"])
    # the canonical unit's factor, from a detected sample (mean of 4 and 5 pg/mL)
    factor = table.loc[("a", "1"), "progesterone"] / 4.5
    assert factor != 1.0
    censored = table["progesterone_censored"]
    assert censored.dtype == "boolean"
    assert censored.xs("2", level="session").all()  # 0.3 < LOD 0.5: both wells below
    assert not censored.xs("1", level="session").any()
    assert not censored.xs("3", level="session").any()
    # all wells below: the LOD, on the raw and the log scale
    np.testing.assert_allclose(table.xs("2", level="session")["progesterone"], 0.5 * factor)
    np.testing.assert_allclose(table.xs("2", level="session")["log_progesterone"],
                               np.log(0.5 * factor))
    # one well detected: that well's value, uncensored; the other well excluded and logged
    np.testing.assert_allclose(table.xs("3", level="session")["progesterone"], 0.7 * factor)
    log = out.log
    dropped = log[(log["action"] == "excluded")
                  & log["reason"].str.contains("replicate of the same sample was detected")]
    assert sorted(dropped["row"]) == [4, 10, 16]  # the '<LOD' wells of session 3
    kept = log[log["reason"].str.contains("below the LOD in every replicate")]
    assert len(kept) == 6
    acc = out.accounting()  # every well used or logged
    assert acc.loc[acc["stage"] == "wells in analysed samples", "n"].item() == 15


def test_flag_policy_keeps_the_numeric_reading_censored_replaces_it():
    flag = hs.process_samples(_wells(), lod_policy="flag").table.set_index("session")
    cens = hs.process_samples(_wells(), lod_policy="censored").table.set_index("session")
    factor = flag.loc["1", "progesterone"].iloc[0] / 4.5
    # session 2: '<LOD' and 0.3 (below LOD 0.5); 'flag' keeps the number, 'censored' the LOD
    np.testing.assert_allclose(flag.loc["2", "progesterone"], 0.3 * factor)
    np.testing.assert_allclose(cens.loc["2", "progesterone"], 0.5 * factor)
    assert not any(c.endswith("_censored") for c in flag.columns)


@pytest.mark.parametrize("policy", [p for p in LOD_POLICIES if p != "censored"])
def test_other_policies_add_no_indicator(policy):
    out = hs.process_samples(_wells(), lod_policy=policy)
    assert not any(c.endswith("_censored") for c in out.table.columns)
    assert "censored_at_lod" not in out.samples.columns


def test_cycle_study_without_censoring_is_the_substituted_table_plus_false_indicators():
    study = hs.read_dataset("cycle_study")
    cens = hs.process_study(study, lod_policy="censored").table
    subst = hs.process_study(study, lod_policy="lod/sqrt2").table
    flags = [c for c in cens.columns if c.endswith("_censored")]
    assert flags == ["estradiol_censored", "progesterone_censored"]
    assert not cens[flags].any().any()
    pd.testing.assert_frame_equal(cens.drop(columns=flags), subst)


def test_glossary_explains_the_indicator():
    assert "below the LOD in every replicate" in explain_column("progesterone_censored")


def _phase_study(seed=11, n=150):
    """Simulated within-person phase contrast: log P4 = -2.3 + 1.7 * luteal + person + noise,
    readings below log LOD -2.4 censored (about a third of the follicular ones)."""
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(n), 4)
    phase = np.tile(["midfollicular", "midluteal", "midfollicular", "midluteal"], n)
    latent = (-2.3 + 1.7 * (phase == "midluteal") + rng.normal(0, 0.3, n)[person]
              + rng.normal(0, 0.3, len(person)))
    lod = -2.4
    below = latent < lod
    return pd.DataFrame({"subject_id": [f"S{p}" for p in person], "cycle_phase": phase,
                         "log_progesterone": np.where(below, lod, latent),
                         "progesterone_censored": pd.array(below, dtype="boolean")})


def test_phase_hypothesis_uses_the_censored_model_when_rows_are_censored():
    data = _phase_study()
    assert 0.1 < data["progesterone_censored"].mean() < 0.3
    fam = hs.test_hypotheses(data, hypotheses=["progesterone_luteal_within_person"])
    row = fam.table.iloc[0]
    assert fam.results["progesterone_luteal_within_person"].family == "censored_mixed"
    assert row["status"] == "tested" and row["term"] == "cycle_phase_midluteal"
    direct = hs.censored_mixed("log_progesterone ~ luteal + (1 | subject_id)",
                               data.assign(luteal=(data["cycle_phase"] == "midluteal") * 1.0),
                               censored="progesterone_censored", limit="log_progesterone")
    ref = direct.table.set_index("term").loc["luteal"]
    for col in ("estimate", "std_error", "conf_low", "conf_high"):
        assert row[col] == pytest.approx(ref[col], rel=1e-10)
    # the known truth within 3 SE; the substituted-LOD Gaussian fit is biased towards 0
    assert abs(row["estimate"] - 1.7) < 3 * row["std_error"]
    naive = hs.test_hypotheses(data.drop(columns="progesterone_censored"),
                               hypotheses=["progesterone_luteal_within_person"])
    assert naive.results["progesterone_luteal_within_person"].family == "mixed"
    assert naive.table["estimate"].iloc[0] < row["estimate"] - 2 * row["std_error"]


def test_phase_hypothesis_uses_the_linear_mixed_model_without_censored_rows():
    data = _phase_study()
    data["progesterone_censored"] = pd.array([False] * len(data), dtype="boolean")
    fam = hs.test_hypotheses(data, hypotheses=["progesterone_luteal_within_person"])
    assert fam.results["progesterone_luteal_within_person"].family == "mixed"
    direct = hs.mixed(data.assign(luteal=(data["cycle_phase"] == "midluteal") * 1.0),
                      formula="log_progesterone ~ luteal + (1 | subject_id)")
    ref = direct.table.set_index("term").loc["luteal"]
    assert fam.table["estimate"].iloc[0] == pytest.approx(ref["estimate"], rel=1e-10)
    assert fam.table["std_error"].iloc[0] == pytest.approx(ref["std_error"], rel=1e-10)


def test_a_censored_hormone_as_predictor_is_missing_not_its_limit():
    data = _phase_study()
    data["rmet_total"] = np.random.default_rng(3).normal(30, 4, len(data))
    fam = hs.test_hypotheses(data, hypotheses=["progesterone_within_person"])
    row = fam.table.iloc[0]
    assert row["status"] == "tested"
    assert row["n"] == int((~data["progesterone_censored"]).sum())
    direct = hs.mixed(data[~data["progesterone_censored"].to_numpy(bool)], y="rmet_total",
                      x="log_progesterone", subject="subject_id")
    ref = direct.table.set_index("term").loc["log_progesterone_within"]
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    assert data["log_progesterone"].notna().all()  # the caller's table untouched
