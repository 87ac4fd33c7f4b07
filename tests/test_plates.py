"""Reading plate exports and layouts, and the ``hormonestats plates`` command.

``plates_example_grid.csv`` and ``plates_example_layout.csv`` in tests/reference are the
illustrative shapes of plate-reader exports the project was given to read first (one plate:
LL.4 standards, blanks, a control, 40 samples in duplicate at dilution 2; made-up numbers).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.datasets import dataset_path
from hormonestats.study.plates import PlateError

REF = Path(__file__).parent / "reference"
GRID = REF / "plates_example_grid.csv"
LAYOUT = REF / "plates_example_layout.csv"
ROOT = Path(__file__).resolve().parents[1]


def _grid_text(plate_id: str, od: np.ndarray, corner: bool = True) -> list[str]:
    lines = [("" if not corner else plate_id) + "," + ",".join(str(c) for c in range(1, 13))]
    for k, letter in enumerate("ABCDEFGH"):
        lines.append(letter + "," + ",".join(f"{v:.4f}" for v in od[k]))
    return lines


def test_reads_the_example_grid_with_layout():
    wells = hs.read_plates(GRID, layout=LAYOUT)
    assert len(wells) == 96 and set(wells["plate_id"]) == {"PLATE01"}
    grid = pd.read_csv(GRID, index_col=0)
    assert wells.set_index("well").loc["C5", "od"] == grid.loc["C", "5"]
    assert wells.set_index("well").loc["A1", "type"] == "standard"
    assert wells["type"].value_counts().to_dict() == {"sample": 80, "standard": 12, "blank": 2,
                                                      "control": 2}
    samples = wells[wells["type"] == "sample"]
    assert (samples["dilution"] == 2).all() and set(samples["replicate"]) == {1, 2}


def test_several_plates_label_lines_sheets_and_long_tables(tmp_path):
    rng = np.random.default_rng(1)
    a, b, c, d = (rng.uniform(0.05, 2.5, (8, 12)) for _ in range(4))
    text = (["Reader XYZ export", ""] + _grid_text("P1", a) + [""] + ["Plate,P2"]
            + _grid_text("P2", b, corner=False))
    (tmp_path / "two.csv").write_text("\n".join(text) + "\n")
    book = tmp_path / "sheets.xlsx"
    with pd.ExcelWriter(book) as xl:
        frame = pd.DataFrame(c, index=list("ABCDEFGH"), columns=range(1, 13))
        frame.to_excel(xl, sheet_name="P3")
    long = pd.DataFrame({"plate_id": "P4",
                         "well": [f"{r}{k}" for r in "ABCDEFGH" for k in range(1, 13)],
                         "od": d.ravel()})
    long.to_csv(tmp_path / "long.csv", index=False)
    wells = hs.read_plates([tmp_path / "two.csv", book, tmp_path / "long.csv"])
    assert list(dict.fromkeys(wells["plate_id"])) == ["P1", "P2", "P3", "P4"]
    by = wells.set_index(["plate_id", "well"])["od"]
    assert by["P2", "H12"] == pytest.approx(b[7, 11], abs=1e-4)
    assert by["P3", "B7"] == pytest.approx(c[1, 6])
    assert by["P4", "D3"] == pytest.approx(d[3, 2])
    assert wells.set_index(["plate_id", "well"]).loc[("P1", "E10"), "column"] == 10


def test_layout_as_field_grids(tmp_path):
    lay = pd.read_csv(LAYOUT)
    lines = []
    for field in ("type", "sample_id", "concentration", "dilution"):
        grid = pd.DataFrame("", index=list("ABCDEFGH"), columns=range(1, 13))
        for r in lay.itertuples():
            v = getattr(r, field)
            grid.loc[r.well[0], int(r.well[1:])] = "" if pd.isna(v) else str(v)
        lines += [field + "," + ",".join(map(str, range(1, 13)))]
        lines += [f"{k}," + ",".join(grid.loc[k]) for k in grid.index] + [""]
    (tmp_path / "layout_grid.csv").write_text("\n".join(lines))
    from_grid = hs.read_plate_layout(tmp_path / "layout_grid.csv").set_index("well")
    from_long = hs.read_plate_layout(LAYOUT).set_index("well")
    cols = ["type", "sample_id", "concentration", "dilution"]
    pd.testing.assert_frame_equal(from_grid.loc[from_long.index, cols], from_long[cols])


def test_malformed_grid_names_plate_and_well(tmp_path):
    lines = GRID.read_text().splitlines()
    bad = lines[:3] + [lines[3].replace("0.6456", "n/a")] + lines[4:7] + lines[8:]
    (tmp_path / "bad.csv").write_text("\n".join(bad))
    with pytest.raises(PlateError) as err:
        hs.read_plates(tmp_path / "bad.csv")
    text = str(err.value)
    assert "plate 'PLATE01': well C3 holds 'n/a'" in text
    assert "row G missing" in text  # every problem at once


def test_layout_problems_are_collected(tmp_path):
    lay = pd.read_csv(LAYOUT)
    lay.loc[0, "type"] = "standrd"
    lay.loc[2, "concentration"] = np.nan
    lay.loc[20, "well"] = "Z9"
    with pytest.raises(PlateError) as err:
        hs.read_plate_layout(lay)
    text = str(err.value)
    assert "well A1: unknown well type 'standrd'" in text
    assert "well B1: a standard needs its nominal concentration" in text
    assert "'Z9' is not a well name" in text


def test_layout_wells_missing_from_data(tmp_path):
    lines = GRID.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 2)[0] + ",,"  # E11, E12 left empty
    (tmp_path / "gaps.csv").write_text("\n".join(lines))
    lay = pd.read_csv(LAYOUT)
    with pytest.raises(PlateError, match=r"plate 'PLATE01', well E11 \(sample P037"):
        hs.read_plates(tmp_path / "gaps.csv", layout=lay)
    # a per-plate layout that lacks a plate
    with pytest.raises(PlateError, match="have no rows in the layout"):
        hs.read_plates(GRID, layout=lay.assign(plate_id="OTHER"))
    # a per-plate layout describing a plate whose export is missing
    both = pd.concat([lay.assign(plate_id="PLATE01"), lay.assign(plate_id="PLATE02")])
    with pytest.raises(PlateError, match="plates 'PLATE02' that are not in the exports"):
        hs.read_plates(GRID, layout=both)


def test_duplicate_plate_ids(tmp_path):
    shutil.copy(GRID, tmp_path / "a.csv")
    shutil.copy(GRID, tmp_path / "b.csv")
    with pytest.raises(PlateError, match="'PLATE01' in a.csv, b.csv"):
        hs.read_plates([tmp_path / "a.csv", tmp_path / "b.csv"])


def test_example_plate_back_calculates():
    wells = hs.read_plates(GRID, layout=LAYOUT)
    curve = hs.fit_standard_curve(wells, weights="1/y^2")
    assert curve.increasing  # this example is a sandwich assay: OD rises with concentration
    rows = hs.plate_concentrations(wells, curve, analyte="cortisol", unit="nmol/L",
                                   matrix="saliva")
    assert len(rows) == 82 and set(rows["sample_type"]) == {"subject", "control"}
    ctrl = rows[rows["sample_type"] == "control"]["concentration"]
    assert ctrl.mean() == pytest.approx(5.0, rel=0.2)
    sample = rows[rows["sample_type"] == "subject"].iloc[0]
    od = wells.set_index("well").loc[sample["well"], "od"]
    assert sample["concentration"] == pytest.approx(2 * float(curve.inverse(od)))
    # range flags for both orientations of the asymptotes (the 5PL here has c > d)
    for model in ("4pl", "5pl"):
        fit = hs.fit_standard_curve(wells, model=model)
        lo, hi = sorted([fit.params["c"], fit.params["d"]])
        assert fit.back_calculate([lo - 0.01, hi + 0.01])["flag"].tolist() == [
            "below_curve", "above_curve"]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hormonestats", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_cli_plates_makes_a_samples_table_that_validates(tmp_path):
    folder = dataset_path("cortisol_elisa") / "plates"
    out = tmp_path / "samples_cortisol.csv"
    proc = _cli("plates", *sorted(folder.glob("export_*")), "--layout", folder / "layout.csv",
                "--analyte", "cortisol", "--unit", "nmol/L", "--out", out,
                "--qc", tmp_path / "plate_qc.html")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "plate_qc.html").read_text()
    assert page.count("<img") == 8 and "inter-assay CVs were CTRL_low" in page
    assert "CORT04: 4PL chosen by AIC" in proc.stdout
    rows = pd.read_csv(out)
    assert len(rows) == 2 * (148 + 8) and (rows["analyte"] == "cortisol").all()
    # the simulated concentrations lie within the stated 95% intervals (about 95% of wells)
    truth = json.loads((folder.parent / "truth.json").read_text())["samples"]
    subj = rows[rows["sample_type"] == "subject"].dropna(subset=["concentration"])
    true = subj["sample_id"].map(truth)
    inside = (subj["conf_low"] <= true) & (true <= subj["conf_high"])
    assert 0.90 <= inside.mean() <= 0.99
    # into the example study, in place of its cortisol readings
    study = tmp_path / "study"
    shutil.copytree(dataset_path("example_study"), study)
    old = pd.read_csv(study / "samples.csv", dtype=str)
    new = pd.read_csv(out, dtype=str)
    pd.concat([old[old["analyte"] != "cortisol"], new]).to_csv(study / "samples.csv",
                                                               index=False)
    check = _cli("validate", ROOT / "schemas" / "example_study.yaml", study)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "valid" in check.stdout


def test_cli_plates_errors_exit_2_without_traceback(tmp_path):
    bad_layout = tmp_path / "layout.csv"
    pd.read_csv(LAYOUT).assign(type=lambda f: f["type"].replace("blank", "blnk")).to_csv(
        bad_layout, index=False)
    proc = _cli("plates", GRID, "--layout", bad_layout, "--analyte", "cortisol", "--unit",
                "nmol/L", "--out", tmp_path / "x.csv")
    assert proc.returncode == 2
    assert "well G1: unknown well type 'blnk'" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    proc = _cli("plates", tmp_path / "missing.csv", "--layout", LAYOUT, "--analyte",
                "cortisol", "--unit", "nmol/L", "--out", tmp_path / "x.csv")
    assert proc.returncode == 2 and "no such plate export" in proc.stderr
    assert not (tmp_path / "x.csv").exists()
