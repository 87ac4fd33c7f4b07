"""Power from couples and stress-test pilots written from known parameters.

* Couples (``dyadic``): 300 couples; each partner's log oxytocin ~ N(2, 0.6), partners
  correlated 0.2, read in duplicate wells with assay error ``C_ASSAY`` on the log scale; RMET =
  26 + 0.8 own log oxytocin (actor) + 0.4 partner's (partner) + residuals of SD 3 correlated
  0.3 within the couple, rounded. The pilot recovers the within-couple ICCs and the actor and
  partner effects, and the ``oxytocin_actor`` power curve agrees with the truth's.
* Stress test: 200 people, cortisol at -30, -1, 30, 40, 50, 60 and 70 min; a baseline c0 and
  a response amplitude A (nmol/L, SD ``SD_A`` within arms) times a fixed shape g(t), so the AUCi
  (Pruessner et al. 2003) is A times the trapezoid area of g (53.5 min) and its SD within the
  arms 53.5 SD_A. The ``oxytocin_cortisol_reactivity`` power curve agrees with the truth's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.simulate.pilot import PilotParameters, pilot_parameters

N_COUPLES, X_MU, X_SD, X_R, C_ASSAY = 300, 2.0, 0.6, 0.2, 0.15
ACTOR, PARTNER, RES_SD, RHO = 0.8, 0.4, 3.0, 0.3
TIMES = (-30, -1, 30, 40, 50, 60, 70)
SHAPE = (0.0, 0.0, 1.0, 1.2, 1.0, 0.8, 0.6)
AREA = float(np.trapezoid(SHAPE, TIMES))  # 53.5 minutes
N_TSST, SD_A = 200, 4.0


def _wells(sid, sample_id, analyte, unit, wells, *, extra=None):
    return [{"subject_id": sid, "session": "s1", "sample_id": sample_id, "sample_number": 1,
             "analyte": analyte, "matrix": "saliva", "value": f"{w:.6g}", "unit": unit,
             "lod": 0.01, "replicate": rep + 1, "plate_id": "P01", "sample_type": "subject",
             "method": "immunoassay", **(extra or {})} for rep, w in enumerate(wells)]


def _write_couples(folder, seed=5):
    rng = np.random.default_rng(seed)
    n = N_COUPLES
    x = X_MU + rng.multivariate_normal([0, 0], X_SD**2 * np.array([[1, X_R], [X_R, 1]]), n)
    e = rng.multivariate_normal([0, 0], RES_SD**2 * np.array([[1, RHO], [RHO, 1]]), n)
    y = np.clip(np.round(26 + ACTOR * (x - X_MU) + PARTNER * (x[:, ::-1] - X_MU) + e), 0, 36)
    ids = [f"C{k:03d}{m}" for k in range(n) for m in "FM"]
    (folder / "contract.yaml").write_text(
        "name: couples_pilot\ndesign: dyadic\ntables:\n  subjects: subjects.csv\n  samples: "
        "samples.csv\n  responses: responses.csv\nanalytes:\n  oxytocin: {unit: pg/mL, "
        "matrix: saliva, method: immunoassay, extracted: true}\ninstruments:\n  rmet: {}\n"
        "columns:\n  subjects:\n    role:\n      dtype: str\n      values: [female_partner, "
        "male_partner]\n", encoding="utf-8")
    pd.DataFrame({"subject_id": ids, "dyad_id": np.repeat([f"D{k:03d}" for k in range(n)], 2),
                  "role": np.tile(["female_partner", "male_partner"], n),
                  "sex": np.tile(["female", "male"], n), "age": 30.0}).to_csv(
        folder / "subjects.csv", index=False)
    wells = np.exp(x.reshape(-1)[:, None] + rng.normal(0, C_ASSAY, (2 * n, 2)))
    rows = [r for i, sid in enumerate(ids)
            for r in _wells(sid, f"{sid}-1", "oxytocin", "pg/mL", wells[i])]
    pd.DataFrame(rows).to_csv(folder / "samples.csv", index=False)
    pd.DataFrame({"subject_id": ids, "session": "s1", "instrument": "rmet", "item": "total",
                  "response": y.reshape(-1).astype(int)}).to_csv(folder / "responses.csv",
                                                                 index=False)
    return hs.read_study(folder / "contract.yaml", folder)


def _couples_truth() -> PilotParameters:
    """The couples pilot's population values on the measured scale (assay error ASSAY^2/2)."""
    vx_t, err = X_SD**2, C_ASSAY**2 / 2
    var_y = (ACTOR**2 + PARTNER**2) * vx_t + 2 * ACTOR * PARTNER * X_R * vx_t + RES_SD**2
    cov_y = (ACTOR**2 + PARTNER**2) * X_R * vx_t + 2 * ACTOR * PARTNER * vx_t + RHO * RES_SD**2
    hormones = pd.DataFrame([{"analyte": "oxytocin", "column": "log_oxytocin", "unit": "pg/mL",
                              "n": 1, "mean_log": X_MU, "sd_log": np.sqrt(vx_t + err),
                              "lod_fraction": 0.0, "log_lod": -10.0, "method": "true",
                              "assay_cv": np.sqrt(np.expm1(C_ASSAY**2)), "error_var": err,
                              "reliability": vx_t / (vx_t + err)}])
    outcomes = pd.DataFrame([{"column": "rmet_total", "n": 1, "mean": 26.0,
                              "sd": np.sqrt(var_y + 1 / 12), "sd_within_arm": np.nan,
                              "reliability": np.nan}])
    dyad_icc = pd.DataFrame({"column": ["log_oxytocin", "rmet_total"],
                             "icc": [X_R * vx_t / (vx_t + err), cov_y / (var_y + 1 / 12)]})
    rel = vx_t / (vx_t + err)
    return PilotParameters(
        hormones=hormones, outcomes=outcomes, correlations=pd.DataFrame(),
        icc=pd.DataFrame(columns=["column", "icc"]),
        mapping={"oxytocin": "log_oxytocin", "outcome": "rmet_total", "dyad": "dyad_id"},
        n_subjects=2 * N_COUPLES, design="dyadic", dyad_icc=dyad_icc,
        facts={"actor": ACTOR * rel, "partner": PARTNER * rel})  # as measured: attenuated


