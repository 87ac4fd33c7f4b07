"""Power from pilots of the repeated-measures and dyadic designs, and which hypotheses take one.

* Crossover: a pilot drawn by ``hs.simulate_study("crossover", icc=0.5)`` (RMET SD 3.6 points)
  recovers the ICC and SD, and (slow: a pilot of 2,000) the power curve of
  ``oxytocin_crossover`` from the pilot agrees with the curve from the true parameters within
  Monte-Carlo error.
* Within person: a pilot written as files (400 people, 6 visits, log estradiol = person mean
  + N(0, 0.4) within, duplicate wells with assay error 0.2 on the log scale, RMET with ICC 0.5
  and a within-person slope of 1 point per log unit) recovers the ICCs, within-person SDs
  and the assay's reliability, and the power curve of ``estradiol_within_person`` agrees with
  the curve from the true parameters.
* Every hypothesis of ``PILOT_HYPOTHESES`` runs from the bundled study of its design, and a
  pilot of another design is refused with the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.simulate.pilot import PilotParameters, pilot_parameters
from hormonestats.simulate.pilot_power import PILOT_HYPOTHESES

ICC, RMET_SD = 0.5, 3.6
BUNDLED = {"between": "example_study", "crossover": "crossover_study",
           "dyadic": "couples_study", "within": "cycle_study", "tsst": "tsst_study"}
#: The bundled study each hypothesis is planned from.
DESIGN_OF = {
    "estradiol_oxytocin": "between", "cortisol_oxytocin": "between",
    "progesterone_anxiety": "between", "oxtr_genotype": "between",
    "testosterone_aromatization": "between", "estradiol_within_person": "within",
    "progesterone_within_person": "within", "oxytocin_crossover": "crossover",
    "oxytocin_actor": "dyadic", "oxytocin_partner": "dyadic",
    "oxytocin_cortisol_reactivity": "tsst", "oxytocin_cortisol_peak": "tsst",
}
#: Hypotheses no bundled study can parameterise, and the refusal's words.
NOT_MEASURED = {"progesterone_allopregnanolone_anxiety": "allopregnanolone",
                "progesterone_anxiety_within_person": "anxiety"}


W_MU, W_B, W_W, W_ASSAY, W_VISITS = 1.0, 0.3, 0.4, 0.2, 6
W_ICC_Y, W_SLOPE = 0.5, 1.0  # RMET: person share of the residual variance; points per log unit
W_SD_Y = 3.6
W_CONTRACT = """name: within_pilot
design: within
tables:
  subjects: subjects.csv
  samples: samples.csv
  responses: responses.csv
analytes:
  estradiol: {unit: pg/mL, matrix: saliva, method: immunoassay}
instruments:
  rmet: {}
"""


def _write_within_pilot(folder, n=400, seed=7):
    rng = np.random.default_rng(seed)
    ids = [f"W{i:03d}" for i in range(n)]
    b = rng.normal(0, W_B, n)
    w = rng.normal(0, W_W, (n, W_VISITS))
    u = rng.normal(0, W_SD_Y * np.sqrt(W_ICC_Y), n)
    e = rng.normal(0, W_SD_Y * np.sqrt(1 - W_ICC_Y), (n, W_VISITS))
    rmet = np.clip(np.round(26 + u[:, None] + W_SLOPE * w + e), 0, 36).astype(int)
    wells = np.exp(W_MU + b[:, None, None] + w[:, :, None]
                   + rng.normal(0, W_ASSAY, (n, W_VISITS, 2)))
    (folder / "contract.yaml").write_text(W_CONTRACT, encoding="utf-8")
    pd.DataFrame({"subject_id": ids, "sex": "female", "age": 25.0}).to_csv(
        folder / "subjects.csv", index=False)
    rows, resp = [], []
    for i, sid in enumerate(ids):
        for v in range(W_VISITS):
            for rep in (0, 1):
                rows.append({"subject_id": sid, "session": f"v{v + 1}",
                             "sample_id": f"{sid}-v{v + 1}", "sample_number": 1,
                             "analyte": "estradiol", "matrix": "saliva",
                             "value": f"{wells[i, v, rep]:.5g}", "unit": "pg/mL", "lod": 0.01,
                             "replicate": rep + 1, "plate_id": f"E{1 + i // 20:02d}",
                             "sample_type": "subject", "method": "immunoassay"})
            resp.append({"subject_id": sid, "session": f"v{v + 1}", "instrument": "rmet",
                         "item": "total", "response": int(rmet[i, v])})
    pd.DataFrame(rows).to_csv(folder / "samples.csv", index=False)
    pd.DataFrame(resp).to_csv(folder / "responses.csv", index=False)
    return hs.read_study(folder / "contract.yaml", folder)


def _within_truth() -> PilotParameters:
    """What the within pilot estimates, at its population values: the table's log estradiol
    is the log of the mean of two wells (assay error variance ASSAY^2 / 2), the RMET variance
    includes the estradiol slope's share and the rounding to whole points."""
    err = W_ASSAY**2 / 2
    sd_w = float(np.sqrt(W_W**2 + err))
    var_y = W_SD_Y**2 + W_SLOPE**2 * W_W**2 + 1 / 12
    hormones = pd.DataFrame([{
        "analyte": "estradiol", "column": "log_estradiol", "unit": "pg/mL", "n": 1,
        "mean_log": W_MU, "sd_log": float(np.sqrt(W_B**2 + sd_w**2)), "lod_fraction": 0.0,
        "log_lod": -10.0, "method": "true", "assay_cv": float(np.sqrt(np.expm1(W_ASSAY**2))),
        "error_var": err,
        "reliability": 1 - err / (W_B**2 + sd_w**2)}])
    outcomes = pd.DataFrame([{"column": "rmet_total", "n": 1, "mean": 26.0,
                              "sd": float(np.sqrt(var_y)), "sd_within_arm": np.nan,
                              "reliability": np.nan}])
    icc = pd.DataFrame([
        {"column": "log_estradiol", "icc": W_B**2 / (W_B**2 + sd_w**2), "sd_within": sd_w,
         "n_per_subject": float(W_VISITS)},
        {"column": "rmet_total", "icc": W_SD_Y**2 * W_ICC_Y / var_y,
         "sd_within": float(np.sqrt(var_y - W_SD_Y**2 * W_ICC_Y)),
         "n_per_subject": float(W_VISITS)}])
    return PilotParameters(hormones=hormones, outcomes=outcomes, correlations=pd.DataFrame(),
                           icc=icc, mapping={"estradiol": "log_estradiol",
                                             "outcome": "rmet_total"},
                           n_subjects=400, design="within")


