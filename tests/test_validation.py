"""Validation: each rule has a failing and a passing case; reports name table, column and row."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import MINI_CONTRACT, mini_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hormonestats as hs
from hormonestats.study.reading import Study


def _study(tables=None, contract=None) -> Study:
    return Study(hs.load_contract(contract or MINI_CONTRACT), tables or mini_tables())


def _set(tables, table, row, column, value):
    frame = tables[table].copy()
    if column in frame.columns and frame[column].dtype != object:
        frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    tables[table] = frame
    return tables


def test_mini_study_is_valid():
    report = hs.validate(_study())
    assert report.ok, report.summary()
    assert report.failures.empty


# Each case: (id, edit(tables) -> tables, expected table, column, row, text in check)
def _row_of(tables, table, **match):
    frame = tables[table]
    mask = pd.Series(True, index=frame.index)
    for k, v in match.items():
        mask &= frame[k] == v
    return int(frame.index[mask][0])


CASES = []


def case(table, column, check):
    def deco(fn):
        CASES.append(pytest.param(fn, table, column, check, id=fn.__name__))
        return fn
    return deco


@case("samples", "unit", "unit not valid for analyte")
def wrong_unit(t):
    return _set(t, "samples", 0, "unit", "mg/dL"), 0


@case("samples", "unit", "unit differs from contract")
def unit_not_in_contract(t):
    return _set(t, "samples", 1, "unit", "ug/dL"), 1


@case("samples", "analyte", "must be one of")
def misspelt_analyte(t):
    return _set(t, "samples", 2, "analyte", "cortisoll"), 2


@case("samples", "matrix", "must be one of")
def unknown_matrix(t):
    return _set(t, "samples", 3, "matrix", "sweat"), 3


@case("genotypes", "genotype", "alleles not those of the SNP")
def rs53576_a_t(t):
    return _set(t, "genotypes", 1, "genotype", "A/T"), 1


@case("genotypes", "snp", "must be one of")
def unknown_snp(t):
    return _set(t, "genotypes", 2, "snp", "rs999"), 2


@case("responses", "response", "outside iri definition")
def iri_out_of_range(t):
    return _set(t, "responses", 4, "response", 7), 4


@case("responses", "response", "outside iri definition")
def iri_unknown_item(t):
    return _set(t, "responses", 5, "item", "29"), 5


@case("responses", "response", "outside trust_game definition")
def trust_sent_above_endowment(t):
    row = _row_of(t, "responses", instrument="trust_game", subject_id="S02")
    return _set(t, "responses", row, "response", 12), row


@case("responses", "instrument", "must be one of")
def unknown_instrument(t):
    return _set(t, "responses", 6, "instrument", "rmet_short"), 6


@case("samples", "subject_id", "unknown subject")
def subject_missing_from_roster(t):
    return _set(t, "samples", 7, "subject_id", "S99"), 7


@case("genotypes", "subject_id", "unknown subject")
def genotype_subject_missing(t):
    return _set(t, "genotypes", 0, "subject_id", "S77"), 0


@case("samples", None, "duplicate key")
def duplicated_sample(t):
    frame = t["samples"]
    t["samples"] = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    return t, len(frame)


@case("subjects", "subject_id", "duplicate key")
def duplicated_subject(t):
    frame = t["subjects"]
    t["subjects"] = pd.concat([frame, frame.iloc[[1]]], ignore_index=True)
    return t, len(frame)


@case("samples", "value", "must be a number or a censored reading")
def text_in_value(t):
    return _set(t, "samples", 8, "value", "twelve"), 8


@case("subjects", "age", "must be a number")
def text_in_age(t):
    return _set(t, "subjects", 2, "age", "about 30"), 2


@case("subjects", "age", "must be at most")
def age_out_of_bounds(t):
    return _set(t, "subjects", 3, "age", 230), 3


@case("subjects", "bmi", "must be at least")
def contract_column_bound(t):
    return _set(t, "subjects", 0, "bmi", 5.0), 0


@case("subjects", "arm", "must be one of")
def arm_not_allowed(t):
    return _set(t, "subjects", 1, "arm", "oxytocin_high"), 1


@case("subjects", "sex", "must be one of")
def sex_typo(t):
    return _set(t, "subjects", 2, "sex", "femal"), 2


@case("samples", "value", "negative concentration")
def negative_concentration(t):
    return _set(t, "samples", 9, "value", -3.0), 9


@case("samples", "value", "below LOD not flagged")
def below_lod_not_flagged(t):
    return _set(t, "samples", 10, "value", 0.2), 10


@case("samples", "sample_time", "sample times out of order")
def times_out_of_order(t):
    # subject S01, cortisol replicate 1: sample 3 (rows 4) timed before sample 2
    row = _row_of(t, "samples", subject_id="S01", sample_number=3, replicate=1,
                  analyte="cortisol")
    return _set(t, "samples", row, "sample_time", 10), row


@case("treatments", "agent", "must be one of")
def agent_not_in_vocabulary(t):
    return _set(t, "treatments", 0, "agent", "estradiol_patch"), 0


@case("treatments", "route", "must be one of")
def route_not_in_vocabulary(t):
    return _set(t, "treatments", 1, "route", "nasal spray"), 1


@case("treatments", "dose", "must be at least")
def negative_dose(t):
    return _set(t, "treatments", 2, "dose", -24), 2


@case("samples", "value", "outside contract range")
def t_outside_enforced_range(t):
    row = _row_of(t, "samples", analyte="testosterone", subject_id="S03")
    return _set(t, "samples", row, "value", 5000.0), row


@case("subjects", "email", "direct identifier")
def identifier_column(t):
    t["subjects"] = t["subjects"].assign(email=[f"p{i}@example.org" for i in range(4)])
    return t, None


@case("subjects", "date_of_birth", "direct identifier")
def birth_date_column(t):
    t["subjects"] = t["subjects"].assign(date_of_birth="1990-01-01")
    return t, None


@case("samples", "value", "missing value")
def missing_required_value(t):
    return _set(t, "samples", 11, "subject_id", None), 11


@case("samples", "replicate", "must be a whole number")
def fractional_replicate(t):
    return _set(t, "samples", 12, "replicate", 1.5), 12


@pytest.mark.parametrize(("edit", "table", "column", "check"), CASES)
def test_bad_input_is_named(edit, table, column, check):
    tables = mini_tables()
    originals = {k: v.copy() for k, v in tables.items()}
    tables, row = edit(tables)
    snapshot = {k: v.copy() for k, v in tables.items()}
    report = hs.validate(_study(tables))
    assert not report.ok
    f = report.failures
    hits = f[(f["table"] == table) & f["check"].str.contains(check, regex=False)]
    if column is not None and check != "missing value":
        hits = hits[hits["column"] == column]
    assert len(hits) >= 1, report.summary()
    if row is not None:
        assert row + 2 in hits["row"].tolist(), report.summary()  # the file's row
    # the report names the table and (where there is one) the row in its message
    msg = hits["message"].iloc[0]
    assert table in msg
    # the edit's other tables stay valid: no unrelated failure tables
    assert set(f["table"]) <= {table, "samples", "responses", "genotypes", "subjects"}
    # validate never changes its input
    for k in tables:
        pd.testing.assert_frame_equal(tables[k], snapshot[k])
    assert len(originals) == len(tables)


def test_at_least_25_bad_input_cases():
    assert len(CASES) >= 25


def test_all_failures_are_collected_at_once():
    tables = mini_tables()
    tables, _ = wrong_unit(tables)
    tables, _ = rs53576_a_t(tables)
    tables, _ = iri_out_of_range(tables)
    tables, _ = subject_missing_from_roster(tables)
    report = hs.validate(_study(tables))
    checks = set(report.failures["check"])
    assert {"unit not valid for analyte", "alleles not those of the SNP", "unknown subject"} <= \
        checks
    assert any(c.startswith("outside iri") for c in checks)
    with pytest.raises(hs.ValidationError) as info:
        report.raise_for_errors()
    assert info.value.report is report
    assert "samples" in str(info.value) and "genotypes" in str(info.value)


def test_missing_required_column_is_named():
    tables = mini_tables()
    tables["genotypes"] = tables["genotypes"].drop(columns=["genotype"])
    report = hs.validate(_study(tables))
    hit = report.failures[report.failures["check"] == "required column"]
    assert hit["column"].tolist() == ["genotype"]
    assert "genotypes" in hit["message"].iloc[0]


def test_controls_are_exempt_from_roster_and_lod_flag():
    report = hs.validate(_study())
    assert "CTRL_low" not in report.failures["subject_id"].tolist()


def test_censored_readings_are_not_text_failures():
    tables = _set(mini_tables(), "samples", 0, "value", "<0.5")
    tables = _set(tables, "samples", 1, "value", "ND")
    report = hs.validate(_study(tables))
    assert report.ok, report.summary()


def test_identifier_allowed_by_contract():
    tables = mini_tables()
    tables["subjects"] = tables["subjects"].assign(email="a@b.org")
    contract = {**MINI_CONTRACT, "identifiers_allowed": ["email"]}
    assert hs.validate(_study(tables, contract)).ok


def test_reverse_strand_declared_complements():
    tables = _set(mini_tables(), "genotypes", 0, "genotype", "TC")
    contract = {**MINI_CONTRACT, "snps": {"rs53576": {"strand": "reverse"}, "rs2254298": {}}}
    report = hs.validate(_study(tables, contract))
    # under a reverse-strand declaration every call is complemented: TC -> AG is fine, but the
    # forward-strand calls of the other rows now fail (A<->T): the report names them
    rows = report.failures.loc[report.failures["table"] == "genotypes", "row"].tolist()
    assert 2 not in rows  # the first data row (header = row 1)


def test_plausible_range_gives_warning_not_failure():
    tables = _set(mini_tables(), "samples", 0, "value", 900.0)  # cortisol 900 nmol/L in saliva
    report = hs.validate(_study(tables))
    assert report.ok
    assert (report.warnings["check"] == "implausible value").any()


def test_report_renders_and_serialises():
    tables, _ = wrong_unit(mini_tables())
    report = hs.validate(_study(tables))
    assert "<table" in report._repr_html_()
    import json

    data = json.loads(report.to_json())
    assert data["ok"] is False and data["failures"][0]["table"] == "samples"
    assert (report.by_check()["n"] >= 1).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    row=st.integers(min_value=0, max_value=32),
    column=st.sampled_from(["value", "unit", "analyte", "subject_id", "lod", "replicate"]),
    value=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False),
                    st.text(max_size=6), st.integers(-5, 5)),
)
def test_validate_never_mutates_its_input(row, column, value):
    tables = _set(mini_tables(), "samples", row, column, value)
    before = {k: v.copy(deep=True) for k, v in tables.items()}
    hs.validate(_study(tables))
    for k in tables:
        pd.testing.assert_frame_equal(tables[k], before[k])


# ---------------------------------------------------------- table defects that must not pass
def _checks(report, table=None):
    f = report.failures
    return set(f.loc[f["table"] == table, "check"] if table else f["check"])


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_repeated_raw_header_is_refused_before_pandas_renames_it(tmp_path, ext):
    from conftest import write_study

    contract = write_study(tmp_path, mini_tables())
    frame = pd.read_csv(tmp_path / "samples.csv")
    frame.insert(3, "value_copy", frame["value"])
    frame.columns = [*frame.columns[:3], "value", *frame.columns[4:]]
    (tmp_path / "samples.csv").unlink()
    if ext == ".csv":
        frame.to_csv(tmp_path / "samples.csv", index=False)
    else:
        frame.to_excel(tmp_path / "samples.xlsx", index=False)
        raw = hs.load_contract(contract).to_dict()
        raw["tables"]["samples"] = "samples.xlsx"
        import yaml

        contract.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(hs.DataError, match=r"repeats column names \('value' in columns 4, "):
        hs.read_study(contract, tmp_path)


@pytest.mark.parametrize("table", ["samples", "responses"])
def test_header_only_table_fails(table):
    tables = mini_tables()
    tables[table] = tables[table].iloc[0:0]
    report = hs.validate(_study(tables))
    assert "no data rows" in _checks(report, table)


def test_treatment_stopping_before_it_starts_fails():
    tables = mini_tables()
    tables["treatments"] = tables["treatments"].assign(start=[0, 0, 10, 0], stop=[5, 5, 2, 5])
    report = hs.validate(_study(tables))
    hits = report.failures[report.failures["check"] == "stop before start"]
    assert hits["row"].tolist() == [4] and "treatments row 4" in hits["message"].iloc[0]


def test_crossover_subject_with_two_agents_in_one_period_fails():
    study = hs.read_dataset("crossover_study")
    tables = dict(study.tables)
    t = tables["treatments"].copy()
    first = t.iloc[[0]].assign(agent="placebo" if t["agent"].iloc[0] != "placebo"
                               else "intranasal_oxytocin")
    tables["treatments"] = pd.concat([t, first], ignore_index=True)
    report = hs.validate(hs.Study(contract=study.contract, tables=tables))
    hits = report.failures[report.failures["check"] == "two agents in one period"]
    assert sorted(hits["row"]) == [2, len(t) + 2]


def test_method_and_extraction_are_checked_against_the_contract():
    tables = mini_tables()
    s = tables["samples"].copy()
    ox = s.index[s["analyte"] == "oxytocin"]
    s.loc[ox[0], "method"] = "lc_ms_ms"
    s["extracted"] = None
    s.loc[ox[1], "extracted"] = False
    tables["samples"] = s
    contract = {**MINI_CONTRACT, "analytes": {
        **MINI_CONTRACT["analytes"],
        "oxytocin": {"unit": "pg/mL", "matrix": "saliva", "method": "immunoassay",
                     "extracted": True}}}
    report = hs.validate(_study(tables, contract))
    f = report.failures
    assert f.loc[f["check"] == "method differs from contract", "row"].tolist() == [ox[0] + 2]
    assert f.loc[f["check"] == "extraction differs from contract", "row"].tolist() == [ox[1] + 2]


@pytest.mark.parametrize("reading", ["<LOD", "ND"])
def test_below_lod_reading_needs_an_lod_above_zero(reading):
    tables = _set(mini_tables(), "samples", 3, "value", reading)
    tables = _set(tables, "samples", 3, "lod", 0.0)
    report = hs.validate(_study(tables))
    hits = report.failures[report.failures["check"] == "below LOD without an LOD > 0"]
    assert hits["row"].tolist() == [5]
    ok = _set(_set(mini_tables(), "samples", 3, "value", "<0.4"), "samples", 3, "lod", 0.0)
    assert hs.validate(_study(ok)).ok  # the reading carries its own limit


def test_answer_key_file_named_by_the_contract_must_exist(tmp_path):
    from conftest import write_study

    tables = mini_tables()
    contract = {**MINI_CONTRACT, "instruments": {**MINI_CONTRACT["instruments"],
                                                 "rmet": {"key": "rmet_key.csv"}}}
    path = write_study(tmp_path, tables, contract)
    report = hs.validate(hs.read_study(path, tmp_path))
    f = report.failures
    assert "named file missing" in set(f["check"])
    assert "rmet_key.csv" in f["message"].str.cat()
    key = pd.DataFrame({"item": range(1, 37), "correct": 1})
    key.to_csv(tmp_path / "rmet_key.csv", index=False)
    assert hs.validate(hs.read_study(path, tmp_path)).ok


def test_clock_time_sample_times_pass_validate_and_processing(tmp_path):
    from conftest import write_study

    from hormonestats.cli import main

    tables = mini_tables()
    s = tables["samples"].copy()
    s["sample_time"] = s["sample_time"].map(
        lambda m: None if pd.isna(m) else f"{8 + int(m) // 60:02d}:{int(m) % 60:02d}")
    tables["samples"] = s
    del tables["responses"]  # (the mini items have no variance for the reliability in qc)
    contract = {k: v for k, v in MINI_CONTRACT.items() if k != "instruments"}
    contract["tables"] = {k: v for k, v in MINI_CONTRACT["tables"].items() if k != "responses"}
    path = write_study(tmp_path, tables, contract)
    study = hs.read_study(path, tmp_path)
    assert study["samples"]["sample_time"].dropna().unique().tolist() == [480.0, 510.0, 525.0]
    assert hs.validate(study).ok
    assert "cortisol" in hs.process_study(study).table.columns
    assert main(["qc", str(path), str(tmp_path)]) == 0
    # a column mixing minutes and clock times fails validation, naming the file's row
    mixed = s.astype({"sample_time": object})
    mixed.loc[0, "sample_time"] = 0
    report = hs.validate(_study({**tables, "samples": mixed}, contract))
    assert (report.failures["column"] == "sample_time").sum() >= 1
    assert 3 in report.failures.loc[report.failures["column"] == "sample_time", "row"].tolist()


@pytest.mark.parametrize(
    ("column", "values", "kind"),
    [
        ("participant_name", ["a", "b", "c", "d"], "name"),
        ("contact", ["+44 20 7946 0958", "(555) 123-4567", "555-987-6543", "0161 496 0000"],
         "phone"),
        ("notes", ["12 Baker Street", "7 Elm Road", "Hauptstrasse 5", "3 Oak Avenue"],
         "address"),
        ("guardian", ["Anna Smith", "John Miller", "Maria Garcia", "Wei Chen"], "name"),
        ("born", ["1990-05-17", "1985-11-02", "2001-03-30", "1978-07-08"], "birth date"),
        ("reach", ["ann@uni.edu", "bo@x.org", "cy@y.com", "di@z.net"], "e-mail"),
    ],
)
def test_direct_identifiers_by_name_and_by_value(column, values, kind):
    tables = mini_tables()
    tables["subjects"] = tables["subjects"].assign(**{column: values})
    report = hs.validate(_study(tables))
    hits = report.failures[report.failures["check"] == "direct identifier"]
    assert hits["column"].tolist() == [column] and f"({kind})" in hits["message"].iloc[0]
    allowed = {**MINI_CONTRACT, "identifiers_allowed": [column]}
    assert hs.validate(_study(tables, allowed)).ok


def test_identifier_values_in_any_table_are_found():
    tables = mini_tables()
    tables["treatments"] = tables["treatments"].assign(
        nurse=["Anna Smith", "John Miller", "Maria Garcia", "Wei Chen"])
    report = hs.validate(_study(tables))
    assert report.failures.loc[report.failures["check"] == "direct identifier",
                               "table"].tolist() == ["treatments"]


def test_categories_and_visit_dates_are_not_identifiers():
    tables = mini_tables()
    tables["subjects"] = tables["subjects"].assign(
        group=["Control Group", "Control Group", "Oxytocin Group", "Oxytocin Group"],
        visit=["2025-01-10", "2025-01-11", "2025-01-12", "2025-01-13"],
        code=["12345", "23456", "34567", "45678"])
    assert hs.validate(_study(tables)).ok


@pytest.mark.parametrize("name", ["example_study", "tsst_study", "cycle_study",
                                  "crossover_study", "couples_study", "biopsykit_cortisol"])
def test_every_bundled_study_still_validates(name):
    report = hs.validate(hs.read_dataset(name))
    assert report.ok, report.summary()
