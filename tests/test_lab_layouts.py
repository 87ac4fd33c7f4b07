"""A lab's own files: column maps and wide layouts in the contract, drafted by init, read into
the long tables; the same study as csv, as ';'/decimal-comma cp1252 csv and as one workbook
gives the analysis table of the long tables."""

from __future__ import annotations

import csv
import re
import shutil

import pandas as pd
import pytest
import yaml

import hormonestats as hs
from hormonestats.datasets import dataset_path
from hormonestats.derive.processing import process_study
from hormonestats.study.drafting import draft_contract, settle

LAB = dataset_path("lab_study")


@pytest.fixture(scope="module")
def long_table():
    return _sorted(process_study(hs.read_dataset("example_study")).table)


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values("subject_id").reset_index(drop=True)


def _copy_csv(folder):
    folder.mkdir()
    for path in LAB.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    return folder


def _semicolon_cp1252(folder):
    """Every file as a German Excel saves it: ';', decimal commas, Windows-1252."""
    folder.mkdir()
    for path in LAB.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        rows = [[re.sub(r"^(-?\d+)\.(\d+)$", r"\1,\2", c) for c in r] for r in rows]
        with (folder / path.name).open("w", encoding="cp1252", newline="") as fh:
            csv.writer(fh, delimiter=";").writerows(rows)
    return folder


def _workbook(folder):
    """One workbook, a sheet per file (the answer key stays a file of its own)."""
    folder.mkdir()
    with pd.ExcelWriter(folder / "study.xlsx") as xl:
        for path in sorted(LAB.glob("*.csv")):
            if path.stem == "rmet_key":
                shutil.copy(path, folder / path.name)
                continue
            frame = pd.read_csv(path, dtype={"ParticipantID": str, "SampleID": str})
            frame.to_excel(xl, sheet_name=path.stem, index=False)
    return folder


@pytest.mark.parametrize("make", [_copy_csv, _semicolon_cp1252, _workbook],
                         ids=["csv", "semicolon-cp1252", "workbook"])
def test_lab_layout_init_settle_validate_gives_the_long_tables_analysis(
        make, tmp_path, long_table):
    folder = make(tmp_path / "data")
    draft = draft_contract(folder)
    assert draft.todos, "the draft guessed (roster, codes, matrix): it must say so"
    assert "Nothing left to settle" not in draft.summary()
    contract = tmp_path / "contract.yaml"
    contract.write_text(draft.text, encoding="utf-8")
    with pytest.raises(hs.ContractError) as info:  # an unsettled draft is refused
        hs.load_contract(contract)
    assert len(draft.todos) == str(info.value).count(": TODO")
    contract.write_text(settle(draft.text), encoding="utf-8")
    study = hs.read_study(contract, folder)
    report = hs.validate(study)
    assert report.ok, report.summary()
    pd.testing.assert_frame_equal(_sorted(process_study(study).table), long_table,
                                  check_like=True)  # the same columns, maybe in another order


def test_bundled_lab_study_reads_into_the_long_tables():
    lab, long = hs.read_dataset("lab_study"), hs.read_dataset("example_study")
    assert hs.validate(lab).ok
    from hormonestats.study.table_columns import key_columns

    for table in long.tables:
        cols, keys = list(long[table].columns), key_columns(table, long[table])
        a = lab[table][cols].sort_values(keys).reset_index(drop=True)
        b = long[table].sort_values(keys).reset_index(drop=True)
        if "value" in cols:  # readings: numbers in one file, text ('<LOD') in the other
            a["value"], b["value"] = a["value"].astype(str), b["value"].astype(str)
        if table == "genotypes":  # no-calls: '--' in one, 'Undetermined' -> missing in the other
            b["genotype"] = b["genotype"].mask(b["genotype"] == "--")
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    text = "\n".join(lab.notes)
    assert "'S002 '" in text and "cortisol.csv" in text  # the trimmed ID, named where
    assert "'Cortisol' -> 'cortisol'" in text and "'nmol_L' -> 'nmol/L'" in text


def test_wide_rows_are_named_by_file_row_and_column(tmp_path):
    folder = _copy_csv(tmp_path / "data")
    iri = pd.read_csv(folder / "iri.csv", dtype={"ParticipantID": str})
    iri.loc[4, "IRI_07"] = 9  # outside 0..4, row 6 of the file
    iri.to_csv(folder / "iri.csv", index=False)
    report = hs.validate(hs.read_study(LAB / "contract.yaml", folder))
    text = report.summary()
    assert "iri.csv row 6, column IRI_07" in text, text


@pytest.mark.slow
def test_run_full_study_on_the_lab_layout(tmp_path):
    from hormonestats.cli import main

    code = main(["run", "full_study", "--contract", str(LAB / "contract.yaml"), "--data",
                 str(LAB), "--out", str(tmp_path / "out"), "--n-boot", "50"])
    assert code == 0
    assert (tmp_path / "out").is_dir()


