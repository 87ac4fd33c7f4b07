"""Tests of hs.therapy_over_time.

Reference: ``lmer(y ~ treatment * month + (1 + month | subject))`` with lmerTest Satterthwaite df
on data simulated by ``tests/reference/mixed.R`` (``mixed_therapy_*.csv``). Known truth in that
simulation: slope difference (testosterone vs control) 0.4 per month.
Tolerances: estimates 1e-4, SEs 1e-3 relative, df 0.05, variance components 1e-3 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "mixed_therapy_sim.csv")


@pytest.fixture(scope="module")
def res(data):
    return hs.therapy_over_time(
        data,
        y="y",
        time="month",
        treatment="treatment",
        subject="subject",
        agent="testosterone cypionate",
    )


def test_against_lmertest(res):
    ref = pd.read_csv(REF / "mixed_therapy_lmer_fixed.csv").set_index("term")
    got = res.table.set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    np.testing.assert_allclose(got["df"], ref["df"], atol=0.05)
    vc = pd.read_csv(REF / "mixed_therapy_lmer_varcorr.csv")
    mine = res.variance_components
    np.testing.assert_allclose(mine["variance"], vc["vcov"], rtol=1e-3)
    assert res.reference == "control" and res.agent == "testosterone cypionate"


def test_group_slopes_are_sums_of_coefficients(res):
    t = res.table.set_index("term")["estimate"]
    s = res.slopes.set_index("group")["estimate"]
    assert s["control"] == pytest.approx(t["month"])
    assert s["testosterone"] == pytest.approx(t["month"] + t["treatment[testosterone]:month"])


def test_known_truth_slope_difference(res):
    row = res.table.set_index("term").loc["treatment[testosterone]:month"]
    assert row["conf_low"] < 0.4 < row["conf_high"]


def test_no_mutation_missing_rows_and_display(data):
    d = data.copy()
    d.loc[7, "y"] = np.nan
    before = d.copy(deep=True)
    r = hs.therapy_over_time(
        d, y="y", time="month", treatment="treatment", subject="subject", random_slopes=False
    )
    pd.testing.assert_frame_equal(d, before)
    assert r.dropped["row"].tolist() == [7]
    assert "Therapy over time" in r.summary() and "<table" in r._repr_html_()


def test_errors(data):
    with pytest.raises(DataError, match="at least two groups"):
        hs.therapy_over_time(
            data.assign(treatment="control"),
            y="y",
            time="month",
            treatment="treatment",
            subject="subject",
        )
    with pytest.raises(DataError, match="numeric"):
        hs.therapy_over_time(
            data.assign(month=data["month"].astype(str)),
            y="y",
            time="month",
            treatment="treatment",
            subject="subject",
        )
