"""Power from a pilot study: the estimated simulator parameters recover the truth, and the
power curve from the pilot agrees with the curve from the true parameters.

The pilot is written as files (contract, subjects, oxytocin/placebo treatments, samples in
duplicate wells with a LOD, RMET totals, PSS-10 items) from known parameters:

* log estradiol ~ N(1.5, 0.6) (pg/mL), each well reading it with a lognormal assay error of SD
  ``ASSAY`` = 0.3 on the log scale; the sample's value is the mean of its two wells, so the
  measured log has variance about 0.36 + 0.3^2 / 2 and reliability 0.36 / that (0.89); its LOD
  lies far below the readings;
* log progesterone ~ N(-1.0, 0.8) (ng/mL) read without assay error, a LOD censoring 15 %;
* RMET = 26 + 0.8 (true log E2 - 1.5) + N(0, 3) rounded to whole points;
* PSS-10 items loading 0.8 on one latent stress factor (unit residuals, rounded and clipped to
  0-4; the positively worded items reversed), whose population alpha the test computes from a
  draw of 200,000 of the same generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.simulate.pilot import PilotParameters, pilot_parameters
from hormonestats.simulate.pilot_power import pilot_spec

MU, SD, SLOPE, NOISE = 1.5, 0.6, 0.8, 3.0
ASSAY = 0.3  # SD of one well's log reading about the sample's true log concentration
SD_MEASURED = float(np.sqrt(SD**2 + ASSAY**2 / 2))
RELIABILITY = SD**2 / SD_MEASURED**2
LOG_LOD_E2 = MU - 6 * SD
MU_P4, SD_P4 = -1.0, 0.8
LOG_LOD = MU_P4 + stats.norm.ppf(0.15) * SD_P4  # 15 % of progesterone readings below the LOD
REVERSED = (4, 5, 7, 8)
N = 600
CONTRACT = """name: pilot
design: between
tables:
  subjects: subjects.csv
  samples: samples.csv
  responses: responses.csv
  treatments: treatments.csv
analytes:
  estradiol: {unit: pg/mL, matrix: saliva, method: immunoassay}
  progesterone: {unit: ng/mL, matrix: saliva, method: immunoassay}
instruments:
  rmet: {}
  pss10: {}
agents:
- intranasal_oxytocin
- placebo
"""


def _pss_items(rng, n):
    """PSS-10 responses: keyed items 2 + 0.8 stress + N(0, 1), rounded, clipped to 0-4."""
    keyed = np.clip(np.round(2 + 0.8 * rng.standard_normal((n, 1))
                             + rng.standard_normal((n, 10))), 0, 4).astype(int)
    rev = [j - 1 for j in REVERSED]
    keyed[:, rev] = 4 - keyed[:, rev]  # as answered: the positively worded items reversed
    return keyed


def _population_alpha() -> float:
    """Cronbach's alpha of the keyed items in a draw of 200,000 (the truth)."""
    x = _pss_items(np.random.default_rng(99), 200_000).astype(float)
    rev = [j - 1 for j in REVERSED]
    x[:, rev] = 4 - x[:, rev]
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def _sample_rows(sid, i, analyte, unit, wells, lod):
    return [{"subject_id": sid, "session": "s1", "sample_id": f"{sid}-{analyte[:2]}",
             "sample_number": 1, "analyte": analyte, "matrix": "saliva",
             "value": "<LOD" if wells[rep] < lod else f"{wells[rep]:.5g}", "unit": unit,
             "lod": round(float(lod), 6), "replicate": rep + 1,
             "plate_id": f"{analyte[:2].upper()}{1 + i // 40:02d}", "sample_type": "subject",
             "method": "immunoassay"} for rep in (0, 1)]


