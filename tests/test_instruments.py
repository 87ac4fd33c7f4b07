"""Instrument registry and scoring.

References: scale sums from R ``psych::scoreItems`` (tests/reference/reliability.R, output
reliability_psych_scores.csv) on the committed simulated data; hand-worked cases from the
published scoring rules (Davis 1980 IRI; Cohen & Williamson 1988 PSS-10; Fraley, Waller &
Brennan 2000 ECR-R; Berg, Dickhaut & McCabe 1995 trust game).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hormonestats.derive.scoring import score_instrument, score_responses
from hormonestats.errors import ContractError, DataError
from hormonestats.registry.instruments import (
    INSTRUMENTS,
    Instrument,
    get_instrument,
    load_instrument,
)

REF = Path(__file__).parent / "reference"


def _long(name, answers, subject="s1", session=1):
    """Long responses for one subject: answers is {item: response}."""
    return pd.DataFrame(
        {
            "subject_id": subject,
            "session": session,
            "instrument": name,
            "item": list(answers),
            "response": list(answers.values()),
        }
    )


def _reference_long():
    wide = pd.read_csv(REF / "reliability_data.csv")
    long = wide.melt(id_vars="subject_id", var_name="col", value_name="response")
    long["instrument"] = long["col"].str.rsplit("_", n=1).str[0]
    long["item"] = long["col"].str.rsplit("_", n=1).str[1]
    long["session"] = 1
    return long.drop(columns="col")


# ---------------------------------------------------------------- registry


def test_builtins_are_loaded_from_package_yaml():
    assert set(INSTRUMENTS) == {"rmet", "iri", "ecr_r", "pss10", "trust_game"}
    for inst in INSTRUMENTS.values():
        assert isinstance(inst, Instrument)
        assert inst.citation  # every built-in cites its source


def test_iri_definition_davis():
    iri = get_instrument("iri")
    assert iri.items == tuple(str(i) for i in range(1, 29))
    assert (iri.response_min, iri.response_max) == (0, 4)
    assert set(iri.reverse) == {str(i) for i in (3, 4, 7, 12, 13, 14, 15, 18, 19)}
    members = [i for sub in iri.subscales.values() for i in sub]
    assert sorted(members, key=int) == list(iri.items)  # a partition, 7 items each
    assert all(len(v) == 7 for v in iri.subscales.values())
    assert iri.subscales["pt"] == tuple(str(i) for i in (3, 8, 11, 15, 21, 25, 28))
    assert iri.score_columns == ("iri_pt", "iri_fs", "iri_ec", "iri_pd")


def test_ecr_r_and_pss10_definitions():
    ecr = get_instrument("ecr-r")
    assert ecr.subscales["anxiety"] == tuple(str(i) for i in range(1, 19))
    assert ecr.subscales["avoidance"] == tuple(str(i) for i in range(19, 37))
    assert set(ecr.reverse) == {
        str(i) for i in (9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36)
    }
    assert ecr.scoring == "mean"
    pss = get_instrument("pss10")
    assert pss.reverse == ("4", "5", "7", "8")
    assert pss.score_range == (0, 40)
    rmet = get_instrument("rmet")
    assert rmet.needs_key and len(rmet.items) == 36 and rmet.score_range == (0, 36)


def test_unknown_instrument_lists_names():
    with pytest.raises(ContractError, match="iri") as info:
        get_instrument("bdi")
    assert "bdi" in str(info.value)


# ---------------------------------------------------------------- scoring vs references


def test_sums_match_psych_scoreitems():
    long = _reference_long()
    ref = pd.read_csv(REF / "reliability_psych_scores.csv").set_index("subject_id")
    key = pd.read_csv(REF / "reliability_rmet_key.csv")
    scores, log = score_responses(
        long,
        ["iri", "pss10", "rmet"],
        keys={"rmet": dict(zip(key["item"], key["correct"]))},
    )
    assert log.empty
    scores = scores.set_index("subject_id")
    for col in ["iri_pt", "iri_fs", "iri_ec", "iri_pd", "pss10_total", "rmet_total"]:
        np.testing.assert_allclose(scores[col], ref.loc[scores.index, col], atol=1e-9)


def test_hand_worked_pss10_iri_ecr():
    # PSS-10: all answers 4 -> reverse items (4, 5, 7, 8) score 0 -> 6 x 4 = 24
    s, _ = score_instrument(_long("pss10", {i: 4 for i in range(1, 11)}), "pss10")
    assert s["pss10_total"].iloc[0] == 24
    # IRI: all answers 4 -> PT has two reverse items (3, 15): 5 x 4 + 2 x 0 = 20;
    # EC has three (4, 14, 18): 16; FS two (7, 12): 20; PD two (13, 19): 20
    s, _ = score_instrument(_long("iri", {i: 4 for i in range(1, 29)}), "iri")
    assert s[["iri_pt", "iri_fs", "iri_ec", "iri_pd"]].iloc[0].tolist() == [20, 20, 16, 20]
    # ECR-R: all 7 -> anxiety (16 x 7 + 2 x 1) / 18, avoidance (6 x 7 + 12 x 1) / 18
    s, _ = score_instrument(_long("ecr_r", {i: 7 for i in range(1, 37)}), "ecr_r")
    assert s["ecr_r_anxiety"].iloc[0] == pytest.approx(114 / 18)
    assert s["ecr_r_avoidance"].iloc[0] == pytest.approx(54 / 18)


def test_rmet_key_and_total_rows():
    key = {i: 1 + (i % 4) for i in range(1, 37)}
    answers = {i: key[i] for i in range(1, 37)}
    answers[1] = 1 + (key[1] % 4)  # wrong
    answers[2] = 1 + (key[2] % 4)  # wrong
    rows = pd.concat(
        [_long("rmet", answers), _long("rmet", {"total": 27}, subject="s2")],
        ignore_index=True,
    )
    s, log = score_instrument(rows, "rmet", key=key)
    assert s.set_index("subject_id")["rmet_total"].to_dict() == {"s1": 34.0, "s2": 27.0}
    assert log.empty
    with pytest.raises(ContractError, match="key"):
        score_instrument(rows, "rmet")
    with pytest.raises(ContractError, match="item"):
        score_instrument(rows, "rmet", key={1: 2})
    bad_total = _long("rmet", {"total": 40})
    problems = get_instrument("rmet").check_responses(bad_total)
    assert "outside [0, 36]" in problems["message"].iloc[0]


# ---------------------------------------------------------------- missing items


def test_prorating_and_missing_are_logged_never_zero():
    answers = {i: 2 for i in range(1, 11)}
    answers[3] = None  # one missing: prorated, mean 2 x 10 = 20 (NOT 18)
    s, log = score_instrument(_long("pss10", answers), "pss10")
    assert s["pss10_total"].iloc[0] == 20
    assert log["action"].tolist() == ["altered"]
    assert log["subject_id"].tolist() == ["s1"]
    answers[4] = np.nan  # two missing > max_missing 1 -> missing score
    s, log = score_instrument(_long("pss10", answers), "pss10")
    assert np.isnan(s["pss10_total"].iloc[0])
    assert log["action"].tolist() == ["flagged"]
    assert "2 of 10 items missing" in log["reason"].iloc[0]
    s, log = score_instrument(_long("pss10", answers), "pss10", max_missing=2)
    assert s["pss10_total"].iloc[0] == 20 and log["action"].tolist() == ["altered"]
    # an item row absent altogether counts as missing too: items 1-9 answered 1, reverse
    # items 4, 5, 7, 8 score 3 -> (5 x 1 + 4 x 3) / 9 answered x 10 items
    s, log = score_instrument(_long("pss10", {i: 1 for i in range(1, 10)}), "pss10")
    assert s["pss10_total"].iloc[0] == pytest.approx(170 / 9)
    assert log["reason"].iloc[0] == "pss10_total prorated from 9 of 10 items"


def test_scoring_does_not_mutate_input():
    rows = _long("iri", {i: 1 for i in range(1, 29)})
    before = rows.copy()
    score_instrument(rows, "iri")
    pd.testing.assert_frame_equal(rows, before)


# ---------------------------------------------------------------- checks


def test_check_responses_reports_each_problem():
    rows = pd.DataFrame(
        {
            "subject_id": "s1",
            "session": 1,
            "instrument": ["iri", "iri", "iri", "iri", "pss10"],
            "item": [1, 29, "2", "03", 1],
            "response": [5, 1, "often", 2, 9],
        }
    )
    problems = get_instrument("iri").check_responses(rows)
    assert list(problems.columns) == ["row", "column", "value", "message"]
    assert problems["row"].tolist() == [0, 1, 2]
    assert "outside [0, 4]" in problems["message"].iloc[0]
    assert "unknown item" in problems["message"].iloc[1]
    assert "non-numeric" in problems["message"].iloc[2]
    with pytest.raises(DataError, match="3 problem"):
        score_instrument(rows, "iri")


def test_duplicate_item_responses_raise():
    rows = pd.concat([_long("pss10", {1: 1}), _long("pss10", {1: 2})], ignore_index=True)
    with pytest.raises(DataError, match="more than one response"):
        score_instrument(rows, "pss10")


# ---------------------------------------------------------------- trust game


def test_trust_game_outputs():
    rows = pd.concat(
        [
            _long("trust_game", {"sent": 4, "returned": 6}, subject="a"),
            _long("trust_game", {"sent": 10, "returned": 0}, subject="b"),
            _long("trust_game", {"sent": 0, "returned": 0}, subject="c"),
        ],
        ignore_index=True,
    )
    s, log = score_instrument(rows, "trust_game", endowment=10)
    s = s.set_index("subject_id")
    assert s.loc["a"].tolist() == [1, 4.0, 0.4, 6.0, 0.5]  # 6 / (3 x 4)
    assert s.loc["b", "trust_sent_prop"] == 1.0 and s.loc["b", "trust_returned_prop"] == 0
    assert np.isnan(s.loc["c", "trust_returned_prop"])
    assert "undefined" in log["reason"].iloc[0]
    # endowment and multiplier stored with the data
    rows2 = rows.assign(endowment=20, multiplier=4)
    s2, _ = score_instrument(rows2, "trust_game")
    assert s2.set_index("subject_id").loc["a", "trust_returned_prop"] == 6 / 16
    with pytest.raises(DataError, match="endowment"):
        score_instrument(rows, "trust_game")


def test_trust_game_bounds():
    rows = pd.concat(
        [
            _long("trust_game", {"sent": 12, "returned": 1}, subject="a"),
            _long("trust_game", {"sent": 2, "returned": 7}, subject="b"),
        ],
        ignore_index=True,
    )
    problems = get_instrument("trust_game").check_responses(rows, endowment=10)
    assert problems["row"].tolist() == [0, 3]
    assert "endowment 10" in problems["message"].iloc[0]
    assert "multiplier x sent" in problems["message"].iloc[1]


# ---------------------------------------------------------------- several instruments


def test_score_responses_wide_per_subject_session():
    rows = pd.concat(
        [
            _long("pss10", {i: 1 for i in range(1, 11)}, session=1),
            _long("pss10", {i: 2 for i in range(1, 11)}, session=2),
            _long("trust_game", {"sent": 5, "returned": 3}, session=1),
        ],
        ignore_index=True,
    )
    scores, _ = score_responses(rows, {"a": "pss10", "b": "trust_game"}, endowment=10)
    assert scores[["subject_id", "session"]].values.tolist() == [["s1", 1], ["s1", 2]]
    assert scores["pss10_total"].tolist() == [18.0, 20.0]  # 6 x 1 + 4 x 3 ; 10 x 2
    assert scores["trust_sent"].iloc[0] == 5 and np.isnan(scores["trust_sent"].iloc[1])


# ---------------------------------------------------------------- user definitions


def test_load_instrument_from_yaml(tmp_path):
    path = tmp_path / "stai.yaml"
    path.write_text(
        "name: mini\nlabel: Mini scale\ncitation: Nobody 2020\nitems: 4\n"
        "response_min: 1\nresponse_max: 5\nreverse: [2]\n"
        "subscales:\n  total: all\nscoring: mean\nmax_missing: 1\n",
        encoding="utf-8",
    )
    inst = load_instrument(path)
    s, _ = score_instrument(_long("mini", {1: 5, 2: 1, 3: 5, 4: 5}), inst)
    assert s["mini_total"].iloc[0] == 5.0


def test_load_instrument_collects_all_problems():
    bad = {
        "name": "Bad Name",
        "items": [1, 2, 2],
        "response_min": 5,
        "response_max": 1,
        "reverse": [9],
        "subscales": {"total": [1, 7]},
        "scoring": "median",
        "colour": "red",
    }
    with pytest.raises(ContractError) as info:
        load_instrument(bad)
    msg = str(info.value)
    for part in ["snake_case", "repeated", "below", "reverse", "subscale", "scoring", "colour"]:
        assert part in msg
    with pytest.raises(ContractError, match="not found"):
        load_instrument("no/such/file.yaml")
    with pytest.raises(ContractError, match="missing key"):
        load_instrument({"name": "x"})


def test_rmet_totals_need_no_key():
    """A task total per visit (item 'total') is scored as given, without an answer key."""
    rows = pd.DataFrame({"subject_id": ["s1", "s1", "s2"], "session": ["v1", "v2", "v1"],
                         "instrument": "rmet", "item": "total", "response": [30, 27, 33]})
    scores, log = score_instrument(rows, "rmet")
    assert scores.sort_values(["subject_id", "session"])["rmet_total"].tolist() == [30, 27, 33]
    with pytest.raises((ContractError, DataError), match="answer key"):
        score_instrument(rows.assign(item="1", response=2), "rmet")
