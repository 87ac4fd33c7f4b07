"""Standard curves (4PL/5PL), back-calculation and plate QC.

References: R ``nls`` with ``SSfpl`` and an explicit LL.5 ``nls`` (tests/reference/plates_curves.R,
values in plates_curves_*.csv); recovery of the simulated cortisol ELISA's truth
(scripts/make_plate_data.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.datasets import dataset_path
from hormonestats.derive.standard_curves import ll5
from hormonestats.errors import ModelError

REF = Path(__file__).parent / "reference"
DATA = pd.read_csv(REF / "plates_curves_data.csv")
PARAMS = pd.read_csv(REF / "plates_curves_params.csv")
INVERSE = pd.read_csv(REF / "plates_curves_inverse.csv")
CASES = [(ds, m, w) for ds in ("ll4", "ll5") for m in ("4pl", "5pl") for w in ("none", "1/y^2")]


def _wells(ds: str) -> pd.DataFrame:
    d = DATA[DATA["dataset"] == ds]
    return pd.DataFrame({"plate_id": ds, "well": [f"W{i}" for i in range(len(d))],
                         "type": "standard", "concentration": d["conc"].to_numpy(),
                         "od": d["od"].to_numpy()})


@pytest.mark.parametrize(("ds", "model", "weights"), CASES)
def test_parameters_match_r_nls(ds, model, weights):
    curve = hs.fit_standard_curve(_wells(ds), model=model,
                                  weights=None if weights == "none" else weights)
    ref = PARAMS[(PARAMS["dataset"] == ds) & (PARAMS["model"] == model)
                 & (PARAMS["weights"] == weights)].set_index("term")
    got = curve.table.set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-4)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-3)
    assert curve.sigma == pytest.approx(ref["sigma"].iloc[0], rel=1e-6)
    assert curve.df == ref["df"].iloc[0]
    assert curve.aic == pytest.approx(ref["aic"].iloc[0], rel=1e-6)


@pytest.mark.parametrize("weights", ["none", "1/y^2"])
def test_4pl_equals_ssfpl_mapping(weights):
    """SSfpl's A, B, xmid, scal mapped to b, c, d, e (d > c) give our LL.4 estimates."""
    curve = hs.fit_standard_curve(_wells("ll4"), model="4pl",
                                  weights=None if weights == "none" else weights)
    ref = PARAMS[(PARAMS["dataset"] == "ll4") & (PARAMS["model"] == "4pl_ssfpl")
                 & (PARAMS["weights"] == weights)].set_index("term")["estimate"]
    np.testing.assert_allclose([curve.params[k] for k in ref.index], ref, rtol=1e-4)


@pytest.mark.parametrize(("ds", "model", "weights"), CASES)
def test_inverse_predictions_match_r(ds, model, weights):
    curve = hs.fit_standard_curve(_wells(ds), model=model,
                                  weights=None if weights == "none" else weights)
    ref = INVERSE[(INVERSE["dataset"] == ds) & (INVERSE["model"] == model)
                  & (INVERSE["weights"] == weights)]
    back = curve.back_calculate(ref["od"].to_numpy())
    np.testing.assert_allclose(curve.inverse(ref["od"].to_numpy()), ref["concentration"],
                               rtol=1e-4)
    np.testing.assert_allclose(back["std_error"] / back["concentration"], ref["se_log"],
                               rtol=1e-3)
    # the curve through the back-calculated concentration returns the OD
    ok = back["concentration"].notna().to_numpy()
    assert ok.sum() >= 4  # (an OD beyond the 5PL's asymptote has no inverse, in R neither)
    np.testing.assert_allclose(curve.predict(back["concentration"][ok]), ref["od"][ok],
                               rtol=1e-9)


def test_auto_picks_smaller_aic_and_says_so():
    w = _wells("ll4")
    auto = hs.fit_standard_curve(w, model="auto")
    four = hs.fit_standard_curve(w, model="4pl")
    five = hs.fit_standard_curve(w, model="5pl")
    assert auto.model == ("4pl" if four.aic < five.aic else "5pl")
    assert "chosen by AIC" in auto.choice and f"{four.aic:.2f}" in auto.choice


def test_recovers_true_5pl_without_noise():
    x = np.repeat(0.02 * 3.0 ** np.arange(10), 2)
    od = ll5(x, b=-0.9, c=0.05, d=3.0, e=4.0, f=0.4)
    wells = pd.DataFrame({"type": "standard", "concentration": x, "od": od,
                          "well": [f"A{i}" for i in range(len(x))]})
    curve = hs.fit_standard_curve(wells, model="5pl")
    truth = {"b": -0.9, "c": 0.05, "d": 3.0, "e": 4.0, "f": 0.4}
    for k, v in truth.items():
        assert curve.params[k] == pytest.approx(v, rel=1e-5), k