def _write_pilot(folder, n=N, seed=11):
    rng = np.random.default_rng(seed)
    z = rng.normal(MU, SD, n)
    p4 = rng.normal(MU_P4, SD_P4, n)
    rmet = np.clip(np.round(26 + SLOPE * (z - MU) + rng.normal(0, NOISE, n)), 0, 36)
    ids = [f"P{i:03d}" for i in range(n)]
    (folder / "contract.yaml").write_text(CONTRACT, encoding="utf-8")
    pd.DataFrame({"subject_id": ids, "sex": "female", "age": 25.0}).to_csv(
        folder / "subjects.csv", index=False)
    arm = np.arange(n) % 2 == 0
    pd.DataFrame({"subject_id": ids,
                  "agent": np.where(arm, "intranasal_oxytocin", "placebo"),
                  "dose": np.where(arm, 24.0, np.nan), "dose_unit": np.where(arm, "IU", ""),
                  "route": "intranasal",
                  "start": [f"2024-03-{1 + i % 28:02d} 09:15" for i in range(n)],
                  "device": "nasal spray", "interval_min": 45.0}).to_csv(
        folder / "treatments.csv", index=False)
    e2_wells = np.exp(z[:, None] + rng.normal(0, ASSAY, (n, 2)))
    rows = []
    for i, sid in enumerate(ids):
        rows += _sample_rows(sid, i, "estradiol", "pg/mL", e2_wells[i], np.exp(LOG_LOD_E2))
        rows += _sample_rows(sid, i, "progesterone", "ng/mL", np.exp([p4[i], p4[i]]),
                             np.exp(LOG_LOD))
    pd.DataFrame(rows).to_csv(folder / "samples.csv", index=False)
    items = _pss_items(rng, n)
    responses = [pd.DataFrame({"subject_id": ids, "session": "s1", "instrument": "rmet",
                               "item": "total", "response": rmet.astype(int)})]
    responses += [pd.DataFrame({"subject_id": ids, "session": "s1", "instrument": "pss10",
                                "item": str(j + 1), "response": items[:, j]})
                  for j in range(10)]
    pd.concat(responses).to_csv(folder / "responses.csv", index=False)
    return hs.read_study(folder / "contract.yaml", folder)


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    return pilot_parameters(_write_pilot(tmp_path_factory.mktemp("pilot")))


def _truth(reliability: float = RELIABILITY) -> PilotParameters:
    """The parameters the pilot estimates, at their true values (on the measured scale)."""
    sd_y = float(np.sqrt(SLOPE**2 * SD**2 + NOISE**2 + 1 / 12))  # + rounding to whole points
    sd_m = float(np.sqrt(SD**2 / reliability))
    r = SLOPE * SD**2 / (sd_m * sd_y)
    hormones = pd.DataFrame([{"analyte": "estradiol", "column": "log_estradiol",
                              "unit": "pg/mL", "n": N, "mean_log": MU, "sd_log": sd_m,
                              "lod_fraction": 0.0, "log_lod": LOG_LOD_E2, "method": "true",
                              "assay_cv": np.nan, "reliability": reliability}])
    outcomes = pd.DataFrame([{"column": "rmet_total", "n": N, "mean": 26.0, "sd": sd_y,
                              "sd_within_arm": sd_y, "reliability": np.nan}])
    corr = pd.DataFrame([[1.0, r], [r, 1.0]], index=["log_estradiol", "rmet_total"],
                        columns=["log_estradiol", "rmet_total"])
    return PilotParameters(hormones=hormones, outcomes=outcomes, correlations=corr,
                           icc=pd.DataFrame(columns=["column", "icc"]),
                           mapping={"estradiol": "log_estradiol", "outcome": "rmet_total",
                                    "oxytocin": "oxytocin_arm"},
                           n_subjects=N, design="between", facts={"arm_share": 0.5})