@pytest.fixture(scope="module")
def within_pilot(tmp_path_factory):
    return pilot_parameters(_write_within_pilot(tmp_path_factory.mktemp("within")))


def test_within_pilot_recovers_icc_sd_and_reliability(within_pilot):
    truth = _within_truth()
    for column in ("log_estradiol", "rmet_total"):
        got, want = within_pilot.within(column), truth.within(column)
        # ICC(1) of 400 people x 6 visits: SE about 0.03
        assert got["icc"] == pytest.approx(want["icc"], abs=0.12), column
        # within-person SD on 2,000 df: SE about 1.6 %
        assert got["sd_within"] == pytest.approx(want["sd_within"], rel=0.07), column
        assert got["n_per_subject"] == W_VISITS
    h, th = within_pilot.hormone("estradiol"), truth.hormone("estradiol")
    assert h["assay_cv"] == pytest.approx(th["assay_cv"], rel=0.1)
    assert h["error_var"] == pytest.approx(th["error_var"], rel=0.2)
    assert h["reliability"] == pytest.approx(th["reliability"], abs=0.03)
    shift = np.log(hs.convert(1.0, "estradiol", "pg/mL", h["unit"]))
    assert h["mean_log"] - shift == pytest.approx(W_MU, abs=4 * th["sd_log"] / np.sqrt(400))


def test_within_power_from_the_pilot_agrees_with_the_truth(within_pilot):
    kw = dict(n=[20, 40, 80], effects={"effect": W_SLOPE}, n_sims=1000, progress=False)
    from_pilot = hs.power("estradiol_within_person", pilot=within_pilot, seed=1, **kw)
    from_truth = hs.power("estradiol_within_person", pilot=_within_truth(), seed=2, **kw)
    diff = from_pilot["power"] - from_truth["power"]
    mc = np.sqrt(from_pilot["mc_se"] ** 2 + from_truth["mc_se"] ** 2)
    assert (diff.abs() <= 3.5 * mc).all(), pd.DataFrame({"diff": diff, "mc": mc})
    # the measured slope is attenuated by the within-person reliability (assay error)
    lam = W_W**2 / (W_W**2 + W_ASSAY**2 / 2)
    assert from_truth["true_value"].iloc[0] == pytest.approx(W_SLOPE * lam)
    assert from_truth["mean_estimate"].iloc[-1] == pytest.approx(W_SLOPE * lam, rel=0.05)
    assert from_truth["coverage"].min() > 0.92


@pytest.fixture(scope="module")
def crossover_pilot():
    return pilot_parameters(hs.simulate_study("crossover", n=200, seed=4, icc=ICC))


def _crossover_truth() -> PilotParameters:
    sd = float(np.sqrt(RMET_SD**2 + 1 / 12))  # + rounding to whole points
    return PilotParameters(
        hormones=pd.DataFrame(columns=["analyte", "column"]),
        outcomes=pd.DataFrame([{"column": "rmet_total", "n": 600, "mean": 26.0, "sd": sd,
                                "sd_within_arm": sd, "reliability": np.nan}]),
        correlations=pd.DataFrame(),
        icc=pd.DataFrame([{"column": "rmet_total", "icc": ICC * RMET_SD**2 / sd**2,
                           "sd_within": sd * np.sqrt(1 - ICC), "n_per_subject": 2.0}]),
        mapping={"outcome": "rmet_total", "sequence": "sequence"}, n_subjects=300,
        design="crossover")