def test_limits_and_flags():
    x = np.repeat([0.3, 0.9, 2.7, 8.1, 24.3, 72.9], 2)
    noise = np.tile([1.0, -1.0], 6) * np.array([0.2, 0.2, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01,
                                                0.01, 0.01, 0.01, 0.01])
    od = ll5(x, 1.2, 0.06, 2.5, 2.5) * (1 + noise)
    wells = pd.DataFrame({"type": ["standard"] * 12 + ["blank"] * 4,
                          "concentration": list(x) + [0.0] * 4,
                          "od": list(od) + [2.30, 2.32, 2.28, 2.30],
                          "well": [f"A{i}" for i in range(16)]})
    curve = hs.fit_standard_curve(wells, model="4pl", weights="1/y^2")
    # the noisy lowest standard fails the CV criterion, so the LLOQ is the second standard
    assert curve.lloq == 0.9 and curve.uloq == 72.9
    assert not curve.recovery.loc[0, "within_limits"]
    # LOD: blank mean - 3 SD (OD falls with concentration) through the curve
    sd = np.std([2.30, 2.32, 2.28, 2.30], ddof=1)
    assert curve.lod == pytest.approx(float(curve.inverse(2.3 - 3 * sd)))
    assert "- 3 SD" in curve.lod_rule
    back = curve.back_calculate([3.0, curve.predict(curve.lod / 2)[()], curve.predict(0.5)[()],
                                 1.0, curve.predict(100.0)[()], 0.01], dilution=2.0)
    assert back["flag"].tolist() == ["below_curve", "below_lod", "below_lloq", "ok",
                                     "above_uloq", "above_curve"]
    assert np.isnan(back.loc[0, "concentration"]) and np.isnan(back.loc[5, "concentration"])
    assert back.loc[3, "concentration"] == pytest.approx(2 * float(curve.inverse(1.0)))
    assert (back["conf_low"] < back["concentration"]).iloc[1:5].all()
    assert "LLOQ 0.9" in curve.summary() and "<table" in curve._repr_html_()


def test_bad_requests_raise():
    w = _wells("ll4")
    with pytest.raises(ModelError, match="model"):
        hs.fit_standard_curve(w, model="6pl")
    with pytest.raises(ModelError, match="weights"):
        hs.fit_standard_curve(w, weights="1/x")
    with pytest.raises(ModelError, match="at least"):
        hs.fit_standard_curve(w.iloc[:6])
    two = pd.concat([w, w.assign(plate_id="other")])
    with pytest.raises(ModelError, match="plate="):
        hs.fit_standard_curve(two)
    assert set(hs.fit_standard_curves(two)) == {"ll4", "other"}


# ----------------------------------------------------------------- the simulated cortisol ELISA
@pytest.fixture(scope="module")
def elisa():
    folder = dataset_path("cortisol_elisa")
    wells = hs.read_plates(sorted((folder / "plates").glob("export_*")),
                           layout=folder / "plates" / "layout.csv")
    curves = hs.fit_standard_curves(wells, weights="1/y^2")
    truth = json.loads((folder / "truth.json").read_text())
    return wells, curves, truth


def test_recovers_simulated_curves(elisa):
    wells, curves, truth = elisa
    assert list(curves) == ["CORT01", "CORT02", "CORT03", "CORT04"]
    for plate, curve in curves.items():
        true = truth["curves"][plate]
        est = curve.table.set_index("term")
        for k in ("b", "c", "d", "e"):
            if curve.model == "4pl":  # within 3 standard errors of the truth
                assert abs(est.loc[k, "estimate"] - true[k]) < 3 * est.loc[k, "std_error"], k


def test_back_calculated_concentrations_cover_the_truth(elisa):
    wells, curves, truth = elisa
    rows = hs.plate_concentrations(wells, curves, analyte="cortisol", unit="nmol/L",
                                   matrix="saliva")
    subj = rows[rows["sample_type"] == "subject"].copy()
    subj["truth"] = subj["sample_id"].map(truth["samples"])
    assert subj["truth"].notna().all() and len(subj) == 2 * len(truth["samples"])
    est = subj[subj["concentration"].notna()]
    inside = (est["conf_low"] <= est["truth"]) & (est["truth"] <= est["conf_high"])
    # nominal 95% intervals: coverage near 0.95 (binomial SD about 0.013 for 296 wells)
    assert 0.90 <= inside.mean() <= 0.99
    assert np.median(np.abs(np.log(est["concentration"] / est["truth"]))) < 0.1
    # controls recovered
    ctrl = rows[rows["sample_type"] == "control"]
    means = ctrl.groupby("sample_id")["concentration"].mean()
    assert means["CTRL_low"] == pytest.approx(3.0, rel=0.15)
    assert means["CTRL_high"] == pytest.approx(25.0, rel=0.15)
    # the lod column is the plate's LOD times the dilution
    lods = {p: c.lod for p, c in curves.items()}
    np.testing.assert_allclose(subj["lod"], subj["plate_id"].map(lods) * 2.0)


def test_plate_qc(elisa):
    wells, curves, _ = elisa
    qc = hs.plate_qc(wells, curves)
    assert len(qc.table) == 4 and set(qc.inter["control"]) == {"CTRL_low", "CTRL_high"}
    nsb = wells[wells["type"] == "nsb"].groupby("plate_id")["od"].mean()
    np.testing.assert_allclose(qc.table.set_index("plate_id")["nsb_od"], nsb.loc[list(curves)])
    # inter-assay CV by hand from the plate means of the low control
    low = qc.rows[qc.rows["sample_id"] == "CTRL_low"].groupby("plate_id")["concentration"].mean()
    cv = 100 * low.std(ddof=1) / low.mean()
    assert qc.inter.set_index("control").loc["CTRL_low", "inter_cv"] == pytest.approx(cv)
    assert set(qc.drift["term"]) == {"b", "c", "d", "e"}
    assert qc.edge.iloc[-1]["plate_id"] == "all plates"
    assert qc.edge.iloc[-1]["p_value"] > 0.01  # no edge effect was simulated
    assert "Plate QC" in qc.summary()


def test_plate_qc_detects_an_edge_effect(elisa):
    wells, curves, _ = elisa
    edge = wells["row"].isin(["A", "H"]) | wells["column"].isin([1, 12])
    hot = wells.assign(od=wells["od"].where(~edge, wells["od"] * 1.15))
    qc = hs.plate_qc(hot, hs.fit_standard_curves(hot, weights="1/y^2"))
    pooled = qc.edge.iloc[-1]
    assert pooled["difference"] > 3 and pooled["p_value"] < 1e-6
    assert wells["od"].equals(elisa[0]["od"])  # caller's data untouched
