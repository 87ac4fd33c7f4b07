"""Reading studies from csv, xlsx, sav and parquet; unreadable files named clearly."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import MINI_CONTRACT, mini_tables, write_study

import hormonestats as hs


def test_read_csv_round_trip_keeps_ids_as_text(tmp_path):
    tables = mini_tables()
    tables["subjects"] = tables["subjects"].assign(subject_id=["001", "002", "003", "004"])
    for name in ("samples", "genotypes", "responses", "treatments"):
        tables[name] = tables[name].assign(
            subject_id=tables[name]["subject_id"].replace(
                {"S01": "001", "S02": "002", "S03": "003", "S04": "004"}))
    contract = write_study(tmp_path, tables)
    study = hs.read_study(contract, tmp_path)
    assert study["subjects"]["subject_id"].tolist() == ["001", "002", "003", "004"]
    assert hs.validate(study).ok


@pytest.mark.parametrize("ext", [".xlsx", ".sav", ".parquet"])
def test_other_formats(tmp_path, ext):
    tables = mini_tables()
    contract = dict(MINI_CONTRACT)
    contract["tables"] = {"subjects": None, "genotypes": None}
    for name in ("subjects", "genotypes"):
        frame = tables[name]
        path = tmp_path / f"{name}{ext}"
        if ext == ".xlsx":
            frame.to_excel(path, index=False)
        elif ext == ".sav":
            import pyreadstat

            pyreadstat.write_sav(frame, str(path))
        else:
            frame.to_parquet(path)
    write_study(tmp_path / "c", {}, contract)
    study = hs.read_study(tmp_path / "c" / "contract.yaml", tmp_path)
    assert study["subjects"]["subject_id"].tolist() == ["S01", "S02", "S03", "S04"]
    assert study["genotypes"].shape == (8, 3)
    assert hs.validate(study).ok


def _problem(tmp_path, setup) -> str:
    tables = mini_tables()
    contract = write_study(tmp_path, tables)
    setup(tmp_path)
    with pytest.raises(hs.DataError) as info:
        hs.read_study(contract, tmp_path)
    return str(info.value)


def test_empty_file(tmp_path):
    text = _problem(tmp_path, lambda d: (d / "genotypes.csv").write_text(""))
    assert "genotypes (genotypes.csv): the file is empty" in text


def test_header_only_file(tmp_path):
    text = _problem(tmp_path, lambda d: (d / "treatments.csv").write_text("subject_id\n"))
    assert "treatments" in text and "no data rows" in text


def test_missing_table(tmp_path):
    text = _problem(tmp_path, lambda d: (d / "responses.csv").unlink())
    assert "responses: file responses.csv not found" in text


def test_semicolon_file_reads_as_its_comma_file_with_a_note(tmp_path):
    tables = mini_tables()
    contract = write_study(tmp_path, tables)
    before = hs.read_study(contract, tmp_path)
    frame = pd.read_csv(tmp_path / "subjects.csv")
    frame.to_csv(tmp_path / "subjects.csv", sep=";", index=False)
    after = hs.read_study(contract, tmp_path)
    pd.testing.assert_frame_equal(after["subjects"], before["subjects"])
    assert any("separator ';' detected" in n for n in after.notes)


def test_merged_excel_header(tmp_path):
    from openpyxl import Workbook

    tables = mini_tables()
    contract = dict(MINI_CONTRACT)
    contract["tables"] = {"subjects": "subjects.xlsx"}
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "Study export 2026"
    ws.merge_cells("A1:E1")
    ws.append(list(tables["subjects"].columns))
    for row in tables["subjects"].itertuples(index=False):
        ws.append(list(row))
    wb.save(tmp_path / "subjects.xlsx")
    write_study(tmp_path / "c", {}, contract)
    with pytest.raises(hs.DataError) as info:
        hs.read_study(tmp_path / "c" / "contract.yaml", tmp_path)
    assert "subjects (subjects.xlsx)" in str(info.value)
    assert "merged cells subjects.xlsx!A1:E1" in str(info.value)


def test_all_unreadable_tables_reported_together(tmp_path):
    def setup(d):
        (d / "genotypes.csv").write_text("")
        (d / "responses.csv").unlink()
    text = _problem(tmp_path, setup)
    assert "2 tables could not be read" in text
    assert "genotypes" in text and "responses" in text


def test_unknown_extension(tmp_path):
    contract = dict(MINI_CONTRACT)
    contract["tables"] = {"subjects": "subjects.txt"}
    (tmp_path / "subjects.txt").write_text("subject_id\nS1\n")
    write_study(tmp_path / "c", {}, contract)
    with pytest.raises(hs.DataError, match="cannot read '.txt' files"):
        hs.read_study(tmp_path / "c" / "contract.yaml", tmp_path)


def test_missing_data_folder(tmp_path):
    write_study(tmp_path, {})
    with pytest.raises(hs.DataError, match="data folder not found"):
        hs.read_study(tmp_path / "contract.yaml", tmp_path / "nope")


def test_log_and_messages_name_the_row_the_file_shows():
    """One row convention (schemas/README.md): header = row 1, first data row = row 2, in
    validation messages, in derive messages and in the exclusion log alike."""
    import csv

    from hormonestats.errors import DataError

    study = hs.read_dataset("example_study")
    path = study.sources["samples"]
    with open(path, newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    header = lines[0]
    log = hs.process_study(study).log
    logged = log.loc[log["table"] == "samples"].head(20)
    assert len(logged)
    for row, subject in zip(logged["row"], logged["subject_id"]):
        assert dict(zip(header, lines[int(row) - 1]))["subject_id"] == subject
    samples = study["samples"].copy()
    samples.loc[samples.index[4], "value"] = "not a number"  # the file's row 6
    with pytest.raises(DataError, match=r"text at rows? 6\b"):
        hs.to_canonical(samples)
