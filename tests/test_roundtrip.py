"""Spreadsheet, SPSS and parquet round trips: a study saved in another format reads, validates
and processes exactly as its csv files do (booleans as 1/0, empty strings as missing text,
numeric-looking IDs as text, dates as Excel serials or date cells, clock times as time cells)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

import hormonestats as hs
from hormonestats.datasets import dataset_path

STUDIES = ("example_study", "tsst_study", "cycle_study")
_EXPECTED: dict[str, pd.DataFrame] = {}


def _expected(name: str) -> pd.DataFrame:
    if name not in _EXPECTED:
        _EXPECTED[name] = hs.process_study(hs.read_dataset(name)).table
    return _EXPECTED[name]


def _write(frame: pd.DataFrame, path, ext: str) -> None:
    if ext == ".xlsx":
        frame.to_excel(path, index=False)
    elif ext == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        import pyreadstat

        out = frame.copy()
        for col in out.columns:  # SPSS has no booleans and stores missing text as ""
            if pd.api.types.is_bool_dtype(out[col]) or out[col].map(
                    lambda v: isinstance(v, bool)).any():
                out[col] = out[col].map(lambda v: float(v) if isinstance(v, bool) else v)
                out[col] = pd.to_numeric(out[col])
            elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else str(v)).astype(object)
        pyreadstat.write_sav(out, str(path))


def _copy_as(name: str, ext: str, folder):
    src = dataset_path(name)
    raw = yaml.safe_load((src / "contract.yaml").read_text(encoding="utf-8"))
    for table in raw["tables"]:
        frame = pd.read_csv(src / f"{table}.csv", keep_default_na=True)
        _write(frame, folder / f"{table}{ext}", ext)
        raw["tables"][table] = f"{table}{ext}"
    for extra in src.glob("*.csv"):
        if extra.stem not in raw["tables"]:
            shutil.copy(extra, folder / extra.name)  # answer keys stay csv
    (folder / "contract.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return folder / "contract.yaml"


_FAST = {("example_study", ".xlsx"), ("example_study", ".sav"), ("example_study", ".parquet"),
         ("tsst_study", ".sav"), ("cycle_study", ".xlsx")}


@pytest.mark.parametrize(
    ("name", "ext"),
    [pytest.param(n, e, marks=() if (n, e) in _FAST else pytest.mark.slow)
     for n in STUDIES for e in (".xlsx", ".sav", ".parquet")],
)
def test_study_in_another_format_gives_the_same_analysis_table(tmp_path, name, ext):
    study = hs.read_study(_copy_as(name, ext, tmp_path), tmp_path)
    report = hs.validate(study)
    assert report.ok, report.summary()
    got = hs.process_study(study).table
    pd.testing.assert_frame_equal(got, _expected(name), check_dtype=False)


@pytest.mark.slow
@pytest.mark.parametrize("ext", [".xlsx", ".sav", ".parquet"])
def test_crossover_study_in_another_format(tmp_path, ext):
    test_study_in_another_format_gives_the_same_analysis_table(tmp_path, "crossover_study", ext)


def test_conform_undoes_format_artefacts():
    from hormonestats.study.conform import conform_table

    raw = pd.DataFrame({"subject_id": [1.0, 2.0, None], "analyte": ["cortisol", "", "  "],
                        "extracted": [1.0, 0.0, None], "below_lod": [1, 0, 1],
                        "sample_number": [1.0, 2.0, 3.0]})
    out = conform_table("samples", raw)
    assert out["subject_id"].tolist()[:2] == ["1", "2"] and pd.isna(out["subject_id"][2])
    assert out["analyte"].isna().tolist() == [False, True, True]
    assert out["extracted"].tolist()[:2] == [True, False] and pd.isna(out["extracted"][2])
    assert out["below_lod"].dtype == bool and out["sample_number"].dtype == "int64"
    assert raw["subject_id"].dtype == float  # the input is not changed
    cycles = conform_table("cycles", pd.DataFrame({"subject_id": ["S1"], "date": [45292],
                                                   "event": ["menses_onset"]}), excel=True)
    assert cycles["date"].tolist() == ["2024-01-01"]  # an Excel serial number


def test_xlsx_date_serials_and_time_cells(tmp_path):
    import datetime as dt

    from hormonestats.study.reading import read_table

    frame = pd.DataFrame({"subject_id": ["001"], "date": [45292], "event": ["menses_onset"]})
    frame.to_excel(tmp_path / "cycles.xlsx", index=False)
    out = read_table(tmp_path / "cycles.xlsx", table="cycles")
    assert out["subject_id"].tolist() == ["001"] and out["date"].tolist() == ["2024-01-01"]
    contract = hs.load_contract({"name": "t", "tables": {"subjects": None, "samples": None},
                                 "analytes": {"cortisol": {}}})
    samples = pd.DataFrame({"subject_id": ["001"] * 2, "analyte": "cortisol",
                            "matrix": "saliva", "value": [5.0, 6.0], "unit": "nmol/L",
                            "sample_number": [1, 2],
                            "sample_time": [dt.time(8, 0), dt.time(8, 30)]})
    samples.to_excel(tmp_path / "samples.xlsx", index=False)
    pd.DataFrame({"subject_id": ["001"]}).to_excel(tmp_path / "subjects.xlsx", index=False)
    study = hs.read_study(contract, tmp_path)
    assert study["samples"]["sample_time"].tolist() == [480.0, 510.0]
    assert hs.validate(study).ok
