"""Tests of assay processing.

References:
- tests/reference/assays_plates.R (base R: sd, aov) run on tests/reference/assays_plates.csv;
  its outputs assays_plates_{per_sample,intra,inter,anova}.csv are committed next to it.
  Tolerance 1e-9 relative (R writes 15 significant digits).
- Hornung & Reed (1990): LOD/sqrt(2) substitution on log-normal data with geometric SD < 3
  gives a nearly unbiased mean; checked by simulation against the analytic expectation of the
  substituted mean (scipy.stats.lognorm partial expectations).
- scipy.stats.zscore for z-scores; hand-computed limits for winsorising.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hormonestats.derive.lod import apply_lod, lod_summary
from hormonestats.derive.precision import (
    DEFAULT_MAX_CV,
    PlateEffect,
    aggregate_replicates,
    inter_assay_cv,
    intra_assay_cv,
    plate_effect,
)
from hormonestats.derive.transforms import log_transform, winsorize, zscore
from hormonestats.errors import DataError, HormoneStatsError
from hormonestats.log import LOG_COLUMNS
from hormonestats.study.readings import parse_readings

REF = Path(__file__).parent / "reference"


# --------------------------------------------------------------------------- parse_readings
@pytest.mark.parametrize(
    "reading, value, below, above, limit, unparsed",
    [
        (3.5, 3.5, False, False, np.nan, False),
        (7, 7.0, False, False, np.nan, False),
        ("12.5", 12.5, False, False, np.nan, False),
        (" 1e2 ", 100.0, False, False, np.nan, False),
        ("12,5", 12.5, False, False, np.nan, False),
        ("0,250", 0.25, False, False, np.nan, False),
        ("1,250", np.nan, False, False, np.nan, True),  # ambiguous thousands separator
        ("<0.5", np.nan, True, False, 0.5, False),
        ("< 0.5", np.nan, True, False, 0.5, False),
        ("<=0,5", np.nan, True, False, 0.5, False),
        (">200", np.nan, False, True, 200.0, False),
        ("> 200", np.nan, False, True, 200.0, False),
        ("> ULOQ", np.nan, False, True, np.nan, False),
        ("above range", np.nan, False, True, np.nan, False),
        ("< LOD", np.nan, True, False, 0.1, False),
        ("<LOD", np.nan, True, False, 0.1, False),
        ("ND", np.nan, True, False, 0.1, False),
        ("n.d.", np.nan, True, False, 0.1, False),
        ("below detection", np.nan, True, False, 0.1, False),
        ("abc", np.nan, False, False, np.nan, True),
        ("12,5x", np.nan, False, False, np.nan, True),
        ("<abc", np.nan, False, False, np.nan, True),
        ("", np.nan, False, False, np.nan, False),
        (np.nan, np.nan, False, False, np.nan, False),
        (None, np.nan, False, False, np.nan, False),
        (True, np.nan, False, False, np.nan, True),
        (float("inf"), np.nan, False, False, np.nan, True),
    ],
)
def test_parse_readings_cases(reading, value, below, above, limit, unparsed):
    out = parse_readings(pd.Series([reading], dtype=object), lod=0.1)
    row = out.iloc[0]
    assert (np.isnan(row["value"]) and np.isnan(value)) or row["value"] == value
    assert row["below_lod"] is np.bool_(below) or row["below_lod"] == below
    assert row["above_range"] == above
    assert (np.isnan(row["limit"]) and np.isnan(limit)) or row["limit"] == limit
    assert row["unparsed"] == unparsed


def test_parse_readings_index_and_row_lod():
    s = pd.Series(["ND", "3", "<LOD"], index=[5, 9, 2])
    lod = pd.Series([0.2, 0.3, 0.4], index=[5, 9, 2])
    out = parse_readings(s, lod=lod)
    assert list(out.index) == [5, 9, 2]
    assert out["limit"].to_list()[0] == 0.2 and out["limit"].to_list()[2] == 0.4
    assert out["reading"].to_list() == ["ND", "3", "<LOD"]
    assert list(out.columns) == [
        "reading",
        "value",
        "below_lod",
        "above_range",
        "limit",
        "unparsed",
    ]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=8), st.floats(), st.none(), st.integers()), max_size=6))
def test_parse_readings_never_raises(items):
    out = parse_readings(pd.Series(items, dtype=object))
    assert len(out) == len(items)
    # a row is at most one of: a value, censored below, censored above, unparsed
    kinds = (
        out["value"].notna().astype(int)
        + out["below_lod"].astype(int)
        + out["above_range"].astype(int)
        + out["unparsed"].astype(int)
    )
    assert (kinds <= 1).all()


# --------------------------------------------------------------------------- apply_lod
def _lod_frame():
    return pd.DataFrame(
        {
            "subject_id": ["a", "b", "c", "d", "e"],
            "value": np.array(["4.2", "<LOD", "0.3", "<0.8", "> ULOQ"], dtype=object),
            "lod": [0.5, 0.5, 0.5, 0.5, 0.5],
        },
        index=[10, 11, 12, 13, 14],
    )


@pytest.mark.parametrize(
    "policy, expected",
    [
        ("lod/2", [4.2, 0.25, 0.25, 0.4, np.nan]),
        ("lod/sqrt2", [4.2, 0.5 / math.sqrt(2), 0.5 / math.sqrt(2), 0.8 / math.sqrt(2), np.nan]),
        ("flag", [4.2, np.nan, 0.3, np.nan, np.nan]),
        ("censored", [4.2, np.nan, np.nan, np.nan, np.nan]),
    ],
)
def test_apply_lod_policies(policy, expected):
    df = _lod_frame()
    before = df.copy()
    out, log = apply_lod(df, policy=policy)
    pd.testing.assert_frame_equal(df, before)  # not mutated
    assert out["value"].to_list() == df["value"].to_list()  # raw kept
    np.testing.assert_allclose(out["value_lod"], expected, rtol=1e-15)
    assert out["below_lod"].to_list() == [False, True, True, True, False]
    assert out["above_range"].to_list() == [False, False, False, False, True]
    np.testing.assert_allclose(out["lod_limit"], [0.5, 0.5, 0.5, 0.8, 0.5])
    assert list(log.columns) == LOG_COLUMNS
    below_log = log[log["reason"].str.contains("LOD")]
    assert below_log["row"].to_list() == [11, 12, 13]
    assert below_log["subject_id"].to_list() == ["b", "c", "d"]
    action = "altered" if policy.startswith("lod/") else "flagged"
    assert set(below_log["action"]) == {action}
    assert all(policy in r for r in below_log["reason"])
    assert log.loc[log["row"] == 14, "action"].to_list() == ["flagged"]


def test_apply_lod_censored_bounds():
    out, _ = apply_lod(_lod_frame(), policy="censored")
    assert out["censored"].to_list() == ["none", "left", "left", "left", "right"]
    np.testing.assert_allclose(out["value_lower"], [4.2, 0, 0, 0, np.nan])
    np.testing.assert_allclose(out["value_upper"], [4.2, 0.5, 0.5, 0.8, np.inf])


def test_apply_lod_existing_flag_and_numeric_column():
    df = pd.DataFrame({"value": [1.0, 2.0, 0.1], "lod": 0.2, "below_lod": [False, True, False]})
    out, log = apply_lod(df, policy="lod/2")
    assert out["below_lod"].to_list() == [False, True, True]
    assert out["value_lod"].to_list() == [1.0, 0.1, 0.1]
    assert log["row"].to_list() == [1, 2]


def test_apply_lod_errors_name_rows():
    df = _lod_frame()
    df.loc[12, "value"] = "12,5x"
    with pytest.raises(DataError, match=r"row 12.*12,5x"):
        apply_lod(df)
    df = _lod_frame().drop(columns="lod")
    with pytest.raises(DataError, match=r"row 11"):
        apply_lod(df, policy="lod/2")
    with pytest.raises(HormoneStatsError, match="policy"):
        apply_lod(_lod_frame(), policy="lod/3")
    with pytest.raises(DataError, match="value"):
        apply_lod(_lod_frame().drop(columns="value"))


def _simulate_lognormal(seed, *, mu, sigma, n=20000, q=0.2):
    rng = np.random.default_rng(seed)
    true = rng.lognormal(mu, sigma, n)
    lod = float(np.exp(mu + sigma * stats.norm.ppf(q)))  # LOD at the q-th quantile
    reading = pd.Series(true, dtype=object).where(true >= lod, "<LOD")
    return (
        true,
        lod,
        pd.DataFrame({"value": reading, "lod": lod, "analyte": "cortisol", "matrix": "saliva"}),
    )


def test_apply_lod_known_truth_lognormal():
    mu, sigma = 1.0, math.log(2.0)  # geometric SD 2 (< 3: Hornung & Reed's case for sqrt 2)
    true, lod, df = _simulate_lognormal(11, mu=mu, sigma=sigma)
    out, log = apply_lod(df, policy="lod/sqrt2")
    below = true < lod
    assert (out["below_lod"].to_numpy() == below).all()
    assert len(log) == below.sum()
    # analytic expectation of the substituted mean: E[X; X >= L] + P(X < L) * L / sqrt(2)
    dist = stats.lognorm(s=sigma, scale=math.exp(mu))
    z = (math.log(lod) - mu - sigma**2) / sigma
    upper_part = math.exp(mu + sigma**2 / 2) * stats.norm.sf(z)
    expected = upper_part + dist.cdf(lod) * lod / math.sqrt(2)
    se = true.std() / math.sqrt(len(true))
    assert abs(out["value_lod"].mean() - expected) < 4 * se
    # Hornung & Reed 1990: the bias of the mean is small (here < 2 %) for GSD < 3
    assert abs(expected / dist.mean() - 1) < 0.02
    # the LOD summary recovers the censored share
    summary = lod_summary(df)
    assert summary["n"].item() == len(true)
    assert summary["n_below_lod"].item() == below.sum()
    assert summary["pct_below_lod"].item() == pytest.approx(20.0, abs=1.0)


def test_lod_summary_groups_and_above():
    df = pd.DataFrame(
        {
            "analyte": ["cortisol"] * 4 + ["testosterone"] * 3,
            "matrix": "saliva",
            "value": pd.Series(["1", "<0.1", "> 50", None, "0.05", "0.5", "ND"], dtype=object),
            "lod": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
        }
    )
    out = lod_summary(df)
    assert out["analyte"].to_list() == ["cortisol", "testosterone"]
    assert out["n"].to_list() == [3, 3]
    assert out["n_below_lod"].to_list() == [1, 2]
    assert out["n_above_range"].to_list() == [1, 0]
    np.testing.assert_allclose(out["pct_below_lod"], [100 / 3, 200 / 3])
    with pytest.raises(DataError, match="plate_id"):
        lod_summary(df, by=("plate_id",))


# --------------------------------------------------------------------------- replicates & CVs
def _plates():
    return pd.read_csv(REF / "assays_plates.csv", keep_default_na=True)


def test_aggregate_replicates_matches_r():
    df = _plates()
    df["method"] = "immunoassay"
    before = df.copy()
    out, log = aggregate_replicates(df)
    pd.testing.assert_frame_equal(df, before)
    ref = pd.read_csv(REF / "assays_plates_per_sample.csv")
    key = np.where(
        out["sample_type"] == "control",
        out["subject_id"] + "|" + out["plate_id"] + "|" + out["analyte"],
        out["sample_id"].astype(str) + "|" + out["analyte"],
    )
    ours = out.assign(key=key).set_index("key").loc[ref["key"]]
    np.testing.assert_allclose(ours["mean"], ref["mean"], rtol=1e-9)
    np.testing.assert_allclose(ours["sd"], ref["sd"], rtol=1e-9)
    np.testing.assert_allclose(ours["cv"], ref["cv"], rtol=1e-9)
    assert (ours["n_replicates"].to_numpy() == ref["n_replicates"].to_numpy()).all()
    assert len(out) == len(ref)
    # sample-level columns kept, replicate-level dropped, value = mean
    for col in ("unit", "method", "plate_id", "matrix", "sample_type", "subject_id"):
        assert col in out.columns
    assert "replicate" not in out.columns
    np.testing.assert_allclose(out["value"], out["mean"])
    assert not out["cv_flag"].any() and log.empty  # all CVs in the data are < 15 %


def test_aggregate_replicates_flags_and_logs():
    df = pd.DataFrame(
        {
            "subject_id": ["a", "a", "b", "b", "c"],
            "session": 1,
            "analyte": "cortisol",
            "matrix": "saliva",
            "unit": "nmol/L",
            "replicate": [1, 2, 1, 2, 1],
            "value": [10.0, 10.4, 5.0, 8.0, 3.0],
        },
        index=[20, 21, 22, 23, 24],
    )
    out, log = aggregate_replicates(df, max_cv=DEFAULT_MAX_CV)
    assert out["subject_id"].to_list() == ["a", "b", "c"]
    # b: CV of (5, 8) = 100 * sd / mean = 100 * 2.1213 / 6.5
    assert out["cv"].iloc[1] == pytest.approx(100 * math.sqrt(4.5) / 6.5, rel=1e-12)
    assert out["cv_flag"].to_list() == [False, True, False]
    assert np.isnan(out["cv"].iloc[2]) and out["n_replicates"].iloc[2] == 1
    assert log["row"].to_list() == [22, 23]
    assert set(log["action"]) == {"flagged"} and log["reason"].str.contains("32.6").all()
    out2, log2 = aggregate_replicates(df, max_cv=50)
    assert not out2["cv_flag"].any() and log2.empty
    text = df.assign(value=pd.Series(["10", "<LOD", "5", "8", "3"], index=df.index))
    with pytest.raises(DataError, match="row 21"):
        aggregate_replicates(text)
    with pytest.raises(DataError, match="plate_id"):
        aggregate_replicates(df, keys=["plate_id"])


def test_intra_assay_cv_matches_r():
    ref = pd.read_csv(REF / "assays_plates_intra.csv").sort_values(["plate_id", "analyte"])
    out = intra_assay_cv(_plates()).sort_values(["plate_id", "analyte"])
    np.testing.assert_allclose(out["intra_cv"], ref["intra_cv"], rtol=1e-9)
    assert out["n_samples"].to_list() == ref["n_samples"].to_list()


def test_inter_assay_cv_matches_r():
    ref = pd.read_csv(REF / "assays_plates_inter.csv").sort_values(["analyte", "control"])
    out = inter_assay_cv(_plates()).sort_values(["analyte", "control"])
    for col in ("mean", "sd", "inter_cv"):
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-9)
    assert out["n_plates"].to_list() == ref["n_plates"].to_list()
    with pytest.raises(DataError, match="control"):
        inter_assay_cv(_plates().query("sample_type == 'subject'"))


def test_plate_effect_matches_r_aov():
    ref = pd.read_csv(REF / "assays_plates_anova.csv").sort_values(["analyte", "control"])
    res = plate_effect(_plates())
    assert isinstance(res, PlateEffect)
    tab = res.table.sort_values(["analyte", "control"])
    for col in ("statistic", "df_num", "df_denom", "p_value"):
        np.testing.assert_allclose(tab[col], ref[col], rtol=1e-9)
    dev = res.deviations
    assert len(dev) == 2 * 2 * 3
    # deviations of plate means from the mean of plate means sum to zero per control
    sums = dev.groupby(["analyte", "control"])["deviation_pct"].sum()
    np.testing.assert_allclose(sums, 0, atol=1e-9)
    assert "Plate effect" in res.summary() and "CTRL_low" in res.summary()
    assert "<table" in res._repr_html_()


def test_plate_effect_detects_a_planted_shift():
    rng = np.random.default_rng(3)
    rows = []
    for plate, shift in (("P1", 1.0), ("P2", 1.0), ("P3", 1.3)):
        for _ in range(4):
            rows.append(("CTRL", plate, 10 * shift * math.exp(rng.normal(0, 0.03))))
    df = pd.DataFrame(rows, columns=["subject_id", "plate_id", "value"])
    df["sample_type"] = "control"
    df["analyte"] = "cortisol"
    res = plate_effect(df)
    assert res.table["p_value"].item() < 1e-4
    p3 = res.deviations.set_index("plate_id").loc["P3", "deviation_pct"]
    assert p3 == pytest.approx(100 * (1.3 / (3.3 / 3) - 1), abs=4)


# --------------------------------------------------------------------------- transforms
def test_log_transform():
    df = pd.DataFrame({"cort": [1.0, 10.0, np.nan], "t": [0.5, 2.0, 3.0]})
    before = df.copy()
    out, log = log_transform(df, ["cort", "t"])
    pd.testing.assert_frame_equal(df, before)
    np.testing.assert_allclose(out["log_cort"], [0.0, math.log(10), np.nan])
    np.testing.assert_allclose(out["log_t"], np.log([0.5, 2.0, 3.0]))
    assert log.empty


def test_log_transform_nonpositive():
    df = pd.DataFrame({"cort": [1.0, 0.0, -0.5], "t": [1.0, 1.0, 0.0]}, index=[3, 4, 5])
    with pytest.raises(DataError) as err:
        log_transform(df, ["cort", "t"])
    msg = str(err.value)
    assert "'cort'" in msg and "rows 4, 5" in msg and "'t'" in msg and "row 5" in msg
    out, log = log_transform(df, "cort", offset=1.0)
    np.testing.assert_allclose(out["log_cort"], np.log([2.0, 1.0, 0.5]))
    assert log["row"].to_list() == [4, 5] and set(log["action"]) == {"altered"}
    with pytest.raises(DataError, match="offset"):
        log_transform(df, "cort", offset=0.5)


def test_zscore_against_scipy():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(5, 2, 30), "g": np.repeat(["a", "b", "c"], 10)})
    out = zscore(df, "x")
    np.testing.assert_allclose(out["z_x"], stats.zscore(df["x"], ddof=1), rtol=1e-12)
    out_g = zscore(df, ["x"], group="g")
    for _, part in df.groupby("g"):
        np.testing.assert_allclose(
            out_g.loc[part.index, "z_x"], stats.zscore(part["x"], ddof=1), rtol=1e-12
        )
    assert "z_x" not in df.columns


def test_winsorize_log_scale():
    rng = np.random.default_rng(5)
    x = rng.lognormal(2.0, 0.4, 200)
    x[17] = 5000.0  # a planted outlier
    df = pd.DataFrame({"t": x})
    out, log = winsorize(df, "t")
    lx = np.log(x)
    hi = math.exp(lx.mean() + 3 * lx.std(ddof=1))
    lo = math.exp(lx.mean() - 3 * lx.std(ddof=1))
    expect = np.clip(x, lo, hi)
    np.testing.assert_allclose(out["t_wins"], expect, rtol=1e-12)
    changed = np.flatnonzero(expect != x)
    assert 17 in changed
    assert log["row"].to_list() == changed.tolist()
    # untouched values are bit-identical
    keep = expect == x
    assert (out["t_wins"].to_numpy()[keep] == x[keep]).all()
    assert df["t"].iloc[17] == 5000.0
    with pytest.raises(DataError, match="row 1"):
        winsorize(pd.DataFrame({"t": [1.0, 0.0]}), "t")
    raw, _ = winsorize(pd.DataFrame({"t": [1.0, 0.0]}), "t", scale="raw")
    assert raw["t_wins"].to_list() == [1.0, 0.0]


def test_parse_readings_numeric_columns():
    out = parse_readings(pd.Series([1.5, np.nan, np.inf], index=["a", "b", "c"]))
    assert list(out.index) == ["a", "b", "c"]
    assert out["value"].iloc[0] == 1.5 and out["value"].isna().iloc[1:].all()
    assert out["unparsed"].to_list() == [False, False, True]
    ints = parse_readings(pd.Series([3, 4]))
    assert ints["value"].to_list() == [3.0, 4.0] and not ints["unparsed"].any()
    assert parse_readings([2.5, "<1"])["below_lod"].to_list() == [False, True]