@pytest.fixture(scope="module")
def couples(tmp_path_factory):
    return pilot_parameters(_write_couples(tmp_path_factory.mktemp("couples")))


def test_couples_pilot_recovers_the_truth(couples):
    truth = _couples_truth()
    got = dict(zip(couples.dyad_icc["column"], couples.dyad_icc["icc"]))
    want = dict(zip(truth.dyad_icc["column"], truth.dyad_icc["icc"]))
    for column in want:  # ICC(1) of 300 pairs: SE about 0.055
        assert got[column] == pytest.approx(want[column], abs=0.2), column
    h = couples.hormone("oxytocin")
    assert h["reliability"] == pytest.approx(truth.hormone("oxytocin")["reliability"],
                                             abs=0.03)
    assert h["sd_log"] == pytest.approx(truth.hormone("oxytocin")["sd_log"], rel=0.1)
    # APIM estimates of 300 couples: SE about RES_SD / (X_SD sqrt(2 n)) = 0.2
    assert couples.facts["actor"] == pytest.approx(truth.facts["actor"], abs=0.8)
    assert couples.facts["partner"] == pytest.approx(truth.facts["partner"], abs=0.8)


def test_couples_power_from_the_pilot_agrees_with_the_truth(couples):
    kw = dict(n=[30, 60, 120], effects={"effect": ACTOR}, n_sims=1000, progress=False)
    from_pilot = hs.power("oxytocin_actor", pilot=couples, seed=1, **kw)
    from_truth = hs.power("oxytocin_actor", pilot=_couples_truth(), seed=2, **kw)
    diff = from_pilot["power"] - from_truth["power"]
    mc = np.sqrt(from_pilot["mc_se"] ** 2 + from_truth["mc_se"] ** 2)
    # 4 SE: the pilot's own estimates (actor/partner, ICCs) add some error at 300 couples
    assert (diff.abs() <= 4 * mc).all(), pd.DataFrame({"diff": diff, "mc": mc})
    # the measured actor effect: the sum's and the difference's slopes attenuated apart
    err = C_ASSAY**2  # two partners' assay errors of variance ASSAY^2 / 2 each
    lam_sum = 2 * X_SD**2 * (1 + X_R) / (2 * X_SD**2 * (1 + X_R) + err)
    lam_diff = 2 * X_SD**2 * (1 - X_R) / (2 * X_SD**2 * (1 - X_R) + err)
    measured = ((ACTOR + PARTNER) * lam_sum + (ACTOR - PARTNER) * lam_diff) / 2
    assert from_truth["true_value"].iloc[0] == pytest.approx(measured, rel=1e-6)
    assert from_truth["mean_estimate"].iloc[-1] == pytest.approx(measured, rel=0.05)
    assert from_truth["coverage"].min() > 0.92


