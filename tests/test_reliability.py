"""Reliability: alpha, Feldt CI, omega total (one-factor ML), item statistics.

References (not our code): R psych 2.2.9 ``alpha`` and ``fa(nfactors = 1, fm = "ml")`` on the
committed simulated data (tests/reference/reliability.R -> reliability_psych*.csv), and
``pingouin.cronbach_alpha``; plus simulated data with known population omega.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from hormonestats.derive.reliability import (
    ReliabilityResult,
    cronbach_alpha,
    omega_total,
    reliability,
)
from hormonestats.errors import ContractError, DataError
from hormonestats.registry.instruments import get_instrument

REF = Path(__file__).parent / "reference"
DATA = pd.read_csv(REF / "reliability_data.csv")
KEY = pd.read_csv(REF / "reliability_rmet_key.csv")
PSYCH = pd.read_csv(REF / "reliability_psych.csv").set_index("scale")
PSYCH_ITEMS = pd.read_csv(REF / "reliability_psych_items.csv", dtype={"item": str})


def _all_scales(data=DATA):
    parts = [
        reliability(data, instrument="iri"),
        reliability(data, instrument="pss10"),
        reliability(data, instrument="rmet", key=dict(zip(KEY["item"], KEY["correct"]))),
    ]
    table = pd.concat([p.table for p in parts], ignore_index=True).set_index("scale")
    items = pd.concat([p.item_table for p in parts], ignore_index=True)
    return table, items


def test_scale_table_matches_psych():
    table, _ = _all_scales()
    assert list(table.index) == list(PSYCH.index)
    assert (table["n"] == PSYCH["n"]).all() and (table["n_items"] == PSYCH["n_items"]).all()
    # alpha, Feldt interval and average r: closed forms, so to 1e-10
    np.testing.assert_allclose(table["alpha"], PSYCH["alpha"], atol=1e-10)
    np.testing.assert_allclose(table["alpha_conf_low"], PSYCH["feldt_low"], atol=1e-10)
    np.testing.assert_allclose(table["alpha_conf_high"], PSYCH["feldt_high"], atol=1e-10)
    np.testing.assert_allclose(table["mean_inter_item_r"], PSYCH["average_r"], atol=1e-10)
    # omega total from psych::fa(fm = "ml") loadings/uniquenesses: iterative, so to 1e-4
    np.testing.assert_allclose(table["omega_total"], PSYCH["omega_ml"], atol=1e-4)


def test_item_table_matches_psych():
    _, items = _all_scales()
    merged = items.merge(PSYCH_ITEMS, on=["scale", "item"], validate="one_to_one")
    assert len(merged) == len(PSYCH_ITEMS) == 28 + 10 + 36
    np.testing.assert_allclose(merged["item_total_r"], merged["r_drop"], atol=1e-10)
    np.testing.assert_allclose(merged["alpha_if_deleted"], merged["alpha_drop"], atol=1e-10)
    np.testing.assert_allclose(merged["loading"], merged["loading_ml"], atol=1e-3)


def test_alpha_and_ci_match_pingouin():
    iri = get_instrument("iri")
    keyed = DATA[[f"iri_{i}" for i in iri.subscales["ec"]]].astype(float).copy()
    for item in ("4", "14", "18"):
        keyed[f"iri_{item}"] = 4 - keyed[f"iri_{item}"]
    ours = cronbach_alpha(keyed.to_numpy(), 0.90)
    alpha, ci = pg.cronbach_alpha(keyed, ci=0.90)
    assert ours[0] == pytest.approx(alpha, abs=1e-12)
    np.testing.assert_allclose(ours[1:], ci, atol=5e-4)  # pingouin rounds to 3 decimals


def test_long_and_wide_input_agree():
    long = DATA.melt(id_vars="subject_id", var_name="col", value_name="response")
    long["instrument"] = long["col"].str.rsplit("_", n=1).str[0]
    long["item"] = long["col"].str.rsplit("_", n=1).str[1]
    wide_res = reliability(DATA, instrument="pss10").table
    long_res = reliability(long, instrument="pss10").table
    pd.testing.assert_frame_equal(wide_res, long_res)


def test_known_population_omega_and_alpha():
    # congeneric one-factor model: loadings l, unique variances 1 - l^2 (standardised)
    rng = np.random.default_rng(7)
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.7])
    n = 20000
    f = rng.normal(size=(n, 1))
    x = f * lam + rng.normal(size=(n, lam.size)) * np.sqrt(1 - lam**2)
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert omega_total(x) == pytest.approx(truth, abs=0.01)
    # for standardised items alpha is the population standardised alpha
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1)
    k = lam.size
    alpha_truth = k / (k - 1) * (1 - k / r.sum())
    a, lo, hi = cronbach_alpha(x)
    assert a == pytest.approx(alpha_truth, abs=0.01)
    assert lo < a < hi


def test_items_mapping_and_listwise_n():
    wide = DATA[[f"pss10_{i}" for i in (1, 2, 3, 6, 9, 10)]].astype(float).copy()
    wide.iloc[0, 0] = np.nan
    res = reliability(wide, items={"neg": list(wide.columns)})
    assert res.table["scale"].tolist() == ["neg"]
    assert res.table["n"].iloc[0] == len(DATA) - 1
    assert res.table["n_items"].iloc[0] == 6


def test_result_is_frozen_and_displays():
    res = reliability(DATA, instrument="pss10")
    assert isinstance(res, ReliabilityResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.conf_level = 0.9  # type: ignore[misc]
    assert "pss10_total" in res.summary() and "Feldt" in res.summary()
    assert "<table" in res._repr_html_()
    assert list(res.table.columns) == [
        "scale",
        "n",
        "n_items",
        "alpha",
        "alpha_conf_low",
        "alpha_conf_high",
        "omega_total",
        "mean_inter_item_r",
    ]


def test_input_not_mutated_and_errors():
    before = DATA.copy()
    reliability(DATA, instrument="iri")
    pd.testing.assert_frame_equal(DATA, before)
    with pytest.raises(ContractError):
        reliability(DATA)
    with pytest.raises(ContractError, match="key"):
        reliability(DATA, instrument="rmet")
    with pytest.raises(DataError, match="ecr_r_1"):
        reliability(DATA, instrument="ecr_r")
    with pytest.raises(DataError, match="nope"):
        reliability(DATA, items=["nope", "pss10_1"])
    with pytest.raises(ContractError):
        reliability(DATA, instrument="trust_game")
