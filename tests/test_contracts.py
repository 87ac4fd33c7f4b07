"""Study contracts: loading, registry checks with allowed values, safe YAML."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import MINI_CONTRACT

import hormonestats as hs


def test_mini_contract_compiles_to_schemas():
    contract = hs.load_contract(MINI_CONTRACT)
    schemas = contract.schemas()
    assert set(schemas) == set(MINI_CONTRACT["tables"])
    assert "bmi" in schemas["subjects"].columns
    assert contract.analytes["oxytocin"].units == ("pg/mL",)
    assert contract.agents == ("intranasal_oxytocin", "placebo")


def test_every_bundled_contract_loads():
    from pathlib import Path

    paths = sorted(Path("schemas").glob("*.yaml"))
    for path in paths:
        assert hs.load_contract(path).name


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"analytes": {"cortisoll": {}}}, "unknown analyte 'cortisoll'"),
        ({"analytes": {"cortisol": {"unit": "mg/furlong"}}}, "allowed: "),
        ({"analytes": {"cortisol": {"matrix": "sweat"}}}, "matrix 'sweat' unknown"),
        ({"snps": {"rs0000": {}}}, "rs0000"),
        ({"instruments": {"rmet_short": {}}}, "rmet_short"),
        ({"agents": ["unicorn_dust"]}, "unknown treatment agent 'unicorn_dust'"),
        ({"design": "factorial"}, "design: 'factorial' is not one of"),
        ({"tables": {"subjects": None, "bloods": None}}, "unknown table 'bloods'"),
        ({"columns": {"subjects": {"bmi": {"dtype": "decimal"}}}}, "dtype: 'decimal' unknown"),
        ({"colour": "blue"}, "colour: unknown key 'colour'"),
    ],
)
def test_unknown_names_fail_with_allowed_values(edit, expected):
    raw = {**MINI_CONTRACT, **edit}
    with pytest.raises(hs.ContractError) as info:
        hs.load_contract(raw)
    assert expected in str(info.value)


def test_all_contract_problems_reported_at_once():
    raw = {**MINI_CONTRACT, "analytes": {"cortisoll": {}}, "snps": {"rs1": {}},
           "agents": ["nope"]}
    with pytest.raises(hs.ContractError) as info:
        hs.load_contract(raw)
    text = str(info.value)
    assert "3 problems" in text and "cortisoll" in text and "rs1" in text and "nope" in text


def test_unit_list_accepts_registry_units_only():
    raw = {**MINI_CONTRACT, "analytes": {"cortisol": {"unit": ["nmol/L", "ug/dL"]}}}
    assert hs.load_contract(raw).analytes["cortisol"].units == ("nmol/L", "ug/dL")


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(hs.ContractError, match="not valid YAML"):
        hs.load_contract(path)


def test_missing_contract_file(tmp_path):
    with pytest.raises(hs.ContractError, match="not found"):
        hs.load_contract(tmp_path / "nope.yaml")


def test_user_instrument_from_yaml(tmp_path):
    (tmp_path / "mood.yaml").write_text(
        "name: mood\nitems: 3\nresponse_min: 1\nresponse_max: 5\nscoring: mean\n"
        "subscales: {total: [1, 2, 3]}\n"
    )
    raw = {**MINI_CONTRACT, "instruments": {"mood": {"definition": "mood.yaml"}}}
    (tmp_path / "c.yaml").write_text(__import__("yaml").safe_dump(raw))
    contract = hs.load_contract(tmp_path / "c.yaml")
    assert contract.instrument("mood").response_max == 5


# ---------------------------------------------------- the contract's own structure, strictly
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"analytes": ["cortisol"]}, "analytes: expected a mapping of name -> options"),
        ({"columns": ["bmi"]}, "columns: expected a mapping of table -> columns, got a list"),
        ({"analytes": {"cortisol": "nmol/L"}},
         "analytes.cortisol: expected a mapping of options (e.g. {unit: nmol/L, matrix: "
         "saliva}), got 'nmol/L'"),
        ({"analytes": {"cortisol": {"range": [0, "high"]}}},
         "analytes.cortisol.range[1]: expected a number, got 'high'"),
        ({"columns": {"subjects": {"age2": {"dtype": "float", "min": "eighteen"}}}},
         "columns.subjects.age2.min: expected a number, got 'eighteen'"),
        ({"snps": "rs53576"}, "snps: expected a mapping (or a list of names)"),
        ({"snps": {"rs53576": {"strnd": "reverse"}}},
         "snps.rs53576.strnd: unknown key 'strnd'; did you mean 'strand'?"),
        ({"columns": {"subjects": {"arm": {"value": ["a", "b"]}}}},
         "columns.subjects.arm.value: unknown key 'value'; did you mean 'values'?"),
        ({"instruments": {"iri": {"max_missing": -1}}},
         "instruments.iri.max_missing: expected a whole number >= 0, got -1"),
        ({"instruments": {"iri": {"maxmissing": 1}}}, "did you mean 'max_missing'?"),
        ({"analytes": {"cortisol": {"extracted": "yes"}}},
         "analytes.cortisol.extracted: expected true or false, got 'yes'"),
        ({"tables": {"subjects": None, "sample": None}},
         "tables.sample: unknown table 'sample'; did you mean 'samples'?"),
        ({"desing": "within"}, "desing: unknown key 'desing'; did you mean 'design'?"),
    ],
)
def test_contract_structure_problems_name_their_yaml_path(edit, expected):
    with pytest.raises(hs.ContractError) as info:
        hs.load_contract({**MINI_CONTRACT, **edit})
    assert expected in str(info.value)


def test_contract_structure_problems_all_at_once():
    raw = {**MINI_CONTRACT, "analytes": {"cortisol": {"range": ["low", "high"]}},
           "snps": {"rs53576": {"strnd": "reverse"}}, "colour": 1}
    with pytest.raises(hs.ContractError) as info:
        hs.load_contract(raw)
    text = str(info.value)
    assert "4 problems" in text
    assert "range[0]" in text and "range[1]" in text and "strnd" in text and "colour" in text


def test_contract_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(hs.ContractError, match="must be a mapping of keys"):
        hs.load_contract(path)


def test_malformed_contract_exits_2_without_traceback(tmp_path, capsys):
    import yaml
    from conftest import mini_tables, write_study

    from hormonestats.cli import main

    raw = {**MINI_CONTRACT, "analytes": {"cortisol": "nmol/L"}, "columns": ["bmi"]}
    contract = write_study(tmp_path, mini_tables(), raw)
    assert yaml.safe_load(contract.read_text())["columns"] == ["bmi"]
    for command in (["validate", str(contract), str(tmp_path)],
                    ["qc", str(contract), str(tmp_path)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "analytes.cortisol" in err and "columns:" in err and "Traceback" not in err


def test_instrument_definition_unknown_key_suggests_the_closest():
    from hormonestats.registry.instruments import load_instrument

    spec = {"name": "mine", "items": 3, "response_min": 1, "response_max": 5,
            "scoring": "sum", "subscales": {"total": "all"}, "revrse": [1]}
    with pytest.raises(hs.ContractError, match=r"revrse.*did you mean 'reverse'"):
        load_instrument(spec)


def test_contract_max_missing_zero_is_honoured():
    from conftest import mini_tables

    tables = mini_tables()
    responses = tables["responses"]
    skip = (responses["subject_id"] == "S01") & (responses["item"] == "1")
    tables["responses"] = responses.loc[~skip].reset_index(drop=True)
    for limit, expect_missing in ((1, False), (0, True)):
        raw = {**MINI_CONTRACT, "instruments": {"iri": {"max_missing": limit},
                                                "trust_game": {"endowment": 10}}}
        study = hs.Study(contract=hs.load_contract(raw), tables=tables)
        assert study.contract.instrument("iri").max_missing == limit
        table = hs.process_study(study).table
        value = table.loc[table["subject_id"] == "S01", "iri_fs"].iloc[0]
        assert pd.isna(value) == expect_missing


def test_contract_multiplier_is_honoured_in_checks():
    from conftest import mini_tables

    tables = mini_tables()
    extra = pd.DataFrame({"subject_id": ["S01"], "session": ["s1"], "instrument": ["trust_game"],
                          "item": ["returned"], "response": [12]})
    tables["responses"] = pd.concat([tables["responses"], extra], ignore_index=True)
    ok = {**MINI_CONTRACT, "instruments": {"iri": {}, "trust_game": {"endowment": 10}}}
    low = {**MINI_CONTRACT, "instruments": {"iri": {},
                                            "trust_game": {"endowment": 10, "multiplier": 2}}}
    assert hs.validate(hs.Study(contract=hs.load_contract(ok), tables=tables)).ok
    report = hs.validate(hs.Study(contract=hs.load_contract(low), tables=tables))
    assert "multiplier x sent = 10" in report.failures["message"].str.cat()


# ------------------------------------------- every documented column option takes effect
@pytest.mark.parametrize(
    ("options", "edit", "check"),
    [
        ({"dtype": "float", "required": True}, lambda s: s.drop(columns="bmi"),
         "required column"),
        ({"dtype": "float", "nullable": False}, lambda s: s.assign(bmi=[None, 24.0, 19.8, 27.3]),
         "missing value"),
        ({"dtype": "float", "min": 20}, lambda s: s, "must be at least 20"),
        ({"dtype": "float", "max": 20}, lambda s: s, "must be at most 20"),
        ({"dtype": "int"}, lambda s: s, "must be a whole number"),
        ({"dtype": "str", "values": [21.5, 24.0]}, lambda s: s, "must be one of"),
        ({"dtype": "bool"}, lambda s: s, "must be true/false"),
        ({"dtype": "date"}, lambda s: s, "must be a date"),
    ],
)
def test_every_column_option_takes_effect(options, edit, check):
    from conftest import mini_tables

    tables = mini_tables()
    tables["subjects"] = edit(tables["subjects"])
    raw = {**MINI_CONTRACT, "columns": {"subjects": {"bmi": options}}}
    report = hs.validate(hs.Study(contract=hs.load_contract(raw), tables=tables))
    assert report.failures["check"].str.startswith(check).any(), report.summary()
    relaxed = {**MINI_CONTRACT, "columns": {"subjects": {"bmi": {"dtype": "float"}}}}
    assert hs.validate(hs.Study(contract=hs.load_contract(relaxed),
                                tables=mini_tables())).ok
