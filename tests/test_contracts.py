"""Study contracts: loading, registry checks with allowed values, safe YAML."""

from __future__ import annotations

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
        ({"columns": {"subjects": {"bmi": {"dtype": "decimal"}}}}, "dtype 'decimal' unknown"),
        ({"colour": "blue"}, "unknown top-level keys ['colour']"),
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
