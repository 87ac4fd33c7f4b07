"""Tests of hormonestats.derive.cortisol and hormonestats.derive.diurnal.

References used (none computed by hormonestats itself):
* Pruessner et al. (2003), Psychoneuroendocrinology 28:916 -- published worked AUC cases.
* BioPsyKit example saliva cortisol data (MIT, BioPsyKit commit 5f5d179a; licence in
  tests/reference/cortisol_biopsykit_LICENSE): AUCs recomputed with scipy.integrate.trapezoid
  from the WIDE file, and per-subject values / group means and SEs computed in base R by
  tests/reference/cortisol_biopsykit_auc.R (output committed beside it).
  The file cortisol_biopsykit_sample_stats.csv holds the same data in long format (no summary
  statistics), so it serves as the long-format input whose results must equal the wide-file
  references.
* Simulated curves with analytically known areas and slopes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from hormonestats.derive.cortisol import auc, auc_values, cortisol_features
from hormonestats.derive.diurnal import awakening_response, diurnal_slope
from hormonestats.errors import DataError, HormoneStatsError

REF = Path(__file__).parent / "reference"
BPK_TIMES = np.array([-30.0, -1.0, 30.0, 40.0, 50.0, 60.0, 70.0])  # BioPsyKit README
RTOL = 1e-9  # float arithmetic only; R writes 15 significant digits


@pytest.fixture(scope="module")
def wide():
    return pd.read_csv(REF / "cortisol_biopsykit_sample.csv")


@pytest.fixture(scope="module")
def long():
    df = pd.read_csv(REF / "cortisol_biopsykit_sample_stats.csv")
    df["sample_time"] = BPK_TIMES[df["sample"].to_numpy()]
    return df.rename(columns={"subject": "subject_id", "cortisol": "value"})


# ------------------------------------------------------------------ published worked examples
@pytest.mark.parametrize(
    ("values", "times", "auc_g", "auc_i"),
    [
        ([3.5, 7, 14, 7, 10], [1, 2, 3, 4, 5], 34.75, 20.75),
        ([3.5, 7, 14, 7, 10], [0, 10, 15, 30, 45], 390.0, 232.5),
        ([10, 15, 12], [0, 30, 45], 577.5, 127.5),
    ],
)
def test_pruessner_worked_cases(values, times, auc_g, auc_i):
    assert auc_values(values, times) == pytest.approx((auc_g, auc_i), abs=1e-12)
    df = pd.DataFrame({"subject_id": "s1", "sample_time": times, "value": values})
    out = auc(df)
    assert out.loc[0, "auc_g"] == pytest.approx(auc_g, abs=1e-12)
    assert out.loc[0, "auc_i"] == pytest.approx(auc_i, abs=1e-12)
    assert out.loc[0, "n_samples"] == len(values)
    assert out.loc[0, "n_missing"] == 0


def test_auc_i_can_be_negative():
    g, i = auc_values([10, 5, 2], [0, 10, 20])
    assert g == pytest.approx(7.5 * 10 + 3.5 * 10)
    assert i == pytest.approx(g - 10 * 20) and i < 0


def test_auc_values_rejects_bad_input():
    with pytest.raises(DataError, match="NaN"):
        auc_values([1, np.nan, 2], [0, 1, 2])
    with pytest.raises(DataError, match="increasing"):
        auc_values([1, 2, 3], [0, 2, 1])
    with pytest.raises(DataError, match="equal length"):
        auc_values([1, 2, 3], [0, 1])


# ------------------------------------------------------------------ BioPsyKit example data
def test_biopsykit_auc_against_scipy_trapezoid(wide, long):
    m = wide[[str(i) for i in range(7)]].to_numpy(float)
    ref_g = integrate.trapezoid(m, x=BPK_TIMES, axis=1)
    ref_i = ref_g - m[:, 0] * (BPK_TIMES[-1] - BPK_TIMES[0])
    post = BPK_TIMES >= -1  # stressor at 0 -> stressor baseline is the sample at -1 min
    ref_post = integrate.trapezoid(m[:, post], x=BPK_TIMES[post], axis=1) - m[:, 1] * (
        BPK_TIMES[-1] - BPK_TIMES[1]
    )
    out = auc(long, stressor_time=0).set_index("subject_id").loc[wide["subject"]]
    np.testing.assert_allclose(out["auc_g"], ref_g, rtol=RTOL)
    np.testing.assert_allclose(out["auc_i"], ref_i, rtol=RTOL)
    np.testing.assert_allclose(out["auc_i_post"], ref_post, rtol=RTOL)
    assert (out["n_samples"] == 7).all() and (out["n_missing"] == 0).all()


def test_biopsykit_features_against_r(long):
    ref = pd.read_csv(REF / "cortisol_biopsykit_auc_r.csv").set_index("subject")
    feats, log = cortisol_features(long, stressor_time=0)
    feats = feats.set_index("subject_id").loc[ref.index]
    for col in ["auc_g", "auc_i", "auc_i_post", "peak_reactivity"]:
        np.testing.assert_allclose(feats[col], ref[col], rtol=RTOL, atol=1e-12, err_msg=col)
    assert log.empty


def test_biopsykit_group_means_and_se_against_r(long):
    ref = pd.read_csv(REF / "cortisol_biopsykit_auc_summary_r.csv")
    feats, _ = cortisol_features(long, stressor_time=0)
    cond = long.drop_duplicates("subject_id").set_index("subject_id")["condition"]
    feats["condition"] = feats["subject_id"].map(cond)
    for row in ref.itertuples():
        x = feats.loc[feats["condition"] == row.condition, row.feature]
        assert len(x) == row.n
        assert x.mean() == pytest.approx(row.mean, rel=RTOL)
        assert x.sem() == pytest.approx(row.se, rel=RTOL)


def test_input_not_mutated(long):
    before = long.copy(deep=True)
    cortisol_features(long, stressor_time=0, slope_between=(-1, 30))
    auc(long)
    pd.testing.assert_frame_equal(long, before)


# ------------------------------------------------------------------ simulated known truth
def test_linear_curve_known_areas_and_slope():
    # y = a + b t: trapezoids are exact; AUCg = a T + b T^2 / 2, AUCi = b T^2 / 2
    a, b = 5.0, 0.2
    t = np.array([0.0, 15, 30, 45, 60])
    rows = []
    for sid, bb in [("s1", b), ("s2", -b / 4)]:
        rows += [{"subject_id": sid, "sample_time": ti, "value": a + bb * ti} for ti in t]
    df = pd.DataFrame(rows)
    out, _ = cortisol_features(df, slope_between=(15, 45))
    for sid, bb in [("s1", b), ("s2", -b / 4)]:
        r = out.set_index("subject_id").loc[sid]
        assert r["auc_g"] == pytest.approx(a * 60 + bb * 60**2 / 2, rel=1e-12)
        assert r["auc_i"] == pytest.approx(bb * 60**2 / 2, rel=1e-12)
        assert r["slope"] == pytest.approx(bb, rel=1e-12)
    s1 = out.set_index("subject_id").loc["s1"]
    assert s1["peak_time"] == 60 and s1["time_to_peak"] == 60
    assert s1["peak_reactivity"] == pytest.approx(b * 60)
    s2 = out.set_index("subject_id").loc["s2"]
    # falling curve: the largest value after baseline is the second sample, reactivity < 0
    assert s2["peak_time"] == 15 and s2["peak_reactivity"] == pytest.approx(-b / 4 * 15)


# ------------------------------------------------------------------ missing-sample policy
def _drop(long, subject, times, as_nan=False):
    mask = (long["subject_id"] == subject) & long["sample_time"].isin(times)
    if as_nan:
        out = long.copy()
        out.loc[mask, "value"] = np.nan
        return out
    return long.loc[~mask]


@pytest.mark.parametrize("as_nan", [False, True])
def test_default_policy_requires_all_samples_for_every_feature(long, as_nan):
    data = _drop(long, "Vp03", [40.0], as_nan=as_nan)
    feats, log = cortisol_features(data, stressor_time=0, slope_between=(-1, 30))
    r = feats.set_index("subject_id").loc["Vp03"]
    value_cols = [
        "auc_g",
        "auc_i",
        "auc_i_post",
        "baseline",
        "peak",
        "peak_reactivity",
        "time_to_peak",
        "slope",
    ]
    assert r[value_cols].isna().all()  # one missing sample -> ALL features missing
    assert r["n_samples"] == 6 and r["n_missing"] == 1
    others = feats[feats["subject_id"] != "Vp03"]
    assert others[value_cols].notna().all().all()
    assert set(log["subject_id"]) == {"Vp03"}
    assert (log["action"] == "excluded").all()
    assert log["reason"].str.contains("min_samples=7").all()
    # the log points at the caller's rows
    assert set(log["row"]) == set(data.index[data["subject_id"] == "Vp03"])


def test_min_samples_without_interpolation_uses_measured_points(long, wide):
    data = _drop(long, "Vp03", [40.0])
    out = auc(data, min_samples=6).set_index("subject_id")
    m = wide.set_index("subject").loc["Vp03", [str(i) for i in range(7)]].to_numpy(float)
    keep = BPK_TIMES != 40
    ref_g = integrate.trapezoid(m[keep], x=BPK_TIMES[keep])
    assert out.loc["Vp03", "auc_g"] == pytest.approx(ref_g, rel=RTOL)
    assert out.loc["Vp03", "auc_i"] == pytest.approx(ref_g - m[0] * 100, rel=RTOL)
    assert out.loc["Vp03", "n_missing"] == 1


def test_interpolation_is_linear_and_logged(long, wide):
    data = _drop(long, "Vp03", [40.0], as_nan=True)
    feats, log = cortisol_features(data, min_samples=6, interpolate=True, slope_between=(30, 40))
    m = wide.set_index("subject").loc["Vp03", [str(i) for i in range(7)]].to_numpy(float)
    filled = m.copy()
    filled[3] = (m[2] + m[4]) / 2  # 40 min lies halfway between 30 and 50
    r = feats.set_index("subject_id").loc["Vp03"]
    assert r["auc_g"] == pytest.approx(integrate.trapezoid(filled, x=BPK_TIMES), rel=RTOL)
    assert r["slope"] == pytest.approx((filled[3] - m[2]) / 10, rel=RTOL)
    assert r["n_interpolated"] == 1 and r["n_samples"] == 6
    assert list(log["action"]) == ["altered"]
    nan_row = data.index[(data["subject_id"] == "Vp03") & (data["sample_time"] == 40)]
    assert list(log["row"]) == list(nan_row)


@pytest.mark.parametrize(("as_nan", "schedule"), [(False, "shared"), (True, "shared"),
                                                  (True, "own")])
def test_no_extrapolation_first_or_last_missing(long, as_nan, schedule):
    # a row that is absent is known to be missing only on a nominal schedule; a row with a
    # missing value is known to be missing on the subject's own times too
    for t in (-30.0, 70.0):
        data = _drop(long, "Vp05", [t], as_nan=as_nan)
        feats, log = cortisol_features(data, min_samples=6, interpolate=True, schedule=schedule)
        r = feats.set_index("subject_id").loc["Vp05"]
        assert np.isnan(r["auc_g"]) and np.isnan(r["peak_reactivity"])
        assert log["reason"].str.contains("extrapolation").all()


def test_missing_anchor_without_interpolation_blanks_every_feature(long):
    data = _drop(long, "Vp05", [30.0])
    feats, log = cortisol_features(data, min_samples=6, slope_between=(30, 70),
                                   schedule="shared")
    r = feats.set_index("subject_id").loc["Vp05"]
    assert np.isnan(r["auc_g"]) and np.isnan(r["slope"]) and np.isnan(r["peak_reactivity"])
    assert log["reason"].str.contains("anchor").all()
    # with interpolation the same subject gets every feature
    feats2, _ = cortisol_features(data, min_samples=6, slope_between=(30, 70), interpolate=True,
                                  schedule="shared")
    assert feats2.set_index("subject_id").loc["Vp05"].notna().all()


def test_by_groups_have_their_own_rows(long):
    two = pd.concat([long.assign(session=1), long.assign(session=2)], ignore_index=True)
    two.loc[two["session"] == 2, "value"] *= 2.0
    out = auc(two, by="session")
    assert len(out) == 2 * long["subject_id"].nunique()
    s = out.set_index(["subject_id", "session"])["auc_g"]
    np.testing.assert_allclose(s.xs(2, level="session"), 2 * s.xs(1, level="session"))


def test_errors_name_columns_and_rows(long):
    with pytest.raises(DataError, match="cortisol"):
        auc(long, y="cortisol_nmol")
    dup = pd.concat([long, long.iloc[[0]]])
    with pytest.raises(DataError, match="more than one row"):
        auc(dup)
    with pytest.raises(HormoneStatsError, match="baseline_time=5"):
        cortisol_features(long, baseline_time=5, schedule="shared")


# ------------------------------------------------------------------ diurnal slope
def test_diurnal_slope_recovers_known_rate():
    rng = np.random.default_rng(1)
    minutes = np.array([0, 30, 240, 480, 720, 900], dtype=float)
    rows = []
    truth = {}
    for k in range(20):
        rate = -0.08 - 0.01 * k  # ln units per hour
        truth[f"s{k}"] = rate
        v = 15 * np.exp(rate * minutes / 60)
        rows += [
            {"subject_id": f"s{k}", "time_since_waking": t, "value": x} for t, x in zip(minutes, v)
        ]
    df = pd.DataFrame(rows)
    out = diurnal_slope(df).set_index("subject_id")
    for sid, rate in truth.items():
        assert out.loc[sid, "slope"] == pytest.approx(rate, rel=1e-10)
        assert out.loc[sid, "intercept"] == pytest.approx(np.log(15), rel=1e-10)
    # noisy data: compare with scipy's linregress on the raw scale
    noisy = df.assign(value=df["value"] + rng.normal(0, 0.5, len(df)).clip(-1, 1))
    lin = diurnal_slope(noisy, log=False).set_index("subject_id")
    for sid, g in noisy.groupby("subject_id"):
        ref = stats.linregress(g["time_since_waking"] / 60, g["value"])
        assert lin.loc[sid, "slope"] == pytest.approx(ref.slope, rel=1e-9)


def test_diurnal_slope_timedelta_and_nonpositive():
    df = pd.DataFrame(
        {
            "subject_id": ["a"] * 3,
            "time_since_waking": pd.to_timedelta([0, 60, 120], unit="min"),
            "value": [8.0, 4.0, 2.0],
        }
    )
    assert diurnal_slope(df)["slope"].iloc[0] == pytest.approx(np.log(0.5))
    with pytest.raises(DataError, match="> 0"):
        diurnal_slope(df.assign(value=[8.0, 0.0, 2.0]))


# ------------------------------------------------------------------ awakening response
def _car(delays, wake="2024-03-01 07:00"):
    rows = []
    for sid, d in delays.items():
        w = pd.Timestamp(wake)
        for off, v in zip([0, 30, 45], [10.0, 15.0, 12.0]):
            rows.append(
                {
                    "subject_id": sid,
                    "wake_time": w,
                    "sample_time": w + pd.Timedelta(minutes=d + off),
                    "value": v,
                }
            )
    return pd.DataFrame(rows)


def test_car_matches_pruessner_case_and_flags_delay():
    df = _car({"on_time": 0, "late4": 4.9, "late5": 5, "late12": 12})
    before = df.copy(deep=True)
    out, log = awakening_response(df)
    pd.testing.assert_frame_equal(df, before)
    out = out.set_index("subject_id")
    # curve shape is the same for all -> Pruessner worked case (t = 0, 30, 45)
    np.testing.assert_allclose(out["car_auc_g"], 577.5)
    np.testing.assert_allclose(out["car_auc_i"], 127.5)
    np.testing.assert_allclose(out["car_increase"], 5.0)
    np.testing.assert_allclose(out["car_peak_increase"], 5.0)
    assert out["delay_flag"].to_dict() == {
        "late12": True,
        "late4": False,
        "late5": True,
        "on_time": False,
    }
    assert out.loc["late12", "wake_delay_min"] == pytest.approx(12)
    assert set(log["subject_id"]) == {"late5", "late12"}
    assert (log["action"] == "flagged").all()  # flagged, never dropped
    assert len(out) == 4


def test_car_minutes_equal_datetimes():
    df = _car({"a": 2, "b": 7})
    num = df.assign(
        wake_time=0.0,
        sample_time=(df["sample_time"] - df["wake_time"]).dt.total_seconds() / 60,
    )
    a, _ = awakening_response(df)
    b, _ = awakening_response(num)
    pd.testing.assert_frame_equal(a, b)


def test_car_missing_policy():
    df = _car({"a": 0, "b": 0})
    df.loc[(df["subject_id"] == "b") & (df["value"] == 15.0), "value"] = np.nan
    out, log = awakening_response(df)
    r = out.set_index("subject_id").loc["b"]
    assert r[["car_auc_g", "car_auc_i", "car_increase", "car_peak_increase"]].isna().all()
    assert (log.loc[log["subject_id"] == "b", "action"] == "excluded").all()
    out2, log2 = awakening_response(df, min_samples=2, interpolate=True)
    r2 = out2.set_index("subject_id").loc["b"]
    # S2 at 30 min interpolated between 10 (0 min) and 12 (45 min)
    s2 = 10 + (12 - 10) * 30 / 45
    assert r2["car_increase"] == pytest.approx(s2 - 10)
    assert r2["car_auc_g"] == pytest.approx(integrate.trapezoid([10, s2, 12], x=[0, 30, 45]))
    assert r2["car_peak_increase"] == pytest.approx(2.0)  # measured samples only
    assert "altered" in set(log2["action"])


def test_car_mixed_time_types_rejected():
    df = _car({"a": 0}).assign(wake_time=0.0)
    with pytest.raises(DataError, match="both"):
        awakening_response(df)


# ------------------------------------------------------------------ invariances (can fail)
def test_scaling_and_shift_invariances(long):
    base = cortisol_features(long, stressor_time=0)[0].set_index("subject_id")
    scaled = cortisol_features(long.assign(value=2.5 * long["value"]), stressor_time=0)[0]
    shifted = cortisol_features(long.assign(value=long["value"] + 3.0), stressor_time=0)[0]
    scaled, shifted = scaled.set_index("subject_id"), shifted.set_index("subject_id")
    for col in ["auc_g", "auc_i", "auc_i_post", "peak_reactivity"]:
        np.testing.assert_allclose(scaled[col], 2.5 * base[col], rtol=1e-12)
    # adding a constant raises AUCg by c * (t_n - t_1) and leaves increases unchanged
    np.testing.assert_allclose(shifted["auc_g"], base["auc_g"] + 3.0 * 100, rtol=1e-12)
    for col in ["auc_i", "auc_i_post", "peak_reactivity"]:
        np.testing.assert_allclose(shifted[col], base[col], rtol=1e-9, atol=1e-9)


def test_custom_column_names(long):
    renamed = long.rename(columns={"subject_id": "vp", "sample_time": "minutes", "value": "cort"})
    a = auc(long)
    b = auc(renamed, y="cort", time="minutes", subject="vp")
    assert list(b.columns) == ["vp", "auc_g", "auc_i", "n_samples", "n_missing"]
    np.testing.assert_allclose(a["auc_g"], b["auc_g"])


# ------------------------------------------------------------------ each subject's own times
def _trapezoid_by_hand(values, times):
    """Pruessner et al. (2003), formulas (2) and (3), written out term by term."""
    g = 0.0
    for i in range(len(values) - 1):
        g += (values[i + 1] + values[i]) * (times[i + 1] - times[i]) / 2.0
    return g, g - values[0] * (times[-1] - times[0])


OWN = {  # subject -> (minutes since waking, nmol/L); no two subjects share a schedule
    "a": ([0.0, 31.0, 46.0, 62.0], [10.0, 16.0, 13.0, 9.0]),
    "b": ([0.0, 28.0, 44.0, 59.0], [8.0, 12.5, 11.0, 7.5]),
    "c": ([0.0, 35.0, 50.0, 70.0], [12.0, 11.0, 10.0, 8.0]),
}


def _own_frame():
    rows = [{"subject_id": s, "sample_time": t, "value": v}
            for s, (ts, vs) in OWN.items() for t, v in zip(ts, vs)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # row order must not matter


def test_auc_from_each_subjects_own_times_matches_the_formula_by_hand():
    out = auc(_own_frame()).set_index("subject_id")
    for s, (ts, vs) in OWN.items():
        g, i = _trapezoid_by_hand(vs, ts)
        assert out.loc[s, "auc_g"] == pytest.approx(g, rel=1e-12)
        assert out.loc[s, "auc_i"] == pytest.approx(i, rel=1e-12)
        assert out.loc[s, "n_samples"] == 4 and out.loc[s, "n_missing"] == 0
    # subject a by hand: 13*31 + 14.5*15 + 11*16 = 796.5; AUCi = 796.5 - 10*62 = 176.5
    assert out.loc["a", "auc_g"] == pytest.approx(796.5)
    assert out.loc["a", "auc_i"] == pytest.approx(176.5)


def test_a_nominal_schedule_only_when_asked():
    feats, log = cortisol_features(_own_frame(), schedule="shared")
    # every subject lacks the other subjects' times: nothing to compute, every subject logged
    assert feats["auc_g"].isna().all()
    assert set(log["subject_id"]) == set(OWN) and (log["action"] == "excluded").all()
    with pytest.raises(DataError, match="not on the nominal schedule"):
        cortisol_features(_own_frame(), schedule=[0, 30, 45, 60])
    with pytest.raises(DataError, match="schedule"):
        cortisol_features(_own_frame(), schedule="nominal")


def test_explicit_nominal_schedule_knows_a_sample_is_absent():
    df = pd.DataFrame({"subject_id": ["a"] * 4 + ["b"] * 3,
                       "sample_time": [0, 30, 45, 60, 0, 30, 45],
                       "value": [10.0, 16.0, 13.0, 9.0, 8.0, 12.0, 11.0]})
    feats, log = cortisol_features(df, schedule=[0, 30, 45, 60], min_samples=3)
    r = feats.set_index("subject_id")
    assert np.isnan(r.loc["b", "auc_g"]) and r.loc["b", "n_missing"] == 1
    assert log["reason"].str.contains("last sample missing").all()
    # on its own times b's curve simply ends at 45 min
    own = auc(df, min_samples=3).set_index("subject_id")
    assert own.loc["b", "auc_g"] == pytest.approx(_trapezoid_by_hand([8, 12, 11], [0, 30, 45])[0])


def test_own_times_default_expects_as_many_samples_as_the_fullest_subject():
    df = _own_frame()
    df = df.drop(df.index[(df["subject_id"] == "c") & (df["sample_time"] == 50.0)])
    feats, log = cortisol_features(df)
    r = feats.set_index("subject_id")
    assert np.isnan(r.loc["c", "auc_g"]) and r.loc["c", "n_missing"] == 1
    assert set(log["subject_id"]) == {"c"} and log["reason"].str.contains("3 of 4").all()
    assert r.loc[["a", "b"], "auc_g"].notna().all()


def test_clock_times_with_and_without_waking_time_give_the_same_areas():
    df = _own_frame()
    wake = {"a": "2024-03-01 06:40", "b": "2024-03-01 07:05", "c": "2024-03-02 05:55"}
    clock = df.assign(
        wake_time=pd.to_datetime(df["subject_id"].map(wake)),
    )
    clock["sample_time"] = clock["wake_time"] + pd.to_timedelta(df["sample_time"], unit="min")
    ref = auc(df).set_index("subject_id")
    with_origin = auc(clock, origin="wake_time").set_index("subject_id")
    pd.testing.assert_frame_equal(with_origin, ref)
    # clock times as text, counted from each subject's first sample
    text = clock.assign(sample_time=clock["sample_time"].dt.strftime("%Y-%m-%d %H:%M"))
    pd.testing.assert_frame_equal(auc(text).set_index("subject_id"), ref)
    # timedeltas are minutes too
    delta = df.assign(sample_time=pd.to_timedelta(df["sample_time"], unit="min"))
    pd.testing.assert_frame_equal(auc(delta).set_index("subject_id"), ref)


def test_own_times_anchor_on_the_nearest_sample_and_the_prestress_sample():
    # minutes since the stressor onset: each subject's pre-stress sample at its own time
    df = pd.DataFrame({"subject_id": ["a"] * 4 + ["b"] * 4,
                       "sample_time": [-12.0, -1.0, 21.0, 41.0, -15.0, -2.5, 19.0, 44.0],
                       "value": [6.0, 5.0, 11.0, 8.0, 7.0, 6.5, 9.0, 7.0]})
    feats, _ = cortisol_features(df, stressor_time=0, slope_between=(0, 20))
    r = feats.set_index("subject_id")
    # a: stressor baseline at -1 min; AUCi of the post-stress curve against it
    g_post, i_post = _trapezoid_by_hand([5.0, 11.0, 8.0], [-1.0, 21.0, 41.0])
    assert r.loc["a", "auc_i_post"] == pytest.approx(i_post)
    assert r.loc["b", "auc_i_post"] == pytest.approx(
        _trapezoid_by_hand([6.5, 9.0, 7.0], [-2.5, 19.0, 44.0])[1])
    # slope between the samples nearest to 0 and 20 min, over their actual times
    assert r.loc["a", "slope"] == pytest.approx((11.0 - 5.0) / 22.0)
    assert r.loc["b", "slope"] == pytest.approx((9.0 - 6.5) / 21.5)
    assert r.loc["a", "time_to_peak"] == pytest.approx(21.0)
    assert r.loc["b", "peak_time"] == pytest.approx(19.0)


def test_auc_signature_is_that_of_cortisol_features():
    import inspect

    params = inspect.signature(auc).parameters
    assert list(params) == list(inspect.signature(cortisol_features).parameters)
    assert "schedule" in params and "origin" in params


def test_unreadable_clock_time_names_its_row():
    df = pd.DataFrame({"subject_id": ["a"] * 3, "sample_time": ["08:00", "later", "08:45"],
                       "value": [10.0, 12.0, 9.0]})
    with pytest.raises(DataError, match=r"row 1.*'later'"):
        cortisol_features(df)
