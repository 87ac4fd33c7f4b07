"""Safe exports: text cells a spreadsheet would run as formulas are written inert in every CSV
and embedded download, and read back exactly as they were."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hormonestats.study.reading import read_table
from hormonestats.study.spreadsheet_cells import (
    inert_cells,
    inert_text,
    original_cells,
    original_text,
)

HOSTILE = ['=HYPERLINK("http://example.org","click")', "+cmd|' /C calc'!A0", "-2+3",
           "@SUM(A1:A9)", "\tTAB", "\rCR", "'=already quoted", "''@twice", "'plain quote",
           "=", "-", "S001", "", "a=b"]
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _runs(cell: str) -> bool:
    """Whether a spreadsheet would run this cell as a formula."""
    return cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not _NUMBER.fullmatch(cell)


def _live_cells(text: str) -> list[str]:
    return [c for row in _rows(text) for c in row if _runs(c)]


def _rows(text: str) -> list[list[str]]:
    """The cells of CSV text as a spreadsheet parses them (line ends inside quotes kept)."""
    return list(csv.reader(io.StringIO(text, newline="")))


#: Line ends inside text cells: CR, CR LF and lone LF, alone, leading (formula-looking after
#: them or not), trailing and mixed.
LINE_ENDS = ["a\rb", "a\r\nb", "a\nb", "\r=1+1", "\r\n=cmd|' /C calc'!A0", "=HYPERLINK(\"a\rb\")",
             "x\r", "'\rq", "-\r5", "a\r\r\nb\n\r", "\n@x", 'q"\r"', "\r\r.", "@\n\r"]


def test_every_hostile_text_round_trips_and_numbers_stay():
    for text in HOSTILE:
        written = inert_text(text)
        assert not _runs(written), text
        assert original_text(written) == text
    assert inert_text("-0.31") == "-0.31" and inert_text("+5e3") == "+5e3"
    for value in (-2, -2.5, np.float64(-1e-9), None, np.nan):
        assert inert_text(value) is value


def test_frames_change_only_text_cells_and_never_the_callers():
    frame = pd.DataFrame({"id": HOSTILE, "x": -np.arange(len(HOSTILE), dtype=float),
                          "n": -np.arange(len(HOSTILE))})
    kept = frame.copy()
    written = inert_cells(frame)
    pd.testing.assert_frame_equal(frame, kept)
    assert written["x"].dtype == float and written["n"].dtype == frame["n"].dtype
    assert not any(_runs(v) for v in written["id"])
    pd.testing.assert_frame_equal(original_cells(written), frame)
    plain = pd.DataFrame({"id": ["S1", "S2"]})
    assert inert_cells(plain) is plain


def test_write_report_csvs_and_downloads_are_inert_and_read_back_exactly(tmp_path):
    from hormonestats.report import write_report

    hostile = HOSTILE + LINE_ENDS
    table = pd.DataFrame({"subject_id": hostile, "estimate": np.linspace(-1, 1, len(hostile))})
    log = pd.DataFrame({"step": ["outliers"], "table": ["samples"], "row": [3],
                        "subject_id": ["=1+1"], "action": ["excluded"],
                        "reason": ["-3 SD: =cmd"]})
    out = write_report(tmp_path / "run", title="x", tables={"ids": table}, log=log,
                       downloads={"ids"})
    for path in out.rglob("*.csv"):
        assert _live_cells(path.read_text(encoding="utf-8")) == [], path.name
    back = read_table(out / "tables" / "ids.csv", table="ids")
    assert back["subject_id"].fillna("").tolist() == hostile
    assert np.allclose(back["estimate"], table["estimate"])
    assert read_table(out / "exclusion_log.csv", table="log")["reason"].tolist() == [
        "-3 SD: =cmd"]
    page = (out / "report.html").read_text(encoding="utf-8")
    uris = re.findall(r'href="data:text/csv;base64,([^"]+)"', page)
    assert uris
    for uri in uris:
        assert _live_cells(base64.b64decode(uri).decode("utf-8")) == []
    ids = [original_text(r[0]) for r in _rows(base64.b64decode(uris[0]).decode("utf-8"))[1:]]
    assert ids == hostile


def test_a_study_with_formula_ids_runs_inert_and_round_trips(tmp_path, capsys, monkeypatch):
    from hormonestats.cli import main
    from hormonestats.datasets import dataset_path

    project = tmp_path / "project"
    data = project / "data"
    shutil.copytree(dataset_path("example_study"), data)
    (data / "contract.yaml").rename(project / "contract.yaml")
    ids = pd.read_csv(data / "subjects.csv", dtype=str)["subject_id"].tolist()
    hostile = HOSTILE[:4] + ["'=already quoted"]
    rename = dict(zip(ids, hostile, strict=False))
    for path in data.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "subject_id" in frame:
            frame["subject_id"] = frame["subject_id"].map(lambda v: rename.get(v, v))
            frame.to_csv(path, index=False)
    monkeypatch.chdir(project)
    code = main(["run", "estradiol_oxytocin", "--contract", "contract.yaml", "--data", "data",
                 "--out", "results", "--n-boot", "20"])
    assert code == 0, capsys.readouterr().err
    results = Path("results")
    for path in results.rglob("*.csv"):
        assert _live_cells(path.read_text(encoding="utf-8")) == [], path.name
    page = (results / "report.html").read_text(encoding="utf-8")
    for uri in re.findall(r'href="data:text/csv;base64,([^"]+)"', page):
        assert _live_cells(base64.b64decode(uri).decode("utf-8")) == []
    # the ids as the study holds them (a cell already written inert reads as its text)
    study_ids = set(read_table(data / "subjects.csv", table="subjects")["subject_id"])
    assert {original_text(h) for h in hostile} <= study_ids
    analysis = read_table(results / "tables" / "analysis_table.csv", table="analysis")
    assert {original_text(h) for h in hostile} <= set(analysis["subject_id"]) <= study_ids


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_reading_takes_the_apostrophe_off_csv_and_xlsx(tmp_path, ext):
    frame = pd.DataFrame({"subject_id": ["'=1+1", "S2"], "age": [-1.5, 30.0]})
    path = tmp_path / f"subjects{ext}"
    frame.to_csv(path, index=False) if ext == ".csv" else frame.to_excel(path, index=False)
    back = read_table(path, table="subjects")
    assert back["subject_id"].tolist() == ["=1+1", "S2"]
    assert back["age"].tolist() == [-1.5, 30.0]


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_line_ends_inside_cells_round_trip_exactly(tmp_path, ext):
    """CR, CR LF and LF inside a text cell (formula-looking ones too) are written quoted and
    inert and read back as they were; a table without CR keeps LF record ends."""
    from hormonestats.study.spreadsheet_cells import csv_text, write_csv

    cells = HOSTILE + LINE_ENDS
    frame = pd.DataFrame({"subject_id": [f"S{i}" for i in range(len(cells))], "note": cells,
                          "x": np.arange(len(cells)) - 3.5})
    kept = frame.copy()
    path = tmp_path / f"subjects{ext}"
    if ext == ".csv":
        write_csv(frame, path)
        text = path.read_bytes().decode("utf-8")
        assert text == csv_text(frame) and text.endswith("\r\n")
        assert _live_cells(text) == []
        parsed = [r[1] for r in _rows(text)[1:]]
        assert [original_text(c) for c in parsed] == cells  # the spreadsheet's view, inert
    else:
        inert_cells(frame).to_excel(path, index=False)
    pd.testing.assert_frame_equal(frame, kept)
    back = read_table(path, table="subjects")
    # a cell of blanks only ("" here) is missing when read, as every blank cell is
    assert back["note"].fillna("").tolist() == cells
    assert np.allclose(back["x"], frame["x"])
    plain = pd.DataFrame({"id": ["S1", "a\nb"]})
    assert csv_text(plain) == 'id\nS1\n"a\nb"\n'
