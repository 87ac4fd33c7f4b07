"""Damaged and unusual inputs: dialects, dates and times, Excel as it is, bounded files. Each is
read as the same table as its plain csv file, or refused naming the file and row (or cell)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from conftest import mini_tables, write_study

import hormonestats as hs

SUBJECTS = "subject_id,sex,age,arm,bmi\nS01,female,23,oxytocin,21.5\nS02,male,31,placebo,24.0\n" \
    "S03,female,27,oxytocin,19.8\nS04,male,45,placebo,27.3\n"


@pytest.fixture
def study(tmp_path):
    """A valid mini study; returns (contract path, data folder)."""
    return write_study(tmp_path, mini_tables()), tmp_path


def _read(study):
    contract, folder = study
    return hs.read_study(contract, folder)


def _refused(study) -> str:
    with pytest.raises(hs.DataError) as info:
        _read(study)
    return str(info.value)


# ------------------------------------------------------------------------------ dialects
@pytest.mark.parametrize("encoding, sep, decimal", [
    ("utf-8-sig", ",", "."), ("utf-16", ",", "."), ("cp1252", ";", ","), ("latin-1", "\t", ","),
    ("utf-8", "|", "."),
])
def test_dialects_read_as_the_comma_file(study, encoding, sep, decimal):
    before = _read(study)["subjects"]
    text = SUBJECTS.replace("S04,male", "S04,m\u00e4le") if encoding != "utf-8" else SUBJECTS
    lines = [ln.replace(",", sep) for ln in text.splitlines()]
    if decimal == ",":
        lines = [ln.replace(".", ",") for ln in lines]
    (study[1] / "subjects.csv").write_bytes(("\n".join(lines) + "\n").encode(encoding))
    after = _read(study)
    got = after["subjects"].assign(sex=after["subjects"]["sex"].replace("m\u00e4le", "male"))
    pd.testing.assert_frame_equal(got, before, check_dtype=False)
    if encoding in ("cp1252", "latin-1"):
        assert any("read as Windows-1252" in n for n in after.notes)


def test_thousands_separator_detected(study):
    text = "subject_id;sex;age;arm;bmi\nS01;female;23;oxytocin;1.021,5\n" \
        "S02;male;31;placebo;24,0\nS03;female;27;oxytocin;19,8\nS04;male;45;placebo;27,3\n"
    (study[1] / "subjects.csv").write_text(text, encoding="utf-8")
    frame = _read(study)["subjects"]
    assert frame["bmi"].tolist() == [1021.5, 24.0, 19.8, 27.3]


def test_declared_encoding_that_does_not_fit_names_the_line(tmp_path):
    (tmp_path / "p.csv").write_bytes("ID,Ort\nA,Z\u00fcrich\nB,Bern\n".encode("cp1252"))
    (tmp_path / "c.yaml").write_text(
        "name: x\ntables:\n  subjects: {file: p.csv, encoding: utf-8, columns: {ID: subject_id}}\n",
        encoding="utf-8")
    with pytest.raises(hs.DataError) as info:
        hs.read_study(tmp_path / "c.yaml", tmp_path)
    assert "p.csv" in str(info.value) and "line 2" in str(info.value)


def test_ragged_file_names_its_first_offending_line(study):
    (study[1] / "subjects.csv").write_text(SUBJECTS + "S05,female,30,placebo,22.0,extra\n",
                                           encoding="utf-8")
    text = _refused(study)
    assert "subjects (subjects.csv)" in text and "line 6" in text


# ------------------------------------------------------------------------- dates, times
def _cycles(study, dates, tmp_fmt=None):
    contract, folder = study
    rows = "\n".join(f"S01,{d},menses_onset" for d in dates)
    (folder / "cycles.csv").write_text(f"subject_id,date,event\n{rows}\n", encoding="utf-8")
    import yaml

    data = yaml.safe_load(contract.read_text(encoding="utf-8"))
    data["tables"]["cycles"] = "cycles.csv" if tmp_fmt is None else \
        {"file": "cycles.csv", "dates": {"date": tmp_fmt}}
    contract.write_text(yaml.safe_dump(data), encoding="utf-8")
    return study


@pytest.mark.parametrize("dates, fmt, expected", [
    (["29.04.2024", "03.05.2024"], None, ["2024-04-29", "2024-05-03"]),
    (["04/29/2024", "05/03/2024"], None, ["2024-04-29", "2024-05-03"]),
    (["04.03.2024", "05.03.2024"], "%d.%m.%Y", ["2024-03-04", "2024-03-05"]),
    (["2024-03-04", "2024-03-05"], None, ["2024-03-04", "2024-03-05"]),
])
def test_dates_read_by_their_format(study, dates, fmt, expected):
    frame = _read(_cycles(study, dates, fmt))["cycles"]
    assert frame["date"].tolist() == expected


@pytest.mark.parametrize("dates, message", [
    (["04.03.2024", "05.03.2024"], "every date could be day-first or month-first (rows 2, 3"),
    (["2024-03-01", "04/03/2024"], "'04/03/2024' at row(s) 3"),
    (["13.03.2024", "03.13.2024"], "day first in some rows and the month first in others"),
])
def test_undecidable_dates_are_refused_naming_rows(study, dates, message):
    assert message in _refused(_cycles(study, dates))


def test_impossible_clock_time_named_at_its_own_row(study):
    contract, folder = study
    samples = mini_tables()["samples"].astype({"sample_time": object})
    samples["sample_time"] = ["08:00"] * len(samples)
    samples.loc[5, "sample_time"] = "25:61"
    samples.to_csv(folder / "samples.csv", index=False)
    text = _refused(study)
    assert "'25:61'" in text and "row(s) 7" in text


def test_time_zone_offsets_converted_to_one_zone_with_a_note(study):
    contract, folder = study
    treatments = mini_tables()["treatments"]
    starts = ["2024-03-30T09:00+01:00", "2024-03-31T09:00+02:00", "2024-04-01T09:00+02:00",
              "2024-04-02T09:00+02:00"]
    treatments["start"] = (starts * len(treatments))[:len(treatments)]
    treatments.to_csv(folder / "treatments.csv", index=False)
    read = _read(study)
    assert any("converted to UTC+01:00" in n for n in read.notes)
    minutes = read["treatments"]["start"].tolist()
    assert minutes[:2] == [9 * 60, 24 * 60 + 8 * 60]  # 09:00+02:00 is 08:00+01:00


# ------------------------------------------------------------------------------ Excel
def _workbook(folder, build):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "subjects"
    for line in SUBJECTS.splitlines():
        ws.append([_cell(v) for v in line.split(",")])
    build(wb, ws)
    wb.save(folder / "subjects.xlsx")
    (folder / "subjects.csv").unlink()
    return folder


def _cell(v):
    try:
        return float(v)
    except ValueError:
        return v


def _hidden_first(wb, ws):
    stale = wb.create_sheet("old", 0)
    stale.append(["subject_id", "sex"])
    stale.append(["X99", "female"])
    stale.sheet_state = "hidden"


def _merged(wb, ws):
    ws.merge_cells("D2:D3")


def _formula(wb, ws):
    ws["C3"] = "=20+11"


def _text_age(wb, ws):
    ws["C4"] = "twenty-seven"


def _huge_dimension(wb, ws):
    ws["XFD1048576"] = None
    ws._current_row = 1048576


@pytest.mark.parametrize("build, message", [
    (_merged, "merged cells subjects.xlsx!D2:D3"),
    (_formula, "formula cell(s) without a stored value (subjects.xlsx!C3)"),
    (_text_age, "subjects.xlsx!C4: 'twenty-seven' is text in the number column 'age'"),
])
def test_excel_refusals_name_sheet_and_cell(study, build, message):
    contract, folder = study
    _workbook(folder, build)
    _point_subjects_at(contract, "subjects.xlsx")
    assert message in _refused(study)
    _point_subjects_at(contract, {"file": "subjects.xlsx", "sheet": "subjects"})
    assert message.replace("subjects.xlsx!", "subjects.xlsx[subjects]!") in _refused(study)


def test_hidden_sheet_never_read_by_default(study):
    contract, folder = study
    _workbook(folder, _hidden_first)
    _point_subjects_at(contract, "subjects.xlsx")
    read = _read(study)
    assert read["subjects"]["subject_id"].tolist() == ["S01", "S02", "S03", "S04"]
    assert any("hidden sheet(s) 'old' not read" in n for n in read.notes)


def test_sheet_claiming_a_huge_range_is_refused(study):
    import zipfile

    contract, folder = study
    _workbook(folder, lambda wb, ws: None)
    path = folder / "subjects.xlsx"
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b'<dimension ref="A1:E5"/>',
                                        b'<dimension ref="A1:XFD1048576"/>')
    with zipfile.ZipFile(path, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    _point_subjects_at(contract, "subjects.xlsx")
    assert "claims the range A1:XFD1048576" in _refused(study)


def _point_subjects_at(contract, entry):
    import yaml

    data = yaml.safe_load(contract.read_text(encoding="utf-8"))
    data["tables"]["subjects"] = entry
    contract.write_text(yaml.safe_dump(data), encoding="utf-8")


# ------------------------------------------------------------------------------ bounds
def _truncated_xlsx(folder):
    _workbook(folder, lambda wb, ws: None)
    data = (folder / "subjects.xlsx").read_bytes()
    (folder / "subjects.xlsx").write_bytes(data[: len(data) // 2])
    return "subjects.xlsx", "not a readable xlsx workbook"


def _sav_is_csv(folder):
    (folder / "subjects.sav").write_text(SUBJECTS, encoding="utf-8")
    return "subjects.sav", "not a .sav file: its first bytes look like text"


def _corrupt_parquet(folder):
    pd.read_csv(folder / "subjects.csv").to_parquet(folder / "subjects.parquet")
    data = bytearray((folder / "subjects.parquet").read_bytes())
    data[8:200] = b"\xff" * 192
    (folder / "subjects.parquet").write_bytes(bytes(data))
    return "subjects.parquet", "subjects (subjects.parquet)"


def _fifo(folder):
    (folder / "subjects.csv").unlink()
    os.mkfifo(folder / "subjects.csv")
    return "subjects.csv", "is a named pipe (FIFO)"


def _folder(folder):
    (folder / "subjects.csv").unlink()
    (folder / "subjects.csv").mkdir()
    return "subjects.csv", "is a folder"


@pytest.mark.parametrize("damage", [_truncated_xlsx, _sav_is_csv, _corrupt_parquet, _fifo,
                                    _folder])
def test_damaged_files_refused_naming_the_file(study, damage):
    contract, folder = study
    name, message = damage(folder)
    _point_subjects_at(contract, name)
    text = _refused(study)
    assert message in text and name in text


def test_cli_exit_2_without_traceback_and_nothing_written(study, capsys):
    from hormonestats.cli import main

    contract, folder = study
    _fifo(folder)
    before = sorted(p.name for p in folder.iterdir())
    assert main(["validate", str(contract), str(folder)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "FIFO" in captured.err + captured.out
    assert sorted(p.name for p in folder.iterdir()) == before


def test_table_file_outside_the_data_folder_through_a_link(study, tmp_path_factory):
    contract, folder = study
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.csv").write_text(SUBJECTS, encoding="utf-8")
    (folder / "subjects.csv").unlink()
    (folder / "subjects.csv").symlink_to(outside / "x.csv")
    assert "outside the data folder" in _refused(study)


def test_sample_before_waking_is_flagged_and_logged(study):
    from hormonestats.derive.diurnal import awakening_response

    contract, folder = study
    samples = mini_tables()["samples"]
    samples["wake_time"] = 10.0  # every subject's first sample (time 0) is before waking
    samples.to_csv(folder / "samples.csv", index=False)
    report = hs.validate(_read(study))
    assert report.ok
    before = report.warnings[report.warnings["check"] == "sample before waking"]
    assert len(before) and "before waking at 10 min" in before["message"].iloc[0]
    frame = pd.DataFrame({"subject_id": ["S1"] * 3, "sample_time": [0.0, 15.0, 30.0],
                          "wake_time": [10.0] * 3, "value": [10.0, 15.0, 12.0]})
    out, log = awakening_response(frame)
    assert out["delay_flag"].all()
    assert log["reason"].str.contains("10 min before waking").any()


def test_one_normaliser_of_codes_at_reading(study):
    """Case, aliases and registry synonyms are spelled as the registries do, with a note."""
    contract, folder = study
    tables = mini_tables()
    samples = tables["samples"]
    samples["analyte"] = samples["analyte"].str.capitalize()
    samples["unit"] = samples["unit"].str.replace("/", "_")
    samples.to_csv(folder / "samples.csv", index=False)
    treatments = tables["treatments"]
    treatments["agent"] = treatments["agent"].replace({"intranasal_oxytocin": "oxytocin"})
    treatments.to_csv(folder / "treatments.csv", index=False)
    responses = tables["responses"]
    iri = responses["instrument"] == "iri"
    responses.loc[iri, "item"] = "IRI_" + responses.loc[iri, "item"].astype(str).str.zfill(2)
    responses.to_csv(folder / "responses.csv", index=False)
    read = _read(study)
    assert hs.validate(read).ok
    text = "\n".join(read.notes)
    assert "'Cortisol' -> 'cortisol'" in text and "'nmol_L' -> 'nmol/L'" in text
    assert "'oxytocin' -> 'intranasal_oxytocin'" in text and "'IRI_01' -> '1'" in text


def test_latin1_byte_far_into_a_file_is_read_with_a_note(study):
    rows = "".join(f"S{i:02d},female,23,oxytocin,21.5\n" for i in range(5, 20000))
    text = SUBJECTS + rows + "S99,m\u00e4le,40,placebo,20.0\n"
    (study[1] / "subjects.csv").write_bytes(text.encode("latin-1"))
    read = _read_loose(study)
    assert read["subjects"]["sex"].iloc[-1] == "m\u00e4le"
    assert any("line 20001" in n and "Windows-1252" in n for n in read.notes), read.notes


def _read_loose(study):
    """The subjects table alone (the other tables name only S01..S04)."""
    import yaml

    contract, folder = study
    data = yaml.safe_load(contract.read_text(encoding="utf-8"))
    data["tables"] = {"subjects": "subjects.csv"}
    contract.write_text(yaml.safe_dump(data), encoding="utf-8")
    return _read(study)