def test_pilot_estimates_recover_the_true_parameters(pilot):
    truth = _truth()
    h = pilot.hormone("estradiol")
    # on the analysis table's scale: the log of the canonical unit (a shift of the log)
    shift = np.log(hs.convert(1.0, "estradiol", "pg/mL", h["unit"]))
    # the log of the mean of two wells is about ASSAY^2 / 4 above the true log
    assert h["mean_log"] - shift == pytest.approx(MU + ASSAY**2 / 4,
                                                  abs=4 * SD_MEASURED / np.sqrt(N))
    assert h["sd_log"] == pytest.approx(SD_MEASURED, abs=4 * SD_MEASURED / np.sqrt(2 * N))
    # reliability from the replicate CVs: its SE is dominated by that of sd_log^2 (about 0.05)
    assert h["reliability"] == pytest.approx(RELIABILITY, abs=0.05)
    assert h["assay_cv"] == pytest.approx(np.sqrt(np.expm1(ASSAY**2)), rel=0.1)
    p4 = pilot.hormone("progesterone")
    shift = np.log(hs.convert(1.0, "progesterone", "ng/mL", p4["unit"]))
    assert p4["mean_log"] - shift == pytest.approx(MU_P4, abs=4 * SD_P4 / np.sqrt(N))
    assert p4["sd_log"] == pytest.approx(SD_P4, abs=4 * SD_P4 / np.sqrt(2 * N))
    assert p4["log_lod"] - shift == pytest.approx(LOG_LOD, abs=1e-4)
    assert p4["lod_fraction"] == pytest.approx(0.15, abs=4 * np.sqrt(0.15 * 0.85 / N))
    assert p4["reliability"] == pytest.approx(1.0)  # identical wells: no assay error
    out = pilot.outcome("outcome")
    true_sd = truth.outcomes["sd"].iloc[0]
    assert out["mean"] == pytest.approx(26.0, abs=4 * true_sd / np.sqrt(N))
    assert out["sd"] == pytest.approx(true_sd, abs=4 * true_sd / np.sqrt(2 * N))
    r_true = truth.correlation("log_estradiol", "rmet_total")
    assert pilot.correlation("log_estradiol", "rmet_total") == pytest.approx(
        r_true, abs=4 * (1 - r_true**2) / np.sqrt(N))
    # Cronbach's alpha of the PSS-10 items (SE about 0.01 at n = 600)
    assert pilot.outcome("anxiety")["reliability"] == pytest.approx(_population_alpha(),
                                                                    abs=0.04)
    assert pilot.facts["arm_share"] == 0.5 and pilot.facts["female_share"] == 1.0
    assert pilot.icc.empty  # one row per person: no ICC
    assert "Hormones" in pilot.summary() and "reliability" in pilot.summary()


def test_unreliable_hormone_attenuates_its_slope():
    """Regression dilution: the measured hormone's slope is reliability x the true one."""
    kw = dict(n=[400], effects={"effect": 2.0}, n_sims=400, seed=3, progress=False)
    exact = hs.power("estradiol_oxytocin", pilot=_truth(1.0), **kw)
    noisy = hs.power("estradiol_oxytocin", pilot=_truth(0.5), **kw)
    assert exact["mean_estimate"].iloc[0] == pytest.approx(2.0, rel=0.05)
    assert noisy["true_value"].iloc[0] == pytest.approx(1.0)
    assert noisy["mean_estimate"].iloc[0] == pytest.approx(1.0, rel=0.1)
    assert noisy["power"].iloc[0] < exact["power"].iloc[0] - 0.1
    assert "reliability" in noisy["effect_units"].iloc[0]


def test_effect_is_stated_both_ways(pilot):
    _spec, raw = pilot_spec("estradiol_oxytocin", pilot, 1.0, "raw")
    _spec, std = pilot_spec("estradiol_oxytocin", pilot, raw["effect_standardised"],
                            "standardised")
    assert std["effect_raw"] == pytest.approx(1.0)
    assert "rmet_total points per natural-log unit of estradiol" in raw["effect_units"]
    with pytest.raises(hs.HormoneStatsError, match="available for"):
        pilot_spec("no_such_hypothesis", pilot, 1.0)
    with pytest.raises(hs.HormoneStatsError, match="rs53576"):
        pilot_spec("oxtr_genotype", pilot, 1.0)
    with pytest.raises(hs.HormoneStatsError, match="several observations per person"):
        pilot_spec("estradiol_within_person", pilot, 1.0)


