"""Plate figures (standard curve, heat map) and the plate-QC report section."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.errors import DataError
from hormonestats.report.plate_figures import plate_heatmap, standard_curve
from hormonestats.report.plate_report import plate_methods, plate_qc_section

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def one_plate():
    wells = hs.read_plates(REF / "plates_example_grid.csv",
                           layout=REF / "plates_example_layout.csv")
    curves = hs.fit_standard_curves(wells, model="4pl", weights="1/y^2")
    return wells, curves


def test_standard_curve_figure(one_plate):
    _, curves = one_plate
    curve = curves["PLATE01"]
    ax = standard_curve(curve, unit="nmol/L")
    line = ax.get_lines()[0]
    x, y = line.get_data()
    np.testing.assert_allclose(y, curve.predict(x))
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], curve.residuals["concentration"])
    crosses = ax.collections[1].get_offsets()
    np.testing.assert_allclose(crosses[:, 0], curve.residuals["back_calculated"])
    assert ax.get_xscale() == "log" and "nmol/L" in ax.get_xlabel()
    plt.close(ax.figure)


def test_plate_heatmap(one_plate):
    wells, _ = one_plate
    ax = plate_heatmap(wells)
    grid = ax.images[0].get_array()
    table = pd.read_csv(REF / "plates_example_grid.csv", index_col=0)
    np.testing.assert_allclose(np.asarray(grid), table.to_numpy())
    assert {t.get_text() for t in ax.texts} == {"S", "B", "C"}
    plt.close(ax.figure)
    with pytest.raises(DataError, match="plate=..."):
        plate_heatmap(pd.concat([wells, wells.assign(plate_id="X")]))


def test_section_and_methods(one_plate):
    wells, curves = one_plate
    qc = hs.plate_qc(wells, curves)
    text = plate_methods(qc, unit="nmol/L")
    curve = curves["PLATE01"]
    assert "a 4PL on 1 plate (as specified)" in text and "weighted 1/y^2" in text
    assert f"LLOQ {curve.lloq:.3g} nmol/L" in text and f"ULOQ {curve.uloq:.3g} nmol/L" in text
    assert "3 SD" in text and "FDA 2018" in text
    section = plate_qc_section(qc, unit="nmol/L")
    assert section.startswith('<section class="plate-qc">') and section.endswith("</section>")
    assert section.count("<img") == 2 and section.count("<table") == 6
    assert "CTRL_LOW" in section
