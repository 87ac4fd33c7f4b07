"""Tests of hs.cycle_models.

References (``tests/reference/mixed.R``, data ``mixed_cycle_sim.csv``):
* per-hormone ``lmer(y ~ h_within + h_between + (1 + h_within | subject_id))`` with lmerTest
  Satterthwaite df, refitted with ``(1 | subject_id)`` when lme4's ``isSingular`` says so
  (``mixed_cycle_lmer_hormones.csv``);
* phase contrasts: ``emmeans(lmer(y ~ phase + (1 | subject_id)), ~ phase,
  lmer.df = "satterthwaite")`` pairs, Holm-adjusted (``mixed_cycle_emmeans_phase.csv``).
Tolerances: estimates 1e-4, SEs 1e-3 relative, df 0.05 (0.5 where lmerTest's df is ~200 and the
t distribution is flat in df), adjusted p 1e-3 relative.
Known truth: the simulation has a within-person estradiol slope of 0.5 (person SD 0.2) and no
progesterone effect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

import hormonestats as hs
from hormonestats.errors import DataError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def cyc():
    return pd.read_csv(REF / "mixed_cycle_sim.csv")


@pytest.fixture(scope="module")
def res(cyc):
    return hs.cycle_models(cyc, y="y")


def test_hormone_models_against_lmertest(res):
    ref = pd.read_csv(REF / "mixed_cycle_lmer_hormones.csv")
    ref = ref[ref["term"] != "(Intercept)"].set_index("term")
    got = res.table.set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    np.testing.assert_allclose(got["df"], ref["df"], atol=0.5, rtol=0)
    np.testing.assert_allclose(got["df"][got["df"] < 100], ref["df"][got["df"] < 100], atol=0.05)
    assert got["random_slope"].tolist() == ref["random_slope"].tolist()
    assert any("progesterone" in n and "random intercept only" in n for n in res.notes)


def test_phase_contrasts_against_emmeans_holm(res):
    ref = pd.read_csv(REF / "mixed_cycle_emmeans_phase.csv")
    got = res.phase_contrasts
    assert got["contrast"].tolist() == ref["contrast"].tolist()
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    np.testing.assert_allclose(got["df"], ref["df"], atol=0.05)
    np.testing.assert_allclose(got["p_adjusted"], ref["p_adjusted"], rtol=1e-3)
    assert res.adjust == "holm" and res.phases[0] == "menstrual"


def test_fdr_option(cyc):
    r = hs.cycle_models(cyc, y="y", hormones=[], adjust="fdr_bh")
    expected = multipletests(r.phase_contrasts["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(r.phase_contrasts["p_adjusted"], expected)
    assert r.table.empty


def test_known_truth_within_estradiol(res):
    t = res.table.set_index("term")
    assert t.loc["estradiol_within", "conf_low"] < 0.5 < t.loc["estradiol_within", "conf_high"]
    assert t.loc["progesterone_within", "hormone"] == "progesterone"


def test_rows_without_phase_are_logged_and_input_untouched(cyc):
    d = cyc.copy()
    d.loc[[0, 1], "phase"] = np.nan
    before = d.copy(deep=True)
    r = hs.cycle_models(d, y="y", hormones=["estradiol"], random_slopes=False)
    pd.testing.assert_frame_equal(d, before)
    assert sorted(r.dropped["row"]) == [0, 1]
    assert "Phase contrasts" in r.summary() and "<table" in r._repr_html_()


def test_errors(cyc):
    with pytest.raises(DataError, match=r"hormones='testosterone'"):
        hs.cycle_models(cyc, y="y", hormones=["testosterone"])
    with pytest.raises(DataError, match="adjust"):
        hs.cycle_models(cyc, y="y", adjust="sidak-ish")