def _write_tsst(folder, effect=-10.0, seed=8):
    rng = np.random.default_rng(seed)
    ids = [f"T{i:03d}" for i in range(N_TSST)]
    arm = np.arange(N_TSST) % 2 == 0
    c0 = np.exp(rng.normal(np.log(6.0), 0.3, N_TSST))
    amp = np.clip(20.0 + effect / AREA * arm + rng.normal(0, SD_A, N_TSST), 0.5, None)
    (folder / "contract.yaml").write_text(
        "name: tsst_pilot\ndesign: between\ntables:\n  subjects: subjects.csv\n  samples: "
        "samples.csv\n  treatments: treatments.csv\nanalytes:\n  cortisol: {unit: nmol/L, "
        "matrix: saliva, method: immunoassay}\nagents:\n- intranasal_oxytocin\n- placebo\n",
        encoding="utf-8")
    pd.DataFrame({"subject_id": ids, "sex": "female", "age": 30.0}).to_csv(
        folder / "subjects.csv", index=False)
    pd.DataFrame({"subject_id": ids, "agent": np.where(arm, "intranasal_oxytocin", "placebo"),
                  "dose": np.where(arm, 24.0, np.nan), "dose_unit": np.where(arm, "IU", ""),
                  "route": "intranasal", "start": "2024-03-01 13:15", "device": "nasal spray",
                  "interval_min": 45.0}).to_csv(folder / "treatments.csv", index=False)
    rows = []
    for i, sid in enumerate(ids):
        for k, (t, g) in enumerate(zip(TIMES, SHAPE), start=1):
            value = c0[i] + amp[i] * g
            rows += [{**r, "sample_number": k} for r in _wells(
                sid, f"{sid}-{k}", "cortisol", "nmol/L", [value, value],
                extra={"sample_time": float(t)})]
    pd.DataFrame(rows).to_csv(folder / "samples.csv", index=False)
    return hs.read_study(folder / "contract.yaml", folder)


def test_tsst_pilot_recovers_the_reactivity_sd_and_power(tmp_path):
    pilot = pilot_parameters(_write_tsst(tmp_path))
    out = pilot.outcome("cortisol_reactivity")
    # SD of A within arms on 198 df: SE about 5 % (the clip at 0.5 nmol/L is 4.9 SD away)
    assert out["sd_within_arm"] == pytest.approx(AREA * SD_A, rel=0.2)
    truth = PilotParameters(
        hormones=pd.DataFrame(columns=["analyte", "column"]),
        outcomes=pd.DataFrame([{"column": "cortisol_auc_i", "n": 1, "mean": 0.0, "sd": np.nan,
                                "sd_within_arm": AREA * SD_A, "reliability": np.nan}]),
        correlations=pd.DataFrame(), icc=pd.DataFrame(columns=["column", "icc"]),
        mapping={"cortisol_reactivity": "cortisol_auc_i", "oxytocin": "oxytocin_arm"},
        n_subjects=N_TSST, design="between", facts={"arm_share": 0.5})
    kw = dict(n=[40, 80, 160], effects={"effect": -80.0}, n_sims=1000, progress=False)
    from_pilot = hs.power("oxytocin_cortisol_reactivity", pilot=pilot, seed=1, **kw)
    from_truth = hs.power("oxytocin_cortisol_reactivity", pilot=truth, seed=2, **kw)
    diff = from_pilot["power"] - from_truth["power"]
    mc = np.sqrt(from_pilot["mc_se"] ** 2 + from_truth["mc_se"] ** 2)
    assert (diff.abs() <= 4 * mc).all(), pd.DataFrame({"diff": diff, "mc": mc})
    assert from_truth["effect_standardised"].iloc[0] == pytest.approx(-80.0 / (AREA * SD_A))