# ---------------------------------------------------------------- the contract's layouts
def _mini(tmp_path, subjects_entry, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    contract = {"name": "mini", "tables": {"subjects": subjects_entry}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")
    return tmp_path / "c.yaml"


@pytest.mark.parametrize("entry, problem", [
    ({"file": "p.csv", "colums": {}}, "unknown key 'colums'; did you mean 'columns'?"),
    ({"file": "p.csv", "wide": {"columns": "(", "values": "response"}},
     "is not a regular expression"),
    ({"file": "p.csv", "wide": {"column": "x", "values": "v"}},
     "unknown key 'column'; did you mean 'columns'?"),
    ({"file": "p.csv", "separator": ":"}, "separator: expected one of"),
    ({"columns": {"A": "subject_id"}}, "names no file"),
    ({"file": "p.csv", "columns": {"A": "subject_id", "B": "subject_id"}},
     "several file columns map to subject_id"),
    ({"file": "p.csv", "columns": {"ParticipantID": "subjectid"}},
     "'subjectid' is not a column of subjects; did you mean 'subject_id'?"),
    ({"file": "../outside/p.csv"}, "climbs out of the folder"),
    ({"file": "/etc/passwd"}, "is an absolute path"),
    ({"file": "archive:p.csv"}, "names the root 'archive'"),
])
def test_layout_entries_are_checked_strictly(tmp_path, entry, problem):
    path = _mini(tmp_path, entry, {})
    with pytest.raises(hs.ContractError) as info:
        hs.load_contract(path)
    assert problem in str(info.value)


def test_codes_set_and_declared_root(tmp_path):
    other = tmp_path / "shared"
    other.mkdir()
    (other / "p.csv").write_text("ID,Gender,Years\nA1,w,30\nA2,m,41\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "name": "mini", "roots": {"shared": str(other)},
        "tables": {"subjects": {"file": "shared:p.csv",
                                "columns": {"ID": "subject_id", "Gender": "sex",
                                            "Years": "age"},
                                "codes": {"sex": {"w": "female", "m": "male"}},
                                "set": {"group": "pilot"}}}}), encoding="utf-8")
    (tmp_path / "data").mkdir()
    study = hs.read_study(tmp_path / "c.yaml", tmp_path / "data")
    frame = study["subjects"]
    assert frame["sex"].tolist() == ["female", "male"]
    assert frame["group"].tolist() == ["pilot", "pilot"]
    assert hs.validate(study).ok


def test_missing_mapped_column_is_named_with_a_suggestion(tmp_path):
    path = _mini(tmp_path, {"file": "p.csv", "columns": {"ParticipantId": "subject_id"}},
                 {"p.csv": "ParticipantID,Age\nA,3\n"})
    with pytest.raises(hs.DataError) as info:
        hs.read_study(path, tmp_path)
    assert "subjects (p.csv): column 'ParticipantId' is not in the file; did you mean " \
        "'ParticipantID'?" in str(info.value)


# ---------------------------------------------------------------- YAML and contract files
@pytest.mark.parametrize("text, problem", [
    ("name: x\nanalytes:\n  cortisol: {unit: nmol/L}\nanalytes:\n  oxytocin: {}\n",
     "key 'analytes' is written twice in one mapping (lines 2 and 4)"),
    ("name: x\ntables: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested more than 64"),
    ("a: &a [x, x]\n" + "".join(f"b{i}: *a\n" for i in range(200)), "more than 100 aliases"),
])
def test_contract_yaml_is_bounded(tmp_path, text, problem):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(hs.ContractError) as info:
        hs.load_contract(path)
    assert problem in str(info.value)


def test_contract_in_latin1_or_a_folder_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("name: Zürich\n".encode("latin-1"))
    with pytest.raises(hs.ContractError, match="not UTF-8 text .*line 1"):
        hs.load_contract(path)
    with pytest.raises(hs.ContractError, match="is a folder"):
        hs.load_contract(tmp_path)


def test_definition_outside_the_contract_folder_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ninstruments:\n  mine: {definition: /dev/urandom}\n",
                    encoding="utf-8")
    with pytest.raises(hs.ContractError, match="absolute path"):
        hs.load_contract(path)


@pytest.mark.parametrize("args", [["validate", "{d}", "{d}"], ["validate", "{c}", "{d}"]])
def test_cli_refuses_bad_contracts_with_exit_2(tmp_path, args, capsys):
    from hormonestats.cli import main

    (tmp_path / "c.yaml").write_bytes(b"name: caf\xe9\n")
    argv = [a.format(d=tmp_path, c=tmp_path / "c.yaml") for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("folder" in err or "UTF-8" in err)



def test_init_finds_the_participant_id_by_its_values(tmp_path):
    (tmp_path / "teilnehmer.csv").write_text(
        "Teilnehmer,Alter,Geschlecht\nP01,30,w\nP02,41,m\nP03,25,w\n", encoding="utf-8")
    draft = draft_contract(tmp_path)
    assert any("participant ID (chosen by its values)" in t for t in draft.todos)
    assert "{Alter: age, Geschlecht: sex, Teilnehmer: subject_id}" in draft.text
    contract = tmp_path / "c.yaml"
    contract.write_text(settle(draft.text), encoding="utf-8")
    study = hs.read_study(contract, tmp_path)
    assert study["subjects"]["sex"].tolist() == ["female", "male", "female"]
    assert hs.validate(study).ok


def test_cli_init_then_validate_on_the_lab_layout(tmp_path, capsys):
    from hormonestats.cli import main

    out = tmp_path / "contract.yaml"
    assert main(["init", str(LAB), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "TODO to settle" in text and "Nothing left to settle" not in text
    assert main(["validate", str(out), str(LAB)]) == 2
    err = capsys.readouterr()
    assert "tables.subjects.codes.sex: TODO" in err.err + err.out
    out.write_text(settle(out.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["validate", str(out), str(LAB)]) == 0
    assert "'S002 '" in capsys.readouterr().out  # the note says where an ID was trimmed


def test_a_relative_root_is_relative_to_the_contract(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "p.csv").write_text("subject_id,age\nA1,30\n", encoding="utf-8")
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "c.yaml").write_text(
        "name: x\nroots: {shared: ../shared}\ntables: {subjects: {file: 'shared:p.csv'}}\n",
        encoding="utf-8")
    (tmp_path / "data").mkdir()
    study = hs.read_study(tmp_path / "contracts" / "c.yaml", tmp_path / "data")
    assert study["subjects"]["subject_id"].tolist() == ["A1"]