def test_crossover_pilot_recovers_icc_and_sd(crossover_pilot):
    row = crossover_pilot.within("rmet_total")
    # ICC(1) of 200 pairs: SE about (1 - ICC^2) / sqrt(n) = 0.053; the period effect
    # (0.1 SD) left in the within-person variance lowers it by < 0.01
    assert row["icc"] == pytest.approx(ICC, abs=0.15)
    assert crossover_pilot.outcome("outcome")["sd"] == pytest.approx(
        RMET_SD, abs=4 * RMET_SD / np.sqrt(2 * 400))
    assert row["n_per_subject"] == pytest.approx(2.0)


@pytest.mark.slow
def test_crossover_power_from_the_pilot_agrees_with_the_truth():
    """A pilot of 2,000 people: its estimation error (the within-person variance has an SE
    of about 3 %) is then below the Monte-Carlo error of 1,000 simulations."""
    crossover_pilot = pilot_parameters(hs.simulate_study("crossover", n=2000, seed=4, icc=ICC))
    kw = dict(n=[24, 48, 96], effects={"effect": 1.0}, n_sims=1000, progress=False)
    from_pilot = hs.power("oxytocin_crossover", pilot=crossover_pilot, seed=1, **kw)
    from_truth = hs.power("oxytocin_crossover", pilot=_crossover_truth(), seed=2, **kw)
    diff = from_pilot["power"] - from_truth["power"]
    mc = np.sqrt(from_pilot["mc_se"] ** 2 + from_truth["mc_se"] ** 2)
    assert (diff.abs() <= 3.5 * mc).all(), pd.DataFrame({"diff": diff, "mc": mc})
    assert from_truth["power"].is_monotonic_increasing
    assert from_truth["mean_estimate"].iloc[-1] == pytest.approx(1.0, rel=0.1)
    assert (from_pilot["effect_standardised"] - 1.0 / RMET_SD).abs().max() < 0.05


@pytest.fixture(scope="module")
def bundled():
    import hormonestats.datasets as datasets

    root = Path(datasets.__file__).parent
    out = {}
    for design, name in BUNDLED.items():
        folder = root / name
        out[design] = pilot_parameters(hs.read_study(folder / "contract.yaml", folder))
    return out


def test_every_pilot_hypothesis_is_placed():
    assert set(DESIGN_OF) | set(NOT_MEASURED) == set(PILOT_HYPOTHESES)
    from hormonestats.simulate.power import HYPOTHESES

    assert set(PILOT_HYPOTHESES) <= set(HYPOTHESES)


@pytest.mark.slow  # reads and processes the five bundled studies (about 10 s)
@pytest.mark.parametrize("name", sorted(DESIGN_OF))
def test_hypothesis_runs_from_its_designs_pilot(bundled, name):
    tab = hs.power(name, pilot=bundled[DESIGN_OF[name]], n=[40, 160],
                   effects={"effect": 0.5}, effect_scale="standardised", n_sims=100, seed=1,
                   progress=False)
    assert (tab["effect_standardised"] == 0.5).all()
    assert np.isfinite(tab["effect_raw"]).all() and (tab["effect_raw"] != 0).all()
    assert tab["power"].iloc[1] >= tab["power"].iloc[0]
    assert "raw:" in tab["effect_units"].iloc[0] and "standardised:" in tab["effect_units"].iloc[0]
    others = [d for d in BUNDLED if d != DESIGN_OF[name]]
    for design in others:  # a pilot of another design is refused, saying why
        with pytest.raises(hs.HormoneStatsError):
            hs.power(name, pilot=bundled[design], n=[40], effects={"effect": 0.5},
                     n_sims=10, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NOT_MEASURED))
def test_hypothesis_without_its_measures_is_refused(bundled, name):
    for pilot in bundled.values():
        with pytest.raises(hs.HormoneStatsError, match=f"{NOT_MEASURED[name]}|no .* measured"
                                                        "|design"):
            hs.power(name, pilot=pilot, n=[40], effects={"effect": 0.5}, n_sims=10,
                     progress=False)


def test_a_family_spec_takes_no_pilot():
    with pytest.raises(hs.HormoneStatsError, match="family"):
        hs.power({"family": "two_group"}, pilot=_crossover_truth(), n=[40],
                 effects={"effect": 0.5}, n_sims=10, progress=False)


def test_the_planning_page_lists_every_pilot_hypothesis():
    page = (Path(__file__).resolve().parent.parent / "docs" / "own-study.md").read_text(
        encoding="utf-8")
    section = page[page.index("### Plan from your pilot"):]
    assert all(f"`{name}`" in section for name in PILOT_HYPOTHESES)
