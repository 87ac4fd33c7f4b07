"""Power from a pilot study: the estimated simulator parameters recover the truth, and the
power curve from the pilot agrees with the curve from the true parameters.

The pilot is written as files (contract, subjects, samples with duplicate wells and a LOD,
RMET totals) from known parameters: log estradiol ~ N(1.5, 0.6) (pg/mL), a LOD censoring
about 15 % of readings, and RMET = 26 + 0.8 (log E2 - 1.5) + N(0, 3) rounded to whole points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hormonestats as hs
from hormonestats.simulate.pilot import PilotParameters, pilot_parameters, pilot_spec

MU, SD, SLOPE, NOISE = 1.5, 0.6, 0.8, 3.0
LOG_LOD = MU + stats.norm.ppf(0.15) * SD  # 15 % of readings below the LOD
N = 600


def _write_pilot(folder, n=N, seed=11):
    rng = np.random.default_rng(seed)
    z = rng.normal(MU, SD, n)
    rmet = np.clip(np.round(26 + SLOPE * (z - MU) + rng.normal(0, NOISE, n)), 0, 36)
    ids = [f"P{i:03d}" for i in range(n)]
    (folder / "contract.yaml").write_text(
        "name: pilot\ndesign: between\ntables:\n  subjects: subjects.csv\n  samples: "
        "samples.csv\n  responses: responses.csv\nanalytes:\n  estradiol:\n    unit: pg/mL\n"
        "    matrix: saliva\n    method: immunoassay\ninstruments:\n  rmet: {}\n",
        encoding="utf-8")
    pd.DataFrame({"subject_id": ids, "sex": "female", "age": 25.0}).to_csv(
        folder / "subjects.csv", index=False)
    value = np.round(np.exp(z), 4)
    shown = np.where(z < LOG_LOD, "<LOD", value.astype(str))  # as an assay export marks them
    rows = []
    for i, sid in enumerate(ids):
        for rep in (1, 2):
            rows.append({"subject_id": sid, "session": "s1", "sample_id": f"{sid}-1",
                         "sample_number": 1, "analyte": "estradiol", "matrix": "saliva",
                         "value": shown[i], "unit": "pg/mL",
                         "lod": round(float(np.exp(LOG_LOD)), 6), "replicate": rep,
                         "plate_id": f"E{1 + i // 40:02d}", "sample_type": "subject",
                         "method": "immunoassay"})
    pd.DataFrame(rows).to_csv(folder / "samples.csv", index=False)
    pd.DataFrame({"subject_id": ids, "session": "s1", "instrument": "rmet", "item": "total",
                  "response": rmet.astype(int)}).to_csv(folder / "responses.csv", index=False)
    return hs.read_study(folder / "contract.yaml", folder)


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    return pilot_parameters(_write_pilot(tmp_path_factory.mktemp("pilot")))


def _truth() -> PilotParameters:
    """The same parameters as the pilot estimates them, at their true values."""
    sd_y = float(np.sqrt(SLOPE**2 * SD**2 + NOISE**2 + 1 / 12))  # + rounding to whole points
    r = SLOPE * SD / sd_y
    hormones = pd.DataFrame([{"analyte": "estradiol", "column": "log_estradiol",
                              "unit": "pg/mL", "n": N, "mean_log": MU, "sd_log": SD,
                              "lod_fraction": 0.15, "log_lod": LOG_LOD, "method": "true"}])
    outcomes = pd.DataFrame([{"column": "rmet_total", "n": N, "mean": 26.0, "sd": sd_y,
                              "reliability": np.nan}])
    corr = pd.DataFrame([[1.0, r], [r, 1.0]], index=["log_estradiol", "rmet_total"],
                        columns=["log_estradiol", "rmet_total"])
    return PilotParameters(hormones=hormones, outcomes=outcomes, correlations=corr,
                           icc=pd.DataFrame(columns=["column", "icc"]),
                           mapping={"estradiol": "log_estradiol", "outcome": "rmet_total"},
                           n_subjects=N, design="between")


def test_pilot_estimates_recover_the_true_parameters(pilot):
    truth = _truth()
    h = pilot.hormone("estradiol")
    # on the analysis table's scale: the log of the canonical unit (a shift of the log)
    shift = np.log(hs.convert(1.0, "estradiol", "pg/mL", h["unit"]))
    # censored-normal ML: the SEs are SD/sqrt(n) and about SD/sqrt(2n) (n = 600)
    assert h["mean_log"] - shift == pytest.approx(MU, abs=4 * SD / np.sqrt(N))
    assert h["sd_log"] == pytest.approx(SD, abs=4 * SD / np.sqrt(2 * N))
    assert h["log_lod"] - shift == pytest.approx(LOG_LOD, abs=1e-4)
    assert h["lod_fraction"] == pytest.approx(0.15, abs=4 * np.sqrt(0.15 * 0.85 / N))
    out = pilot.outcome("outcome")
    true_sd = truth.outcomes["sd"].iloc[0]
    assert out["mean"] == pytest.approx(26.0, abs=4 * true_sd / np.sqrt(N))
    assert out["sd"] == pytest.approx(true_sd, abs=4 * true_sd / np.sqrt(2 * N))
    r_true = truth.correlation("log_estradiol", "rmet_total")
    assert pilot.correlation("log_estradiol", "rmet_total") == pytest.approx(
        r_true, abs=4 * (1 - r_true**2) / np.sqrt(N))
    # the substituted values (LOD/sqrt2) would bias a naive mean upwards of the ML one
    assert pilot.hormones["method"].iloc[0] == "censored-normal ML"
    assert pilot.icc.empty  # one row per person: no ICC
    assert "Hormones" in pilot.summary()


def test_effect_is_stated_both_ways(pilot):
    _spec, raw = pilot_spec("estradiol_oxytocin", pilot, 1.0, "raw")
    _spec, std = pilot_spec("estradiol_oxytocin", pilot, raw["effect_standardised"],
                            "standardised")
    assert std["effect_raw"] == pytest.approx(1.0)
    assert "rmet_total points per natural-log unit of estradiol" in raw["effect_units"]
    with pytest.raises(hs.HormoneStatsError, match="available for"):
        pilot_spec("oxtr_genotype", pilot, 1.0)


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
    # the interaction estimate is (nearly) unbiased despite the LOD substitution
    assert from_truth["mean_estimate"].iloc[-1] == pytest.approx(
        from_truth["true_value"].iloc[-1], rel=0.1)


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
