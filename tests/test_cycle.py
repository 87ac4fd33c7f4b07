"""Tests of hormonestats.derive.cycle.

References: hand-built calendars whose day counts were worked out by hand from the conventions of
Schmalenberger et al. (2021) (onset = forward day 1, day before next onset = backward day -1,
ovulation = LH+1 or next onset - 15 days); the ovulation-centred cycle-time anchors of Nagpal et
al. (2025) (-1 onset, 0 ovulation, +1 last day of the luteal phase); STRAW+10 rules as written in
Harlow et al. (2012), with cases built by hand at each rule's boundary; and a brute-force day
count written independently in this file for random calendars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hormonestats.derive.cycle import CYCLE_EVENTS, PHASE_WINDOWS, cycle_days, cycle_phase
from hormonestats.derive.menopause import menopause_stage
from hormonestats.errors import DataError
from hormonestats.registry.contraception import CONTRACEPTION, normalize_contraception

D = pd.Timestamp


def _ev(rows):
    return pd.DataFrame(
        {
            "subject_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "event": [r[2] for r in rows],
        }
    )


@pytest.fixture
def calendar():
    return _ev(
        [
            ("lh", "2024-01-01", "menses_onset"),
            ("lh", "2024-01-10", "lh_negative"),
            ("lh", "2024-01-14", "lh_positive"),  # -> ovulation 01-15 (LH+1)
            ("lh", "2024-01-15", "lh_positive"),  # second positive ignored
            ("lh", "2024-01-29", "menses_onset"),  # 28-day cycle, luteal 14
            ("lh", "2024-02-26", "menses_onset"),  # cycle 2: no LH -> estimated 02-11
            ("short", "2024-03-01", "menses_onset"),
            ("short", "2024-03-19", "menses_onset"),  # 18 days
            ("long", "2024-03-01", "menses_onset"),
            ("long", "2024-04-15", "menses_onset"),  # 45 days
            ("open", "2024-05-01", "menses_onset"),  # no next onset, no LH
            ("open_lh", "2024-05-01", "menses_onset"),
            ("open_lh", "2024-05-12", "lh_positive"),  # no next onset, ovulation 05-13
            ("lut", "2024-06-01", "menses_onset"),
            ("lut", "2024-06-23", "lh_positive"),  # ovulation 06-24, luteal 5 days
            ("lut", "2024-06-29", "menses_onset"),
        ]
    )


def _obs(pairs):
    return pd.DataFrame(
        {
            "subject_id": [p[0] for p in pairs],
            "date": pd.to_datetime([p[1] for p in pairs]),
            "score": np.arange(len(pairs), dtype=float),
        },
        index=[f"r{i}" for i in range(len(pairs))],
    )


def test_lh_confirmed_cycle_counts(calendar):
    obs = _obs(
        [
            ("lh", "2024-01-01"),  # onset
            ("lh", "2024-01-08"),
            ("lh", "2024-01-15"),  # ovulation
            ("lh", "2024-01-28"),  # day before next onset
            ("lh", "2024-01-29"),  # next onset -> cycle 2, day 1
        ]
    )
    before_obs, before_ev = obs.copy(deep=True), calendar.copy(deep=True)
    out, log = cycle_days(obs, events=calendar)
    pd.testing.assert_frame_equal(obs, before_obs)  # inputs not mutated
    pd.testing.assert_frame_equal(calendar, before_ev)
    assert list(out.index) == list(obs.index) and (out["score"] == obs["score"]).all()
    assert out["cycle_id"].tolist() == [1, 1, 1, 1, 2]
    assert out["forward_day"].tolist() == [1, 8, 15, 28, 1]
    assert out["backward_day"].tolist() == [-28, -21, -14, -1, -28]
    assert out["cycle_length"].tolist() == [28, 28, 28, 28, 28]
    assert out["ovulation_source"].tolist() == ["lh"] * 4 + ["estimated"]
    assert out["ovulation_date"].iloc[0] == D("2024-01-15")
    assert out["ovulation_date"].iloc[4] == D("2024-02-11")  # 02-26 minus 15 days
    assert out["ovulation_day"].tolist() == [15, 15, 15, 15, 14]
    assert out["days_from_ovulation"].tolist() == [-14, -7, 0, 13, -13]
    assert out["luteal_length"].tolist() == [14, 14, 14, 14, 15]
    # cycle time: -1 at onset, -1 + 7/14 on day 8, 0 at ovulation, +1 on the last day
    np.testing.assert_allclose(out["cycle_time"], [-1.0, -0.5, 0.0, 1.0, -1.0], atol=1e-12)
    assert out["cycle_included"].all()
    assert log.empty


def test_estimated_ovulation_cycle_time_is_monotone(calendar):
    dates = pd.date_range("2024-01-29", "2024-02-25")
    out, _ = cycle_days(_obs([("lh", d) for d in dates]), events=calendar)
    ct = out["cycle_time"].to_numpy()
    assert ct[0] == -1.0 and ct[-1] == pytest.approx(1.0)
    assert np.all(np.diff(ct) > 0)
    assert ct[out["date"].eq(D("2024-02-11")).to_numpy()][0] == 0.0
    assert (out["ovulation_source"] == "estimated").all()


def test_too_short_and_too_long_cycles_are_flagged_not_dropped(calendar):
    obs = _obs([("short", "2024-03-10"), ("long", "2024-03-10"), ("long", "2024-04-14")])
    out, log = cycle_days(obs, events=calendar)
    assert len(out) == 3
    assert out["cycle_length"].tolist() == [18, 45, 45]
    assert not out["cycle_included"].any()
    assert out["cycle_time"].isna().all()
    assert "cycle length 18 days outside 21-35" in out["cycle_flag"].iloc[0]
    assert "cycle length 45 days outside 21-35" in out["cycle_flag"].iloc[1]
    assert log["row"].tolist() == ["r0", "r1", "r2"]
    assert (log["action"] == "flagged").all()
    assert log["subject_id"].tolist() == ["short", "long", "long"]
    # the 45-day cycle: the day before next onset is still backward day -1
    assert out["backward_day"].iloc[2] == -1 and out["forward_day"].iloc[2] == 45


def test_short_luteal_phase_is_flagged(calendar):
    out, log = cycle_days(_obs([("lut", "2024-06-25")]), events=calendar)
    assert out["luteal_length"].iloc[0] == 5 and out["ovulation_source"].iloc[0] == "lh"
    assert not out["cycle_included"].iloc[0]
    assert "luteal length 5 days outside 7-18" in log["reason"].iloc[0]


def test_missing_next_onset(calendar):
    out, log = cycle_days(
        _obs([("open", "2024-05-10"), ("open_lh", "2024-05-10")]), events=calendar
    )
    assert out["forward_day"].tolist() == [10, 10]
    assert out["backward_day"].isna().all() and out["cycle_length"].isna().all()
    assert out["ovulation_source"].tolist() == ["unavailable", "lh"]
    assert pd.isna(out["ovulation_date"].iloc[0])
    assert out["ovulation_date"].iloc[1] == D("2024-05-13")
    assert "ovulation cannot be estimated" in out["cycle_flag"].iloc[0]
    assert "ovulation cannot be estimated" not in out["cycle_flag"].iloc[1]
    assert not out["cycle_included"].any() and out["cycle_time"].isna().all()
    assert len(log) == 2


def test_before_first_onset_and_unknown_subject(calendar):
    out, log = cycle_days(_obs([("lh", "2023-12-25"), ("nobody", "2024-01-05")]), events=calendar)
    assert pd.isna(out["forward_day"].iloc[0]) and out["backward_day"].iloc[0] == -7
    assert "before the first" in out["cycle_flag"].iloc[0]
    assert "no menses onset" in out["cycle_flag"].iloc[1]
    assert len(log) == 2


def test_day_counts_against_brute_force_on_random_calendars():
    rng = np.random.default_rng(7)
    rows, obs = [], []
    for s in range(15):
        start = D("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 40)))
        onsets = [start]
        for _ in range(6):
            onsets.append(onsets[-1] + pd.Timedelta(days=int(rng.integers(15, 50))))
        rows += [(f"s{s}", o, "menses_onset") for o in onsets]
        obs += [
            (f"s{s}", onsets[0] + pd.Timedelta(days=int(d)))
            for d in rng.integers(0, (onsets[-1] - onsets[0]).days, 12)
        ]
    out, _ = cycle_days(_obs(obs), events=_ev(rows))
    ev = _ev(rows)
    for r in out.itertuples():
        ons = sorted(ev.loc[ev["subject_id"] == r.subject_id, "date"])
        last = max(o for o in ons if o <= r.date)
        nxt = min(o for o in ons if o > r.date)
        assert r.forward_day == (r.date - last).days + 1
        assert r.backward_day == (r.date - nxt).days
        assert r.cycle_length == (nxt - last).days
        assert r.cycle_included == (21 <= (nxt - last).days <= 35)
        if r.cycle_included:
            assert -1.0 <= r.cycle_time <= 1.0


def test_bad_events_and_column_clash(calendar):
    bad = pd.concat([calendar, _ev([("lh", "2024-01-03", "spotting")])], ignore_index=True)
    with pytest.raises(DataError, match="spotting") as err:
        cycle_days(_obs([("lh", "2024-01-05")]), events=bad)
    assert all(e in str(err.value) for e in CYCLE_EVENTS)
    with pytest.raises(DataError, match="forward_day"):
        cycle_days(_obs([("lh", "2024-01-05")]).assign(forward_day=1), events=calendar)


# ------------------------------------------------------------------ phases
def test_schmalenberger_phase_windows(calendar):
    dates = {
        "2024-01-01": "perimenstrual",  # day +1
        "2024-01-02": "perimenstrual",  # day +2
        "2024-01-03": None,  # day +3: between windows
        "2024-01-04": "midfollicular",
        "2024-01-07": "midfollicular",  # day +7
        "2024-01-14": "periovulatory",  # backward -15
        "2024-01-17": "periovulatory",  # backward -12
        "2024-01-18": None,  # backward -11
        "2024-01-20": "midluteal",  # backward -9
        "2024-01-24": "midluteal",  # backward -5
        "2024-01-25": None,  # backward -4
        "2024-01-26": "perimenstrual",  # backward -3
    }
    days, _ = cycle_days(_obs([("lh", d) for d in dates]), events=calendar)
    before = days.copy(deep=True)
    out = cycle_phase(days)
    pd.testing.assert_frame_equal(days, before)
    got = [None if pd.isna(p) else p for p in out["cycle_phase"]]
    assert got == list(dates.values())


def test_five_phase_windows_and_excluded_cycles(calendar):
    # ovulation 01-15 (LH+1); next onset 01-29
    dates = {
        "2024-01-05": "menstrual",
        "2024-01-06": "follicular",
        "2024-01-12": "follicular",  # ovulation - 3
        "2024-01-13": "periovulatory",  # ovulation - 2
        "2024-01-16": "periovulatory",  # ovulation + 1
        "2024-01-17": "luteal",
        "2024-01-21": "luteal",  # backward -8
        "2024-01-22": "premenstrual",  # backward -7
        "2024-01-28": "premenstrual",
    }
    pairs = [("lh", d) for d in dates] + [("short", "2024-03-02"), ("open", "2024-05-02")]
    out = cycle_phase(cycle_days(_obs(pairs), events=calendar).data, scheme="five_phase")
    got = [None if pd.isna(p) else p for p in out["cycle_phase"]]
    assert got == [*dates.values(), None, None]
    with pytest.raises(DataError, match="five_phase"):
        cycle_phase(out, scheme="seven")
    assert set(PHASE_WINDOWS) == {"schmalenberger2021", "five_phase"}


# ------------------------------------------------------------------ contraception
def test_normalize_contraception():
    raw = pd.Series(
        [
            "COC",
            "mini-pill",
            "Mirena",
            "Copper IUD",
            "Nexplanon",
            "NuvaRing",
            "patch",
            None,
            "Depo-Provera",
            "none",
            "combined_pill",
        ],
        index=list("abcdefghijk"),
    )
    before = raw.copy()
    out = normalize_contraception(raw)
    pd.testing.assert_series_equal(raw, before)
    assert out.index.tolist() == list("abcdefghijk")
    assert out.drop("h").tolist() == [
        "combined_pill",
        "progestin_only_pill",
        "hormonal_iud",
        "copper_iud",
        "implant",
        "ring",
        "patch",
        "injection",
        "none",
        "combined_pill",
    ]
    assert pd.isna(out["h"])
    assert normalize_contraception("  Hormonal-IUD ") == "hormonal_iud"
    with pytest.raises(DataError) as err:
        normalize_contraception(pd.Series(["pill", "condom", "rhythm"], index=[10, 11, 12]))
    msg = str(err.value)
    assert "'condom' in row 11" in msg and "'rhythm' in row 12" in msg
    assert all(c in msg for c in CONTRACEPTION)


# ------------------------------------------------------------------ STRAW+10
def _history(sid, lengths, start="2015-01-01"):
    d = [D(start)]
    for n in lengths:
        d.append(d[-1] + pd.Timedelta(days=n))
    return pd.DataFrame({"subject_id": sid, "date": d, "event": "bleeding"})


def test_straw_reproductive_and_insufficient():
    hist = pd.concat([_history("reg", [28] * 6), _history("two", [28])])
    before = hist.copy(deep=True)
    out = menopause_stage(hist, as_of={"reg": D("2015-06-20"), "two": D("2015-02-05")})
    pd.testing.assert_frame_equal(hist, before)
    out = out.set_index("subject_id")
    assert out.loc["reg", "stage"] == "-3" and out.loc["reg", "rule"] == "none"
    assert pd.isna(out.loc["two", "stage"]) and out.loc["two", "rule"] == "insufficient_data"


def test_straw_early_transition_persistence_window():
    # cycle k is variable when |L[k] - L[k-1]| >= 7; persistent when another variable cycle
    # follows within 10 cycles (Harlow et al. 2012)
    within = [28, 28, 36, 36, 36, 27, 28]  # variable cycles 2 and 5 -> 3 apart
    exactly10 = [28, 28] + [36] * 10 + [28]  # variable cycles 2 and 12
    eleven = [28, 28] + [36] * 11 + [28]  # variable cycles 2 and 13
    six_day = [28, 28, 34, 28, 34, 28]  # differences of 6 days never count
    hist = pd.concat(
        [
            _history("within", within),
            _history("exactly10", exactly10),
            _history("eleven", eleven),
            _history("six_day", six_day),
        ]
    )
    # as_of = 20 days after each subject's last bleed (no amenorrhoea)
    last = hist.groupby("subject_id")["date"].max()
    out = menopause_stage(hist, as_of=(last + pd.Timedelta(days=20)).to_dict())
    out = out.set_index("subject_id")
    assert out.loc["within", "stage"] == "-2"
    assert out.loc["within", "rule"] == "persistent_variability"
    # evidence: end of the recurring variable cycle (cycle index 5 ends at bleed 6)
    assert out.loc["within", "evidence_date"] == D("2015-01-01") + pd.Timedelta(
        days=sum(within[:6])
    )
    assert out.loc["exactly10", "stage"] == "-2"
    assert out.loc["eleven", "stage"] == "-3"
    assert out.loc["six_day", "stage"] == "-3"


def test_straw_late_transition_and_fmp():
    hist = pd.concat(
        [
            _history("gap60", [28, 28, 60, 28]),
            _history("gap59", [28, 28, 59, 28]),
            _history("fmp", [28, 28, 28], start="2019-12-22"),  # last bleed 2020-03-15 (leap year)
        ]
    )
    as_of = {"gap60": D("2015-07-01"), "gap59": D("2015-07-01"), "fmp": D("2021-03-15")}
    out = menopause_stage(hist, as_of=as_of).set_index("subject_id")
    assert out.loc["gap60", "stage"] == "-1" and out.loc["gap60", "rule"] == "amenorrhoea_60d"
    assert out.loc["gap59", "stage"] != "-1"
    assert out.loc["fmp", "stage"] == "+1a" and out.loc["fmp", "fmp_date"] == D("2020-03-15")
    # one day short of 12 months: not yet confirmed, but >= 60 days of amenorrhoea
    out2 = menopause_stage(hist, as_of={**as_of, "fmp": D("2021-03-14")}).set_index("subject_id")
    assert out2.loc["fmp", "stage"] == "-1" and pd.isna(out2.loc["fmp", "fmp_date"])
    # an open interval from the last bleed counts as amenorrhoea
    # last bleed 2015-02-26: 04-26 is 59 days later, 04-27 is 60 days later
    out3 = menopause_stage(_history("open", [28, 28]), as_of=D("2015-04-26"))
    assert out3["stage"].iloc[0] == "-3"
    out4 = menopause_stage(_history("open", [28, 28]), as_of=D("2015-04-27"))
    assert out4["stage"].iloc[0] == "-1"
    assert out4["evidence_date"].iloc[0] == D("2015-04-27")
