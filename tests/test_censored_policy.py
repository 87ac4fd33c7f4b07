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