def test_power_curve_from_the_pilot_agrees_with_the_true_parameters(pilot):
    ns = [100, 200, 400]
    kw = dict(n=ns, effects={"effect": 0.25}, effect_scale="standardised", n_sims=1000,
              progress=False)
    from_pilot = hs.power("estradiol_oxytocin", pilot=pilot, seed=5, **kw)
    from_truth = hs.power("estradiol_oxytocin", pilot=_truth(), seed=6, **kw)
    assert {"effect_raw", "effect_standardised", "effect_units"} <= set(from_pilot.columns)
    assert (from_pilot["effect_standardised"] == 0.25).all()
    diff = from_pilot["power"] - from_truth["power"]
    mc = np.sqrt(from_pilot["mc_se"] ** 2 + from_truth["mc_se"] ** 2)
    # within Monte-Carlo error (3.5 SE: the parameters' own sampling error adds a little)
    assert (diff.abs() <= 3.5 * mc).all(), pd.DataFrame({"n": ns, "diff": diff, "mc": mc})
    assert from_truth["power"].is_monotonic_increasing
    # the interaction estimate targets the measured hormone's (attenuated) slope
    assert from_truth["mean_estimate"].iloc[-1] == pytest.approx(
        from_truth["true_value"].iloc[-1], rel=0.1)
    assert from_truth["true_value"].iloc[-1] == pytest.approx(
        RELIABILITY * from_truth["effect_raw"].iloc[-1])


def test_power_from_a_pilot_needs_one_effect(pilot):
    with pytest.raises(hs.HormoneStatsError, match="effects=\\{'effect': value\\}"):
        hs.power("estradiol_oxytocin", pilot=pilot, n=[50], n_sims=10, progress=False)


def test_power_command_takes_a_pilot(tmp_path, capsys):
    from hormonestats.cli import main

    folder = tmp_path / "pilot"
    folder.mkdir()
    _write_pilot(folder, n=120)
    code = main(["power", "estradiol_oxytocin", "--n", "60", "--sims", "50", "--pilot",
                 str(folder / "contract.yaml"), str(folder), "--effect", "effect=0.3",
                 "--effect-scale", "standardised", "--out", str(tmp_path / "p")])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "censored-normal ML" in out and "= 0.3 standardised" in out
    assert "rmet_total points per natural-log unit of estradiol" in out
    table = pd.read_csv(tmp_path / "p" / "tables" / "power.csv")
    assert table["effect_standardised"].iloc[0] == pytest.approx(0.3)


def test_sample_size_command_takes_a_pilot(tmp_path, capsys):
    from hormonestats.cli import main

    folder = tmp_path / "pilot"
    folder.mkdir()
    _write_pilot(folder, n=120)
    code = main(["sample-size", "estradiol_oxytocin", "--sims", "100", "--n-max", "2000",
                 "--pilot", str(folder / "contract.yaml"), str(folder),
                 "--effect", "effect=0.4", "--effect-scale", "standardised"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    assert "reliability" in out and "= 0.4 standardised" in out
    assert "reaches power" in out
    code = main(["sample-size", "oxtr_genotype", "--sims", "20", "--pilot",
                 str(folder / "contract.yaml"), str(folder), "--effect", "effect=1"])
    assert code == 2
    assert "rs53576" in capsys.readouterr().err


def test_sample_size_from_a_pilot_reaches_the_target(pilot):
    res = hs.sample_size_for("estradiol_oxytocin", pilot=pilot, effects={"effect": 0.3},
                             effect_scale="standardised", n_range=(50, 2000), n_sims=200,
                             seed=2)
    assert res["power"].iloc[0] >= 0.8
    assert res["effect_standardised"].iloc[0] == pytest.approx(0.3)
    below = hs.power("estradiol_oxytocin", pilot=pilot, n=[int(res["n"].iloc[0]) - 1],
                     effects={"effect": 0.3}, effect_scale="standardised", n_sims=200,
                     seed=2, progress=False)
    assert below["power"].iloc[0] < 0.8
